// Loss functions with PyTorch's names, defaults and reductions ('mean' by default). Each is
// composed from tensor ops, so its gradient comes from autograd.

import {
  checkTensor,
  IndexError,
  logSoftmax,
  type OutOfRangeMessage,
  type Tensor,
  where,
} from '@dl/tensor';

/**
 * How a loss reduces its elementwise values: not at all, to their mean (the default) or to their
 * sum.
 */
export type Reduction = 'none' | 'mean' | 'sum';

/** Options of every loss: the reduction ('mean' by default). */
export interface LossOptions {
  reduction?: Reduction;
}

/** Options of the classification losses nllLoss and crossEntropy. */
export interface WeightedLossOptions extends LossOptions {
  /** A rescaling weight per class [C]. */
  weight?: Tensor | null;
  /** Target value that is ignored and does not count in the mean (default -100). */
  ignoreIndex?: number;
}

/** Options of crossEntropy: those of nllLoss, and label smoothing (0 by default). */
export interface CrossEntropyOptions extends WeightedLossOptions {
  /** Mixes the target with the uniform distribution: (1 - ε) target + ε / C. */
  labelSmoothing?: number;
}

const reductions: readonly string[] = ['none', 'mean', 'sum'];

function checkReduction(reduction: string, op: string, extra: readonly string[] = []): void {
  if (!reductions.includes(reduction) && !extra.includes(reduction)) {
    throw new Error(
      `${op}: ${reduction} is not a valid value for reduction (use ${[...reductions, ...extra].join(', ')})`,
    );
  }
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  return loss;
}

function checkSameShape(input: Tensor, target: Tensor, op: string): void {
  checkTensor(op, input, 'input');
  checkTensor(op, target, 'target');
  if (input.ndim !== target.ndim || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(
      `${op}: target size [${target.shape.join(', ')}] must be the same as input size [${input.shape.join(', ')}]`,
    );
  }
}

function pointwise(
  input: Tensor,
  target: Tensor,
  options: LossOptions,
  op: string,
  loss: (difference: Tensor) => Tensor,
): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, op);
  checkSameShape(input, target, op);
  return reduce(loss(input.sub(target)), reduction);
}

/**
 * The squared error (input - target)², reduced (torch.nn.functional.mse_loss). Input and target
 * must have the same shape.
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return pointwise(input, target, options, 'mseLoss', (d) => d.square());
}

/**
 * The absolute error |input - target|, reduced (torch.nn.functional.l1_loss). Input and target must
 * have the same shape.
 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return pointwise(input, target, options, 'l1Loss', (d) => d.abs());
}

/** 0.5 d² / beta where |d| < beta, else |d| - 0.5 beta (beta 0 gives the L1 loss). */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { beta?: number } = {},
): Tensor {
  const beta = options.beta ?? 1;
  if (!(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be >= 0, got ${beta}`);
  return pointwise(input, target, options, 'smoothL1Loss', (d) => {
    const a = d.abs();
    if (beta === 0) return a;
    return where(a.lt(beta), d.square().mul(0.5 / beta), a.sub(0.5 * beta));
  });
}

/** 0.5 d² where |d| <= delta, else delta (|d| - 0.5 delta). */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { delta?: number } = {},
): Tensor {
  const delta = options.delta ?? 1;
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be > 0, got ${delta}`);
  return pointwise(input, target, options, 'huberLoss', (d) => {
    const a = d.abs();
    return where(a.le(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta));
  });
}

/** The error of a class target outside [0, C), on every device. */
const targetOutOfRange =
  (op: string): OutOfRangeMessage =>
  (target, classes) =>
    `${op}: target ${target} is out of bounds for ${classes} classes`;

/** Checks class-index targets: shape [N, d...] for input [N, C, d...], int32, within [0, C). */
function checkClassTarget(input: Tensor, target: Tensor, ignoreIndex: number, op: string): void {
  if (target.dtype !== 'int32') {
    throw new TypeError(
      `${op}: expected class indices as an int32 target, got ${target.dtype} (numbers become float32 tensors: write tensor([...], { dtype: 'int32' }); for class probabilities, pass a float target of the input's shape)`,
    );
  }
  const expected = [input.shape[0]!, ...input.shape.slice(2)];
  if (target.ndim !== expected.length || target.shape.some((d, i) => d !== expected[i])) {
    throw new Error(
      `${op}: expected target of shape [${expected.join(', ')}] for input of shape [${input.shape.join(', ')}], got [${target.shape.join(', ')}]`,
    );
  }
  // Bounds are checked where the values can be read without waiting (the CPU).
  if (target.device.readSync) {
    const classes = input.shape[1]!;
    for (const t of target.dataSync()) {
      if (t !== ignoreIndex && (t < 0 || t >= classes))
        throw new IndexError(targetOutOfRange(op)(t, classes));
    }
  }
}

/** Batches an unbatched [C] input and scalar target. */
function batched(input: Tensor, target: Tensor, op: string): [Tensor, Tensor] {
  checkTensor(op, input, 'input');
  checkTensor(op, target, 'target');
  if (input.ndim === 0) throw new Error(`${op}: input must have at least one dim (classes)`);
  if (input.ndim === 1)
    return [input.unsqueeze(0), target.ndim === 0 ? target.unsqueeze(0) : target];
  return [input, target];
}

function checkWeight(weight: Tensor | null | undefined, classes: number, op: string): void {
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== classes)) {
    throw new Error(
      `${op}: weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: [${weight.shape.join(', ')}]`,
    );
  }
}

