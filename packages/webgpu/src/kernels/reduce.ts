// Reductions on WebGPU, in three shapes of work: one invocation per output element walks the
// reduced elements ('serial', for short reductions); a workgroup per output element shares
// the walk and combines in workgroup memory ('workgroup'); or, for few outputs over many
// elements, several workgroups per output each reduce a chunk into partial results that a
// second pass combines ('split'), so a sum over a million elements uses every core.
// int32 and bool inputs are reduced in i32 arithmetic (sums and products wrap as
// two's complement, as PyTorch's int32 ones do), floats in f32.

import type { DType, NumberKind, ReduceKind } from '@dl/tensor';
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

/** Metadata: [outCount, redCount, keptRank, keptShape, keptStrides, offset, redRank, redShape, redStrides, outOffset, chunk]. */
export function reduceMeta(
  keptShape: readonly number[],
  keptStrides: readonly number[],
  offset: number,
  reducedShape: readonly number[],
  reducedStrides: readonly number[],
  outOffset = 0,
  chunk = 0,
): Int32Array {
  const outCount = keptShape.reduce((a, b) => a * b, 1);
  const redCount = reducedShape.reduce((a, b) => a * b, 1);
  return checkedMeta([
    outCount,
    redCount,
    keptShape.length,
    ...keptShape,
    ...keptStrides,
    offset,
    reducedShape.length,
    ...reducedShape,
    ...reducedStrides,
    outOffset,
    chunk,
  ]);
}

/** `base`: where output o's elements start in x, from the kept dims (keptRank defined). */
const keptBaseWgsl = /* wgsl */ `var base = info[3 + 2 * keptRank];
  var rem = i32(o);
  for (var d = keptRank - 1; d >= 0; d--) {
    let size = info[3 + d];
    base += (rem % size) * info[3 + keptRank + d];
    rem = rem / size;
  }`;

const init: Record<ReduceKind, Record<NumberKind, string>> = {
  sum: { float: '0.0', int: '0i' },
  prod: { float: '1.0', int: '1i' },
  max: { float: '-dl_inf()', int: 'i32(-2147483648)' },
  min: { float: 'dl_inf()', int: '2147483647i' },
  argmax: { float: '0.0', int: '0i' },
  argmin: { float: '0.0', int: '0i' },
};

/**
 * Combines accumulator (acc, accIndex) with (v, index); on floats NaN wins for max/min and
 * their args. Integers have no NaN, and their sums and products wrap.
 */
function combine(kind: ReduceKind, type: NumberKind): string {
  const float = type === 'float';
  switch (kind) {
    case 'sum':
      return 'acc = acc + v;';
    case 'prod':
      return 'acc = acc * v;';
    case 'max':
      return float
        ? 'if (!dl_isnan(acc) && (dl_isnan(v) || v > acc)) { acc = v; }'
        : 'acc = max(acc, v);';
    case 'min':
      return float
        ? 'if (!dl_isnan(acc) && (dl_isnan(v) || v < acc)) { acc = v; }'
        : 'acc = min(acc, v);';
    case 'argmax':
    case 'argmin': {
      const better = kind === 'argmax' ? 'v > acc' : 'v < acc';
      return float
        ? `if (!started || (!dl_isnan(acc) && (dl_isnan(v) || ${better} || (v == acc && idx < accIndex)))) { acc = v; accIndex = idx; started = true; }`
        : `if (!started || ${better} || (v == acc && idx < accIndex)) { acc = v; accIndex = idx; started = true; }`;
    }
    default:
      return kind satisfies never;
  }
}

/**
 * The kind a reduction computes in: its input's values for argmax/argmin, else its output's
 * (a sum of bools counts in int32).
 */
export function reduceKind(kind: ReduceKind, input: DType, out: DType): NumberKind {
  return kindOfStorage(kind === 'argmax' || kind === 'argmin' ? input : out);
}

