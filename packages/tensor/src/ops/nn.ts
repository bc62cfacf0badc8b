// Neural-network ops that are not convolution, pooling or normalisation: softmax and
// log-softmax (a backend kernel, with their own derivatives), embedding, dropout,
// interpolation, attention.

import { noGrad } from '@dl/autograd';
import { isFloating } from '../dtype.js';
import { checkTensor, emptyTensor, record, viewDescriptor } from '../internal.js';
import type { Generator } from '../random.js';
import { formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromValues, ones, rand } from './creation.js';
import { where } from './elementwise.js';
import { indexSelect } from './indexing.js';
import { matmul } from './linalg.js';

/**
 * softmax or logSoftmax of x along `axis`, without a graph: one backend kernel along the last
 * dim of a floating tensor (moved there and back for another dim), else the composition.
 */
function softmaxValues(x: Tensor, axis: number, log: boolean): Tensor {
  return noGrad(() => {
    if (isFloating(x.dtype) && x.numel() > 0) {
      const last = axis === x.ndim - 1 || x.ndim === 0;
      const input = (last ? x : x.movedim(axis, -1)).contiguous();
      const out = emptyTensor(input.shape, input.dtype, input.device);
      input.device.softmax(
        viewDescriptor(input, log ? 'logSoftmax' : 'softmax'),
        log,
        viewDescriptor(out, log ? 'logSoftmax' : 'softmax'),
      );
      return last ? out : out.movedim(-1, axis);
    }
    const shifted = x.sub(x.amax(axis, true));
    if (log) return shifted.sub(shifted.exp().sum(axis, true).log());
    const e = shifted.exp();
    return e.div(e.sum(axis, true));
  });
}

/**
 * softmax along `dim`. The function calls the Tensor method, so that whatever watches
 * Tensor methods (the ONNX exporter's tracer) sees one softmax.
 */
export function softmax(x: Tensor, dim: number | { dim: number }): Tensor {
  checkTensor('softmax', x, 'input');
  return x.softmax(dim);
}

/** logSoftmax along `dim`, through the Tensor method as softmax. */
export function logSoftmax(x: Tensor, dim: number | { dim: number }): Tensor {
  checkTensor('logSoftmax', x, 'input');
  return x.logSoftmax(dim);
}

/** Tensor.softmax. */
export function softmaxOf(x: Tensor, dim: number): Tensor {
  const axis = normalizeDim(dim, x.ndim, 'softmax');
  const y = softmaxValues(x, axis, false);
  return record(y, 'Softmax', [x], (g) => [y.mul(g.sub(g.mul(y).sum(axis, true)))], [y]);
}

/** Tensor.logSoftmax. */
export function logSoftmaxOf(x: Tensor, dim: number): Tensor {
  const axis = normalizeDim(dim, x.ndim, 'logSoftmax');
  const y = softmaxValues(x, axis, true);
  return record(y, 'LogSoftmax', [x], (g) => [g.sub(y.exp().mul(g.sum(axis, true)))], [y]);
}

/** Rows of `weight` [num, dim] picked by int32 `indices`; paddingIdx's row gets no gradient. */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  if (indices.dtype !== 'int32')
    throw new TypeError(
      `embedding: expected int32 indices, got ${indices.dtype} (numbers become float32 tensors: write tensor([...], { dtype: 'int32' }))`,
    );
  if (weight.ndim !== 2)
    throw new Error(
      `embedding: weight must be 2-d [num_embeddings, embedding_dim], got ${formatShape(weight.shape)}`,
    );
  const rows = indexSelect(weight, 0, indices.flatten(), {
    outOfRange: (index, size) =>
      `embedding: index ${index} is out of range for ${size} embeddings (num_embeddings)`,
  });
  let out = rows.reshape([...indices.shape, weight.shape[1]!]);
  if (paddingIdx !== undefined && paddingIdx !== null) {
    const count = weight.shape[0]!;
    if (!Number.isInteger(paddingIdx) || paddingIdx < -count || paddingIdx >= count) {
      throw new RangeError(
        `embedding: paddingIdx must be within num_embeddings (${count}), got ${paddingIdx}`,
      );
    }
    const padding = paddingIdx < 0 ? paddingIdx + count : paddingIdx;
    // Same values either way; only the gradient is cut where the index is the padding one.
    out = where(indices.ne(padding).unsqueeze(-1), out, out.detach());
  }
  return out;
}

/**
 * Options of dropout and dropout2d: `training` (default true; false returns the input) and the
 * Generator to draw from.
 */
export interface DropoutOptions {
  training?: boolean;
  generator?: Generator;
}

function checkP(p: number, op: string): void {
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
}

/** Zeroes elements with probability p and scales the rest by 1 / (1 - p) while training. */
export function dropout(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  checkP(p, 'dropout');
  if (!(options.training ?? true) || p === 0) return x;
  if (p === 1) return x.mul(0);
  return x.mul(keepMask(x.shape, p, x, options));
}

