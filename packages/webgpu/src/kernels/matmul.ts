// Batched matrix multiplication on WebGPU, out[b] = a[b] @ b[b], with strided operands and
// broadcast batch dims: the plan (which variant runs, on which grid, with which metadata).
// The WGSL of each variant is generated in matmul-wgsl.ts, which explains the kernel.
//
// The product is computed as out = X @ Y, where the invocations of a workgroup run along
// the rows of X (the "lane" operand) and share Y. X is a or b^T (then out^T = b^T a^T is
// computed), whichever reads better: planMatmul looks at the strides and shapes.

import type { DType, View } from '@dl/tensor';
import type { WebGPUDevice } from '../device.js';
import {
  type LaneLoad,
  type MatmulVariant,
  matmulVariantShader,
  type SharedLoad,
} from './matmul-wgsl.js';
import { checkedMeta } from './meta.js';
import { spreadGrid } from './wgsl.js';

export type { LaneLoad, MatmulVariant, SharedLoad } from './matmul-wgsl.js';

/** What the plan needs to know of the device. */
export interface MatmulTarget {
  /**
   * The smallest subgroup size the adapter uses, when it has the subgroups feature;
   * undefined without it. Y is broadcast within subgroups of 8 (or 4) lanes when present.
   */
  subgroupSize?: number | undefined;
  /** The device's maxComputeWorkgroupsPerDimension. */
  maxWorkgroups?: number;
}

/** Everything the backend needs to run one matmul. */
export interface MatmulProgram {
  /** Pipeline cache key: one per variant and dtypes. */
  key: string;
  /** Builds the WGSL source (called once per key). */
  shader: () => string;
  /** Bound at binding 0; the buffers are bound as [out, a, b] whatever the variant. */
  meta: Int32Array;
  workgroups: [number, number, number];
  variant: MatmulVariant;
}

/** Reads what planMatmul needs from a device. */
export function matmulTarget(
  device: Pick<WebGPUDevice, 'gpu' | 'features' | 'limits'>,
): MatmulTarget {
  const info: GPUAdapterInfo | undefined = device.gpu.adapterInfo;
  return {
    subgroupSize: device.features.has('subgroups') ? info?.subgroupMinSize : undefined,
    maxWorkgroups: device.limits.maxComputeWorkgroupsPerDimension,
  };
}

type Tile = Pick<MatmulVariant, 'groups' | 'rows' | 'cols'>;

/** The tiles and preferences for one subgroup width, measured by bench/tune-matmul*.ts. */
interface Tuning {
  /** Subgroups per workgroup, rows per invocation, columns per workgroup. */
  large: Tile;
  /** For products of fewer than `smallProduct` multiply-adds. */
  small: Tile;
  /** Relative speed of the ways of reading X. */
  laneSpeed: Record<LaneLoad, number>;
}

/**
 * Eight lanes: lavapipe (256-bit vectors). Four rows and 24 columns keep the x values and
 * one column's broadcasts in registers; more rows spill the x values, more columns grow the
 * unrolled loop out of the instruction cache. Four rows side by side (m4: one cache line
 * for eight lanes) read faster than four rows apart.
 * Four lanes: SwiftShader in Chromium (128-bit vectors), where eight rows do best.
 * Compiling the large tile's loop takes lavapipe one to four seconds (once per variant:
 * Mesa caches it on disk), so small products, where the tile matters little, get a small
 * tile that compiles in a quarter of a second.
 */
const tunings: Record<4 | 8, Tuning> = {
  8: {
    large: { groups: 2, rows: 4, cols: 24 },
    small: { groups: 1, rows: 1, cols: 8 },
    laneSpeed: { k4: 1, m4: 1.1, scalar: 0.8 },
  },
  4: {
    large: { groups: 2, rows: 8, cols: 24 },
    small: { groups: 1, rows: 2, cols: 8 },
    laneSpeed: { k4: 1, m4: 1, scalar: 0.8 },
  },
};

/** Products of fewer multiply-adds than this get the small tile. */
const smallProduct = 2 ** 20;

