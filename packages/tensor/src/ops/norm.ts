// Normalisation: batch, layer and group norm, composed from reductions and elementwise ops.

import { noGrad } from '@dl/autograd';
import { formatShape, numelOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * Options of batchNorm, as torch.nn.functional.batch_norm's but training by default: no
 * affine weight or bias, momentum 0.1, eps 1e-5.
 */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Use the batch's statistics (and update the running ones) instead of the running ones. */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over [N, C, ...]: per channel, over the batch and spatial dims.
 * In training the running statistics are updated in place (unbiased variance), as PyTorch.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  if (x.ndim < 2)
    throw new Error(
      `batchNorm: expected at least a 2-d input [N, C, ...], got ${formatShape(x.shape)}`,
    );
  const c = x.shape[1]!;
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
  const channelShape = x.shape.map((_, i) => (i === 1 ? c : 1));
  for (const [name, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', options.weight],
    ['bias', options.bias],
  ] as const) {
    if (t && t.numel() !== c)
      throw new Error(
        `batchNorm: ${name} should have ${c} elements (one per channel), got ${formatShape(t.shape)}`,
      );
  }
  let mean: Tensor;
  let variance: Tensor;
  if (options.training ?? true) {
    const count = x.numel() / c;
    // PyTorch refuses exactly one value per channel; an empty batch gives an empty result.
    if (count === 1) {
      throw new Error(
        `batchNorm: expected more than 1 value per channel when training, got input size ${formatShape(x.shape)}`,
      );
    }
    mean = x.mean(dims, true);
    variance = x.sub(mean).square().mean(dims, true);
    // An empty batch has no statistics (its mean is NaN): the running ones stay as they are.
    if (runningMean && runningVar && count > 0) {
      noGrad(() => {
        runningMean.mul_(1 - momentum).add_(mean.detach().reshape([c]).mul(momentum));
        runningVar.mul_(1 - momentum).add_(
          variance
            .detach()
            .reshape([c])
            .mul((momentum * count) / (count - 1)),
        );
      });
    }
  } else {
    if (!runningMean || !runningVar)
      throw new Error('batchNorm: running statistics are required when not training');
    mean = runningMean.reshape(channelShape);
    variance = runningVar.reshape(channelShape);
  }
  let y = x.sub(mean).mul(variance.add(eps).rsqrt());
  if (options.weight) y = y.mul(options.weight.reshape(channelShape));
  if (options.bias) y = y.add(options.bias.reshape(channelShape));
  return y;
}

/** Normalises over the last dims given by `normalizedShape`. */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k > x.ndim || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new Error(
      `layerNorm: given normalized_shape=${formatShape(normalizedShape)}, expected input with shape [*, ${normalizedShape.join(', ')}], but got input of size ${formatShape(x.shape)}`,
    );
  }
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.ndim !== k || t.shape.some((d, i) => d !== normalizedShape[i]))) {
      throw new Error(
        `layerNorm: expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${formatShape(t.shape)} and normalized_shape = ${formatShape(normalizedShape)}`,
      );
    }
  }
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const mean = x.mean(dims, true);
  const variance = x.sub(mean).square().mean(dims, true);
  let y = x.sub(mean).mul(variance.add(eps).rsqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

/** Normalises [N, C, ...] over groups of C / numGroups channels (and the spatial dims). */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  if (x.ndim < 2)
    throw new Error(
      `groupNorm: expected at least a 2-d input [N, C, ...], got ${formatShape(x.shape)}`,
    );
  const [n, c] = x.shape as [number, number];
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new Error(
      `groupNorm: expected number of channels in input (${c}) to be divisible by num_groups (${numGroups})`,
    );
  }
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c)) {
      throw new Error(
        `groupNorm: expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape ${formatShape(t.shape)} and input of shape ${formatShape(x.shape)}`,
      );
    }
  }
  // The group size spelled out: -1 cannot be inferred from an empty batch.
  const groupSize = (c / numGroups) * numelOf(x.shape.slice(2));
  const grouped = x.reshape([n, numGroups, groupSize]);
  const mean = grouped.mean(2, true);
  const variance = grouped.sub(mean).square().mean(2, true);
  let y = grouped.sub(mean).mul(variance.add(eps).rsqrt()).reshape(x.shape);
  const channelShape = x.shape.map((_, i) => (i === 1 ? c : 1));
  if (weight) y = y.mul(weight.reshape(channelShape));
  if (bias) y = y.add(bias.reshape(channelShape));
  return y;
}