/**
 * 1 / (1 - p) where kept (probability 1 - p), else 0, in x's dtype. Multiplying by it, as
 * PyTorch does, keeps a NaN in x a NaN.
 */
function keepMask(shape: readonly number[], p: number, x: Tensor, options: DropoutOptions): Tensor {
  const draws = rand(shape, { device: x.device, generator: options.generator });
  return draws
    .ge(p)
    .to(x.dtype)
    .mul(1 / (1 - p));
}

/** Zeroes whole channels of [N, C, ...] with probability p while training. */
export function dropout2d(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  checkP(p, 'dropout2d');
  if (!(options.training ?? true) || p === 0) return x;
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new Error(
      `dropout2d: expected a 3-d (unbatched [C, H, W]) or 4-d ([N, C, H, W]) input, got ${formatShape(x.shape)}`,
    );
  }
  if (p === 1) return x.mul(0);
  // One draw per channel: [N, C, 1, 1], or [C, 1, 1] unbatched.
  const channelShape = x.shape.map((d, i) => (i < x.ndim - 2 ? d : 1));
  return x.mul(keepMask(channelShape, p, x, options));
}

/** How interpolate maps output positions to input positions. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear';

/**
 * Options of interpolate, as torch.nn.functional.interpolate's: the output `size`, or a
 * `scaleFactor` for each spatial dim (one of the two).
 */
export interface InterpolateOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  /**
   * 'nearest' (the default: PyTorch's source index floor(i · scale)), 'nearest-exact' (the
   * input pixel whose centre is nearest: floor((i + 0.5) · scale)), 'linear' (for [N, C, W])
   * or 'bilinear' (for [N, C, H, W]).
   */
  mode?: InterpolateMode;
  /** Linear modes only: map the corner pixels' centres onto each other (default false). */
  alignCorners?: boolean;
}

/** The spatial dims each mode takes (null: any number). */
const modeSpatialDims: Record<InterpolateMode, number | null> = {
  nearest: null,
  'nearest-exact': null,
  linear: 1,
  bilinear: 2,
};

/** Every option of interpolate: any other key (a typo, or PyTorch's antialias) is refused. */
const interpolateOptionNames: Record<keyof InterpolateOptions, true> = {
  size: true,
  scaleFactor: true,
  mode: true,
  alignCorners: true,
};

function isMode(mode: string): mode is InterpolateMode {
  return Object.hasOwn(modeSpatialDims, mode);
}

/** Resizes the spatial dims of [N, C, ...] by nearest-neighbour or (bi)linear interpolation. */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(interpolateOptionNames, key)) {
      throw new TypeError(
        `interpolate: unknown option '${key}' (options: ${Object.keys(interpolateOptionNames).join(', ')})`,
      );
    }
  }
  const spatial = x.ndim - 2;
  if (spatial < 1)
    throw new Error(`interpolate: expected [N, C, ...] input, got ${formatShape(x.shape)}`);
  const mode: string = options.mode ?? 'nearest';
  if (!isMode(mode)) {
    throw new Error(
      `interpolate: unknown mode '${mode}' (modes: ${Object.keys(modeSpatialDims)
        .map((m) => `'${m}'`)
        .join(', ')})`,
    );
  }
  const inSizes = x.shape.slice(2);
  const expand = (v: number | readonly number[]) =>
    typeof v === 'number' ? inSizes.map(() => v) : [...v];
  if (options.size !== undefined && options.scaleFactor !== undefined) {
    throw new Error('interpolate: only one of size or scaleFactor should be defined');
  }
  const linear = modeSpatialDims[mode] !== null;
  if (!linear && options.alignCorners !== undefined) {
    throw new Error(
      'interpolate: the alignCorners option can only be set with the interpolating modes: linear | bilinear',
    );
  }
  let outSizes: number[];
  let scales: number[] | undefined;
  if (options.size !== undefined) {
    outSizes = expand(options.size);
    if (outSizes.length !== spatial)
      throw new Error(
        `interpolate: expected ${spatial} output sizes for input ${formatShape(x.shape)}, got ${outSizes.length}`,
      );
  } else if (options.scaleFactor !== undefined) {
    scales = expand(options.scaleFactor);
    if (scales.length !== spatial)
      throw new Error(
        `interpolate: expected ${spatial} scale factors for input ${formatShape(x.shape)}, got ${scales.length}`,
      );
    if (scales.some((f) => !(Number.isFinite(f) && f > 0)))
      throw new RangeError(
        `interpolate: scale factors must be positive and finite, got [${scales.join(', ')}]`,
      );
    outSizes = inSizes.map((d, i) => Math.floor(d * scales![i]!));
  } else throw new Error('interpolate: either size or scaleFactor should be defined');
  if (outSizes.some((d) => !Number.isInteger(d) || d <= 0) || inSizes.some((d) => d <= 0)) {
    throw new RangeError(
      `interpolate: input and output sizes should be positive integers, but got input ${formatShape(inSizes)} and output [${outSizes.join(', ')}]`,
    );
  }
  const dims = modeSpatialDims[mode];
  if (dims !== null && spatial !== dims) {
    throw new Error(`interpolate: mode '${mode}' expects ${dims + 2}-d input, got ${x.ndim}-d`);
  }
  let y = x;
  for (let i = 0; i < spatial; i++) {
    const dim = 2 + i;
    const inSize = inSizes[i]!;
    const outSize = outSizes[i]!;
    // PyTorch uses the given scale factor (not the size ratio) to map coordinates.
    const scale = scales ? 1 / scales[i]! : inSize / outSize;
    if (!linear) y = nearestAlong(y, dim, inSize, outSize, scale, mode === 'nearest-exact');
    // PyTorch's linear kernels copy a dim whose size does not change, whatever the scale factor.
    else if (inSize !== outSize)
      y = linearAlong(y, dim, inSize, outSize, scale, options.alignCorners ?? false);
  }
  return y;
}

