// Pooling: max pooling as a backend kernel (values and indices, and the gradient through
// the indices), average pooling as a reduction over each window, and adaptive pooling to a
// fixed output size.

import { noGrad } from '@dl/autograd';
import type { WindowGeometry } from '../backend.js';
import { isFloating } from '../dtype.js';
import { emptyTensor, record, viewDescriptor } from '../internal.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arange, fromValues, zerosLike } from './creation.js';
import { where } from './elementwise.js';
import { geometryFor, type Pair, pair, unfold } from './window.js';

/**
 * The window options of max pooling, as torch.nn.functional.max_pool2d's: stride the kernel size,
 * padding 0, dilation 1, ceilMode false (floor the output size) by default.
 */
export interface PoolOptions {
  /** Defaults to the kernel size. */
  stride?: Pair | null;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

function batchedInput(x: Tensor, op: string): Tensor {
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new Error(`${op}: expected 3-d or 4-d input, got ${formatShape(x.shape)}`);
  return x.ndim === 4 ? x : x.unsqueeze(0);
}

/** The windows of pooling batched input [N, C, H, W] with PyTorch's checks. */
function poolGeometry(
  input: Tensor,
  kernelSize: Pair,
  options: PoolOptions,
  padValue: number,
  op: string,
): WindowGeometry {
  const kernel = pair(kernelSize, 'kernelSize', op);
  const stride = pair(options.stride ?? kernel, 'stride', op);
  const padding = pair(options.padding ?? 0, 'padding', op);
  const dilation = pair(options.dilation ?? 1, 'dilation', op);
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new Error(
      `${op}: pad should be at most half of effective kernel size, but got pad=${padding.join('x')} and kernel=${kernel.join('x')}`,
    );
  }
  const [, , h, w] = input.shape as [number, number, number, number];
  return geometryFor(
    h,
    w,
    { kernel, stride, padding, dilation, ceilMode: options.ceilMode ?? false, padValue },
    op,
  );
}

function windows(x: Tensor, kernelSize: Pair, options: PoolOptions, padValue: number, op: string) {
  const input = batchedInput(x, op);
  const geometry = poolGeometry(input, kernelSize, options, padValue, op);
  const { kernel, stride, padding, dilation } = geometry;
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const [oh, ow] = geometry.outSize;
  const cols = unfold(input, geometry).reshape([n, c, kernel[0] * kernel[1], oh * ow]);
  return { cols, n, c, h, w, oh, ow, kernel, stride, padding, dilation };
}

/** The maxima of maxPool2dWithIndices and where each was found. */
export interface MaxPoolResult {
  values: Tensor;
  /** Flat indices into each input plane (h * W + w), as PyTorch's return_indices. */
  indices: Tensor;
}

/** Max pooling as maxPool2d, returning the indices too: `{ values, indices }`. */
export function maxPool2dWithIndices(
  x: Tensor,
  kernelSize: Pair,
  options: PoolOptions = {},
): MaxPoolResult {
  const op = 'maxPool2d';
  const input = batchedInput(x, op);
  const geometry = poolGeometry(input, kernelSize, options, -Infinity, op);
  if (!isFloating(input.dtype)) return unfoldedMaxPool(x, input, geometry);
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const shape = [n, c, ...geometry.outSize];
  const source = input.contiguous();
  const values = emptyTensor(shape, input.dtype, input.device);
  const indices = emptyTensor(shape, 'int32', input.device);
  if (values.numel() > 0) {
    input.device.maxPool2d(
      viewDescriptor(source, 'maxPool2d'),
      geometry,
      viewDescriptor(values, 'maxPool2d'),
      viewDescriptor(indices, 'maxPool2d'),
    );
  }
  const result = {
    values: record(
      values,
      'MaxPool2DWithIndices',
      [input],
      (gy) => [maxPoolBackward(gy, indices, geometry, [h, w])],
      [indices],
    ),
    indices,
  };
  return x.ndim === 4
    ? result
    : { values: result.values.squeeze(0), indices: result.indices.squeeze(0) };
}

/** dx [N, C, H, W] of max pooling from gy [N, C, oh, ow]: linear in gy. */
function maxPoolBackward(
  gy: Tensor,
  indices: Tensor,
  geometry: WindowGeometry,
  size: readonly [number, number],
): Tensor {
  const grad = gy.contiguous();
  const [n, c] = grad.shape as [number, number];
  const out = emptyTensor([n, c, ...size], grad.dtype, grad.device);
  if (out.numel() > 0) {
    if (grad.numel() === 0) out.zero_();
    else
      grad.device.maxPool2dBackward(
        viewDescriptor(grad, 'maxPool2d (backward)'),
        viewDescriptor(indices, 'maxPool2d (backward)'),
        geometry,
        viewDescriptor(out, 'maxPool2d (backward)'),
      );
  }
  // The adjoint of adding each gy at its index is reading g2 at those indices; a window of
  // padding only names a position past its plane and added nothing, so it reads 0.
  return record(
    out,
    'MaxPool2DWithIndicesBackward',
    [gy],
    (g2) => {
      const plane = size[0] * size[1];
      if (plane === 0) return [zerosLike(gy)];
      const at = indices.reshape([n, c, -1]);
      const inside = at.ge(0).logicalAnd(at.lt(plane));
      const read = g2.reshape([n, c, plane]).gather(2, at.clamp(0, plane - 1));
      return [where(inside, read, 0).reshape(gy.shape)];
    },
    [indices],
  );
}

