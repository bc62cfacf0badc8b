// Shapes and strides: broadcasting, dimension normalisation, contiguous strides.

import { describeValue } from './args.js';

/** A tensor's sizes, outermost dimension first. */
export type Shape = readonly number[];

/** The number of elements of a shape (1 for []). */
export function numelOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The row-major strides of a shape, in elements: [H·W, W, 1] for [C, H, W]. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** A shape as error messages print it: `[2, 3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Broadcasts shapes as NumPy and PyTorch do, or throws naming both shapes. Equal shapes give
 * `a` itself (a tensor's frozen shape is then shared by the result, not copied).
 */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): Shape {
  if (sameShape(a, b)) return a;
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: the size of tensor a (${da}) must match the size of tensor b (${db}) at ` +
          `non-singleton dimension ${i} (shapes ${formatShape(a)} and ${formatShape(b)})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had `target` shape (0 where broadcast). */
export function broadcastStrides(
  shape: Shape,
  strides: readonly number[],
  target: Shape,
): number[] {
  const offset = target.length - shape.length;
  if (offset < 0)
    throw new Error(`cannot broadcast ${formatShape(shape)} to ${formatShape(target)}`);
  const out = new Array<number>(target.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    const t = target[offset + i]!;
    if (d === t) out[offset + i] = strides[i]!;
    else if (d !== 1) {
      throw new Error(
        `the expanded size of the tensor (${t}) must match the existing size (${d}) at ` +
          `non-singleton dimension ${offset + i}. Target sizes: ${formatShape(target)}. ` +
          `Tensor sizes: ${formatShape(shape)}`,
      );
    }
  }
  return out;
}

/** Wraps a possibly negative dim into [0, ndim), or throws like PyTorch. */
export function normalizeDim(dim: number, ndim: number, op = 'dim'): number {
  const rankForCheck = Math.max(ndim, 1); // a 0-d tensor accepts dims -1 and 0
  if (typeof dim !== 'number') {
    throw new TypeError(`${op}: expected dim to be an integer, got ${describeValue(dim)}`);
  }
  if (!Number.isInteger(dim) || dim < -rankForCheck || dim >= rankForCheck) {
    throw new RangeError(
      `${op}: dimension out of range (expected to be in range of [${-rankForCheck}, ${rankForCheck - 1}], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + rankForCheck : dim;
}

/** Normalises a dim or list of dims (undefined: all dims), refusing repeats. */
export function normalizeDims(
  dims: number | readonly number[] | undefined,
  ndim: number,
  op: string,
): number[] {
  if (dims === undefined) {
    const all = new Array<number>(ndim);
    for (let i = 0; i < ndim; i++) all[i] = i;
    return all;
  }
  if (typeof dims !== 'number' && !Array.isArray(dims)) {
    throw new TypeError(
      `${op}: expected dim to be an integer or an array of integers, got ${describeValue(dims)}`,
    );
  }
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => normalizeDim(d, ndim, op));
  if (ndim === 0) return [];
  for (let i = 1; i < out.length; i++) {
    const d = out[i]!;
    if (out.indexOf(d) < i)
      throw new Error(`${op}: dim ${d} appears multiple times in the list of dims`);
  }
  return out.sort((a, b) => a - b);
}

/** Whether the layout is row-major without gaps; any empty tensor is (as in PyTorch). */
export function isContiguousLayout(shape: Shape, strides: readonly number[]): boolean {
  if (shape.includes(0)) return true;
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d !== 1 && strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

export function checkShape(shape: readonly number[], op: string): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(
        `${op}: invalid shape ${describeValue(shape)}: sizes must be non-negative integers`,
      );
    }
  }
  return [...shape];
}

/** Whether two shapes are equal (a plain loop: every op with two operands asks). */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