/** The dtype of a split argmax/argmin's partial values: its input's, with bools as int32. */
export function argValueDType(input: DType): DType {
  return kindOfStorage(input) === 'int' ? 'int32' : 'float32';
}

/** An element of `input` loaded as a value of `type`. */
function load(input: DType, type: NumberKind, element: string): string {
  const value = loadAs(input, element);
  if (kindOfStorage(input) === type) return value;
  return type === 'float' ? `f32(${value})` : `dl_f2i(${value})`;
}

export const reduceWorkgroup = 64;

export type ReduceMode = 'serial' | 'workgroup' | 'split';

/**
 * The reduction shader. 'split' writes, for workgroup (o, g), the partial result of chunk g
 * of output o to out[g * outCount + o] (and its index to outIndex for argmax/argmin).
 */
export function reduceShader(kind: ReduceKind, input: DType, out: DType, mode: ReduceMode): string {
  const isArg = kind === 'argmax' || kind === 'argmin';
  const type = reduceKind(kind, input, out);
  const accType = valueType(type);
  // argmax/argmin store the index itself: through f32 it would round past 2^24. A split
  // one stores its partial values in their own type too (see argValueDType).
  const split = mode === 'split';
  const outType = split && isArg ? accType : storageType(out);
  const store = (value: string, index: string) =>
    isArg ? (split ? value : index) : storeAs(out, value, type);
  const walk = /* wgsl */ `
  let keptRank = info[2];
  ${keptBaseWgsl}
  let r0 = 4 + 2 * keptRank;
  let redRank = info[r0];
  let outOffset = info[r0 + 1 + 2 * redRank];
  var acc: ${accType} = ${init[kind][type]};
  var accIndex: i32 = 0;
  var started = false;
  if (redRank == 1) {
    // One reduced dim (contiguous reduced dims are collapsed into one): no index arithmetic,
    // and the stride read once, not on every element.
    let stride = info[r0 + 2];
    for (var idx = START; idx < END; idx += STEP) {
      let v = ${load(input, type, 'x[base + idx * stride]')};
      ${combine(kind, type)}
    }
  } else if (redRank == 2) {
    // Two reduced dims: their coordinates follow idx, divided out again only when the inner
    // one passes its size (integer division is slow on CPU-backed WebGPU).
    let size1 = info[r0 + 2];
    let stride0 = info[r0 + 3];
    let stride1 = info[r0 + 4];
    var c1 = (START) % size1;
    var c0 = (START) / size1;
    for (var idx = START; idx < END; idx += STEP) {
      let v = ${load(input, type, 'x[base + c0 * stride0 + c1 * stride1]')};
      ${combine(kind, type)}
      c1 += STEP;
      if (c1 >= size1) {
        let carry = c1 / size1;
        c0 += carry;
        c1 -= carry * size1;
      }
    }
  } else {
    for (var idx = START; idx < END; idx += STEP) {
      var p = base;
      var rr = idx;
      for (var d = redRank - 1; d >= 0; d--) {
        let size = info[r0 + 1 + d];
        p += (rr % size) * info[r0 + 1 + redRank + d];
        rr = rr / size;
      }
      let v = ${load(input, type, 'x[p]')};
      ${combine(kind, type)}
    }
  }`;
  const header = /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${outType}>;
${split && isArg ? '@group(0) @binding(2) var<storage, read_write> outIndex: array<i32>;' : ''}
@group(0) @binding(${split && isArg ? 3 : 2}) var<storage, read> x: array<${storageType(input)}>;
`;
  if (mode === 'serial') {
    return /* wgsl */ `${header}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = ${flatIndexWgsl};
  if (o >= u32(info[0])) { return; }
  let redCount = info[1];
  ${walk.replaceAll('START', '0').replaceAll('END', 'redCount').replaceAll('STEP', '1')}
  out[u32(outOffset) + o] = ${store('acc', 'accIndex')};
}`;
  }
  // Lane 0 folds the workgroup's partial results in order, after one barrier: on CPU-backed
  // WebGPU every barrier is costly, so this beats a tree of log2(64) barriers.
  const better = kind === 'argmax' ? 'v > r' : 'v < r';
  const argBetter =
    type === 'float'
      ? `(!rs || (!dl_isnan(r) && (dl_isnan(v) || ${better} || (v == r && partialIndex[k] < ri))) || (dl_isnan(r) && dl_isnan(v) && partialIndex[k] < ri))`
      : `(!rs || ${better} || (v == r && partialIndex[k] < ri))`;
  const merge = isArg
    ? `let v = partial[k];
      if (partialStarted[k] && ${argBetter}) {
        r = v; ri = partialIndex[k]; rs = true;
      }`
    : kind === 'sum'
      ? 'r = r + partial[k];'
      : kind === 'prod'
        ? 'r = r * partial[k];'
        : `let v = partial[k]; ${combine(kind, type).replaceAll('acc', 'r')}`;
  // 'workgroup': workgroup w reduces all of output w. 'split': workgroup w reduces chunk
  // g = w / outCount of output o = w % outCount.
  const range = split
    ? `let outCount = u32(info[0]);
  let w = wid.x + wid.y * nwg.x;
  let o = w % outCount;
  let g = i32(w / outCount);
  let inRange = w < outCount * u32(info[1]);
  let chunk = info[4 + 2 * info[2] + 2 * info[4 + 2 * info[2]] + 2];
  let begin = g * chunk;
  let stop = select(0, min(info[1], begin + chunk), inRange);`
    : `let o = wid.x + wid.y * nwg.x;
  let inRange = o < u32(info[0]);
  let begin = 0;
  let stop = select(0, info[1], inRange);`;
  const target = split ? 'u32(outOffset) + u32(g) * outCount + o' : 'u32(outOffset) + o';
  const write =
    split && isArg
      ? `out[${target}] = r; outIndex[${target}] = ri;`
      : `out[${target}] = ${store('r', 'ri')};`;
  return /* wgsl */ `${header}
