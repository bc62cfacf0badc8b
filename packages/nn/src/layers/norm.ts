// Normalisation layers: BatchNorm1d/2d (running statistics as buffers under PyTorch's names),
// LayerNorm and GroupNorm.

import { batchNorm, groupNorm, layerNorm, noGrad, ones, type Tensor, zeros } from '@dl/tensor';
import { ones_, zeros_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyBool, pyFloat, pyInts } from '../repr.js';
import { checkPositiveInt, type FactoryOptions, newParameter } from './linear.js';

export interface BatchNormLayerOptions extends FactoryOptions {
  eps?: number;
  /** Weight of the batch in the running averages (default 0.1); null: a cumulative average. */
  momentum?: number | null;
  /** Learnable per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); without them eval uses the batch's. */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(
    readonly numFeatures: number,
    options: BatchNormLayerOptions,
  ) {
    super();
    const layer = this.constructor.name;
    checkPositiveInt(numFeatures, 'numFeatures', layer);
    this.eps = options.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new RangeError(`${layer}: eps must be positive, got ${this.eps}`);
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1))
      throw new RangeError(`${layer}: momentum must be in [0, 1] or null, got ${this.momentum}`);
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.weight = this.affine ? newParameter([numFeatures], options) : null;
    this.bias = this.affine ? newParameter([numFeatures], options) : null;
    const placement = {
      dtype: options.dtype ?? 'float32',
      ...(options.device === undefined ? {} : { device: options.device }),
    };
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], placement));
      this.registerBuffer('running_var', ones([numFeatures], placement));
      this.registerBuffer('num_batches_tracked', zeros([], { ...placement, dtype: 'int32' }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
    this.resetParameters();
  }

  /**
   * The running mean per feature (the `running_mean` buffer), or null without trackRunningStats.
   */
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  /**
   * The running (unbiased) variance per feature (the `running_var` buffer), or null without
   * trackRunningStats.
   */
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  /**
   * The number of training batches seen (the `num_batches_tracked` buffer), or null without
   * trackRunningStats.
   */
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  /** Resets the running mean to 0, the running variance to 1 and the batch count to 0. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  /**
   * Re-initialises weight to ones and bias to zeros (and, for BatchNorm, the running statistics).
   */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  /** Throws unless `x` has the number of dims the layer takes. */
  protected abstract checkInputDim(x: Tensor): void;

  override forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    const runningMean = this.runningMean;
    const runningVar = this.runningVar;
    const counter = this.numBatchesTracked;
    // Batch statistics while training, and in eval mode when no running ones are kept.
    const useBatchStats = this.training || runningMean === null;
    const updateStats = this.training && runningMean !== null && runningVar !== null;
    if (updateStats && x.numel() / x.shape[1]! === 1) {
      throw new Error(
        `${this.constructor.name}: expected more than 1 value per channel when training, got input size [${x.shape.join(', ')}]`,
      );
    }
    if (updateStats && counter) noGrad(() => counter.add_(1));
    const options = {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      eps: this.eps,
    };
    if (updateStats && this.momentum === null) {
      // A cumulative average: the factor 1 / (batches seen) lives on the device. An empty
      // batch counts as seen but leaves the averages alone, as in PyTorch.
      const y = batchNorm(x, null, null, options);
      if (x.numel() === 0) return y;
      noGrad(() => {
        const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
        const factor = counter!.to(runningMean.dtype).reciprocal();
        const keep = factor.neg().add(1);
        runningMean.mul_(keep).add_(x.detach().mean(dims).mul(factor));
        runningVar.mul_(keep).add_(x.detach().var(dims).mul(factor));
      });
      return y;
    }
    return batchNorm(
      x,
      updateStats || !this.training ? runningMean : null,
      updateStats || !this.training ? runningVar : null,
      { ...options, momentum: this.momentum ?? 0 },
    );
  }

  override extraRepr(): string {
    const momentum = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** Batch norm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options);
  }

  /** Throws unless `x` has the number of dims the layer takes. */
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3)
      throw new Error(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}

/** Batch norm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options);
  }

  /** Throws unless `x` has the number of dims the layer takes. */
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected 4D input (got ${x.ndim}D input)`);
  }
}

/** Normalises over the trailing dims `normalizedShape`, with a learnable elementwise affine. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(
    normalizedShape: number | readonly number[],
    options: FactoryOptions & { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {},
  ) {
    super();
    this.normalizedShape =
      typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    for (const d of this.normalizedShape) checkPositiveInt(d, 'normalizedShape', 'LayerNorm');
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? newParameter(this.normalizedShape, options) : null;
    this.bias =
      this.elementwiseAffine && (options.bias ?? true)
        ? newParameter(this.normalizedShape, options)
        : null;
    this.resetParameters();
  }

  /**
   * Re-initialises weight to ones and bias to zeros (and, for BatchNorm, the running statistics).
   */
  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${pyInts(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Normalises [N, C, ...] over groups of channels. */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: FactoryOptions & { eps?: number; affine?: boolean } = {},
  ) {
    super();
    checkPositiveInt(numGroups, 'numGroups', 'GroupNorm');
    checkPositiveInt(numChannels, 'numChannels', 'GroupNorm');
    if (numChannels % numGroups !== 0)
      throw new Error(
        `GroupNorm: num_channels (${numChannels}) must be divisible by num_groups (${numGroups})`,
      );
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    this.weight = this.affine ? newParameter([numChannels], options) : null;
    this.bias = this.affine ? newParameter([numChannels], options) : null;
    this.resetParameters();
  }

  /**
   * Re-initialises weight to ones and bias to zeros (and, for BatchNorm, the running statistics).
   */
  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  override forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}
