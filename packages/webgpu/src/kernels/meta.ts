// Kernel metadata: the counts, shapes, strides and offsets a kernel reads as int32 words.
// An Int32Array wraps a value past int32's range without a word (a count of 2^31 elements
// would read as -2^31), so every value is checked on its way in.

/** A metadata value past int32's range: the kernel's index arithmetic would wrap. */
export class MetaRangeError extends RangeError {}

/** `values` as int32 words, followed by `extra` zero words; throws MetaRangeError past int32. */
export function checkedMeta(values: readonly number[], extra = 0): Int32Array {
  const meta = new Int32Array(values.length + extra);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!(value >= -2147483648 && value <= 2147483647)) {
      throw new MetaRangeError(
        `a kernel index or count (${value}) is past the 32-bit integers WebGPU kernels index with (at most 2147483647)`,
      );
    }
    meta[i] = value;
  }
  return meta;
}
