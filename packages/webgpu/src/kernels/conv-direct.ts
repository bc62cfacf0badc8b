// Forward convolution with few taps per output (C/groups * kh * kw, e.g. a first layer on
// one-channel images): computed directly, one invocation per output row, the row's weights
// held in registers and every tap unrolled. The implicit GEMM's tiles cost more to set up
// than such a short inner product is worth.

import { checkedMeta } from './meta.js';
import { flatIndexWgsl, workgroupSize } from './wgsl.js';

/** Forward convolutions with at most this many taps per output run directly. */
export const directConvTaps = 16;

/**
 * Metadata: [N, C, H, W, O, OH, OW, sh, sw, ph, pw, dh, dw, groups, weightOffset,
 * inputOffset, outOffset].
 */
export function directConvMeta(values: {
  input: readonly number[];
  outChannels: number;
  outSize: readonly number[];
  stride: readonly number[];
  padding: readonly number[];
  dilation: readonly number[];
  groups: number;
  offsets: readonly number[];
}): Int32Array {
  const v = values;
  return checkedMeta([
    ...v.input,
    v.outChannels,
    ...v.outSize,
    ...v.stride,
    ...v.padding,
    ...v.dilation,
    v.groups,
    ...v.offsets,
  ]);
}

export function directConvKey(
  cg: number,
  kh: number,
  kw: number,
  slide: boolean,
  block: number,
): string {
  return `conv|direct|${cg}x${kh}x${kw}|b${block}${slide ? '|slide' : ''}`;
}

/** Output channels one invocation computes: 8 or 4 when a group's channels come so. */
export function directConvBlock(outChannels: number, groups: number): number {
  const perGroup = outChannels / groups;
  return perGroup % 8 === 0 ? 8 : perGroup % 4 === 0 ? 4 : 1;
}

/**
 * WGSL for weight [O, cg, kh, kw] (float32): binding 1 is out, 2 the weight, 3 the input.
 * Each invocation computes `block` output channels of one group along one output row, so
 * every input value it loads serves `block` outputs. With `slide` (unit stride and
 * dilation along the width), the window moves along the row in registers: each output
 * column loads one new column of cg * kh values, not all of its taps.
 */
export function directConvShader(
  cg: number,
  kh: number,
  kw: number,
  slide: boolean,
  block: number,
): string {
  const taps: [number, number, number][] = [];
  for (let c = 0; c < cg; c++)
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push([c, i, j]);
  const tap = (c: number, i: number, j: number) => (c * kh + i) * kw + j;
  const blocks = Array.from({ length: block }, (_, b) => b);
  const weights = blocks.flatMap((b) =>
    taps.map(
      ([c, i, j]) => `let w${b}_${tap(c, i, j)} = w[wb + ${b * taps.length + tap(c, i, j)}];`,
    ),
  );
  const rowsIn: string[] = [];
  const rowTaps: [number, number][] = [];
  for (let c = 0; c < cg; c++) {
    for (let i = 0; i < kh; i++) {
      rowTaps.push([c, i]);
      rowsIn.push(
        `let iy${c}_${i} = y0 + ${i} * dh;`,
        `let oky${c}_${i} = (iy${c}_${i} >= 0) & (iy${c}_${i} < H);`,
        `let rb${c}_${i} = xb + ${c} * H * W + iy${c}_${i} * W;`,
      );
    }
  }
  /** The input at column `ix` of tap row (c, i), 0 outside the image. */
  const load = (c: number, i: number, ix: string) => {
    const ok = `(oky${c}_${i} & (${ix} >= 0) & (${ix} < W))`;
    return `select(0.0, x[select(0, rb${c}_${i} + ${ix}, ${ok})], ${ok})`;
  };
  /** Accumulates every block's tap (c, i, j) from the value named `v`. */
  const accumulate = (c: number, i: number, j: number, v: string) =>
    blocks.map((b) => `acc${b} = fma(w${b}_${tap(c, i, j)}, ${v}, acc${b});`);
  const stores = blocks.map((b) => `out[ob + ${b} * OH * OW + ox] = acc${b};`);
  const zero = blocks.map((b) => `var acc${b} = 0.0;`);
  const body: string[] = [];
  const before: string[] = [];
  if (slide) {
    // Columns 0..kw-2 of the first window, then per output the new last column.
    for (const [c, i] of rowTaps)
      for (let j = 0; j < kw - 1; j++)
        before.push(`var v${c}_${i}_${j} = ${load(c, i, `(${j} - pw)`)};`);
    body.push(`let xn = ox - pw + ${kw - 1};`);
    for (const [c, i] of rowTaps) body.push(`let v${c}_${i}_${kw - 1} = ${load(c, i, 'xn')};`);
    body.push(...zero);
    for (const [c, i] of rowTaps)
      for (let j = 0; j < kw; j++) body.push(...accumulate(c, i, j, `v${c}_${i}_${j}`));
    body.push(...stores);
    for (const [c, i] of rowTaps)
      for (let j = 0; j < kw - 1; j++) body.push(`v${c}_${i}_${j} = v${c}_${i}_${j + 1};`);
  } else {
    body.push('let x0 = ox * sw - pw;', ...zero);
    for (let j = 0; j < kw; j++) {
      body.push(`let ix${j} = x0 + ${j} * dw;`);
      for (const [c, i] of rowTaps) {
        body.push(`let v${c}_${i}_${j} = ${load(c, i, `ix${j}`)};`);
        body.push(...accumulate(c, i, j, `v${c}_${i}_${j}`));
      }
    }
    body.push(...stores);
  }
  const indent = (lines: string[], pad: string) => lines.map((l) => pad + l).join('\n');
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let C = info[1]; let H = info[2]; let W = info[3];
  let O = info[4]; let OH = info[5]; let OW = info[6];
  let sh = info[7]; let sw = info[8]; let ph = info[9]; let pw = info[10];
  let dh = info[11]; let dw = info[12]; let groups = info[13];
  let weightAt = info[14]; let inputAt = info[15]; let outAt = info[16];
  let perGroup = O / groups;
  let blocksPerImage = O / ${block};
  let rows = u32(info[0] * blocksPerImage * OH);
  let threads = nwg.x * nwg.y * ${workgroupSize}u;
  // Row r is output row oy of channels o .. o + ${block - 1} (one group) of image n.
  for (var r = ${flatIndexWgsl}; r < rows; r += threads) {
    let oy = i32(r) % OH;
    let rest = i32(r) / OH;
    let o = (rest % blocksPerImage) * ${block};
    let n = rest / blocksPerImage;
    let g = o / perGroup;
    let wb = weightAt + o * ${taps.length};
${indent(weights, '    ')}
    let y0 = oy * sh - ph;
    let xb = inputAt + (n * C + g * ${cg}) * H * W;
${indent(rowsIn, '    ')}
    let ob = outAt + ((n * O + o) * OH + oy) * OW;
${indent(before, '    ')}
    for (var ox = 0; ox < OW; ox++) {
${indent(body, '      ')}
    }
  }
}
`;
}