/**
 * PyTorch's nearest source index, floor(i · scale) ('nearest') or floor((i + 0.5) · scale)
 * ('nearest-exact'), with the product rounded to float32 before the floor as PyTorch's
 * floorf does: the rounding decides the index (1 / 0.3 is 3.3333333 in float32, and 3 times
 * that is 10.0).
 */
function nearestAlong(
  x: Tensor,
  dim: number,
  inSize: number,
  outSize: number,
  scale: number,
  exact: boolean,
): Tensor {
  const positions = new Int32Array(outSize);
  const scale32 = Math.fround(scale);
  const offset = exact ? 0.5 : 0;
  for (let i = 0; i < outSize; i++)
    positions[i] = Math.min(inSize - 1, Math.floor(Math.fround((i + offset) * scale32)));
  return indexSelect(x, dim, fromValues(positions, [outSize], 'int32', { device: x.device }));
}

function linearAlong(
  x: Tensor,
  dim: number,
  inSize: number,
  outSize: number,
  scale: number,
  alignCorners: boolean,
): Tensor {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  // In the input's precision, so a float64 input keeps its accuracy.
  const dtype = x.dtype === 'float64' ? 'float64' : 'float32';
  const weight = new (dtype === 'float64' ? Float64Array : Float32Array)(outSize);
  for (let i = 0; i < outSize; i++) {
    let source = alignCorners
      ? outSize > 1
        ? (i * (inSize - 1)) / (outSize - 1)
        : 0
      : (i + 0.5) * scale - 0.5;
    source = Math.max(0, source);
    const l = Math.min(inSize - 1, Math.floor(source));
    lo[i] = l;
    hi[i] = Math.min(inSize - 1, l + 1);
    weight[i] = source - l;
  }
  const device = x.device;
  const shape = x.shape.map((_, d) => (d === dim ? outSize : 1));
  const w = fromValues(weight, [outSize], dtype, { device }).reshape(shape);
  const a = indexSelect(x, dim, fromValues(lo, [outSize], 'int32', { device }));
  const b = indexSelect(x, dim, fromValues(hi, [outSize], 'int32', { device }));
  return a.add(b.sub(a).mul(w));
}

/**
 * Options of scaledDotProductAttention, as torch.nn.functional.scaled_dot_product_attention's:
 * no mask, not causal, no dropout (dropoutP 0; applied while `training`, true by default).
 */
export interface AttentionOptions {
  /** Boolean (true = attend) or additive float mask, broadcast to [..., L, S]. */
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  /** Defaults to 1 / sqrt(E). */
  scale?: number;
  training?: boolean;
  generator?: Generator;
}

/** softmax(q kᵀ · scale + mask) v over [..., L, E] queries and [..., S, E] keys/values. */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2)
    throw new Error('scaledDotProductAttention: q, k and v need at least 2 dims [..., L, E]');
  const e = q.shape[q.ndim - 1]!;
  if (k.shape[k.ndim - 1] !== e) {
    throw new Error(
      `scaledDotProductAttention: query and key embedding sizes differ (${e} and ${k.shape[k.ndim - 1]})`,
    );
  }
  const scale = options.scale ?? 1 / Math.sqrt(e);
  let scores = matmul(q, k.transpose(-2, -1)).mul(scale);
  const l = q.shape[q.ndim - 2]!;
  const s = k.shape[k.ndim - 2]!;
  if (options.isCausal) {
    if (options.attnMask)
      throw new Error('scaledDotProductAttention: pass either attnMask or isCausal, not both');
    const causal = ones([l, s], { dtype: 'bool', device: q.device }).tril();
    scores = where(causal, scores, -Infinity);
  }
  if (options.attnMask) {
    scores =
      options.attnMask.dtype === 'bool'
        ? where(options.attnMask, scores, -Infinity)
        : scores.add(options.attnMask);
  }
  let weights = softmax(scores, -1);
  const p = options.dropoutP ?? 0;
  if (p > 0)
    weights = dropout(weights, p, {
      training: options.training ?? true,
      ...(options.generator ? { generator: options.generator } : {}),
    });
  return matmul(weights, v);
}
