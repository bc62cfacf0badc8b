// gather, scatter and cumsum on WebGPU. Values move as their own type (int32 ones as i32,
// never through an f32, which would round them past 2^24); cumsum of integers wraps.

import type { DType } from '@dl/tensor';
import { checkedMeta } from './meta.js';
import {
  flatIndexWgsl,
  helpersWgsl,
  kindOfStorage,
  loadAs,
  storageType,
  storeAs,
  valueType,
} from './wgsl.js';

/**
 * Metadata for gather/scatter over index's shape: [count, rank, dim, dimSize, shape[r],
 * indexStrides[r], indexOffset, targetStrides[r], targetOffset, otherStrides[r], otherOffset,
 * site]. `target` is the tensor indexed along dim (gather's input, scatter's target); `other`
 * is gather's output or scatter's source; `site` names the dispatch in an index report.
 */
export function indexMeta(
  shape: readonly number[],
  dim: number,
  dimSize: number,
  index: { strides: readonly number[]; offset: number },
  target: { strides: readonly number[]; offset: number },
  other: { strides: readonly number[]; offset: number },
  site = 0,
): Int32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  return checkedMeta([
    count,
    shape.length,
    dim,
    dimSize,
    ...shape,
    ...index.strides,
    index.offset,
    ...target.strides,
    target.offset,
    ...other.strides,
    other.offset,
    site,
  ]);
}

/**
 * With index checks: the report buffer at binding 1 (the kernel's own bindings follow from
 * 2) and dl_report, which records an out-of-range index (the first the device
 * reported) with the dispatch's site.
 */
function checkBinding(checked: boolean): { decl: string; first: number } {
  if (!checked) return { decl: '', first: 1 };
  return {
    decl: /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> dl_check: array<atomic<u32>, 4>;
fn dl_report(index: i32, bound: i32) {
  if (atomicAdd(&dl_check[0], 1u) == 0u) {
    atomicStore(&dl_check[1], u32(info[7 + 4 * info[1]]));
    atomicStore(&dl_check[2], bitcast<u32>(index));
    atomicStore(&dl_check[3], u32(bound));
  }
}`,
    first: 2,
  };
}

const walk = /* wgsl */ `
  let r = info[1];
  let dim = info[2];
  var rem = i32(i);
  var pi = info[4 + 2 * r];
  var pt = info[5 + 3 * r];
  var po = info[6 + 4 * r];
  var dimStride = 0;
  for (var d = r - 1; d >= 0; d--) {
    let size = info[4 + d];
    let c = rem % size;
    rem = rem / size;
    pi += c * info[4 + r + d];
    po += c * info[6 + 3 * r + d];
    if (d == dim) { dimStride = info[5 + 2 * r + d]; } else { pt += c * info[5 + 2 * r + d]; }
  }
  let k = idx[pi];
  let inBounds = k >= 0 && k < info[3];
`;

/** gather; `checked` reports out-of-range indices (which read 0 either way). */
export function gatherShader(input: DType, out: DType, checked: boolean): string {
  const check = checkBinding(checked);
  const b = check.first;
  const type = kindOfStorage(input);
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
${check.decl}
@group(0) @binding(${b}) var<storage, read_write> outp: array<${storageType(out)}>;
@group(0) @binding(${b + 1}) var<storage, read> x: array<${storageType(input)}>;
@group(0) @binding(${b + 2}) var<storage, read> idx: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${flatIndexWgsl};
  if (i >= u32(info[0])) { return; }
  ${walk}
  var v: ${valueType(type)} = 0;
  if (inBounds) { v = ${loadAs(input, 'x[pt + k * dimStride]')}; }${checked ? ' else { dl_report(k, info[3]); }' : ''}
  outp[po] = ${storeAs(out, 'v', type)};
}
`;
}

/**
 * scatter: target[..., index[...], ...] = src (assign) or += src (add, with atomics);
 * `checked` reports out-of-range indices (which write nothing either way).
 */
export function scatterShader(mode: 'assign' | 'add', target: DType, checked: boolean): string {
  const check = checkBinding(checked);
  const b = check.first;
  const type = storageType(target);
  const kind = kindOfStorage(target);
  const atomicAdd = mode === 'add';
  const targetDecl = atomicAdd
    ? `var<storage, read_write> tgt: array<atomic<${type === 'f32' ? 'u32' : type}>>;`
    : `var<storage, read_write> tgt: array<${type}>;`;
  let update: string;
  if (!atomicAdd) update = `tgt[q] = ${storeAs(target, 'v', kind)};`;
  else if (type === 'f32') {
    // Float atomic add by compare-and-swap on the bits.
    update = /* wgsl */ `
    var old = atomicLoad(&tgt[q]);
    loop {
      let updated = bitcast<u32>(bitcast<f32>(old) + v);
      let result = atomicCompareExchangeWeak(&tgt[q], old, updated);
      if (result.exchanged) { break; }
      old = result.old_value;
    }`;
  } else update = `atomicAdd(&tgt[q], ${type}(v));`; // i32 adds wrap, as int32 sums do
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
${check.decl}
@group(0) @binding(${b}) ${targetDecl}
@group(0) @binding(${b + 1}) var<storage, read> src: array<${type}>;
@group(0) @binding(${b + 2}) var<storage, read> idx: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${flatIndexWgsl};
  if (i >= u32(info[0])) { return; }
  ${walk}
  if (!inBounds) {${checked ? ' dl_report(k, info[3]);' : ''} return; }
  let q = pt + k * dimStride;
  let v = ${loadAs(target, 'src[po]')};
  ${update}
}
`;
}

/** Metadata: [rows, size, inner, rank, shape[r], strides[r], offset, dim, outOffset]. */
export function cumsumMeta(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  dim: number,
  outOffset = 0,
): Int32Array {
  const size = shape[dim]!;
  let inner = 1;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d]!;
  const rows = shape.reduce((a, b) => a * b, 1) / Math.max(size, 1);
  return checkedMeta([
    rows,
    size,
    inner,
    shape.length,
    ...shape,
    ...strides,
    offset,
    dim,
    outOffset,
  ]);
}

export function cumsumShader(input: DType, out: DType): string {
  const type = kindOfStorage(out);
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> outp: array<${storageType(out)}>;
@group(0) @binding(2) var<storage, read> x: array<${storageType(input)}>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = i32(${flatIndexWgsl});
  if (row >= info[0]) { return; }
  let size = info[1];
  let inner = info[2];
  let r = info[3];
  let dim = info[5 + 2 * r];
  // Input position of (row, 0): row = outer * inner + within, over the dims other than dim.
  var rem = row;
  var p = info[4 + 2 * r];
  for (var d = r - 1; d >= 0; d--) {
    if (d == dim) { continue; }
    let s = info[4 + d];
    p += (rem % s) * info[4 + r + d];
    rem = rem / s;
  }
  let stride = info[4 + r + dim];
  let outBase = info[6 + 2 * r] + (row / inner) * size * inner + row % inner;
  var acc: ${valueType(type)} = 0;
  for (var k = 0; k < size; k++) {
    acc = acc + ${loadAs(input, 'x[p + k * stride]')};
    outp[outBase + k * inner] = ${storeAs(out, 'acc', type)};
  }
}
`;
}