/** Max pooling of a non-floating input: the windows unfolded, then a max over each. */
function unfoldedMaxPool(x: Tensor, input: Tensor, geometry: WindowGeometry): MaxPoolResult {
  const [n, c, , w] = input.shape as [number, number, number, number];
  const { kernel, stride, padding, dilation } = geometry;
  const [oh, ow] = geometry.outSize;
  const cols = unfold(input, geometry).reshape([n, c, kernel[0] * kernel[1], oh * ow]);
  const { values, indices: inWindow } = cols.max(2);
  // Window position (i, j) of output (y, x) reads input row y*s - p + i*d, column likewise.
  const device = x.device;
  const rowBase = arange(oh, undefined, 1, { device })
    .mul(stride[0])
    .sub(padding[0])
    .reshape([oh, 1])
    .expand([oh, ow])
    .reshape([oh * ow]);
  const colBase = arange(ow, undefined, 1, { device })
    .mul(stride[1])
    .sub(padding[1])
    .reshape([1, ow])
    .expand([oh, ow])
    .reshape([oh * ow]);
  const row = rowBase.add(inWindow.div(kernel[1], { roundingMode: 'floor' }).mul(dilation[0]));
  const col = colBase.add(inWindow.remainder(kernel[1]).mul(dilation[1]));
  // PyTorch starts each window's search at its first position that is not left or above the
  // input and moves only to larger values: a window with nothing above -Infinity reports that
  // start, not a padded position.
  const starts = new Int32Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let xo = 0; xo < ow; xo++) {
      let r = y * stride[0] - padding[0];
      let q = xo * stride[1] - padding[1];
      while (r < 0) r += dilation[0];
      while (q < 0) q += dilation[1];
      starts[y * ow + xo] = r * w + q;
    }
  }
  const indices = where(
    values.eq(-Infinity),
    fromValues(starts, [oh * ow], 'int32', { device }),
    row.mul(w).add(col),
  );
  const shape = [n, c, oh, ow];
  const result = { values: values.reshape(shape), indices: indices.reshape(shape) };
  return x.ndim === 4
    ? result
    : { values: result.values.squeeze(0), indices: result.indices.squeeze(0) };
}

/**
 * Windows that tile the input exactly (stride = kernel, no padding or dilation, sizes
 * divisible): [N, C, H, W] viewed as [N, C, H/kh, kh, W/kw, kw], reduced over dims 3 and 5
 * in place, with no unfolded copy. Undefined for other geometries.
 */
function tiledWindows(x: Tensor, kernelSize: Pair, options: PoolOptions): Tensor | undefined {
  const [kh, kw] = pair(kernelSize, 'kernelSize', 'pool');
  const [sh, sw] = pair(options.stride ?? kernelSize, 'stride', 'pool');
  const [ph, pw] = pair(options.padding ?? 0, 'padding', 'pool');
  const [dh, dw] = pair(options.dilation ?? 1, 'dilation', 'pool');
  if (x.ndim !== 4 || kh !== sh || kw !== sw || ph !== 0 || pw !== 0 || dh !== 1 || dw !== 1)
    return undefined;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (h % kh !== 0 || w % kw !== 0 || h === 0 || w === 0) return undefined;
  return x.reshape([n, c, h / kh, kh, w / kw, kw]);
}

/** Options of maxPool2d: the window options and returnIndices. */
export interface MaxPoolOptions extends PoolOptions {
  /**
   * Also return, for each maximum, its flat index in its input plane (h * W + w, int32), as
   * PyTorch's return_indices: the result is then [values, indices].
   */
  returnIndices?: boolean;
}

