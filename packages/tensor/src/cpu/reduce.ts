// Reductions on the CPU: the input's kept dims and reduced dims are walked separately, the
// reduced ones as a precomputed list of relative offsets (per block of a single stride when
// they collapse to one dim). Sums and products of int32 values are int32 arithmetic (`| 0`,
// Math.imul): a double would lose their low bits past 2^53 before they wrap.

import type { ReduceKind, View } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { collapseDims, offsetsOf } from './layout.js';

/** Reduced elements listed per block when they collapse to one strided dim. */
const blockSize = 4096;
/** The offsets of one block of stride 1 (a contiguous reduction), listed once for all. */
let unitBlock: Int32Array | undefined;

/**
 * Where the reduced elements lie relative to an output's base, in blocks: element
 * b * block + r is at b * blockStep + relative[r]. Offsets that collapse to one stride are
 * listed for one block only (a broadcast view of billions of elements needs no memory);
 * others are listed in full, as one block.
 */
function reducedBlocks(
  shape: readonly number[],
  strides: readonly number[],
): { count: number; block: number; blockStep: number; relative: Int32Array } {
  const collapsed = collapseDims(shape, [strides]);
  const count = shape.reduce((a, b) => a * b, 1);
  if (collapsed.shape.length === 1 && collapsed.strides[0]![0] === 1) {
    // A block past the count is read only up to it.
    unitBlock ??= Int32Array.from({ length: blockSize }, (_, r) => r);
    return { count, block: blockSize, blockStep: blockSize, relative: unitBlock };
  }
  if (collapsed.shape.length === 1 && count > blockSize) {
    const stride = collapsed.strides[0]![0]!;
    const relative = Int32Array.from({ length: blockSize }, (_, r) => r * stride);
    return { count, block: blockSize, blockStep: blockSize * stride, relative };
  }
  return { count, block: Math.max(count, 1), blockStep: 0, relative: offsetsOf(shape, strides) };
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
  const { count: n, block, blockStep, relative } = reducedBlocks(reducedShape, reducedStrides);
  const integer = outDType === 'int32';
  for (let o = 0; o < bases.length; o++) {
    let acc = kind === 'prod' ? 1 : kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0;
    let best = 0;
    let bestValue = n > 0 ? x[bases[o]!]! : 0;
    for (let first = 0; first < n; first += block) {
      const start = bases[o]! + (first / block) * blockStep;
      const length = Math.min(block, n - first);
      switch (kind) {
        case 'sum':
          if (integer) for (let r = 0; r < length; r++) acc = (acc + x[start + relative[r]!]!) | 0;
          else for (let r = 0; r < length; r++) acc += x[start + relative[r]!]!;
          break;
        case 'prod':
          if (integer)
            for (let r = 0; r < length; r++) acc = Math.imul(acc, x[start + relative[r]!]!);
          else for (let r = 0; r < length; r++) acc *= x[start + relative[r]!]!;
          break;
        case 'max':
        case 'min':
          // NaN wins and ends the walk, as in PyTorch.
          for (let r = 0; r < length && !Number.isNaN(acc); r++) {
            const v = x[start + relative[r]!]!;
            if (Number.isNaN(v) || (kind === 'max' ? v > acc : v < acc)) acc = v;
          }
          break;
        case 'argmax':
        case 'argmin':
          // The first of equal values, or the first NaN.
          for (let r = 0; r < length && !Number.isNaN(bestValue); r++) {
            const v = x[start + relative[r]!]!;
            if (Number.isNaN(v) || (kind === 'argmax' ? v > bestValue : v < bestValue)) {
              best = first + r;
              bestValue = v;
            }
          }
          break;
        default:
          kind satisfies never;
      }
    }
    out[o] = kind === 'argmax' || kind === 'argmin' ? best : acc;
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
