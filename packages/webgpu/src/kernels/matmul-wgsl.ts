// The WGSL of the matmul kernels: out = X @ Y for X [M, K] and Y [K, N], batched, with
// strides from the metadata (matmul.ts plans which variant runs and builds that metadata).
//
// The kernels are shaped for WebGPU on CPUs (lavapipe, SwiftShader), where the invocations
// of a subgroup are the lanes of one vector register. There a load whose address differs
// between lanes is a loop over the lanes with a bounds check each (about nine instructions
// per float in Mesa 25's lavapipe), while a multiply and an add take two instructions for
// all lanes, and a value broadcast from one lane to all takes three. So each invocation
// owns `rows` rows of the output and reads its own X values with vec4 loads; the `cols`
// columns of a workgroup are shared by all its invocations, and their Y values are loaded
// once per subgroup, spread over its lanes, and broadcast (subgroupBroadcast). Workgroup
// memory and barriers are not used: a CPU's caches already share the data, and a barrier
// costs a coroutine switch. On lavapipe this runs eight to ten times as fast as a 32x32
// tile in workgroup memory. On GPUs, it is a register-blocked kernel leaning on the L1.

import type { DType } from '@dl/tensor';
import { helpersWgsl, storageType, storeAs } from './wgsl.js';

/**
 * How each invocation reads X: `k4` a vec4 along K (X contiguous along K), `m4` a vec4 of
 * four rows (X contiguous along M), or one element at a time with any strides.
 */
export type LaneLoad = 'k4' | 'm4' | 'scalar';
/** How Y is read: vec4s along N, vec4s along K, or scalars. */
export type SharedLoad = 'n4' | 'k4' | 'scalar';

