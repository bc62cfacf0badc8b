// Integer matrix products on WebGPU: int32 @ int32 in i32 arithmetic, products and sums
// wrapping as two's complement, as PyTorch's int32 matmul does (the float kernels would
// round every value past 2^24). One invocation per output element: integer products are
// rare in deep learning (counts, one-hot codes), so this kernel is plain rather than fast.

import type { View } from '@dl/tensor';
import { checkedMeta } from './meta.js';
import { flatIndexWgsl } from './wgsl.js';

/**
 * Metadata: [M, N, K, batchRank, batchShape[r], aBatchStrides[r], bBatchStrides[r],
 * outBatchStrides[r], aRow, aCol, aOffset, bRow, bCol, bOffset, outRow, outCol, outOffset]
 * for a [..., M, K] @ b [..., K, N] -> out [..., M, N] (batch dims broadcast, stride 0).
 */
export function intMatmulMeta(a: View, b: View, out: View): Int32Array {
  const rank = out.shape.length;
  const batch = out.shape.slice(0, rank - 2);
  const matrix = (v: View) => [v.strides[rank - 2]!, v.strides[rank - 1]!, v.offset];
  return checkedMeta([
    out.shape[rank - 2]!,
    out.shape[rank - 1]!,
    a.shape[rank - 1]!,
    batch.length,
    ...batch,
    ...a.strides.slice(0, rank - 2),
    ...b.strides.slice(0, rank - 2),
    ...out.strides.slice(0, rank - 2),
    ...matrix(a),
    ...matrix(b),
    ...matrix(out),
  ]);
}

/** Bindings: metadata, out, a, b (the order the backend binds every matmul in). */
export const intMatmulShader = /* wgsl */ `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<storage, read> a: array<i32>;
@group(0) @binding(3) var<storage, read> b: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let M = info[0];
  let N = info[1];
  let K = info[2];
  let r = info[3];
  var batches = 1;
  for (var d = 0; d < r; d++) { batches *= info[4 + d]; }
  let i = i32(${flatIndexWgsl});
  if (i >= batches * M * N) { return; }
  let s = 4 + r;
  let m = 4 + 4 * r;
  let col = i % N;
  let row = (i / N) % M;
  var rem = i / (M * N);
  var pa = info[m + 2] + row * info[m];
  var pb = info[m + 5] + col * info[m + 4];
  var po = info[m + 8] + row * info[m + 6] + col * info[m + 7];
  for (var d = r - 1; d >= 0; d--) {
    let c = rem % info[4 + d];
    rem = rem / info[4 + d];
    pa += c * info[s + d];
    pb += c * info[s + r + d];
    po += c * info[s + 2 * r + d];
  }
  let aCol = info[m + 1];
  let bRow = info[m + 3];
  var acc = 0;
  for (var k = 0; k < K; k++) {
    acc += a[pa + k * aCol] * b[pb + k * bRow];
  }
  out[po] = acc;
}
`;