/** Max pooling over [N, C, H, W] (or [C, H, W]) windows, as torch.nn.functional.max_pool2d. */
export function maxPool2d(
  x: Tensor,
  kernelSize: Pair,
  options?: MaxPoolOptions & { returnIndices?: false },
): Tensor;
export function maxPool2d(
  x: Tensor,
  kernelSize: Pair,
  options: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool2d(
  x: Tensor,
  kernelSize: Pair,
  options?: MaxPoolOptions,
): Tensor | [Tensor, Tensor];
export function maxPool2d(
  x: Tensor,
  kernelSize: Pair,
  options: MaxPoolOptions = {},
): Tensor | [Tensor, Tensor] {
  const { returnIndices, ...pool } = options;
  if (returnIndices) {
    const { values, indices } = maxPool2dWithIndices(x, kernelSize, pool);
    return [values, indices];
  }
  return maxPool2dValues(x, kernelSize, pool);
}

function maxPool2dValues(x: Tensor, kernelSize: Pair, options: PoolOptions): Tensor {
  if (isFloating(x.dtype)) {
    const { values, indices } = maxPool2dWithIndices(x, kernelSize, options);
    // Without a graph nothing reads the indices again: their bytes go back at once.
    if (!values.requiresGrad) indices.dispose();
    return values;
  }
  const tiled = tiledWindows(x, kernelSize, options);
  if (tiled) return tiled.amax([3, 5]);
  const { cols, n, c, oh, ow } = windows(x, kernelSize, options, -Infinity, 'maxPool2d');
  const out = cols.amax(2).reshape([n, c, oh, ow]);
  return x.ndim === 4 ? out : out.squeeze(0);
}

/**
 * Options of avgPool2d, as torch.nn.functional.avg_pool2d's (no dilation); `divisorOverride`
 * replaces the window size as the divisor.
 */
export interface AvgPoolOptions extends Omit<PoolOptions, 'dilation'> {
  /** Count padded zeros in the divisor (default true). */
  countIncludePad?: boolean;
  divisorOverride?: number;
}

/** Average pooling over [N, C, H, W] (or [C, H, W]) windows, as torch.nn.functional.avg_pool2d. */
export function avgPool2d(x: Tensor, kernelSize: Pair, options: AvgPoolOptions = {}): Tensor {
  const tiled =
    x.dtype === 'float32' || x.dtype === 'float64'
      ? tiledWindows(x, kernelSize, options)
      : undefined;
  if (tiled && options.divisorOverride === undefined) return tiled.mean([3, 5]);
  const { cols, n, c, h, w, oh, ow, kernel, stride, padding } = windows(
    x,
    kernelSize,
    options,
    0,
    'avgPool2d',
  );
  const sums = cols.sum(2); // [N, C, L]
  let divisor: Tensor | number;
  if (options.divisorOverride !== undefined) {
    if (options.divisorOverride === 0)
      throw new Error('avgPool2d: divisorOverride must not be zero');
    divisor = options.divisorOverride;
  } else {
    // Each window counts the cells inside the padded input (or the input itself), as PyTorch.
    const counts = new Float32Array(oh * ow);
    const includePad = options.countIncludePad ?? true;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        const r0 = y * stride[0] - padding[0];
        const c0 = xo * stride[1] - padding[1];
        const [lo0, hi0, lo1, hi1] = includePad
          ? [-padding[0], h + padding[0], -padding[1], w + padding[1]]
          : [0, h, 0, w];
        const rows = Math.min(r0 + kernel[0], hi0) - Math.max(r0, lo0);
        const colsIn = Math.min(c0 + kernel[1], hi1) - Math.max(c0, lo1);
        counts[y * ow + xo] = Math.max(0, rows) * Math.max(0, colsIn);
      }
    }
    divisor = fromValues(counts, [oh * ow], 'float32', { device: x.device });
  }
  const out = sums.div(divisor).reshape([n, c, oh, ow]);
  return x.ndim === 4 ? out : out.squeeze(0);
}

/** The averaging matrix [out, in] of adaptive pooling along one dim (PyTorch's window bounds). */
function adaptiveMatrix(inSize: number, outSize: number, like: Tensor): Tensor {
  // In the input's precision: 1/3 in float32 would cost a float64 input its accuracy.
  const dtype = like.dtype === 'float64' ? 'float64' : 'float32';
  const values = new (dtype === 'float64' ? Float64Array : Float32Array)(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = start; j < end; j++) values[i * inSize + j] = 1 / (end - start);
  }
  return fromValues(values, [outSize, inSize], dtype, { device: like.device });
}

/** An adaptive pooling output size: one for both dims, or a pair (null keeps that dim). */
export type AdaptiveSize = Pair | readonly [number | null, number | null];

function outputSize(x: Tensor, size: AdaptiveSize, op: string): [number, number] {
  const [h, w] = [x.shape[x.ndim - 2]!, x.shape[x.ndim - 1]!];
  const [oh, ow] = typeof size === 'number' ? [size, size] : size;
  const result: [number, number] = [oh ?? h, ow ?? w];
  if (result.some((s) => !Number.isInteger(s) || s <= 0))
    throw new Error(`${op}: output size must be positive integers, got ${String(size)}`);
  return result;
}