var<workgroup> partial: array<${accType}, ${reduceWorkgroup}>;
var<workgroup> partialIndex: array<i32, ${reduceWorkgroup}>;
var<workgroup> partialStarted: array<bool, ${reduceWorkgroup}>;

@compute @workgroup_size(${reduceWorkgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${range}
  ${walk.replaceAll('START', 'begin + i32(lid)').replaceAll('END', 'stop').replaceAll('STEP', String(reduceWorkgroup))}
  partial[lid] = acc;
  partialIndex[lid] = accIndex;
  partialStarted[lid] = started;
  workgroupBarrier();
  if (lid == 0u && inRange) {
    var r = partial[0];
    var ri = partialIndex[0];
    var rs = partialStarted[0];
    for (var k = 1u; k < ${reduceWorkgroup}u; k++) {
      ${merge}
    }
    ${write}
  }
}`;
}

/**
 * Reductions whose reduced elements are rows of contiguous elements: the reduced dims
 * collapse to one contiguous run, or to [rows, length] with strides [rowStride, 1] (the
 * bias gradient of a convolution: batch and pixels for each channel). Invocation t reduces
 * part p = t / outCount of output o = t % outCount, a contiguous range of `chunk` of the
 * output's elements taken in order, into out[outOffset + p * outCount + o]; with one part
 * that is the output itself, with several a second pass combines the parts. `vec4` reads
 * four elements at a time: every row start, row length and chunk is then a multiple of 4.
 * No workgroup memory and no barrier: CPU-backed WebGPU pays for every barrier, and a lane
 * walking its own run reads memory in order.
 * Metadata: reduceMeta's, with chunk a multiple of 4.
 */
export function reduceRowsShader(
  kind: 'sum' | 'prod' | 'max' | 'min',
  input: DType,
  out: DType,
  vec4: boolean,
): string {
  const together = kind === 'sum' || kind === 'prod';
  const type = reduceKind(kind, input, out);
  if (vec4 && input !== 'float32') throw new Error(`reduceRows: vec4 reads float32, not ${input}`);
  // Sums and products keep four running results (one per lane of the vector) and combine
  // them at the end; max and min take the four elements in order, so NaN and ties behave as
  // in a walk one by one.
  // The element (or vector) at index `at + k` of x.
  const accumulate = !vec4
    ? `let v = ${load(input, type, 'x[at + k]')};\n        ${combine(kind, type)}`
    : together
      ? `acc4 = acc4 ${kind === 'sum' ? '+' : '*'} x[at + k];`
      : `let v4 = x[at + k];
        ${['x', 'y', 'z', 'w'].map((c) => `{ let v = v4.${c}; ${combine(kind, type)} }`).join('\n        ')}`;
  const finish =
    vec4 && together
      ? `acc = ${kind === 'sum' ? 'acc4.x + acc4.y + acc4.z + acc4.w' : 'acc4.x * acc4.y * acc4.z * acc4.w'};`
      : '';
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${storageType(out)}>;
@group(0) @binding(2) var<storage, read> x: array<${vec4 ? 'vec4f' : storageType(input)}>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = ${flatIndexWgsl};
  let outCount = u32(info[0]);
  let redCount = info[1];
  let keptRank = info[2];
  let r0 = 4 + 2 * keptRank;
  let redRank = info[r0];
  let chunk = info[r0 + 2 + 2 * redRank];
  let parts = max(1u, u32((redCount + chunk - 1) / chunk));
  let o = t % outCount;
  let p = t / outCount;
  if (p >= parts) { return; }
  ${keptBaseWgsl}
  let length = max(1, info[r0 + redRank]);
  let rowStride = select(0, info[r0 + 3], redRank == 2);
  let begin = i32(p) * chunk;
  let end = min(redCount, begin + chunk);
  var row = begin / length;
  var col = begin - row * length;
  var acc: ${valueType(type)} = ${init[kind][type]};
  ${vec4 && together ? `var acc4 = vec4f(${init[kind].float});` : ''}
  // Row by row, each row's part a plain loop over consecutive addresses.
  var i = begin;
  while (i < end) {
    let n = min(end - i, length - col);
    let at = ${vec4 ? '(base + row * rowStride + col) / 4' : 'base + row * rowStride + col'};
    for (var k = 0; k < ${vec4 ? 'n / 4' : 'n'}; k++) {
      ${accumulate}
    }
    i += n;
    row += 1;
    col = 0;
  }
  ${finish}
  out[u32(info[r0 + 1 + 2 * redRank]) + p * outCount + o] = ${storeAs(out, 'acc', type)};
}`;
}

/**
 * The second pass of a split argmax/argmin: out[o] is the index of the best of the G partial
 * (value, index) pairs of output o. Chunks come in order, so keeping the first of equals keeps
 * the lowest index; the first NaN wins, as in one pass. Group g's indices count from
 * g * indexStep (0 when they are already absolute).
 * Metadata: [outCount, groups, outOffset, indexStep].
 */
export function argCombineShader(kind: 'argmax' | 'argmin', type: NumberKind): string {
  const better = `v ${kind === 'argmax' ? '>' : '<'} best`;
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<storage, read> values: array<${valueType(type)}>;
@group(0) @binding(3) var<storage, read> indices: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = ${flatIndexWgsl};
  let outCount = u32(info[0]);
  if (o >= outCount) { return; }
  var best = values[o];
  var bestIndex = indices[o];
  for (var g = 1u; g < u32(info[1]); g++) {
    let v = values[g * outCount + o];
    if (${type === 'float' ? `!dl_isnan(best) && (dl_isnan(v) || ${better})` : better}) {
      best = v;
      bestIndex = indices[g * outCount + o] + i32(g) * info[3];
    }
  }
  out[u32(info[2]) + o] = bestIndex;
}`;
}
