// Reductions on the CPU: the input's kept dims and reduced dims are walked separately, the
// reduced ones as a precomputed list of relative offsets (or one stride when they collapse).

import type { ReduceKind, View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { offsetsOf } from './layout.js';

export function runReduce(
  kind: ReduceKind,
  input: View,
  x: TypedArray,
  dims: readonly number[],
  out: TypedArray,
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
  const relative = offsetsOf(reducedShape, reducedStrides);
  const n = relative.length;
  switch (kind) {
    case 'sum':
      for (let o = 0; o < bases.length; o++) {
        const base = bases[o]!;
        let acc = 0;
        for (let r = 0; r < n; r++) acc += x[base + relative[r]!]!;
        out[o] = acc;
      }
      return;
    case 'prod':
      for (let o = 0; o < bases.length; o++) {
        const base = bases[o]!;
        let acc = 1;
        for (let r = 0; r < n; r++) acc *= x[base + relative[r]!]!;
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
          const v = x[base + relative[r]!]!;
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
        let bestValue = n > 0 ? x[base + relative[0]!]! : 0;
        for (let r = 1; r < n && !Number.isNaN(bestValue); r++) {
          const v = x[base + relative[r]!]!;
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

export function runCumsum(input: View, x: TypedArray, dim: number, out: TypedArray): void {
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
      acc += x[bases[o]! + k * stride]!;
      out[outBase + k * inner] = acc;
    }
  }
}