/**
 * The per-element losses -w[t] · x[n, t, ...] of class-index targets with their weights
 * (0 where ignored), shaped like the target.
 */
function pickTarget(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null | undefined,
  ignoreIndex: number,
  op: string,
): { loss: Tensor; weights: Tensor } {
  const keep = target.ne(ignoreIndex);
  const safe = where(keep, target, 0);
  // Off the CPU the targets were not checked: the kernel reports one out of range.
  const outOfRange = targetOutOfRange(op);
  const picked = input.gather(1, safe.unsqueeze(1), { outOfRange }).squeeze(1);
  const classWeight = weight
    ? weight.indexSelect(0, safe.flatten(), { outOfRange }).reshape(safe.shape)
    : keep.to(input.dtype);
  const weights = where(keep, classWeight, 0);
  // Ignored elements are cut out with where, not multiplied by a zero weight: when every
  // target is ignored, the mean divides by a total weight of 0 and its gradient is infinite,
  // and 0 · ∞ would make the input's gradient NaN where PyTorch's is 0.
  return { loss: where(keep, picked.mul(classWeight).neg(), 0), weights };
}

/** Negative log-likelihood of log-probabilities [N, C, d...] (or [C]) at int32 targets. */
export function nllLoss(input: Tensor, target: Tensor, options: WeightedLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const reduction = options.reduction ?? 'mean';
  const ignoreIndex = options.ignoreIndex ?? -100;
  checkReduction(reduction, op);
  const [x, t] = batched(input, target, op);
  checkClassTarget(x, t, ignoreIndex, op);
  checkWeight(options.weight, x.shape[1]!, op);
  const { loss, weights } = pickTarget(x, t, options.weight, ignoreIndex, op);
  if (reduction === 'mean') return loss.sum().div(weights.sum());
  if (reduction === 'sum') return loss.sum();
  return input.ndim === 1 ? loss.squeeze(0) : loss;
}

