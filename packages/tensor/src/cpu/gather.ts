// gather and scatter along one dim on the CPU, with bounds checks that name the index.

import type { View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { IndexError, type OutOfRangeMessage } from '../errors.js';
import { offsetsOf } from './layout.js';

function checkIndex(value: number, size: number, outOfRange: OutOfRangeMessage): void {
  if (value < 0 || value >= size) throw new IndexError(outOfRange(value, size));
}

/** Offsets into `target` for every position of `index`'s shape, without the dim term. */
function targetBases(target: View, index: View, dim: number): Int32Array {
  const strides = target.strides.map((s, d) => (d === dim ? 0 : s));
  return offsetsOf(index.shape, strides, target.offset);
}

export function runGather(
  input: View,
  x: TypedArray,
  dim: number,
  index: View,
  idx: TypedArray,
  out: View,
  y: TypedArray,
  outOfRange: OutOfRangeMessage,
): void {
  const bases = targetBases(input, index, dim);
  const indexOffsets = offsetsOf(index.shape, index.strides, index.offset);
  const outOffsets = offsetsOf(out.shape, out.strides, out.offset);
  const size = input.shape[dim]!;
  const stride = input.strides[dim]!;
  for (let k = 0; k < bases.length; k++) {
    const i = idx[indexOffsets[k]!]!;
    checkIndex(i, size, outOfRange);
    y[outOffsets[k]!] = x[bases[k]! + i * stride]!;
  }
}

export function runScatter(
  mode: 'assign' | 'add',
  target: View,
  t: TypedArray,
  dim: number,
  index: View,
  idx: TypedArray,
  src: View,
  s: TypedArray,
  outOfRange: OutOfRangeMessage,
): void {
  const bases = targetBases(target, index, dim);
  const indexOffsets = offsetsOf(index.shape, index.strides, index.offset);
  const srcOffsets = offsetsOf(index.shape, src.strides, src.offset);
  const size = target.shape[dim]!;
  const stride = target.strides[dim]!;
  // Check every index first so a bad one leaves the target untouched.
  for (let k = 0; k < bases.length; k++) checkIndex(idx[indexOffsets[k]!]!, size, outOfRange);
  for (let k = 0; k < bases.length; k++) {
    const p = bases[k]! + idx[indexOffsets[k]!]! * stride;
    const v = s[srcOffsets[k]!]!;
    t[p] = mode === 'add' ? t[p]! + v : v;
  }
}
