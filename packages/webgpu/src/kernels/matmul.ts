// Batched matrix multiplication on WebGPU: out[b, m, n] = sum_k a[b, m, k] * b[b, k, n], with
// strided operands and broadcast batch dims. Each workgroup computes a 32x32 tile of the
// output, 4x4 per invocation, staging 32x8 tiles of both operands in workgroup memory.

import type { DType } from '@dl/tensor';
import { helpersWgsl, storageType, storeAs } from './wgsl.js';

/**
 * Metadata: [M, N, K, batchRank, batchShape[r], aStrides[r], bStrides[r], outStrides[r],
 * aRow, aCol, aOffset, bRow, bCol, bOffset, outRow, outCol, outOffset].
 */
export function matmulMeta(
  m: number,
  n: number,
  k: number,
  batchShape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
  outStrides: readonly number[],
  a: readonly [number, number, number],
  b: readonly [number, number, number],
  out: readonly [number, number, number],
): Int32Array {
  return Int32Array.from([
    m,
    n,
    k,
    batchShape.length,
    ...batchShape,
    ...aStrides,
    ...bStrides,
    ...outStrides,
    ...a,
    ...b,
    ...out,
  ]);
}

export const tile = 32;

export function matmulShader(aType: DType, bType: DType, outType: DType): string {
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${storageType(outType)}>;
@group(0) @binding(2) var<storage, read> A: array<${storageType(aType)}>;
@group(0) @binding(3) var<storage, read> B: array<${storageType(bType)}>;

var<workgroup> tileA: array<array<f32, 33>, 32>; // [m][k], padded against bank conflicts
var<workgroup> tileB: array<array<f32, 33>, 32>; // [k][n]

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = info[0];
  let N = info[1];
  let K = info[2];
  let r = info[3];
  // Batch coordinates from wid.z.
  var rem = i32(wid.z);
  var aBase = 0;
  var bBase = 0;
  var oBase = 0;
  for (var d = r - 1; d >= 0; d--) {
    let size = info[4 + d];
    let c = rem % size;
    rem = rem / size;
    aBase += c * info[4 + r + d];
    bBase += c * info[4 + 2 * r + d];
    oBase += c * info[4 + 3 * r + d];
  }
  let t = 4 + 4 * r;
  let aRow = info[t]; let aCol = info[t + 1]; aBase += info[t + 2];
  let bRow = info[t + 3]; let bCol = info[t + 4]; bBase += info[t + 5];
  let oRow = info[t + 6]; let oCol = info[t + 7]; oBase += info[t + 8];

  let row0 = i32(wid.y) * 32;
  let col0 = i32(wid.x) * 32;
  let ty = i32(lid.y);
  let tx = i32(lid.x);
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0; k0 < K; k0 += 32) {
    // 64 invocations load 32x32 of A and of B: 16 elements each.
    for (var e = 0; e < 16; e++) {
      let flat = (ty * 8 + tx) * 16 + e;
      let i = flat / 32;
      let j = flat % 32;
      let ar = row0 + i;
      let ak = k0 + j;
      var av = 0.0;
      if (ar < M && ak < K) { av = f32(A[aBase + ar * aRow + ak * aCol]); }
      tileA[i][j] = av;
      let bk = k0 + i;
      let bc = col0 + j;
      var bv = 0.0;
      if (bk < K && bc < N) { bv = f32(B[bBase + bk * bRow + bc * bCol]); }
      tileB[i][j] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < 32; kk++) {
      var bvals: array<f32, 4>;
      for (var j = 0; j < 4; j++) { bvals[j] = tileB[kk][tx * 4 + j]; }
      for (var i = 0; i < 4; i++) {
        let av = tileA[ty * 4 + i][kk];
        for (var j = 0; j < 4; j++) { acc[i][j] = acc[i][j] + av * bvals[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i++) {
    let orow = row0 + ty * 4 + i;
    if (orow >= M) { continue; }
    for (var j = 0; j < 4; j++) {
      let ocol = col0 + tx * 4 + j;
      if (ocol < N) { out[oBase + orow * oRow + ocol * oCol] = ${storeAs(outType, 'acc[i][j]')}; }
    }
  }
}
`;
}