/**
 * logSoftmax over the class dim (1) followed by the NLL loss; the target holds int32 class
 * indices [N, d...] or float class probabilities shaped like the input.
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const op = 'crossEntropy';
  const reduction = options.reduction ?? 'mean';
  const ignoreIndex = options.ignoreIndex ?? -100;
  const smoothing = options.labelSmoothing ?? 0;
  checkReduction(reduction, op);
  if (!(smoothing >= 0 && smoothing <= 1))
    throw new RangeError(`${op}: labelSmoothing must be between 0.0 and 1.0, got ${smoothing}`);
  const [x, t] = batched(input, target, op);
  const classes = x.shape[1]!;
  checkWeight(options.weight, classes, op);
  const logp = logSoftmax(x, 1);
  const weightShape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const unbatch = (loss: Tensor) =>
    input.ndim === 1 && reduction === 'none' ? loss.squeeze(0) : loss;
  if (t.dtype !== 'int32') {
    const indexShape = [x.shape[0]!, ...x.shape.slice(2)];
    if (t.ndim === indexShape.length && t.shape.every((d, i) => d === indexShape[i])) {
      throw new TypeError(
        `${op}: a ${t.dtype} target of shape [${t.shape.join(', ')}] looks like class indices, which must be int32 (numbers become float32 tensors: write tensor([...], { dtype: 'int32' })); class probabilities need the input's shape [${x.shape.join(', ')}]`,
      );
    }
    checkSameShape(x, t, `${op} (class probabilities)`);
    let probabilities = t;
    if (smoothing > 0) probabilities = t.mul(1 - smoothing).add(smoothing / classes);
    let terms = logp.mul(probabilities);
    if (options.weight) terms = terms.mul(options.weight.reshape(weightShape));
    const loss = terms.sum(1).neg();
    if (reduction === 'mean') return loss.sum().div(x.numel() / classes);
    return unbatch(reduce(loss, reduction));
  }
  checkClassTarget(x, t, ignoreIndex, op);
  const { loss: nll, weights } = pickTarget(logp, t, options.weight, ignoreIndex, op);
  if (smoothing === 0) {
    if (reduction === 'mean') return nll.sum().div(weights.sum());
    return unbatch(reduce(nll, reduction));
  }
  // PyTorch's label smoothing: (1 - ε) NLL + ε / C · (the loss against a uniform target).
  const weighted = options.weight ? logp.mul(options.weight.reshape(weightShape)) : logp;
  const smooth = where(t.ne(ignoreIndex), weighted.sum(1).neg(), 0);
  if (reduction === 'mean') {
    const total = nll
      .sum()
      .mul(1 - smoothing)
      .add(smooth.sum().mul(smoothing / classes));
    return options.weight
      ? total.div(weights.sum())
      : total.div(t.ne(ignoreIndex).sum().to(x.dtype));
  }
  const loss = nll.mul(1 - smoothing).add(smooth.mul(smoothing / classes));
  return unbatch(reduce(loss, reduction));
}

/** -w (t log x + (1 - t) log(1 - x)) on probabilities x, logs clamped at -100 as PyTorch. */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { weight?: Tensor | null } = {},
): Tensor {
  const op = 'binaryCrossEntropy';
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, op);
  checkSameShape(input, target, op);
  if (input.device.readSync) {
    for (const v of input.dataSync())
      if (!(v >= 0 && v <= 1))
        throw new RangeError(`${op}: all elements of input should be between 0 and 1, got ${v}`);
  }
  const logX = input.log().clamp(-100);
  const log1mX = input.neg().add(1).log().clamp(-100);
  let loss = target.mul(logX).add(target.neg().add(1).mul(log1mX)).neg();
  if (options.weight) loss = loss.mul(options.weight);
  return reduce(loss, reduction);
}

/**
 * BCE on logits, computed stably: (1 - t) x + (1 + (p - 1) t) · softplus(-x), where p is
 * posWeight (per class, broadcast over the last dim).
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, op);
  checkSameShape(input, target, op);
  // softplus(-x) = log1p(exp(-|x|)) + max(-x, 0), finite for any x.
  const softplusNeg = input.abs().neg().exp().log1p().add(input.neg().relu());
  const oneMinusT = target.neg().add(1);
  let loss: Tensor;
  if (options.posWeight) {
    const logWeight = options.posWeight.sub(1).mul(target).add(1);
    loss = oneMinusT.mul(input).add(logWeight.mul(softplusNeg));
  } else loss = oneMinusT.mul(input).add(softplusNeg);
  if (options.weight) loss = loss.mul(options.weight);
  return reduce(loss, reduction);
}

/**
 * klDiv's reductions: Reduction, or 'batchmean', the sum divided by the batch size (what the KL
 * divergence means).
 */
export type KLDivReduction = Reduction | 'batchmean';

/**
 * Kullback-Leibler divergence of the target from log-probabilities `input`: t (log t - x),
 * or exp(t) (t - x) with logTarget. 'batchmean' divides the sum by the batch size.
 */
export function klDiv(
  input: Tensor,
  target: Tensor,
  options: { reduction?: KLDivReduction; logTarget?: boolean } = {},
): Tensor {
  const op = 'klDiv';
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, op, ['batchmean']);
  let loss: Tensor;
  if (options.logTarget) loss = target.exp().mul(target.sub(input));
  else {
    // xlogy: 0 · log 0 is 0; log(1) where t is 0 keeps the gradient finite too.
    const logT = where(target.eq(0), 1, target).log();
    loss = target.mul(logT.sub(input));
  }
  if (reduction === 'batchmean') {
    const batch = input.ndim === 0 ? 1 : input.shape[0]!;
    return loss.sum().div(batch);
  }
  return reduce(loss, reduction);
}
