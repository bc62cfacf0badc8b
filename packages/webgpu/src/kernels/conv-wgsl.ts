// The WGSL of the convolution kernels: conv2d and its input and weight gradients as implicit
// GEMMs, out[row, col] = sum_k X[row, k] * Y[k, col], on the register-blocked tiling of the
// matmul (matmul-wgsl.ts explains why it suits WebGPU on CPUs). X is a filter-like operand
// read in place with strides; Y is never materialised (no im2col buffer): each lane computes
// the input coordinates of the columns it loads, and its values are broadcast to the others.
//
// The K loop is split in two: an outer loop over "taps" (kernel offsets, or for the weight
// gradient image rows) where the coordinates and padding tests of the columns are worked
// out once, and an inner loop along a dimension where Y advances by a fixed stride
// (channels, or for the weight gradient output columns), unrolled by four.
//
//   kind      rows (M)        columns (N)          taps              inner (L)
//   forward   out channels    N * oh * ow pixels   kh * kw offsets   in channels / groups
//   input     in channels     N * H * W pixels     kh * kw offsets   out channels / groups
//   weight    out channels    C/g * kh * kw        images x oh rows  ow
//
// Rows are per group; the grid's third coordinate walks groups (and, for the weight
// gradient, chunks of the batch whose partial sums the backend adds up afterwards).

/** Which convolution a kernel computes. */
export type ConvKind = 'forward' | 'input' | 'weight';

export interface ConvVariant {
  kind: ConvKind;
  /** Lanes per subgroup the kernel is written for. */
  width: number;
  /** Subgroups per workgroup, side by side along M. */
  groups: number;
  /** Output rows per invocation. */
  rows: number;
  /** Output columns per workgroup (a multiple of `width` with broadcast). */
  cols: number;
  /** Y is loaded once per subgroup and broadcast (subgroups of at least `width` lanes). */
  broadcast: boolean;
  /**
   * Stores four columns as one vec4: a store whose address differs between lanes costs
   * per lane, so this quarters the cost of writing the output. Needs four consecutive
   * columns to be consecutive and aligned in memory (the planner checks).
   */
  vec4Out: boolean;
  /** Unit strides (the input gradient then has no divisions). */
  unitStride: boolean;
  /**
   * X is read as vec4s along the inner loop: the weight laid out with the inner channels
   * last (the backend copies it so), or for the weight gradient the output gradient's rows,
   * in fours and aligned. The inner length is then a multiple of 4 (no tail loop).
   */
  x4: boolean;
}

/** Metadata slots, shared by the planner (conv.ts) and the shader. */
export const convMeta = {
  M: 0,
  NC: 1,
  tilesX: 2,
  tilesY: 3,
  tiles: 4,
  chunks: 5,
  N: 6,
  C: 7,
  H: 8,
  W: 9,
  O: 10,
  OH: 11,
  OW: 12,
  kh: 13,
  kw: 14,
  sh: 15,
  sw: 16,
  ph: 17,
  pw: 18,
  dh: 19,
  dw: 20,
  Cg: 21,
  Og: 22,
  chunkN: 23,
  xOffset: 24,
  yOffset: 25,
  outOffset: 26,
  length: 27,
} as const;

const range = (count: number) => Array.from({ length: count }, (_, i) => i);
const indent = (body: string[], spaces: string) => body.map((l) => `${spaces}${l}`).join('\n');

/**
 * The kind-specific parts of a kernel, as WGSL snippets. Conditions combine with `&`, not
 * `&&`: short-circuit operators become branches, and SwiftShader took minutes to compile
 * the weight gradient's unrolled loop with one per element.
 */
interface Parts {
  /** Offset of row `r` of X (group g), without the tap and inner terms. */
  rowBase: (r: string) => string;
  /** Statements for column `c` (clamped) of slot s: the values taps need, suffixed s. */
  column: (s: number, c: string) => string[];
  /**
   * Taps are two nested loops, ta over [from, to) and tb over [0, count): kernel rows and
   * columns, or images and output rows. Integer division costs a loop over the lanes on a
   * CPU, so the loops count instead of dividing a flat tap index.
   */
  outer: [string, string];
  innerTaps: string;
  /** Statements for slot s once per ta. */
  slotOuter: (s: number) => string[];
  /** Statements at the top of a tap (ta, tb): define xTap. */
  tap: string[];
  /** Statements for slot s in tap (ta, tb): define yo{s} (Y offset at l = 0) and ok{s}. */
  slotTap: (s: number) => string[];
  /** Length of the inner loop, and the strides of X and Y along it. */
  inner: string;
  xStep: string;
  yStep: string;
  /** Extra condition for element l of slot s (padding along the inner dim), if any. */
  elementOk?: (s: number, l: string) => string;
  /** Statements defining `o`, the output offset of column `c` (row term separate). */
  outColumn: (c: string) => string[];
  /** Output offset of row r. */
  outRow: (r: string) => string;
}

