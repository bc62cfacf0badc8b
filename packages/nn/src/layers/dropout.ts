// Dropout layers: active in training mode only, drawing from the global generator.

import { dropout, dropout2d, type Tensor } from '@dl/tensor';
import { Module } from '../module.js';
import { pyBool, pyFloat } from '../repr.js';

abstract class DropoutBase extends Module {
  constructor(
    readonly p: number,
    readonly inplace: boolean,
    layer: string,
  ) {
    super();
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`${layer}: dropout probability has to be between 0 and 1, but got ${p}`);
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
}

/** Zeroes each element with probability p (and scales the rest by 1 / (1 - p)) while training. */
export class Dropout extends DropoutBase {
  constructor(p = 0.5, options: { inplace?: boolean } = {}) {
    super(p, options.inplace ?? false, 'Dropout');
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

/** Zeroes whole channels of [N, C, H, W] with probability p while training. */
export class Dropout2d extends DropoutBase {
  constructor(p = 0.5, options: { inplace?: boolean } = {}) {
    super(p, options.inplace ?? false, 'Dropout2d');
  }

  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, { training: this.training });
  }
}