/** Relative speed of the ways of reading Y. */
const sharedSpeed: Record<SharedLoad, number> = { n4: 1, k4: 1, scalar: 0.9 };

/** The matrix part of a view: strides of its rows and columns, offset, batch strides. */
interface Operand {
  rowStride: number;
  colStride: number;
  offset: number;
  batchStrides: readonly number[];
  dtype: DType;
}

function operandOf(view: View, rank: number): Operand {
  const [rows, cols] = [view.shape[rank - 2]!, view.shape[rank - 1]!];
  // The stride of a dimension of size 1 is never used: 0 keeps it out of the layout tests.
  return {
    rowStride: rows === 1 ? 0 : view.strides[rank - 2]!,
    colStride: cols === 1 ? 0 : view.strides[rank - 1]!,
    offset: view.offset,
    batchStrides: view.strides.slice(0, rank - 2),
    dtype: view.dtype,
  };
}

function transposed(operand: Operand): Operand {
  return { ...operand, rowStride: operand.colStride, colStride: operand.rowStride };
}

/** True when vec4 loads along the contiguous dimension start on multiples of 4. */
function vec4Aligned(operand: Operand, otherStride: number): boolean {
  return (
    operand.dtype === 'float32' &&
    otherStride % 4 === 0 &&
    operand.offset % 4 === 0 &&
    operand.batchStrides.every((s) => s % 4 === 0)
  );
}

/** How X [M, K] is read: vec4s along K, vec4s of four rows, or scalars. */
function laneLoadFor(x: Operand, k: number): LaneLoad {
  if (x.colStride <= 1 && k % 4 === 0 && vec4Aligned(x, x.rowStride)) return 'k4';
  if (x.rowStride <= 1 && vec4Aligned(x, x.colStride)) return 'm4';
  return 'scalar';
}

/** How Y [K, N] is read: vec4s along N, vec4s along K, or scalars. */
function sharedLoadFor(y: Operand, n: number, k: number): SharedLoad {
  if (y.colStride <= 1 && n > 1 && vec4Aligned(y, y.rowStride)) return 'n4';
  if (y.rowStride <= 1 && k % 4 === 0 && vec4Aligned(y, y.colStride)) return 'k4';
  return 'scalar';
}

interface Orientation {
  swapped: boolean;
  x: Operand;
  y: Operand;
  out: Operand;
  rows: number;
  cols: number;
  variant: MatmulVariant;
  /** Estimated time relative to a perfectly filled grid of the fastest variant. */
  cost: number;
}

function orient(
  swapped: boolean,
  [a, b, out]: [Operand, Operand, Operand],
  [m, n, k]: [number, number, number],
  width: 4 | 8,
  broadcast: boolean,
  small: boolean,
  override: Partial<MatmulVariant>,
): Orientation {
  const [x, y, o] = swapped ? [transposed(b), transposed(a), transposed(out)] : [a, b, out];
  const [rows, cols] = swapped ? [n, m] : [m, n];
  const laneLoad = override.laneLoad ?? laneLoadFor(x, k);
  // Small outputs use fewer subgroups per workgroup, as long as the vec4 reads of rows
  // keep their fours.
  const tuning = tunings[width];
  const shape = small ? tuning.small : tuning.large;
  const pack = laneLoad === 'm4' ? 4 : 1;
  const rowsPerLane = Math.max(pack, shape.rows);
  const groups = Math.min(shape.groups, Math.ceil(rows / (width * rowsPerLane)));
  const sharedLoad = override.sharedLoad ?? sharedLoadFor(y, cols, k);
  const step = sharedLoad === 'n4' ? 4 : 1;
  const variant: MatmulVariant = {
    width,
    groups,
    rows: rowsPerLane,
    cols: Math.min(shape.cols, Math.ceil(cols / step) * step),
    laneLoad,
    sharedLoad,
    broadcast,
    ...override,
    swapped,
  };
  // Row packs of four need rows in fours; vec4s along N need columns in fours.
  if (variant.laneLoad === 'm4' && variant.rows % 4 !== 0) variant.laneLoad = 'scalar';
  if (variant.sharedLoad === 'n4' && variant.cols % 4 !== 0) variant.sharedLoad = 'scalar';
  const perGroup = variant.width * variant.groups * variant.rows;
  const waste =
    ((Math.ceil(rows / perGroup) * perGroup) / rows) *
    ((Math.ceil(cols / variant.cols) * variant.cols) / cols);
  const cost = waste / tuning.laneSpeed[variant.laneLoad] / sharedSpeed[variant.sharedLoad];
  return { swapped, x, y, out: o, rows, cols, variant, cost };
}

