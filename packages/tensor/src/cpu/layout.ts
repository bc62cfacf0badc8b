// Index arithmetic shared by the CPU kernels.

import type { Shape } from '../shape.js';

/**
 * Merges adjacent dims that every layout walks contiguously relative to each other and drops
 * size-1 dims, so most loops run over one or two dims. All layouts share `shape`.
 */
export function collapseDims(
  shape: Shape,
  layouts: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = layouts.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && layouts.every((strides, k) => outStrides[k]![last] === strides[d]! * size)) {
      outShape[last] = outShape[last]! * size;
      for (const [k, strides] of layouts.entries()) outStrides[k]![last] = strides[d]!;
      continue;
    }
    outShape.push(size);
    for (const [k, strides] of layouts.entries()) outStrides[k]!.push(strides[d]!);
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const s of outStrides) s.push(0);
  }
  return { shape: outShape, strides: outStrides };
}

/** The element offsets of a strided layout, in row-major order of `shape`. */
export function offsetsOf(shape: Shape, strides: readonly number[], base = 0): Int32Array {
  const { shape: dims, strides: collapsed } = collapseDims(shape, [strides]);
  const st = collapsed[0]!;
  let total = 1;
  for (const d of dims) total *= d;
  const out = new Int32Array(total);
  const rank = dims.length;
  const inner = dims[rank - 1]!;
  const innerStride = st[rank - 1]!;
  const index = new Int32Array(rank);
  let position = base;
  let k = 0;
  while (k < total) {
    let p = position;
    for (let j = 0; j < inner; j++) {
      out[k++] = p;
      p += innerStride;
    }
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      position += st[d]!;
      if (index[d]! < dims[d]!) break;
      position -= st[d]! * dims[d]!;
      index[d] = 0;
    }
  }
  return out;
}
