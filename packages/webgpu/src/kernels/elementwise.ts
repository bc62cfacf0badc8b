// The elementwise kernel: one WGSL shader per (expression, dtypes), generated from the op's
// expression. Shapes, strides, offsets and scalar parameters travel in a small metadata
// buffer, so one pipeline serves every shape; strided and broadcast inputs are read in
// place (stride 0 for broadcast dims), and the output may itself be a strided view.

import { type DType, type Expr, exprKey, type View } from '@dl/tensor';
import {
  flatIndexWgsl,
  helpersWgsl,
  renderWgsl,
  storageType,
  storeAs,
  workgroupSize,
} from './wgsl.js';

/** Metadata layout: [count, rank, shape[r], outStrides[r], outOffset, (strides[r], offset) per input, params]. */
export function elementwiseMeta(
  out: View,
  inputs: readonly View[],
  params: readonly number[],
  collapsed: { shape: number[]; strides: number[][] },
): Int32Array {
  const rank = collapsed.shape.length;
  const count = collapsed.shape.reduce((a, b) => a * b, 1);
  const meta = new Int32Array(3 + 2 * rank + inputs.length * (rank + 1) + params.length);
  let k = 0;
  meta[k++] = count;
  meta[k++] = rank;
  for (const d of collapsed.shape) meta[k++] = d;
  for (const s of collapsed.strides[0]!) meta[k++] = s;
  meta[k++] = out.offset;
  for (const [i, input] of inputs.entries()) {
    for (const s of collapsed.strides[i + 1]!) meta[k++] = s;
    meta[k++] = input.offset;
  }
  const bits = new Float32Array(meta.buffer, k * 4, params.length);
  for (const [i, p] of params.entries()) bits[i] = p;
  return meta;
}

export function elementwiseKey(
  expr: Expr,
  inputs: readonly DType[],
  out: DType,
  params: number,
): string {
  return `ew|${out}|${inputs.join(',')}|${params}|${exprKey(expr)}`;
}

export function elementwiseShader(
  expr: Expr,
  inputs: readonly DType[],
  out: DType,
  paramCount: number,
): string {
  const n = inputs.length;
  const ids = Array.from({ length: n }, (_, k) => k);
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${storageType(out)}>;
${ids.map((k) => `@group(0) @binding(${k + 2}) var<storage, read> in${k}: array<${storageType(inputs[k]!)}>;`).join('\n')}

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${flatIndexWgsl};
  let count = u32(info[0]);
  if (i >= count) { return; }
  let rank = info[1];
  var rem = i32(i);
  var o = info[2 + 2 * rank];
  ${ids.map((k) => `var q${k} = info[${3 + k} + 2 * rank + ${k} * rank + rank];`).join('\n  ')}
  for (var d = rank - 1; d >= 0; d--) {
    let size = info[2 + d];
    let c = rem % size;
    rem = rem / size;
    o += c * info[2 + rank + d];
    ${ids.map((k) => `q${k} += c * info[${3 + k} + 2 * rank + ${k} * rank + d];`).join('\n    ')}
  }
  ${ids.map((k) => `let a${k} = f32(in${k}[q${k}]);`).join('\n  ')}
  ${Array.from({ length: paramCount }, (_, k) => `let p${k} = bitcast<f32>(info[${3 + n} + 2 * rank + ${n} * rank + ${k}]);`).join('\n  ')}
  out[o] = ${storeAs(out, renderWgsl(expr))};
}
`;
}
