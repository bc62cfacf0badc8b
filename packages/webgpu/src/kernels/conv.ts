// Convolution on WebGPU: plans the implicit-GEMM kernels of conv-wgsl.ts (conv2d, its input
// gradient, its weight gradient): which variant runs, on which grid, with which metadata.

import type { ConvGeometry, View } from '@dl/tensor';
import {
  type ConvKind,
  type ConvVariant,
  convMeta,
  convShader,
  convVariantKey,
} from './conv-wgsl.js';
import type { MatmulTarget } from './matmul.js';
import { spreadGrid } from './wgsl.js';

export type { ConvKind, ConvVariant } from './conv-wgsl.js';

/** Everything the backend needs to run one convolution kernel. */
export interface ConvProgram {
  key: string;
  shader: () => string;
  meta: Int32Array;
  workgroups: [number, number, number];
  variant: ConvVariant;
  /**
   * For the weight gradient split over chunks of the batch: the number of partial sums
   * [chunks, O, C / groups, kh, kw] the kernel writes, which the backend then adds up.
   */
  chunks: number;
}

/** The tiles for one subgroup width, measured by bench/tune-conv.ts. */
interface ConvTuning {
  /** Subgroups per workgroup, rows per invocation, columns per workgroup. */
  large: { groups: number; rows: number; cols: number };
  /** For convolutions of fewer than `smallProduct` multiply-adds. */
  small: { groups: number; rows: number; cols: number };
}

/**
 * Eight lanes (lavapipe): four rows and 24 columns, as the matmul; on the MNIST CNN's layers
 * more rows or columns did not help and compile for many seconds. Four lanes (SwiftShader
 * in Chromium): a smaller tile, since SwiftShader compiles large unrolled kernels slowly.
 * Small convolutions, where the tile matters little, get a small tile that compiles fast
 * (once per variant, but it is the first run's cost).
 */
const tunings: Record<4 | 8, ConvTuning> = {
  8: { large: { groups: 2, rows: 4, cols: 24 }, small: { groups: 1, rows: 1, cols: 8 } },
  4: { large: { groups: 2, rows: 4, cols: 16 }, small: { groups: 1, rows: 1, cols: 8 } },
};

/** Convolutions of fewer multiply-adds than this get the small tile. */
const smallProduct = 2 ** 20;

/** The weight gradient is split over the batch until the grid has this many workgroups. */
const weightGradientTiles = 64;

/**
 * Plans `kind` for input [N, C, H, W], weight [O, C / groups, kh, kw] and grad
 * [N, O, oh, ow] (shapes only; views are contiguous). `x` and `y` are the views bound as the
 * X and Y operands (for their offsets), `out` the output. `override` fixes parts of the
 * variant (tuning and tests), `chunks` the weight gradient's split.
 */
