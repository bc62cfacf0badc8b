// Dropout layers: active in training mode only, drawing from the global generator.

import { checkOptionKeys, describeValue, dropout, dropout2d, type Tensor } from '@dl/tensor';
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
      throw new RangeError(
        `${layer}: dropout probability has to be between 0 and 1, but got ${describeValue(p)}`,
      );
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
}

/** PyTorch's keywords as one object: `new Dropout({ p: 0.2 })`. */
export interface DropoutLayerOptions {
  p?: number;
  inplace?: boolean;
}

/** p and inplace from `(p, { inplace })` or `({ p, inplace })`. */
function dropoutArgs(
  layer: string,
  p: number | DropoutLayerOptions,
  options: { inplace?: boolean },
): [number, boolean] {
  if (typeof p === 'object' && p !== null) {
    checkOptionKeys(layer, p, ['p', 'inplace']);
    return [p.p ?? 0.5, p.inplace ?? false];
  }
  checkOptionKeys(layer, options, ['inplace']);
  return [p, options.inplace ?? false];
}

/**
 * Zeroes each element with probability p (and scales the rest by 1 / (1 - p)) while training:
 * `new Dropout(0.2)` or `new Dropout({ p: 0.2 })`.
 */
export class Dropout extends DropoutBase {
  constructor(p: number | DropoutLayerOptions = 0.5, options: { inplace?: boolean } = {}) {
    super(...dropoutArgs('Dropout', p, options), 'Dropout');
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

/** Zeroes whole channels of [N, C, H, W] with probability p while training. */
export class Dropout2d extends DropoutBase {
  constructor(p: number | DropoutLayerOptions = 0.5, options: { inplace?: boolean } = {}) {
    super(...dropoutArgs('Dropout2d', p, options), 'Dropout2d');
  }

  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, { training: this.training });
  }
}
