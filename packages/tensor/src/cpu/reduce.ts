// Reductions on the CPU: the input's kept dims and reduced dims are walked separately, the
// reduced ones by one stride when they collapse to one dim, else as a precomputed list of
// relative offsets. Sums and products of int32 values are int32 arithmetic (`| 0`,
// Math.imul): a double would lose their low bits past 2^53 before they wrap.

import type { ReduceKind, View } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { collapseDims, offsetsOf } from './layout.js';

/**
 * The reduced elements' offsets relative to an output's base: element r is at
 * `relative[r]`, or at `r * stride` when the reduced dims collapse to one (no list then, so
 * a broadcast view of billions of elements needs no memory).
 */
function reducedOffsets(
  shape: readonly number[],
  strides: readonly number[],
): { count: number; stride: number; relative: Int32Array | undefined } {
  const collapsed = collapseDims(shape, [strides]);
  const count = shape.reduce((a, b) => a * b, 1);
  if (collapsed.shape.length === 1) {
    return { count, stride: collapsed.strides[0]![0]!, relative: undefined };
  }
  return { count, stride: 0, relative: offsetsOf(shape, strides) };
}

export function runReduce(
  kind: ReduceKind,
  input: View,
  x: TypedArray,
  dims: readonly number[],
  out: TypedArray,
  outDType: DType,
): void {
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const reducedShape: number[] = [];
  const reducedStrides: number[] = [];
  for (let d = 0; d < input.shape.length; d++) {
    if (dims.includes(d)) {
      reducedShape.push(input.shape[d]!);
      reducedStrides.push(input.strides[d]!);
    } else {
      keptShape.push(input.shape[d]!);
      keptStrides.push(input.strides[d]!);
    }
  }
  const bases = offsetsOf(keptShape, keptStrides, input.offset);
  const { count: n, stride, relative } = reducedOffsets(reducedShape, reducedStrides);
  const at = (r: number) => (relative ? relative[r]! : r * stride);
  const integer = outDType === 'int32';
  switch (kind) {
    case 'sum':
      for (let o = 0; o < bases.length; o++) {
        const base = bases[o]!;
        let acc = 0;
        if (integer) for (let r = 0; r < n; r++) acc = (acc + x[base + at(r)]!) | 0;
        else for (let r = 0; r < n; r++) acc += x[base + at(r)]!;
        out[o] = acc;
      }
      return;
    case 'prod':
      for (let o = 0; o < bases.length; o++) {
        const base = bases[o]!;
        let acc = 1;
        if (integer) for (let r = 0; r < n; r++) acc = Math.imul(acc, x[base + at(r)]!);
        else for (let r = 0; r < n; r++) acc *= x[base + at(r)]!;
        out[o] = acc;
      }
      return;
    case 'max':
    case 'min': {
      const isMax = kind === 'max';
      for (let o = 0; o < bases.length; o++) {
        const base = bases[o]!;
        let acc = isMax ? -Infinity : Infinity;
        for (let r = 0; r < n; r++) {
          const v = x[base + at(r)]!;
          if (Number.isNaN(v)) {
            acc = NaN;
            break;
          }
          if (isMax ? v > acc : v < acc) acc = v;
        }
        out[o] = acc;
      }
      return;
    }
    case 'argmax':
    case 'argmin': {
      const isMax = kind === 'argmax';
      for (let o = 0; o < bases.length; o++) {
        const base = bases[o]!;
        let best = 0;
        let bestValue = n > 0 ? x[base + at(0)]! : 0;
        for (let r = 1; r < n && !Number.isNaN(bestValue); r++) {
          const v = x[base + at(r)]!;
          if (Number.isNaN(v) || (isMax ? v > bestValue : v < bestValue)) {
            best = r;
            bestValue = v;
          }
        }
        out[o] = best;
      }
      return;
    }
    default:
      kind satisfies never;
  }
}

export function runCumsum(
  input: View,
  x: TypedArray,
  dim: number,
  out: TypedArray,
  outDType: DType,
): void {
  const integer = outDType === 'int32';
  const shape = input.shape;
  const size = shape[dim]!;
  const stride = input.strides[dim]!;
  const otherShape = shape.filter((_, d) => d !== dim);
  const otherStrides = input.strides.filter((_, d) => d !== dim);
  const bases = offsetsOf(otherShape, otherStrides, input.offset);
  // Output is contiguous: position of (other index o, k) is outer * size * inner + k * inner + inner index.
  let inner = 1;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d]!;
  for (let o = 0; o < bases.length; o++) {
    const outer = Math.floor(o / inner);
    const within = o % inner;
    const outBase = outer * size * inner + within;
    let acc = 0;
    for (let k = 0; k < size; k++) {
      acc = integer ? (acc + x[bases[o]! + k * stride]!) | 0 : acc + x[bases[o]! + k * stride]!;
      out[outBase + k * inner] = acc;
    }
  }
}