export function planConv(
  kind: ConvKind,
  shapes: { input: readonly number[]; weight: readonly number[] },
  geometry: ConvGeometry,
  views: { x: View; y: View; out: View },
  target: MatmulTarget = {},
  override: Partial<ConvVariant> & { chunks?: number } = {},
): ConvProgram {
  const [n, c, h, w] = shapes.input as [number, number, number, number];
  const o = shapes.weight[0]!;
  const [kh, kw] = geometry.kernel;
  const [oh, ow] = geometry.outSize;
  const groupCount = geometry.groups;
  const [cg, og] = [c / groupCount, o / groupCount];
  const [m, nc] = {
    forward: [og, n * oh * ow],
    input: [cg, n * h * w],
    weight: [og, cg * kh * kw],
  }[kind] as [number, number];

  const subgroupSize = target.subgroupSize ?? 0;
  const width = subgroupSize >= 8 || subgroupSize < 4 ? 8 : 4;
  const broadcast = override.broadcast ?? subgroupSize >= width;
  const k = {
    forward: cg * kh * kw,
    input: og * kh * kw,
    weight: n * oh * ow,
  }[kind];
  const tuning = m * nc * k < smallProduct ? tunings[width].small : tunings[width].large;
  const rows = override.rows ?? tuning.rows;
  const variant: ConvVariant = {
    kind,
    width,
    groups: override.groups ?? Math.max(1, Math.min(tuning.groups, Math.ceil(m / (width * rows)))),
    rows,
    cols: override.cols ?? Math.min(tuning.cols, Math.ceil(nc / width) * width),
    broadcast,
    vec4Out: false,
    unitStride: geometry.stride[0] === 1 && geometry.stride[1] === 1,
    x4: false,
  };
  // vec4 reads of X along the inner loop: the inner length in fours and every row and tap
  // offset aligned (for the forward pass and the input gradient, X is the relaid weight,
  // which starts at 0).
  const inner = { forward: cg, input: og, weight: ow }[kind];
  variant.x4 = override.x4 ?? (inner % 4 === 0 && (kind !== 'weight' || views.x.offset % 4 === 0));
  // Four consecutive columns are four consecutive output elements, aligned, when the
  // column count of a plane (pixels, or a filter's elements) is a multiple of four.
  const plane = { forward: oh * ow, input: h * w, weight: cg * kh * kw }[kind];
  variant.vec4Out =
    override.vec4Out ?? (plane % 4 === 0 && views.out.offset % 4 === 0 && variant.cols % 4 === 0);
  const tilesX = Math.ceil(nc / variant.cols);
  const tilesY = Math.ceil(m / (variant.width * variant.groups * variant.rows));
  const split =
    kind === 'weight'
      ? (override.chunks ??
        Math.min(n, Math.max(1, Math.ceil(weightGradientTiles / (tilesX * tilesY * groupCount)))))
      : 1;
  const chunkN = Math.ceil(n / split);
  const chunks = Math.ceil(n / chunkN);
  const tiles = tilesX * tilesY * groupCount * chunks;

  const meta = new Int32Array(convMeta.length);
  const set = (name: keyof typeof convMeta, value: number) => {
    meta[convMeta[name]] = value;
  };
  set('M', m);
  set('NC', nc);
  set('tilesX', tilesX);
  set('tilesY', tilesY);
  set('tiles', tiles);
  set('chunks', chunks);
  for (const [name, value] of Object.entries({ N: n, C: c, H: h, W: w, O: o, OH: oh, OW: ow })) {
    set(name as keyof typeof convMeta, value);
  }
  set('kh', kh);
  set('kw', kw);
  set('sh', geometry.stride[0]);
  set('sw', geometry.stride[1]);
  set('ph', geometry.padding[0]);
  set('pw', geometry.padding[1]);
  set('dh', geometry.dilation[0]);
  set('dw', geometry.dilation[1]);
  set('Cg', cg);
  set('Og', og);
  set('chunkN', chunkN);
  set('xOffset', variant.x4 && kind !== 'weight' ? 0 : views.x.offset);
  set('yOffset', views.y.offset);
  // Partial sums go to a scratch buffer of their own, from 0.
  set('outOffset', chunks > 1 ? 0 : views.out.offset);
  return {
    key: convVariantKey(variant),
    shader: () => convShader(variant),
    meta,
    workgroups: spreadGrid(tiles, target.maxWorkgroups ?? 65535, 'conv2d'),
    variant,
    chunks,
  };
}

/**
 * The weight as an x4 kernel reads it, as a strided view of the weight [O, C/g, kh, kw]
 * to be copied into a contiguous buffer: [O, kh * kw, C/g] for the forward pass (inner
 * loop over input channels), [g, C/g, kh * kw, O/g] for the input gradient (over output
 * channels).
 */
export function relaidWeight(kind: 'forward' | 'input', weight: View, groups: number): View {
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  const taps = kh * kw;
  const og = o / groups;
  return kind === 'forward'
    ? { ...weight, shape: [o, taps, cg], strides: [cg * taps, 1, taps] }
    : {
        ...weight,
        shape: [groups, cg, taps, og],
        strides: [og * cg * taps, taps, 1, cg * taps],
      };
}
