// The CPU's elementwise kernels as cached: a reused expression object (cached by the object)
// still gets a kernel of its operands' dtypes, and operands that are not contiguous (strided,
// broadcast, offset) still walk their layouts rather than the contiguous fast path.
import { describe, expect, it } from 'vitest';
import type { View } from '../backend.js';
import { type DType, type TypedArray, typedArrayOf } from '../dtype.js';
import { E, markReused } from '../expr.js';
import { cpu } from './backend.js';

function view(
  dtype: DType,
  values: readonly number[],
  shape: readonly number[],
  strides: readonly number[],
  offset = 0,
): View {
  return {
    storage: cpu.fromData(dtype, typedArrayOf[dtype].from(values)),
    dtype,
    shape,
    strides,
    offset,
  };
}

function output(dtype: DType, shape: readonly number[]): View & { data: TypedArray } {
  const storage = cpu.allocate(
    dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return { storage, dtype, shape, strides, offset: 0, data: storage.data };
}

describe('cpu elementwise kernels', () => {
  it('run a reused expression with a kernel for each dtype combination', () => {
    const product = markReused(E.mul(E.input(0), E.input(1)));
    // float32 first: 1.5 · 2 is 3 (an int32 kernel would give Math.imul(1.5, 2) = 2).
    const f = output('float32', [2]);
    cpu.elementwise(
      product,
      [view('float32', [1.5, -2.5], [2], [1]), view('float32', [2, 4], [2], [1])],
      f,
    );
    expect(Array.from(f.data)).toEqual([3, -10]);
    // Then int32: the low 32 bits of the exact product (a float kernel's double product
    // past 2^53 loses them): 123456789 · 987654321 wraps to Math.imul's -67153019.
    const i = output('int32', [1]);
    cpu.elementwise(
      product,
      [view('int32', [123456789], [1], [1]), view('int32', [987654321], [1], [1])],
      i,
    );
    expect(Array.from(i.data)).toEqual([-67153019]);
    // Mixed: float32 times int32 computes in floats.
    const m = output('float32', [1]);
    cpu.elementwise(product, [view('float32', [0.5], [1], [1]), view('int32', [3], [1], [1])], m);
    expect(Array.from(m.data)).toEqual([1.5]);
    // And float32 again, after the others were compiled.
    const again = output('float32', [1]);
    cpu.elementwise(
      product,
      [view('float32', [2.5], [1], [1]), view('float32', [2.5], [1], [1])],
      again,
    );
    expect(Array.from(again.data)).toEqual([6.25]);
  });

  it('walk strided, broadcast and offset operands by their layouts', () => {
    const sum = markReused(E.add(E.input(0), E.input(1)));
    // a: the transpose of [[0, 1, 2], [3, 4, 5]], read from offset 1 of its storage;
    // b: a row [10, 20] broadcast down 3 rows (stride 0).
    const a = view('float32', [99, 0, 1, 2, 3, 4, 5], [3, 2], [1, 3], 1);
    const b = view('float32', [10, 20], [3, 2], [0, 1]);
    const out = output('float32', [3, 2]);
    cpu.elementwise(sum, [a, b], out);
    expect(Array.from(out.data)).toEqual([10, 23, 11, 24, 12, 25]);
    // A contiguous operand with an offset takes the one-dim walk from its offset.
    const shifted = view('float32', [7, 7, 1, 2, 3, 4, 5, 6], [3, 2], [2, 1], 2);
    const plain = view('float32', [1, 1, 1, 1, 1, 1], [3, 2], [2, 1]);
    const out2 = output('float32', [3, 2]);
    cpu.elementwise(sum, [shifted, plain], out2);
    expect(Array.from(out2.data)).toEqual([2, 3, 4, 5, 6, 7]);
  });
});
