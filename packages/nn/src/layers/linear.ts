// Linear and the shape layers: Identity, Flatten, Unflatten.

import { type DeviceLike, type DType, describeValue, empty, type Tensor } from '@dl/tensor';
import { linear } from '../functional/activations.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyBool, pyInts } from '../repr.js';

/** Where a layer's parameters are created. */
export interface FactoryOptions {
  device?: DeviceLike;
  dtype?: DType;
}

export function checkPositiveInt(value: number, name: string, layer: string): void {
  if (!Number.isInteger(value) || value <= 0)
    throw new RangeError(
      `${layer}: ${name} must be a positive integer, got ${describeValue(value)}`,
    );
}

/** A new uninitialised parameter of `shape` (the layer's resetParameters fills it). */
export function newParameter(shape: readonly number[], options: FactoryOptions): Parameter {
  return new Parameter(
    empty(shape, {
      dtype: options.dtype ?? 'float32',
      ...(options.device === undefined ? {} : { device: options.device }),
    }),
  );
}

/**
 * PyTorch's default for weights [out, in, ...] and their biases: kaiming-uniform with
 * a = sqrt(5), which is U(-1/sqrt(fanIn), 1/sqrt(fanIn)), for both.
 */
export function resetWeightAndBias(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}

/** y = x Wᵀ + b with W [outFeatures, inFeatures]. */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: FactoryOptions & { bias?: boolean } = {},
  ) {
    super();
    checkPositiveInt(inFeatures, 'inFeatures', 'Linear');
    checkPositiveInt(outFeatures, 'outFeatures', 'Linear');
    this.weight = newParameter([outFeatures, inFeatures], options);
    this.bias = (options.bias ?? true) ? newParameter([outFeatures], options) : null;
    this.resetParameters();
  }

  /** Re-initialises weight and bias as PyTorch does: uniform on ±1/sqrt(inFeatures). */
  resetParameters(): void {
    resetWeightAndBias(this.weight, this.bias);
  }

  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** Returns its input. */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim (default 1..-1, keeping the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Splits dim `dim` into `unflattenedSize`. */
export class Unflatten extends Module {
  readonly unflattenedSize: readonly number[];

  constructor(
    readonly dim: number,
    unflattenedSize: readonly number[],
  ) {
    super();
    this.unflattenedSize = [...unflattenedSize];
  }

  override forward(x: Tensor): Tensor {
    return x.unflatten(this.dim, this.unflattenedSize);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyInts(this.unflattenedSize)}`;
  }
}
