// softmax and logSoftmax along the last dim on WebGPU in one kernel: the row's max, the sum
// of exp(x - max), then each element. Short rows take one invocation each ('serial'); longer
// ones a workgroup each, which combines its lanes' max and sum in workgroup memory.

import { checkedMeta } from './meta.js';
import { flatIndexWgsl, helpersWgsl } from './wgsl.js';

/** Rows up to this length take one invocation each. */
export const serialSoftmaxLimit = 256;

/** Lanes per row in 'workgroup' mode. */
export const softmaxWorkgroup = 64;

/** Metadata: [rows, n, inputOffset, outOffset]. */
export function softmaxMeta(rows: number, n: number, inputAt: number, outAt: number): Int32Array {
  return checkedMeta([rows, n, inputAt, outAt]);
}

const bindings = /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
`;

/** The third pass: element i of the row from x - max and the row's sum. */
const element = (log: boolean) =>
  log
    ? 'out[outBase + i] = (x[base + i] - rowMax) - dl_log(rowSum);'
    : 'out[outBase + i] = exp(x[base + i] - rowMax) / rowSum;';

/** The max with amax's NaN rule (NaN wins). */
const maxStep = (acc: string, v: string) =>
  `if (!dl_isnan(${acc}) && (dl_isnan(${v}) || ${v} > ${acc})) { ${acc} = ${v}; }`;

export function softmaxShader(log: boolean, mode: 'serial' | 'workgroup'): string {
  if (mode === 'serial') {
    return /* wgsl */ `${bindings}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = i32(${flatIndexWgsl});
  if (row >= info[0]) { return; }
  let n = info[1];
  let base = info[2] + row * n;
  let outBase = info[3] + row * n;
  var rowMax = -dl_inf();
  for (var i = 0; i < n; i++) { let v = x[base + i]; ${maxStep('rowMax', 'v')} }
  var rowSum = 0.0;
  for (var i = 0; i < n; i++) { rowSum = rowSum + exp(x[base + i] - rowMax); }
  for (var i = 0; i < n; i++) { ${element(log)} }
}`;
  }
  const lanes = softmaxWorkgroup;
  return /* wgsl */ `${bindings}
var<workgroup> partial: array<f32, ${lanes}>;
var<workgroup> combined: f32;

@compute @workgroup_size(${lanes})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let rows = info[0];
  let row = i32(wid.x + wid.y * nwg.x);
  let inRange = row < rows;
  let n = select(0, info[1], inRange);
  let base = info[2] + row * info[1];
  let outBase = info[3] + row * info[1];
  var m = -dl_inf();
  for (var i = i32(lid); i < n; i += ${lanes}) { let v = x[base + i]; ${maxStep('m', 'v')} }
  partial[lid] = m;
  workgroupBarrier();
  if (lid == 0u) {
    var r = partial[0];
    for (var k = 1u; k < ${lanes}u; k++) { let v = partial[k]; ${maxStep('r', 'v')} }
    combined = r;
  }
  workgroupBarrier();
  let rowMax = combined;
  var s = 0.0;
  for (var i = i32(lid); i < n; i += ${lanes}) { s = s + exp(x[base + i] - rowMax); }
  // Lane 0 read every partial before the barrier above; they may be written again.
  partial[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var t = 0.0;
    for (var k = 0u; k < ${lanes}u; k++) { t = t + partial[k]; }
    combined = t;
  }
  workgroupBarrier();
  let rowSum = combined;
  for (var i = i32(lid); i < n; i += ${lanes}) { ${element(log)} }
}`;
}