/** One kernel variant: its shape of work and how it reads its operands. */
export interface MatmulVariant {
  /** Lanes per subgroup the kernel is written for (Y's loads are spread over them). */
  width: number;
  /** Subgroups per workgroup, side by side along M. */
  groups: number;
  /** Output rows per invocation (a multiple of 4 with `m4`). */
  rows: number;
  /** Output columns per workgroup (a multiple of 4 with `n4`). */
  cols: number;
  laneLoad: LaneLoad;
  sharedLoad: SharedLoad;
  /** True when X is the right operand b transposed and Y the left a transposed. */
  swapped: boolean;
  /**
   * Y is loaded once per subgroup and broadcast (needs subgroups of at least `width`
   * lanes); without it every invocation loads every Y value itself.
   */
  broadcast: boolean;
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

/** WGSL for one variant; binding 2 is a and binding 3 is b, as the backend binds them. */
export function matmulVariantShader(
  variant: MatmulVariant,
  aType: DType,
  bType: DType,
  outType: DType,
): string {
  const { width, groups, rows, cols, laneLoad, sharedLoad, swapped, broadcast } = variant;
  const lanes = width * groups;
  const [xType, yType] = swapped ? [bType, aType] : [aType, bType];
  const [xBinding, yBinding] = swapped ? [3, 2] : [2, 3];
  const xElement = laneLoad === 'scalar' ? storageType(xType) : 'vec4<f32>';
  const yElement = sharedLoad === 'scalar' ? storageType(yType) : 'vec4<f32>';
  const asF32 = (type: DType, e: string) => (storageType(type) === 'f32' ? e : `f32(${e})`);
  const setup: string[] = [];

  // X: rows come in packs (four rows side by side with m4); pack q of an invocation
  // starts at row0 + q * lanes * pack. Rows past M read row M-1 and are not stored.
  const pack = laneLoad === 'm4' ? 4 : 1;
  const packs = rows / pack;
  for (const q of range(packs)) {
    const first = `row0 + ${q * lanes * pack}`;
    if (laneLoad === 'm4') setup.push(`let xo${q} = (xBase + min(${first}, (M - 1) & ~3)) / 4;`);
    else if (laneLoad === 'k4')
      setup.push(`let xo${q} = (xBase + min(${first}, M - 1) * xRow) / 4;`);
    else setup.push(`let xo${q} = xBase + min(${first}, M - 1) * xRow;`);
  }
  const x = (h: number, kk: number): string => {
    const q = Math.floor(h / pack);
    if (laneLoad === 'k4') return `x${q}[${kk}]`;
    if (laneLoad === 'm4') return `x${q}_${kk}[${h % pack}]`;
    return `x${q}_${kk}`;
  };

  // Y: the values of `chunk` steps of k as parts (vec4s or scalars) numbered v. With
  // broadcast, lane v % width loads part v into slot v / width; without, each invocation
  // loads every part. Columns past N read column N-1 and are not stored.
  const parts = (chunk: number) =>
    sharedLoad === 'n4' ? (chunk * cols) / 4 : sharedLoad === 'k4' ? cols : chunk * cols;
  /** The offset of part v, without the k term. */
  const partOffset = (v: string): string => {
    switch (sharedLoad) {
      case 'n4':
        return `(yBase + (${v}) / ${cols / 4} * yRow + min(col0 + (${v}) % ${cols / 4} * 4, (N - 1) & ~3)) / 4`;
      case 'k4':
        return `(yBase + min(col0 + (${v}), N - 1) * yCol) / 4`;
      case 'scalar':
        return `yBase + (${v}) / ${cols} * yRow + min(col0 + (${v}) % ${cols}, N - 1) * yCol`;
    }
  };
  const kTerm = { n4: 'k * yRow4', k4: 'k / 4', scalar: 'k * yRow' }[sharedLoad];
  /** Part and component holding y(kk, j). */
  const partOf = (kk: number, j: number): [number, string] => {
    switch (sharedLoad) {
      case 'n4':
        return [kk * (cols / 4) + Math.floor(j / 4), `[${j % 4}]`];
      case 'k4':
        return [j, `[${kk}]`];
      case 'scalar':
        return [kk * cols + j, ''];
    }
  };
  const slots = (chunk: number) => Math.ceil(parts(chunk) / width);
  const vectorK = laneLoad === 'k4' || sharedLoad === 'k4';
  const chunks = vectorK ? [4] : [4, 1];
  for (const chunk of chunks) {
    const name = chunk === 4 ? 'yo' : 'yt';
    if (broadcast) {
      // A partly used last slot loads part 0 again.
      for (const t of range(slots(chunk))) {
        const v = `select(0, ${t * width} + lane, ${t * width} + lane < ${parts(chunk)})`;
        setup.push(`let ${name}${t} = ${partOffset(v)};`);
      }
    } else {
      for (const v of range(parts(chunk)))
        setup.push(`let ${name}${v} = ${partOffset(String(v))};`);
    }
  }
  for (const h of range(rows)) for (const j of range(cols)) setup.push(`var acc${h}_${j} = 0.0;`);

  /** One step over `chunk` values of k: loads, then rows x cols x chunk multiply-adds. */
  const step = (chunk: number): string[] => {
    const body: string[] = [];
    for (const q of range(packs)) {
      if (laneLoad === 'k4') body.push(`let x${q} = X[xo${q} + k / 4];`);
      else
        for (const kk of range(chunk)) {
          const element =
            laneLoad === 'm4'
              ? `X[xo${q} + (k + ${kk}) * xCol4]`
              : asF32(xType, `X[xo${q} + (k + ${kk}) * xCol]`);
          body.push(`let x${q}_${kk} = ${element};`);
        }
    }
    const name = chunk === 4 ? 'yo' : 'yt';
    const count = broadcast ? slots(chunk) : parts(chunk);
    for (const t of range(count)) body.push(`let ys${t} = Y[${name}${t} + ${kTerm}];`);
    // Column by column, so that each accumulator is read and written once per step.
    for (const j of range(cols)) {
      for (const kk of range(chunk)) {
        const [v, component] = partOf(kk, j);
        const value = broadcast
          ? `subgroupBroadcast(ys${Math.floor(v / width)}${component}, ${v % width}u)`
          : `ys${v}${component}`;
        body.push(`let y${kk}_${j} = ${sharedLoad === 'scalar' ? asF32(yType, value) : value};`);
      }
      for (const h of range(rows)) {
        let sum = `acc${h}_${j}`;
        for (const kk of range(chunk)) sum = `fma(${x(h, kk)}, y${kk}_${j}, ${sum})`;
        body.push(`acc${h}_${j} = ${sum};`);
      }
    }
    return body;
  };
  const indent = (body: string[], spaces: string) => body.map((l) => `${spaces}${l}`).join('\n');

  const stores: string[] = [];
  for (const h of range(rows)) {
    const row = `row0 + ${Math.floor(h / pack) * lanes * pack + (h % pack)}`;
    stores.push(`if (${row} < M) {`);
    stores.push(`  let o = oBase + (${row}) * oRow;`);
    for (const j of range(cols)) {
      const value = storeAs(outType, `acc${h}_${j}`);
      stores.push(`  if (col0 + ${j} < N) { out[o + (col0 + ${j}) * oCol] = ${value}; }`);
    }
    stores.push('}');
  }
  const tail = vectorK
    ? ''
    : `
  for (; k < K; k++) {
${indent(step(1), '    ')}
  }`;

  return /* wgsl */ `${broadcast ? 'enable subgroups;' : ''}
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${storageType(outType)}>;
@group(0) @binding(${xBinding}) var<storage, read> X: array<${xElement}>;
@group(0) @binding(${yBinding}) var<storage, read> Y: array<${yElement}>;

@compute @workgroup_size(${lanes})
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) index: u32,${broadcast ? '\n  @builtin(subgroup_invocation_id) subgroupLane: u32,' : ''}
) {
  let M = info[0];
  let N = info[1];
  let K = info[2];
  // The workgroup's tile: column tiles first, then row tiles, then batch entries.
  let linear = i32(wid.x) + i32(nwg.x) * (i32(wid.y) + i32(nwg.y) * i32(wid.z));
  if (linear >= info[5]) { return; }
  let tileX = linear % info[3];
  let tileY = (linear / info[3]) % info[4];
  var rem = linear / info[3] / info[4];
  let r = info[6];
  var xBase = 0;
  var yBase = 0;
  var oBase = 0;
  for (var d = r - 1; d >= 0; d--) {
    let size = info[7 + d];
    let c = rem % size;
    rem = rem / size;
    xBase += c * info[7 + r + d];
    yBase += c * info[7 + 2 * r + d];
    oBase += c * info[7 + 3 * r + d];
  }
  let t = 7 + 4 * r;
  let xRow = info[t]; let xCol = info[t + 1]; xBase += info[t + 2];
  let yRow = info[t + 3]; let yCol = info[t + 4]; yBase += info[t + 5];
  let oRow = info[t + 6]; let oCol = info[t + 7]; oBase += info[t + 8];
  let xCol4 = xCol / 4;
  let yRow4 = yRow / 4;${broadcast ? `\n  let lane = i32(subgroupLane % ${width}u);` : ''}
  let col0 = tileX * ${cols};
  let row0 = tileY * ${lanes * rows} + i32(index) * ${pack};
${indent(setup, '  ')}
  var k = 0;
  for (; k + 4 <= K; k += 4) {
${indent(step(4), '    ')}
  }${tail}
${indent(stores, '  ')}
}
`;
}