function partsOf(kind: ConvKind, unitStride: boolean, x4: boolean): Parts {
  switch (kind) {
    case 'forward':
      return {
        rowBase: (r) => `(g * Og + ${r}) * Cg * kh * kw`, // [O, kh * kw, C/g] with x4
        column: (s, c) => [
          `let n${s} = dl_div(${c}, OH * OW);`,
          `let p${s} = ${c} - n${s} * OH * OW;`,
          `let py${s} = dl_div(p${s}, OW);`,
          `let cb${s} = yOffset + (n${s} * C + g * Cg) * H * W;`,
          `let cy${s} = py${s} * sh - ph;`,
          `let cx${s} = (p${s} - py${s} * OW) * sw - pw;`,
        ],
        outer: ['0', 'kh'],
        innerTaps: 'kw',
        slotOuter: (s) => [
          `let iy${s} = cy${s} + ta * dh;`,
          `let oky${s} = (iy${s} >= 0) & (iy${s} < H);`,
          `let rb${s} = cb${s} + iy${s} * W;`,
        ],
        tap: [x4 ? 'let xTap = (ta * kw + tb) * Cg;' : 'let xTap = ta * kw + tb;'],
        slotTap: (s) => [
          `let ix${s} = cx${s} + tb * dw;`,
          `let ok${s} = oky${s} & (ix${s} >= 0) & (ix${s} < W);`,
          `let yo${s} = select(0, rb${s} + ix${s}, ok${s});`,
        ],
        inner: 'Cg',
        xStep: x4 ? '1' : 'kh * kw',
        yStep: 'H * W',
        // c = image * oh * ow + pixel: one division.
        outColumn: (c) => [`let o = outOffset + ${c} + dl_div(${c}, OH * OW) * (O - 1) * OH * OW;`],
        outRow: (r) => `(g * Og + ${r}) * OH * OW`,
      };
    case 'input':
      return {
        rowBase: (r) => (x4 ? `(g * Cg + ${r}) * kh * kw * Og` : `(g * Og * Cg + ${r}) * kh * kw`),
        column: (s, c) => [
          `let n${s} = dl_div(${c}, H * W);`,
          `let p${s} = ${c} - n${s} * H * W;`,
          `let py${s} = dl_div(p${s}, W);`,
          `let cb${s} = yOffset + (n${s} * O + g * Og) * OH * OW;`,
          `let cy${s} = py${s} + ph;`,
          `let cx${s} = p${s} - py${s} * W + pw;`,
        ],
        outer: ['0', 'kh'],
        innerTaps: 'kw',
        // Output pixel (oy, ox) reads input (oy * sh - ph + i * dh, ...): invert that. With
        // unit strides there is nothing to divide.
        slotOuter: (s) => [
          `let qy${s} = cy${s} - ta * dh;`,
          unitStride ? `let oy${s} = qy${s};` : `let oy${s} = qy${s} / sh;`,
          `let oky${s} = (qy${s} >= 0) & (oy${s} < OH)${unitStride ? '' : ` & (oy${s} * sh == qy${s})`};`,
          `let rb${s} = cb${s} + oy${s} * OW;`,
        ],
        tap: [x4 ? 'let xTap = (ta * kw + tb) * Og;' : 'let xTap = ta * kw + tb;'],
        slotTap: (s) => [
          `let qx${s} = cx${s} - tb * dw;`,
          unitStride ? `let ox${s} = qx${s};` : `let ox${s} = qx${s} / sw;`,
          `let ok${s} = oky${s} & (qx${s} >= 0) & (ox${s} < OW)${unitStride ? '' : ` & (ox${s} * sw == qx${s})`};`,
          `let yo${s} = select(0, rb${s} + ox${s}, ok${s});`,
        ],
        inner: 'Og',
        xStep: x4 ? '1' : 'Cg * kh * kw',
        yStep: 'OH * OW',
        // c = image * H * W + pixel: one division.
        outColumn: (c) => [`let o = outOffset + ${c} + dl_div(${c}, H * W) * (C - 1) * H * W;`],
        outRow: (r) => `(g * Cg + ${r}) * H * W`,
      };
    case 'weight':
      return {
        rowBase: (r) => `(g * Og + ${r}) * OH * OW`,
        column: (s, c) => [
          `let cc${s} = dl_div(${c}, kh * kw);`,
          `let t${s} = ${c} - cc${s} * kh * kw;`,
          `let ti${s} = dl_div(t${s}, kw);`,
          `let cb${s} = yOffset + (g * Cg + cc${s}) * H * W;`,
          `let ci${s} = ti${s} * dh - ph;`,
          `let cj${s} = (t${s} - ti${s} * kw) * dw - pw;`,
          // The output columns l whose input column l * sw + cj lies inside [0, W).
          `let lo${s} = select(0, (sw - 1 - cj${s}) / sw, cj${s} < 0);`,
          `let hi${s} = select(0, min(OW, (W - 1 - cj${s}) / sw + 1), cj${s} <= W - 1);`,
        ],
        outer: ['chunk * chunkN', 'min(N, (chunk + 1) * chunkN)'],
        innerTaps: 'OH',
        slotOuter: (s) => [`let ib${s} = cb${s} + ta * C * H * W + cj${s};`],
        tap: ['let xTap = ta * O * OH * OW + tb * OW;'],
        slotTap: (s) => [
          `let iy${s} = tb * sh + ci${s};`,
          `let ok${s} = (iy${s} >= 0) & (iy${s} < H);`,
          `let yo${s} = ib${s} + iy${s} * W;`,
        ],
        inner: 'OW',
        xStep: '1',
        yStep: 'sw',
        elementOk: (s, l) => `(${l} >= lo${s}) & (${l} < hi${s})`,
        outColumn: (c) => [`let o = outOffset + chunk * O * Cg * kh * kw + ${c};`],
        outRow: (r) => `(g * Og + ${r}) * Cg * kh * kw`,
      };
  }
}

