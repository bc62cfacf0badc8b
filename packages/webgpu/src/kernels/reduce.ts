// Reductions on WebGPU: one invocation per output element walks the reduced elements,
// or, when there are many of them, a workgroup shares the walk and combines its partial
// results in workgroup memory.

import type { DType, ReduceKind } from '@dl/tensor';
import { flatIndexWgsl, helpersWgsl, storageType, storeAs } from './wgsl.js';

/** Metadata: [outCount, redCount, keptRank, keptShape, keptStrides, offset, redRank, redShape, redStrides]. */
export function reduceMeta(
  keptShape: readonly number[],
  keptStrides: readonly number[],
  offset: number,
  reducedShape: readonly number[],
  reducedStrides: readonly number[],
): Int32Array {
  const outCount = keptShape.reduce((a, b) => a * b, 1);
  const redCount = reducedShape.reduce((a, b) => a * b, 1);
  return Int32Array.from([
    outCount,
    redCount,
    keptShape.length,
    ...keptShape,
    ...keptStrides,
    offset,
    reducedShape.length,
    ...reducedShape,
    ...reducedStrides,
  ]);
}

const init: Record<ReduceKind, string> = {
  sum: '0.0',
  prod: '1.0',
  max: '-dl_inf()',
  min: 'dl_inf()',
  argmax: '0.0',
  argmin: '0.0',
};

/** Combines accumulator (acc, accIndex) with (v, index); NaN wins for max/min and their args. */
function combine(kind: ReduceKind): string {
  switch (kind) {
    case 'sum':
      return 'acc = acc + v;';
    case 'prod':
      return 'acc = acc * v;';
    case 'max':
      return 'if (!dl_isnan(acc) && (dl_isnan(v) || v > acc)) { acc = v; }';
    case 'min':
      return 'if (!dl_isnan(acc) && (dl_isnan(v) || v < acc)) { acc = v; }';
    case 'argmax':
      return 'if (!started || (!dl_isnan(acc) && (dl_isnan(v) || v > acc || (v == acc && idx < accIndex)))) { acc = v; accIndex = idx; started = true; }';
    case 'argmin':
      return 'if (!started || (!dl_isnan(acc) && (dl_isnan(v) || v < acc || (v == acc && idx < accIndex)))) { acc = v; accIndex = idx; started = true; }';
    default:
      return kind satisfies never;
  }
}

export const reduceWorkgroup = 64;

/**
 * The reduction shader. `parallel`: a workgroup per output element, each invocation taking
 * every 64th reduced element, then a tree in workgroup memory; otherwise one invocation
 * per output element.
 */
export function reduceShader(
  kind: ReduceKind,
  input: DType,
  out: DType,
  parallel: boolean,
): string {
  const isArg = kind === 'argmax' || kind === 'argmin';
  const result = isArg ? 'f32(accIndex)' : 'acc';
  const walk = /* wgsl */ `
  let keptRank = info[2];
  var base = info[3 + 2 * keptRank];
  var rem = i32(o);
  for (var d = keptRank - 1; d >= 0; d--) {
    let size = info[3 + d];
    base += (rem % size) * info[3 + keptRank + d];
    rem = rem / size;
  }
  let r0 = 4 + 2 * keptRank;
  let redRank = info[r0];
  var acc: f32 = ${init[kind]};
  var accIndex: i32 = 0;
  var started = false;
  for (var idx = START; idx < redCount; idx += STEP) {
    var p = base;
    var rr = idx;
    for (var d = redRank - 1; d >= 0; d--) {
      let size = info[r0 + 1 + d];
      p += (rr % size) * info[r0 + 1 + redRank + d];
      rr = rr / size;
    }
    let v = f32(x[p]);
    ${combine(kind)}
  }`;
  const header = /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${storageType(out)}>;
@group(0) @binding(2) var<storage, read> x: array<${storageType(input)}>;
`;
  if (!parallel) {
    return /* wgsl */ `${header}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = ${flatIndexWgsl};
  if (o >= u32(info[0])) { return; }
  let redCount = info[1];
  ${walk.replace('START', '0').replace('STEP', '1')}
  out[o] = ${storeAs(out, result)};
}`;
  }
  const merge = isArg
    ? `let other = partial[lid + stride]; let otherIndex = partialIndex[lid + stride];
        let mine = partial[lid]; let mineIndex = partialIndex[lid];
        ${kind === 'argmax' ? 'let better = other > mine;' : 'let better = other < mine;'}
        if (partialStarted[lid + stride] && (!partialStarted[lid] || (!dl_isnan(mine) && (dl_isnan(other) || better || (other == mine && otherIndex < mineIndex))))) {
          partial[lid] = other; partialIndex[lid] = otherIndex; partialStarted[lid] = true;
        }`
    : kind === 'sum'
      ? 'partial[lid] = partial[lid] + partial[lid + stride];'
      : kind === 'prod'
        ? 'partial[lid] = partial[lid] * partial[lid + stride];'
        : `let v = partial[lid + stride]; var acc = partial[lid]; ${combine(kind)} partial[lid] = acc;`;
  return /* wgsl */ `${header}
var<workgroup> partial: array<f32, ${reduceWorkgroup}>;
var<workgroup> partialIndex: array<i32, ${reduceWorkgroup}>;
var<workgroup> partialStarted: array<bool, ${reduceWorkgroup}>;

@compute @workgroup_size(${reduceWorkgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let inRange = o < u32(info[0]);
  let redCount = select(0, info[1], inRange);
  ${walk.replace('START', 'i32(lid)').replace('STEP', String(reduceWorkgroup))}
  partial[lid] = acc;
  partialIndex[lid] = accIndex;
  partialStarted[lid] = started;
  workgroupBarrier();
  for (var stride = ${reduceWorkgroup / 2}u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      ${merge}
    }
    workgroupBarrier();
  }
  if (lid == 0u && inRange) { out[o] = ${storeAs(out, isArg ? 'f32(partialIndex[0])' : 'partial[0]')}; }
}`;
}
