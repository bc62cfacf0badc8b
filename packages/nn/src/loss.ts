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

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(options: LossOptions) {
    super();
    this.reduction = options.reduction ?? 'mean';
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

export class MSELoss extends Loss {
  constructor(options: LossOptions = {}) {
    super(options);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(options: LossOptions = {}) {
    super(options);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: LossOptions & { beta?: number } = {}) {
    super(options);
    this.beta = options.beta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: LossOptions & { delta?: number } = {}) {
    super(options);
    this.delta = options.delta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

export class NLLLoss extends Loss {
  readonly options: WeightedLossOptions;
  constructor(options: WeightedLossOptions = {}) {
    super(options);
    this.options = { ...options };
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}

export class CrossEntropyLoss extends Loss {
  readonly options: CrossEntropyOptions;
  constructor(options: CrossEntropyOptions = {}) {
    super(options);
    this.options = { ...options };
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}

export class BCELoss extends Loss {
  readonly weight: Tensor | null;
  constructor(options: LossOptions & { weight?: Tensor | null } = {}) {
    super(options);
    this.weight = options.weight ?? null;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

export class BCEWithLogitsLoss extends Loss {
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;
  constructor(options: LossOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {}) {
    super(options);
    this.weight = options.weight ?? null;
    this.posWeight = options.posWeight ?? null;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      posWeight: this.posWeight,
    });
  }
}

export class KLDivLoss extends Module {
  readonly reduction: KLDivReduction;
  readonly logTarget: boolean;
  constructor(options: { reduction?: KLDivReduction; logTarget?: boolean } = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
    this.logTarget = options.logTarget ?? false;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
