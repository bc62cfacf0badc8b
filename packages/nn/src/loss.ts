// Loss modules: each holds its options and calls the functional loss of the same name.

import type { Tensor } from '@dl/tensor';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  type CrossEntropyOptions,
  crossEntropy,
  huberLoss,
  type KLDivReduction,
  klDiv,
  type LossOptions,
  l1Loss,
  mseLoss,
  nllLoss,
  type Reduction,
  smoothL1Loss,
  type WeightedLossOptions,
} from './functional/loss.js';
import { Module } from './module.js';

const reductions: readonly string[] = ['none', 'mean', 'sum'];

function checkReduction(layer: string, reduction: string, extra: readonly string[] = []): void {
  if (!reductions.includes(reduction) && !extra.includes(reduction))
    throw new Error(
      `${layer}: ${reduction} is not a valid value for reduction (use ${[...reductions, ...extra].join(', ')})`,
    );
}

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(options: LossOptions) {
    super();
    this.reduction = options.reduction ?? 'mean';
    checkReduction(this.constructor.name, this.reduction);
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

/** The mean squared error, as torch.nn.MSELoss (see F.mseLoss). */
export class MSELoss extends Loss {
  constructor(options: LossOptions = {}) {
    super(options);
  }
  /** {@inheritDoc F.mseLoss} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** The mean absolute error, as torch.nn.L1Loss (see F.l1Loss). */
export class L1Loss extends Loss {
  constructor(options: LossOptions = {}) {
    super(options);
  }
  /** {@inheritDoc F.l1Loss} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * The smooth L1 loss, as torch.nn.SmoothL1Loss: quadratic below `beta` (1 by default), linear above
 * (see F.smoothL1Loss).
 */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: LossOptions & { beta?: number } = {}) {
    super(options);
    this.beta = options.beta ?? 1;
  }
  /** {@inheritDoc F.smoothL1Loss} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * The Huber loss, as torch.nn.HuberLoss: quadratic below `delta` (1 by default), linear above (see
 * F.huberLoss).
 */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: LossOptions & { delta?: number } = {}) {
    super(options);
    this.delta = options.delta ?? 1;
  }
  /** {@inheritDoc F.huberLoss} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** The class weights are a buffer named `weight`, as in PyTorch, so to(device) moves them. */
export class NLLLoss extends Loss {
  readonly ignoreIndex: number;
  constructor(options: WeightedLossOptions = {}) {
    super(options);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.registerBuffer('weight', options.weight ?? null);
  }
  /** {@inheritDoc F.nllLoss} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, {
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
      weight: this.getBuffer('weight'),
    });
  }
}

/**
 * Cross-entropy of logits [N, C, ...] at int32 class targets or class probabilities, as
 * torch.nn.CrossEntropyLoss (see F.crossEntropy). The class weights are a buffer named `weight`.
 */
export class CrossEntropyLoss extends Loss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyOptions = {}) {
    super(options);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing <= 1))
      throw new RangeError(
        `CrossEntropyLoss: labelSmoothing must be between 0.0 and 1.0, got ${this.labelSmoothing}`,
      );
    this.registerBuffer('weight', options.weight ?? null);
  }
  /** {@inheritDoc F.crossEntropy} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
      weight: this.getBuffer('weight'),
    });
  }
}

/**
 * Binary cross-entropy of probabilities, as torch.nn.BCELoss (see F.binaryCrossEntropy). The
 * weights are a buffer named `weight`.
 */
export class BCELoss extends Loss {
  constructor(options: LossOptions & { weight?: Tensor | null } = {}) {
    super(options);
    this.registerBuffer('weight', options.weight ?? null);
  }
  /** {@inheritDoc F.binaryCrossEntropy} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, {
      reduction: this.reduction,
      weight: this.getBuffer('weight'),
    });
  }
}

/** `weight` and `pos_weight` are buffers, as in PyTorch. */
export class BCEWithLogitsLoss extends Loss {
  constructor(options: LossOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {}) {
    super(options);
    this.registerBuffer('weight', options.weight ?? null);
    this.registerBuffer('pos_weight', options.posWeight ?? null);
  }
  /** {@inheritDoc F.binaryCrossEntropyWithLogits} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      reduction: this.reduction,
      weight: this.getBuffer('weight'),
      posWeight: this.getBuffer('pos_weight'),
    });
  }
}

/**
 * The Kullback-Leibler divergence, as torch.nn.KLDivLoss (see F.klDiv): `input` holds
 * log-probabilities.
 */
export class KLDivLoss extends Module {
  readonly reduction: KLDivReduction;
  readonly logTarget: boolean;
  constructor(options: { reduction?: KLDivReduction; logTarget?: boolean } = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
    checkReduction('KLDivLoss', this.reduction, ['batchmean']);
    this.logTarget = options.logTarget ?? false;
  }
  /** {@inheritDoc F.klDiv} */
  override forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
