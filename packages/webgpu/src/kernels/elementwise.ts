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

/**
 * Metadata layout: [count, rank, shape[r], (strides[r], offset) per output, (strides[r],
 * offset) per input, params as f32 bits].
 */
export function elementwiseMeta(
  outs: readonly View[],
  inputs: readonly View[],
  params: readonly number[],
  collapsed: { shape: number[]; strides: number[][] },
): Int32Array {
  const rank = collapsed.shape.length;
  const count = collapsed.shape.reduce((a, b) => a * b, 1);
  const views = [...outs, ...inputs];
  const meta = new Int32Array(2 + rank + views.length * (rank + 1) + params.length);
  let k = 0;
  meta[k++] = count;
  meta[k++] = rank;
  for (const d of collapsed.shape) meta[k++] = d;
  for (const [i, view] of views.entries()) {
    for (const s of collapsed.strides[i]!) meta[k++] = s;
    meta[k++] = view.offset;
  }
  const bits = new Float32Array(meta.buffer, k * 4, params.length);
  for (const [i, p] of params.entries()) bits[i] = p;
  return meta;
}

/**
 * What the kernel computes: one expression per output, the dtypes involved, and for each
 * input the output whose binding it reads (an input that views an output's storage cannot
 * be bound a second time, read-only, in the same dispatch), or -1 for its own binding.
 */
export interface ElementwiseSpec {
  readonly exprs: readonly Expr[];
  readonly outs: readonly DType[];
  readonly inputs: readonly DType[];
  readonly aliases: readonly number[];
  readonly params: number;
}

export function elementwiseKey(spec: ElementwiseSpec): string {
  return `ew|${spec.outs.join(',')}|${spec.inputs.join(',')}|${spec.aliases.join(',')}|${spec.params}|${spec.exprs.map(exprKey).join(';')}`;
}

export function elementwiseShader(spec: ElementwiseSpec): string {
  const { exprs, outs, inputs, aliases, params } = spec;
  const m = outs.length;
  const outIds = Array.from({ length: m }, (_, k) => k);
  const inIds = Array.from({ length: inputs.length }, (_, k) => k);
  const bound = inIds.filter((k) => aliases[k]! < 0);
  // Where view v's (strides, offset) start in the metadata, as a WGSL expression.
  const at = (v: number) => `${2 + v} + rank + ${v} * rank`;
  const source = (k: number) => (aliases[k]! >= 0 ? `out${aliases[k]}` : `in${k}`);
  const values =
    m === 1
      ? `out0[o0] = ${storeAs(outs[0]!, renderWgsl(exprs[0]!))};`
      : `${outIds.map((k) => `let v${k} = ${storeAs(outs[k]!, renderWgsl(exprs[k]!))};`).join('\n  ')}
  ${outIds.map((k) => `out${k}[o${k}] = v${k};`).join('\n  ')}`;
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
${outIds.map((k) => `@group(0) @binding(${k + 1}) var<storage, read_write> out${k}: array<${storageType(outs[k]!)}>;`).join('\n')}
${bound.map((k, b) => `@group(0) @binding(${m + 1 + b}) var<storage, read> in${k}: array<${storageType(inputs[k]!)}>;`).join('\n')}

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${flatIndexWgsl};
  let count = u32(info[0]);
  if (i >= count) { return; }
  let rank = info[1];
  var rem = i32(i);
  ${outIds.map((k) => `var o${k} = info[${at(k)} + rank];`).join('\n  ')}
  ${inIds.map((k) => `var q${k} = info[${at(m + k)} + rank];`).join('\n  ')}
  for (var d = rank - 1; d >= 0; d--) {
    let size = info[2 + d];
    let c = rem % size;
    rem = rem / size;
    ${outIds.map((k) => `o${k} += c * info[${at(k)} + d];`).join('\n    ')}
    ${inIds.map((k) => `q${k} += c * info[${at(m + k)} + d];`).join('\n    ')}
  }
  ${inIds.map((k) => `let a${k} = f32(${source(k)}[q${k}]);`).join('\n  ')}
  ${Array.from({ length: params }, (_, k) => `let p${k} = bitcast<f32>(info[${at(m + inputs.length)} + ${k}]);`).join('\n  ')}
  ${values}
}
`;
}
