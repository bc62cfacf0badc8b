// Default collation: a list of samples becomes one batch, like PyTorch's default_collate.
// Tensors are stacked along a new first dimension, numbers become a tensor (int32 when
// all are integers, else float32), and tuples, arrays and plain objects are collated
// element by element, so a [image, label] sample gives [images [N, ...], labels [N]].

import { type DType, formatShape, stack, Tensor, type TypedArray, tensor } from '@dl/tensor';

const arrayOf: Record<DType, new (length: number) => TypedArray> = {
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
  float64: Float64Array,
};

/** A collation failure; `position` is the offending sample's place in the batch. */
export class CollateError extends Error {
  readonly position: number;
  readonly path: string;
  readonly detail: string;
  constructor(position: number, path: string, detail: string) {
    super(`defaultCollate: ${detail}`);
    this.name = 'CollateError';
    this.position = position;
    this.path = path;
    this.detail = detail;
  }
}

/** What defaultCollate turns a sample type into. */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends string
      ? string[]
      : T extends readonly unknown[]
        ? { [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : never;

function describe(value: unknown): string {
  if (value instanceof Tensor)
    return `a ${value.dtype} tensor of shape ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

function stackTensors(samples: readonly Tensor[], path: string): Tensor {
  const first = samples[0]!;
  samples.forEach((t, position) => {
    if (
      t.dtype !== first.dtype ||
      t.shape.length !== first.shape.length ||
      t.shape.some((s, d) => s !== first.shape[d])
    ) {
      throw new CollateError(
        position,
        path,
        `sample ${position} of the batch has ${describe(t)}${where(path)}, but sample 0 has ${describe(first)}; ` +
          'all samples in a batch must have the same shape and dtype (resize or pad them, or pass a collateFn)',
      );
    }
    if (t.device !== first.device) {
      throw new CollateError(
        position,
        path,
        `sample ${position} of the batch is on ${t.device}${where(path)}, but sample 0 is on ${first.device}`,
      );
    }
  });
  if (first.device.readSync) {
    // Host-side copy: one allocation for the batch instead of a stack kernel over N views.
    const size = first.numel();
    const parts = samples.map((t) => t.dataSync());
    const out = new arrayOf[first.dtype](size * samples.length);
    parts.forEach((part, i) => {
      out.set(part, i * size);
    });
    return tensor(out, { dtype: first.dtype, device: first.device }).reshape([
      samples.length,
      ...first.shape,
    ]);
  }
  return stack([...samples], 0);
}

function where(path: string): string {
  return path === '' ? '' : ` at ${path}`;
}

function collateAt(samples: readonly unknown[], path: string): unknown {
  const first = samples[0];
  const kindOf = (value: unknown): string =>
    value instanceof Tensor
      ? 'tensor'
      : Array.isArray(value)
        ? 'array'
        : value === null
          ? 'null'
          : typeof value;
  const kind = kindOf(first);
  samples.forEach((s, position) => {
    if (kindOf(s) !== kind) {
      throw new CollateError(
        position,
        path,
        `sample ${position} of the batch is ${describe(s)}${where(path)}, but sample 0 is ${describe(first)}`,
      );
    }
  });
  if (kind === 'tensor') return stackTensors(samples as readonly Tensor[], path);
  if (kind === 'number') {
    const numbers = samples as readonly number[];
    const integral = numbers.every(Number.isInteger);
    return tensor(integral ? Int32Array.from(numbers) : Float32Array.from(numbers));
  }
  if (kind === 'boolean') return tensor(samples as readonly boolean[]);
  if (kind === 'string') return [...(samples as readonly string[])];
  if (kind === 'array') {
    const arrays = samples as readonly unknown[][];
    const length = arrays[0]!.length;
    arrays.forEach((a, position) => {
      if (a.length !== length) {
        throw new CollateError(
          position,
          path,
          `sample ${position} of the batch has ${a.length} elements${where(path)}, but sample 0 has ${length}; each element in the batch should be of equal size`,
        );
      }
    });
    return Array.from({ length }, (_, i) =>
      collateAt(
        arrays.map((a) => a[i]),
        `${path}[${i}]`,
      ),
    );
  }
  if (kind === 'object' && !ArrayBuffer.isView(first)) {
    const records = samples as readonly Record<string, unknown>[];
    const keys = Object.keys(records[0]!);
    const out: Record<string, unknown> = {};
    for (const key of keys)
      out[key] = collateAt(
        records.map((r) => r[key]),
        `${path}.${key}`,
      );
    return out;
  }
  throw new CollateError(
    0,
    path,
    `cannot collate ${describe(first)}${where(path)}: samples must be tensors, numbers, booleans, strings, or arrays and plain objects of them (or pass a collateFn)`,
  );
}

/** Collates a list of samples into a batch (see the file comment). */
export function defaultCollate<T>(samples: readonly T[]): Collated<T> {
  if (samples.length === 0) throw new Error('defaultCollate: cannot collate an empty batch');
  // The sample type is only known to the caller; the walk above builds the matching batch.
  return collateAt(samples, '') as Collated<T>;
}
