// Forward convolution with few taps per output (C/groups * kh * kw, e.g. a first layer on
// one-channel images): computed directly, one invocation per output row, the row's weights
// held in registers and every tap unrolled. The implicit GEMM's tiles cost more to set up
// than such a short inner product is worth.

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
  return Int32Array.from([
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

export function directConvKey(cg: number, kh: number, kw: number, slide: boolean): string {
  return `conv|direct|${cg}x${kh}x${kw}${slide ? '|slide' : ''}`;
}

/**
 * WGSL for weight [O, cg, kh, kw] (float32): binding 1 is out, 2 the weight, 3 the input.
 * With `slide` (unit stride and dilation along the width), the window moves along the row
 * in registers: each output loads one new column of cg * kh values, not all of its taps.
 */
export function directConvShader(cg: number, kh: number, kw: number, slide: boolean): string {
  const taps: [number, number, number][] = [];
  for (let c = 0; c < cg; c++)
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push([c, i, j]);
  const tap = (c: number, i: number, j: number) => (c * kh + i) * kw + j;
  const weights = taps.map(([c, i, j]) => `let w${tap(c, i, j)} = w[wb + ${tap(c, i, j)}];`);
  const rowsIn: string[] = [];
  for (let c = 0; c < cg; c++) {
    for (let i = 0; i < kh; i++) {
      rowsIn.push(
        `let iy${c}_${i} = y0 + ${i} * dh;`,
        `let oky${c}_${i} = (iy${c}_${i} >= 0) & (iy${c}_${i} < H);`,
        `let rb${c}_${i} = xb + ${c} * H * W + iy${c}_${i} * W;`,
      );
    }
  }
  const rowTaps: [number, number][] = [];
  for (let c = 0; c < cg; c++) for (let i = 0; i < kh; i++) rowTaps.push([c, i]);
  /** The input at column `ix` of tap row (c, i), 0 outside the image. */
  const load = (c: number, i: number, ix: string) => {
    const ok = `(oky${c}_${i} & (${ix} >= 0) & (${ix} < W))`;
    return `select(0.0, x[select(0, rb${c}_${i} + ${ix}, ${ok})], ${ok})`;
  };
  const window: string[] = [];
  const slideBody: string[] = [];
  if (slide) {
    // Columns 0..kw-2 of the first window, then per output the new last column.
    for (const [c, i] of rowTaps)
      for (let j = 0; j < kw - 1; j++)
        window.push(`var v${c}_${i}_${j} = ${load(c, i, `(${j} - pw)`)};`);
    slideBody.push(`let xn = ox - pw + ${kw - 1};`);
    for (const [c, i] of rowTaps) slideBody.push(`let v${c}_${i}_${kw - 1} = ${load(c, i, 'xn')};`);
    slideBody.push('var acc = 0.0;');
    for (const [c, i] of rowTaps)
      for (let j = 0; j < kw; j++)
        slideBody.push(`acc = fma(w${tap(c, i, j)}, v${c}_${i}_${j}, acc);`);
    slideBody.push('out[ob + ox] = acc;');
    for (const [c, i] of rowTaps)
      for (let j = 0; j < kw - 1; j++) slideBody.push(`v${c}_${i}_${j} = v${c}_${i}_${j + 1};`);
  }
  const columns: string[] = [];
  for (let j = 0; j < kw; j++) {
    columns.push(`let ix${j} = x0 + ${j} * dw;`, `let okx${j} = (ix${j} >= 0) & (ix${j} < W);`);
    for (let c = 0; c < cg; c++) {
      for (let i = 0; i < kh; i++) {
        const ok = `oky${c}_${i} & okx${j}`;
        columns.push(
          `acc = fma(w${tap(c, i, j)}, select(0.0, x[select(0, rb${c}_${i} + ix${j}, ${ok})], ${ok}), acc);`,
        );
      }
    }
  }
  const indent = (lines: string[], pad: string) => lines.map((l) => pad + l).join('\n');
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let N = info[0]; let C = info[1]; let H = info[2]; let W = info[3];
  let O = info[4]; let OH = info[5]; let OW = info[6];
  let sh = info[7]; let sw = info[8]; let ph = info[9]; let pw = info[10];
  let dh = info[11]; let dw = info[12]; let groups = info[13];
  let weightAt = info[14]; let inputAt = info[15]; let outAt = info[16];
  let perGroup = O / groups;
  let rows = u32(N * O * OH);
  let threads = nwg.x * nwg.y * ${workgroupSize}u;
  // Row r is output row oy of channel o of image n.
  for (var r = ${flatIndexWgsl}; r < rows; r += threads) {
    let oy = i32(r) % OH;
    let rest = i32(r) / OH;
    let o = rest % O;
    let n = rest / O;
    let g = o / perGroup;
    let wb = weightAt + o * ${taps.length};
${indent(weights, '    ')}
    let y0 = oy * sh - ph;
    let xb = inputAt + (n * C + g * ${cg}) * H * W;
${indent(rowsIn, '    ')}
    let ob = outAt + ((n * O + o) * OH + oy) * OW;
${
  slide
    ? `${indent(window, '    ')}
    for (var ox = 0; ox < OW; ox++) {
${indent(slideBody, '      ')}
    }`
    : `    for (var ox = 0; ox < OW; ox++) {
      let x0 = ox * sw - pw;
      var acc = 0.0;
${indent(columns, '      ')}
      out[ob + ox] = acc;
    }`
}
  }
}
`;
}
