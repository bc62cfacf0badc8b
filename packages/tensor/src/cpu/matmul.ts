// Matrix multiplication on the CPU: each batch's operands are packed into contiguous
// row-major blocks, then multiplied four rows of the output at a time so every element of
// B loaded is used four times, in cache-sized panels of B.

import type { View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { offsetsOf } from './layout.js';

const panel = 256; // columns of B per panel: 4 output rows × 256 floats stay in L1

function pack(
  data: TypedArray,
  offset: number,
  rows: number,
  cols: number,
  rowStride: number,
  colStride: number,
  into: Float64Array | Float32Array,
): void {
  let k = 0;
  for (let i = 0; i < rows; i++) {
    let p = offset + i * rowStride;
    for (let j = 0; j < cols; j++) {
      into[k++] = data[p]!;
      p += colStride;
    }
  }
}

/** c (m×n, zeroed) += a (m×k) · b (k×n), all contiguous row-major. */
export function gemm(
  a: Float32Array | Float64Array,
  b: Float32Array | Float64Array,
  c: Float32Array | Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  for (let j0 = 0; j0 < n; j0 += panel) {
    const j1 = Math.min(n, j0 + panel);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const r0 = i * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      for (let p = 0; p < k; p++) {
        const a0 = a[i * k + p]!;
        const a1 = a[(i + 1) * k + p]!;
        const a2 = a[(i + 2) * k + p]!;
        const a3 = a[(i + 3) * k + p]!;
        const bRow = p * n;
        for (let j = j0; j < j1; j++) {
          const bv = b[bRow + j]!;
          c[r0 + j] = c[r0 + j]! + a0 * bv;
          c[r1 + j] = c[r1 + j]! + a1 * bv;
          c[r2 + j] = c[r2 + j]! + a2 * bv;
          c[r3 + j] = c[r3 + j]! + a3 * bv;
        }
      }
    }
    for (; i < m; i++) {
      const r0 = i * n;
      for (let p = 0; p < k; p++) {
        const a0 = a[i * k + p]!;
        const bRow = p * n;
        for (let j = j0; j < j1; j++) c[r0 + j] = c[r0 + j]! + a0 * b[bRow + j]!;
      }
    }
  }
}

export function runMatmul(
  a: View,
  aData: TypedArray,
  b: View,
  bData: TypedArray,
  out: View,
  outData: TypedArray,
): void {
  const rank = out.shape.length;
  const m = out.shape[rank - 2]!;
  const n = out.shape[rank - 1]!;
  const k = a.shape[rank - 1]!;
  const batchShape = out.shape.slice(0, rank - 2);
  const aBases = offsetsOf(batchShape, a.strides.slice(0, rank - 2), a.offset);
  const bBases = offsetsOf(batchShape, b.strides.slice(0, rank - 2), b.offset);
  const outBases = offsetsOf(batchShape, out.strides.slice(0, rank - 2), out.offset);
  const Work = out.dtype === 'float32' ? Float32Array : Float64Array;
  const aPacked = new Work(m * k);
  const bPacked = new Work(k * n);
  const cPacked = new Work(m * n);
  const [aRow, aCol] = [a.strides[rank - 2]!, a.strides[rank - 1]!];
  const [bRow, bCol] = [b.strides[rank - 2]!, b.strides[rank - 1]!];
  const [oRow, oCol] = [out.strides[rank - 2]!, out.strides[rank - 1]!];
  for (let batch = 0; batch < outBases.length; batch++) {
    pack(aData, aBases[batch]!, m, k, aRow, aCol, aPacked);
    pack(bData, bBases[batch]!, k, n, bRow, bCol, bPacked);
    cPacked.fill(0);
    gemm(aPacked, bPacked, cPacked, m, k, n);
    const base = outBases[batch]!;
    let q = 0;
    for (let i = 0; i < m; i++) {
      let p = base + i * oRow;
      for (let j = 0; j < n; j++) {
        outData[p] = cPacked[q++]!;
        p += oCol;
      }
    }
  }
}