/**
 * Chooses the variant and builds the program for out = a @ b, with views as the backend
 * gets them: [...batch, M, K] @ [...batch, K, N] -> [...batch, M, N], batch dims broadcast
 * (stride 0). `override` fixes parts of the variant (for tuning and tests).
 */
export function planMatmul(
  a: View,
  b: View,
  out: View,
  target: MatmulTarget = {},
  override: Partial<MatmulVariant> = {},
): MatmulProgram {
  const rank = out.shape.length;
  const m = out.shape[rank - 2]!;
  const n = out.shape[rank - 1]!;
  const k = a.shape[rank - 1]!;
  const batch = out.shape.slice(0, rank - 2);
  const batchCount = batch.reduce((p, d) => p * d, 1);
  const operands: [Operand, Operand, Operand] = [
    operandOf(a, rank),
    operandOf(b, rank),
    operandOf(out, rank),
  ];
  const subgroupSize = target.subgroupSize ?? 0;
  const width = subgroupSize >= 8 || subgroupSize < 4 ? 8 : 4;
  const broadcast = subgroupSize >= width;
  const small = m * n * k * batchCount < smallProduct;
  const candidates = (override.swapped === undefined ? [false, true] : [override.swapped]).map(
    (swapped) => orient(swapped, operands, [m, n, k], width, broadcast, small, override),
  );
  const best = candidates.reduce((p, c) => (c.cost < p.cost ? c : p));
  const { variant } = best;

  const tilesX = Math.ceil(best.cols / variant.cols);
  const tilesY = Math.ceil(best.rows / (variant.width * variant.groups * variant.rows));
  const types = [a.dtype, b.dtype, out.dtype] as const;
  return {
    key: `matmul|${variantKey(variant)}|${types.join('|')}`,
    shader: () => matmulVariantShader(variant, ...types),
    meta: matmulMetaOf(best, k, batch, tilesX, tilesY),
    workgroups: spreadGrid(tilesX * tilesY * batchCount, target.maxWorkgroups ?? 65535, 'matmul'),
    variant,
  };
}

export function variantKey(v: MatmulVariant): string {
  const shape = `${v.width}x${v.groups}x${v.rows}x${v.cols}`;
  return `${shape}|${v.laneLoad}|${v.sharedLoad}|${v.swapped ? 'ba' : 'ab'}${v.broadcast ? '|bc' : ''}`;
}

/**
 * Metadata: [M, N, K, tilesX, tilesY, tiles, batchRank, batchShape[r], xStrides[r],
 * yStrides[r], outStrides[r], xRow, xCol, xOffset, yRow, yCol, yOffset, outRow, outCol,
 * outOffset], for X [M, K] and Y [K, N] as the kernel sees them (strides in elements).
 */
function matmulMetaOf(
  o: Pick<Orientation, 'x' | 'y' | 'out' | 'rows' | 'cols'>,
  k: number,
  batch: readonly number[],
  tilesX: number,
  tilesY: number,
): Int32Array {
  const tiles = tilesX * tilesY * batch.reduce((p, d) => p * d, 1);
  return checkedMeta([
    o.rows,
    o.cols,
    k,
    tilesX,
    tilesY,
    tiles,
    batch.length,
    ...batch,
    ...o.x.batchStrides,
    ...o.y.batchStrides,
    ...o.out.batchStrides,
    ...[o.x, o.y, o.out].flatMap((t) => [t.rowStride, t.colStride, t.offset]),
  ]);
}
