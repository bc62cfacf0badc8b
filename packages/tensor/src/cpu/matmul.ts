// Matrix multiplication on the CPU, laid out as in BLIS/GotoBLAS: both operands are packed into
// float64 strips, and a 4×4 micro-kernel keeps sixteen sums in locals over the whole of k.
//
// Why this shape: JavaScript has no SIMD, so speed comes from doing as many multiply-adds as
// possible per array load. The micro-kernel loads 4 values of A and 4 of B per step of k and
// does 16 multiply-adds with them, all in registers. Packing lays those loads out
// consecutively (32 bytes of A and 32 of B per step, read front to back), converts every input
// dtype to float64 once (so the kernel sees one array type and accumulates in float64), and
// pads edges with zeros so the kernel never branches. Each output element is written once, rounded once to the output dtype.

import type { View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import type { WasmGemm } from '../wasm/gemm.js';
import { collapseDims, offsetsOf } from './layout.js';

/** Rows of A and columns of B per micro-kernel tile. */
const tileSize = 4;
/** Bytes of packed A kept hot while B strips stream past it (part of L2). */
const aBlockBytes = 192 * 1024;
/** Bytes of packed B reused across blocks of A (L2). */
const bBlockBytes = 512 * 1024;

/** A strided 2-d operand: element (i, j) is data[offset + i * rowStride + j * colStride]. */
export interface Matrix {
  readonly data: TypedArray;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/**
 * Copies `lines` lines of length k into strips of 4 lines, k-major within a strip:
 * into[strip * 4k + p * 4 + line % 4] = line `line`, element p. Lines past the end are zeros.
 * A is packed by rows (line = row, along = column); B by columns (line = column, along = row).
 */
export function packStrips(
  data: TypedArray,
  offset: number,
  lines: number,
  lineStride: number,
  k: number,
  alongStride: number,
  into: Float64Array,
): void {
  const strips = Math.ceil(lines / tileSize);
  for (let s = 0; s < strips; s++) {
    const first = s * tileSize;
    const width = Math.min(tileSize, lines - first);
    const base = s * tileSize * k;
    if (width === tileSize && alongStride !== 1) {
      // Lines are strided (e.g. the columns of a row-major B): walk k in the outer loop so
      // the four reads of a step share a cache line.
      let src = offset + first * lineStride;
      let dst = base;
      for (let p = 0; p < k; p++) {
        into[dst] = data[src]!;
        into[dst + 1] = data[src + lineStride]!;
        into[dst + 2] = data[src + 2 * lineStride]!;
        into[dst + 3] = data[src + 3 * lineStride]!;
        src += alongStride;
        dst += tileSize;
      }
      continue;
    }
    // Lines are contiguous along k (or this is the ragged last strip): copy line by line.
    for (let l = 0; l < tileSize; l++) {
      let dst = base + l;
      if (l < width) {
        let src = offset + (first + l) * lineStride;
        for (let p = 0; p < k; p++) {
          into[dst] = data[src]!;
          src += alongStride;
          dst += tileSize;
        }
      } else {
        for (let p = 0; p < k; p++) {
          into[dst] = 0;
          dst += tileSize;
        }
      }
    }
  }
}

/**
 * One 4×4 tile of C: out[o + i * rowStride + j * colStride] = sum_p a[i][p] * b[p][j], reading
 * a 4-row strip of packed A from `pa` and a 4-column strip of packed B from `pb`.
 */
function kernel4x4(
  ap: Float64Array,
  pa: number,
  bp: Float64Array,
  pb: number,
  k: number,
  out: TypedArray,
  o: number,
  rowStride: number,
  colStride: number,
): void {
  // c<i><j> accumulates row i, column j of the tile.
  // biome-ignore format: the 4×4 grid of accumulators reads best as a grid
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  // biome-ignore format: as above
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  // biome-ignore format: as above
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  // biome-ignore format: as above
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < k; p++) {
    const a0 = ap[pa]!;
    const a1 = ap[pa + 1]!;
    const a2 = ap[pa + 2]!;
    const a3 = ap[pa + 3]!;
    const b0 = bp[pb]!;
    c00 += a0 * b0;
    c10 += a1 * b0;
    c20 += a2 * b0;
    c30 += a3 * b0;
    const b1 = bp[pb + 1]!;
    c01 += a0 * b1;
    c11 += a1 * b1;
    c21 += a2 * b1;
    c31 += a3 * b1;
    const b2 = bp[pb + 2]!;
    c02 += a0 * b2;
    c12 += a1 * b2;
    c22 += a2 * b2;
    c32 += a3 * b2;
    const b3 = bp[pb + 3]!;
    c03 += a0 * b3;
    c13 += a1 * b3;
    c23 += a2 * b3;
    c33 += a3 * b3;
    pa += tileSize;
    pb += tileSize;
  }
  const j1 = colStride;
  const j2 = 2 * colStride;
  const j3 = 3 * colStride;
  out[o] = c00;
  out[o + j1] = c01;
  out[o + j2] = c02;
  out[o + j3] = c03;
  o += rowStride;
  out[o] = c10;
  out[o + j1] = c11;
  out[o + j2] = c12;
  out[o + j3] = c13;
  o += rowStride;
  out[o] = c20;
  out[o + j1] = c21;
  out[o + j2] = c22;
  out[o + j3] = c23;
  o += rowStride;
  out[o] = c30;
  out[o + j1] = c31;
  out[o + j2] = c32;
  out[o + j3] = c33;
}

/**
 * c = a · b from packed operands (see packStrips): a is m×k, b is k×n, c is written through
 * its strides. Blocks of A rows and B columns are sized so the packed data being reused stays
 * in cache; `tile` (16 float64s) catches the ragged tiles at the bottom and right edges.
 */
export function multiplyPacked(
  ap: Float64Array,
  bp: Float64Array,
  m: number,
  k: number,
  n: number,
  c: Matrix,
  tile: Float64Array,
): void {
  const { data: out, offset, rowStride, colStride } = c;
  const rowBlock = tileSize * Math.max(1, Math.floor(aBlockBytes / (8 * k * tileSize)));
  const colBlock = tileSize * Math.max(1, Math.floor(bBlockBytes / (8 * k * tileSize)));
  const stripLength = tileSize * k;
  for (let j0 = 0; j0 < n; j0 += colBlock) {
    const j1 = Math.min(n, j0 + colBlock);
    for (let i0 = 0; i0 < m; i0 += rowBlock) {
      const i1 = Math.min(m, i0 + rowBlock);
      for (let j = j0; j < j1; j += tileSize) {
        const pb = (j / tileSize) * stripLength;
        const cols = Math.min(tileSize, n - j);
        for (let i = i0; i < i1; i += tileSize) {
          const pa = (i / tileSize) * stripLength;
          const rows = Math.min(tileSize, m - i);
          const o = offset + i * rowStride + j * colStride;
          if (rows === tileSize && cols === tileSize) {
            kernel4x4(ap, pa, bp, pb, k, out, o, rowStride, colStride);
            continue;
          }
          kernel4x4(ap, pa, bp, pb, k, tile, 0, tileSize, 1);
          for (let r = 0; r < rows; r++) {
            for (let s = 0; s < cols; s++)
              out[o + r * rowStride + s * colStride] = tile[r * tileSize + s]!;
          }
        }
      }
    }
  }
}

/**
 * c = a · b when m or n is 1 (dot, mv, one row times a matrix). Each element of the matrix
 * operand is used once, so packing would cost as much as the product and 4×4 tiles would be
 * three-quarters padding; this walks the operands in place, summing in float64.
 */
export function multiplyThin(
  a: Matrix,
  b: Matrix,
  c: Matrix,
  m: number,
  k: number,
  n: number,
): void {
  // Seen from the output vector both cases read out[l] = sum_p matrix[l][p] * vector[p].
  const column = n === 1;
  const length = column ? m : n;
  const { data: md, offset: mOffset } = column ? a : b;
  const lineStride = column ? a.rowStride : b.colStride;
  const alongStride = column ? a.colStride : b.rowStride;
  const { data: vd, offset: vOffset } = column ? b : a;
  const vectorStride = column ? b.rowStride : a.colStride;
  const { data: out, offset: outOffset } = c;
  const outStride = column ? c.rowStride : c.colStride;
  if (Math.abs(alongStride) <= Math.abs(lineStride)) {
    // The matrix's lines run along p: one dot product per output.
    for (let l = 0; l < length; l++) {
      let sum = 0;
      let p = mOffset + l * lineStride;
      let q = vOffset;
      for (let i = 0; i < k; i++) {
        sum += md[p]! * vd[q]!;
        p += alongStride;
        q += vectorStride;
      }
      out[outOffset + l * outStride] = sum;
    }
    return;
  }
  // The matrix runs along l: add its columns, scaled by the vector, into float64 sums.
  const sums = new Float64Array(length);
  for (let i = 0; i < k; i++) {
    const v = vd[vOffset + i * vectorStride]!;
    let p = mOffset + i * alongStride;
    for (let l = 0; l < length; l++) {
      sums[l] = sums[l]! + md[p]! * v;
      p += lineStride;
    }
  }
  for (let l = 0; l < length; l++) out[outOffset + l * outStride] = sums[l]!;
}

/**
 * Packing buffers, kept between calls up to `keptLength` float64s each. A fresh multi-megabyte
 * typed array costs a page fault per 4 KiB on first touch, which for a 1024² product is a
 * tenth of its time; reusing the buffers keeps their pages mapped.
 */
const keptLength = 2 ** 21;
let keptA: Float64Array = new Float64Array(0);
let keptB: Float64Array = new Float64Array(0);

function buffer(kept: Float64Array, length: number): Float64Array {
  if (kept.length >= length) return kept;
  return new Float64Array(length > keptLength ? length : Math.min(keptLength, 2 * length));
}

/** Packed-operand buffers for an m×k by k×n product (possibly longer than needed). */
export function workspaceFor(
  m: number,
  k: number,
  n: number,
): { ap: Float64Array; bp: Float64Array; tile: Float64Array } {
  const padded = (size: number) => Math.ceil(size / tileSize) * tileSize;
  const ap = buffer(keptA, padded(m) * k);
  const bp = buffer(keptB, k * padded(n));
  if (ap.length <= keptLength) keptA = ap;
  if (bp.length <= keptLength) keptB = bp;
  return { ap, bp, tile: new Float64Array(tileSize * tileSize) };
}

/** c = a · b for a m×k and b k×n, any strides and dtypes; c is overwritten. */
export function gemm(a: Matrix, b: Matrix, c: Matrix, m: number, k: number, n: number): void {
  if (m === 1 || n === 1) {
    multiplyThin(a, b, c, m, k, n);
    return;
  }
  const { ap, bp, tile } = workspaceFor(m, k, n);
  packStrips(a.data, a.offset, m, a.rowStride, k, a.colStride, ap);
  packStrips(b.data, b.offset, n, b.colStride, k, b.rowStride, bp);
  multiplyPacked(ap, bp, m, k, n, c, tile);
}

/** The products a batched matmul runs: sizes, row and column strides, and each one's offsets. */
interface BatchPlan {
  m: number;
  n: number;
  k: number;
  aRow: number;
  aCol: number;
  bRow: number;
  bCol: number;
  oRow: number;
  oCol: number;
  aBases: ArrayLike<number>;
  bBases: ArrayLike<number>;
  outBases: ArrayLike<number>;
}

/**
 * One product per batch element, or, when B is shared by every batch and A's batches follow
 * each other in memory (x @ W for a 3-d x), the batches as one taller product.
 */
function batchPlan(a: View, b: View, out: View): BatchPlan {
  const rank = out.shape.length;
  let m = out.shape[rank - 2]!;
  const n = out.shape[rank - 1]!;
  const k = a.shape[rank - 1]!;
  let batchShape = out.shape.slice(0, rank - 2);
  let aBatchStrides = a.strides.slice(0, rank - 2);
  let outBatchStrides = out.strides.slice(0, rank - 2);
  let aRow = a.strides[rank - 2]!;
  let oRow = out.strides[rank - 2]!;
  if (b.strides.slice(0, rank - 2).every((s, d) => s === 0 || batchShape[d] === 1)) {
    const merged = collapseDims(
      [...batchShape, m],
      [
        [...aBatchStrides, aRow],
        [...outBatchStrides, oRow],
      ],
    );
    if (merged.shape.length === 1) {
      m = merged.shape[0]!;
      aRow = merged.strides[0]![0]!;
      oRow = merged.strides[1]![0]!;
      batchShape = [];
      aBatchStrides = [];
      outBatchStrides = [];
    }
  }
  return {
    m,
    n,
    k,
    aRow,
    aCol: a.strides[rank - 1]!,
    bRow: b.strides[rank - 2]!,
    bCol: b.strides[rank - 1]!,
    oRow,
    oCol: out.strides[rank - 1]!,
    aBases: offsetsOf(batchShape, aBatchStrides, a.offset),
    bBases: offsetsOf(batchShape, b.strides.slice(0, batchShape.length), b.offset),
    outBases: offsetsOf(batchShape, outBatchStrides, out.offset),
  };
}

/**
 * The backend's matmul: out[..., m, n] = a[..., m, k] · b[..., k, n] over broadcast batch
 * dims. Vector products (m or n is 1) skip packing. An operand whose batch stride is 0
 * (broadcast, like a conv's kernels) is packed once;
 * when B is shared by every batch and A's batches follow each other in memory (x @ W for a
 * 3-d x), the batches become one taller product.
 */
export function runMatmul(
  a: View,
  aData: TypedArray,
  b: View,
  bData: TypedArray,
  out: View,
  outData: TypedArray,
): void {
  if (out.dtype === 'int32') {
    runIntMatmul(a, aData, b, bData, out, outData);
    return;
  }
  const { m, n, k, aRow, aCol, bRow, bCol, oRow, oCol, aBases, bBases, outBases } = batchPlan(
    a,
    b,
    out,
  );
  if (m === 1 || n === 1) {
    for (let batch = 0; batch < outBases.length; batch++) {
      multiplyThin(
        { data: aData, offset: aBases[batch]!, rowStride: aRow, colStride: aCol },
        { data: bData, offset: bBases[batch]!, rowStride: bRow, colStride: bCol },
        { data: outData, offset: outBases[batch]!, rowStride: oRow, colStride: oCol },
        m,
        k,
        n,
      );
    }
    return;
  }
  const { ap, bp, tile } = workspaceFor(m, k, n);
  for (let batch = 0; batch < outBases.length; batch++) {
    const aBase = aBases[batch]!;
    const bBase = bBases[batch]!;
    if (batch === 0 || aBase !== aBases[batch - 1]) packStrips(aData, aBase, m, aRow, k, aCol, ap);
    if (batch === 0 || bBase !== bBases[batch - 1]) packStrips(bData, bBase, n, bCol, k, bRow, bp);
    const c = { data: outData, offset: outBases[batch]!, rowStride: oRow, colStride: oCol };
    multiplyPacked(ap, bp, m, k, n, c, tile);
  }
}

/**
 * int32 @ int32 in int32 arithmetic (Math.imul, sums wrapped by `| 0`), as PyTorch's int32
 * matmul and the WebGPU backend compute it: the float64 strips above would lose the low bits
 * of products past 2^53. A plain loop: integer products are rare in deep learning.
 */
function runIntMatmul(
  a: View,
  aData: TypedArray,
  b: View,
  bData: TypedArray,
  out: View,
  outData: TypedArray,
): void {
  const rank = out.shape.length;
  const [m, n, k] = [out.shape[rank - 2]!, out.shape[rank - 1]!, a.shape[rank - 1]!];
  const batchShape = out.shape.slice(0, rank - 2);
  const aBases = offsetsOf(batchShape, a.strides.slice(0, rank - 2), a.offset);
  const bBases = offsetsOf(batchShape, b.strides.slice(0, rank - 2), b.offset);
  const outBases = offsetsOf(batchShape, out.strides.slice(0, rank - 2), out.offset);
  const [aRow, aCol] = [a.strides[rank - 2]!, a.strides[rank - 1]!];
  const [bRow, bCol] = [b.strides[rank - 2]!, b.strides[rank - 1]!];
  const [oRow, oCol] = [out.strides[rank - 2]!, out.strides[rank - 1]!];
  for (let batch = 0; batch < outBases.length; batch++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let pa = aBases[batch]! + i * aRow;
        let pb = bBases[batch]! + j * bCol;
        let acc = 0;
        for (let p = 0; p < k; p++) {
          acc = (acc + Math.imul(aData[pa]!, bData[pb]!)) | 0;
          pa += aCol;
          pb += bRow;
        }
        outData[outBases[batch]! + i * oRow + j * oCol] = acc;
      }
    }
  }
}

/**
 * Backend.matmul for float32 operands in the WebAssembly memory: batch dims become one product
 * per batch element (or fold into m where b is the same for every batch element).
 */
export function runWasmMatmul(gemm: WasmGemm, a: View, b: View, out: View): void {
  const { m, n, k, aRow, aCol, bRow, bCol, oRow, oCol, aBases, bBases, outBases } = batchPlan(
    a,
    b,
    out,
  );
  const ptr = (view: View) => (view.storage as { ptr?: number }).ptr!;
  for (let batch = 0; batch < outBases.length; batch++) {
    gemm.matmul(
      { ptr: ptr(a) + 4 * aBases[batch]!, rowStride: aRow, colStride: aCol },
      { ptr: ptr(b) + 4 * bBases[batch]!, rowStride: bRow, colStride: bCol },
      { ptr: ptr(out) + 4 * outBases[batch]!, rowStride: oRow, colStride: oCol },
      m,
      n,
      k,
    );
  }
}