export function convVariantKey(v: ConvVariant): string {
  return `conv|${v.kind}|${v.width}x${v.groups}x${v.rows}x${v.cols}${v.broadcast ? '|bc' : ''}${v.vec4Out ? '|o4' : ''}${v.unitStride && v.kind === 'input' ? '|s1' : ''}${v.x4 ? '|x4' : ''}`;
}

/** WGSL for one variant (float32): binding 1 is out, 2 is X, 3 is Y. */
export function convShader(variant: ConvVariant): string {
  const { kind, width, groups, rows, cols, broadcast, vec4Out } = variant;
  const lanes = width * groups;
  const parts = partsOf(kind, variant.unitStride, variant.x4);
  const slots = broadcast ? cols / width : cols;
  if (broadcast && cols % width !== 0)
    throw new Error(`conv kernel: ${cols} columns do not split over ${width} lanes`);

  const setup: string[] = [];
  for (const h of range(rows)) {
    setup.push(`let xo${h} = xOffset + ${parts.rowBase(`min(row0 + ${h * lanes}, M - 1)`)};`);
  }
  for (const s of range(slots)) {
    const c = broadcast ? `col0 + ${s * width} + lane` : `col0 + ${s}`;
    setup.push(`let c${s} = min(${c}, NC - 1);`, ...parts.column(s, `c${s}`));
  }
  for (const h of range(rows)) for (const j of range(cols)) setup.push(`var acc${h}_${j} = 0.0;`);

  /** One step over `chunk` values of l: loads, then rows x cols x chunk multiply-adds. */
  const step = (chunk: number): string[] => {
    const body: string[] = [];
    for (const kk of range(chunk)) {
      const l = kk === 0 ? 'l' : `(l + ${kk})`;
      if (variant.x4) {
        if (kk === 0)
          for (const h of range(rows)) body.push(`let x${h} = X[(xo${h} + xTap + l) / 4];`);
        for (const h of range(rows)) body.push(`let x${h}_${kk} = x${h}[${kk}];`);
      } else {
        for (const h of range(rows))
          body.push(`let x${h}_${kk} = X[xo${h} + xTap + ${l} * xStep];`);
      }
      for (const s of range(slots)) {
        if (parts.elementOk) {
          body.push(`let e${s}_${kk} = ok${s} & ${parts.elementOk(s, l)};`);
          const address = `select(0, yo${s} + ${l} * yStep, e${s}_${kk})`;
          body.push(`let ys${s}_${kk} = select(0.0, Y[${address}], e${s}_${kk});`);
        } else {
          body.push(`let ys${s}_${kk} = select(0.0, Y[yo${s} + ${l} * yStep], ok${s});`);
        }
      }
    }
    // Column by column, so that each accumulator is read and written once per step.
    for (const j of range(cols)) {
      for (const kk of range(chunk)) {
        const value = broadcast
          ? `subgroupBroadcast(ys${Math.floor(j / width)}_${kk}, ${j % width}u)`
          : `ys${j}_${kk}`;
        body.push(`let y${kk}_${j} = ${value};`);
      }
      for (const h of range(rows)) {
        let sum = `acc${h}_${j}`;
        for (const kk of range(chunk)) sum = `fma(x${h}_${kk}, y${kk}_${j}, ${sum})`;
        body.push(`acc${h}_${j} = ${sum};`);
      }
    }
    return body;
  };

  const outerBody: string[] = [];
  for (const s of range(slots)) outerBody.push(...parts.slotOuter(s));
  const tapBody: string[] = [...parts.tap];
  for (const s of range(slots)) tapBody.push(...parts.slotTap(s));
  tapBody.push(
    'var l = 0;',
    'for (; l + 4 <= inner; l += 4) {',
    indent(step(4), '  '),
    '}',
    ...(variant.x4 ? [] : ['for (; l < inner; l++) {', indent(step(1), '  '), '}']),
  );

  const stores: string[] = [];
  const step4 = vec4Out ? 4 : 1;
  for (let j = 0; j < cols; j += step4) {
    stores.push(`if (col0 + ${j} < NC) {`);
    stores.push(...parts.outColumn(`(col0 + ${j})`).map((line) => `  ${line}`));
    for (const h of range(rows)) {
      const row = `row0 + ${h * lanes}`;
      const at = `o + ${parts.outRow(row)}`;
      const store = vec4Out
        ? `out[(${at}) / 4] = vec4(${range(4)
            .map((q) => `acc${h}_${j + q}`)
            .join(', ')});`
        : `out[${at}] = acc${h}_${j};`;
      stores.push(`  if (${row} < M) { ${store} }`);
    }
    stores.push('}');
  }
  if (vec4Out && cols % 4 !== 0)
    throw new Error(`conv kernel: vec4 stores need columns in fours, got ${cols}`);

  const m = convMeta;
  const fields = (Object.keys(m) as (keyof typeof m)[])
    .filter((name) => name !== 'length')
    .map((name) => `let ${name} = info[${m[name]}];`);
  return /* wgsl */ `${broadcast ? 'enable subgroups;' : ''}
// a / b for 0 <= a, 0 < b with a small quotient (below 2^22): integer division is a loop
// over the lanes on a CPU, a float multiply is one instruction. The estimate is within one.
fn dl_div(a: i32, b: i32) -> i32 {
  var q = i32(f32(a) / f32(b));
  q -= select(0, 1, q * b > a);
  q += select(0, 1, (q + 1) * b <= a);
  return q;
}

@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${vec4Out ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(2) var<storage, read> X: array<${variant.x4 ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(3) var<storage, read> Y: array<f32>;

@compute @workgroup_size(${lanes})
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) index: u32,${broadcast ? '\n  @builtin(subgroup_invocation_id) subgroupLane: u32,' : ''}
) {
${indent(fields, '  ')}
  // The workgroup's tile: column tiles first, then row tiles, then groups x chunks.
  let linear = i32(wid.x) + i32(nwg.x) * (i32(wid.y) + i32(nwg.y) * i32(wid.z));
  if (linear >= tiles) { return; }
  let tileX = linear % tilesX;
  let tileY = (linear / tilesX) % tilesY;
  let z = linear / tilesX / tilesY;
  let g = z / chunks;
  let chunk = z % chunks;
  let inner = ${parts.inner};
  let xStep = ${parts.xStep};
  let yStep = ${parts.yStep};${broadcast ? `\n  let lane = i32(subgroupLane % ${width}u);` : ''}
  let col0 = tileX * ${cols};
  let row0 = tileY * ${lanes * rows} + i32(index);
${indent(setup, '  ')}
  for (var ta = ${parts.outer[0]}; ta < ${parts.outer[1]}; ta++) {
${indent(outerBody, '    ')}
    for (var tb = 0; tb < ${parts.innerTaps}; tb++) {
${indent(tapBody, '      ')}
    }
  }
${indent(stores, '  ')}
}
`;
}