/** Average pooling to a fixed output size: P_h · x · P_wᵀ with averaging matrices. */
export function adaptiveAvgPool2d(x: Tensor, size: AdaptiveSize): Tensor {
  const input = batchedInput(x, 'adaptiveAvgPool2d');
  const [oh, ow] = outputSize(input, size, 'adaptiveAvgPool2d');
  const [h, w] = [input.shape[2]!, input.shape[3]!];
  const ph = adaptiveMatrix(h, oh, input);
  const pw = adaptiveMatrix(w, ow, input);
  const out = ph.matmul(input).matmul(pw.t());
  return x.ndim === 4 ? out : out.squeeze(0);
}

/** Options of adaptiveMaxPool2d. */
export interface AdaptiveMaxPoolOptions {
  /**
   * Also return, for each maximum, its flat index in its input plane (h * W + w, int32), as
   * PyTorch's return_indices: the result is then [values, indices].
   */
  returnIndices?: boolean;
}

/** Max pooling to a fixed output size (null keeps that dim), with PyTorch's window bounds. */
export function adaptiveMaxPool2d(
  x: Tensor,
  size: AdaptiveSize,
  options?: AdaptiveMaxPoolOptions & { returnIndices?: false },
): Tensor;
export function adaptiveMaxPool2d(
  x: Tensor,
  size: AdaptiveSize,
  options: AdaptiveMaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function adaptiveMaxPool2d(
  x: Tensor,
  size: AdaptiveSize,
  options?: AdaptiveMaxPoolOptions,
): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool2d(
  x: Tensor,
  size: AdaptiveSize,
  options: AdaptiveMaxPoolOptions = {},
): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool2d';
  const input = batchedInput(x, op);
  const [oh, ow] = outputSize(input, size, op);
  const [, c, h, w] = input.shape as [number, number, number, number];
  if (c === 0 || h === 0 || w === 0) {
    throw new Error(
      `${op}: expected input to have non-zero size for non-batch dimensions, but input has sizes ${formatShape(x.shape)}`,
    );
  }
  let { values, indices } =
    h % oh === 0 && w % ow === 0
      ? maxPool2dWithIndices(input, [h / oh, w / ow])
      : unevenMaxPool(input, oh, ow);
  if (x.ndim === 3) [values, indices] = [values.squeeze(0), indices.squeeze(0)];
  return options.returnIndices ? [values, indices] : values;
}

/**
 * Adaptive max pooling whose windows differ in size. Each output gathers the positions of its
 * window in row-major order, a shorter window padded by repeating its last position (which
 * changes neither the maximum nor where PyTorch finds it: the first of equal values, the last
 * NaN). The values are then gathered at the chosen positions, so the gradient of each output
 * goes to its one position, as in PyTorch.
 */
function unevenMaxPool(input: Tensor, oh: number, ow: number): MaxPoolResult {
  const [n, c, h, w] = input.shape as [number, number, number, number];
  // Window i of `out` along a dim of `size`: [floor(i size / out), ceil((i + 1) size / out)).
  const bounds = (i: number, size: number, out: number): [number, number] => [
    Math.floor((i * size) / out),
    Math.ceil(((i + 1) * size) / out),
  ];
  const longest = (size: number, out: number) =>
    Math.max(...Array.from({ length: out }, (_, i) => bounds(i, size, out)).map(([a, b]) => b - a));
  const k = longest(h, oh) * longest(w, ow);
  const positions = new Int32Array(oh * ow * k);
  for (let i = 0; i < oh; i++) {
    const [r0, r1] = bounds(i, h, oh);
    for (let j = 0; j < ow; j++) {
      const [c0, c1] = bounds(j, w, ow);
      let at = (i * ow + j) * k;
      const end = at + k;
      for (let r = r0; r < r1; r++) for (let q = c0; q < c1; q++) positions[at++] = r * w + q;
      positions.fill(positions[at - 1]!, at, end);
    }
  }
  const cells = oh * ow;
  const device = input.device;
  const flat = input.reshape([n, c, h * w]);
  const indices = noGrad(() => {
    const table = fromValues(positions, [1, 1, cells, k], 'int32', { device });
    const windows = flat
      .gather(2, table.reshape([1, 1, cells * k]).expand([n, c, cells * k]))
      .reshape([n, c, cells, k]);
    // argmax finds the first maximum, and the first NaN; PyTorch reports the last NaN.
    const order = arange(k, undefined, 1, { device, dtype: 'int32' });
    const lastNaN = where(windows.isnan(), order, -1).amax(3);
    const chosen = where(lastNaN.ge(0), lastNaN, windows.argmax(3));
    return table.expand([n, c, cells, k]).gather(3, chosen.unsqueeze(3)).squeeze(3);
  });
  const values = flat.gather(2, indices).reshape([n, c, oh, ow]);
  return { values, indices: indices.reshape([n, c, oh, ow]) };
}
