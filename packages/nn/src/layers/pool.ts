// Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d (with returnIndices).

import {
  type AdaptiveSize,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  maxPool2d,
  maxPool2dWithIndices,
  type Pair,
  type Tensor,
} from '@dl/tensor';
import { Module } from '../module.js';
import { pyBool, pyInts } from '../repr.js';

/** Checks a size argument up front: one or two integers, each at least `min`. */
function checkSize(value: Pair, name: string, layer: string, min: number): void {
  const values = typeof value === 'number' ? [value] : [...value];
  if (values.length < 1 || values.length > 2 || values.some((v) => !Number.isInteger(v) || v < min))
    throw new RangeError(
      `${layer}: ${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them, got ${String(value)}`,
    );
}

function checkPadding(kernel: Pair, padding: Pair, layer: string): void {
  const k = typeof kernel === 'number' ? [kernel, kernel] : kernel;
  const p = typeof padding === 'number' ? [padding, padding] : padding;
  if (p.some((v, i) => v * 2 > k[i]!))
    throw new RangeError(
      `${layer}: pad should be at most half of effective kernel size, but got pad=${String(padding)} and kernel_size=${String(kernel)}`,
    );
}

/**
 * Options of MaxPool2d, as torch.nn.MaxPool2d's: stride the kernel size, padding 0, dilation 1, no
 * indices, ceilMode false by default.
 */
export interface MaxPool2dOptions<ReturnIndices extends boolean = boolean> {
  /** Defaults to kernelSize. */
  stride?: Pair | null;
  padding?: Pair;
  dilation?: Pair;
  /** forward gives [values, indices] (int32 flat indices into each input plane). */
  returnIndices?: ReturnIndices;
  ceilMode?: boolean;
}

/** What a max pooling layer's forward gives: [values, indices] with returnIndices, else values. */
export type MaxPoolOutput<ReturnIndices extends boolean> = ReturnIndices extends true
  ? [Tensor, Tensor]
  : Tensor;

/**
 * 2-d max pooling, as torch.nn.MaxPool2d. With `returnIndices: true`, forward gives
 * [values, indices] as PyTorch's return_indices (the indices MaxUnpool would take).
 */
export class MaxPool2d<ReturnIndices extends boolean = false> extends Module<
  MaxPoolOutput<ReturnIndices>
> {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;

  constructor(
    readonly kernelSize: Pair,
    options: MaxPool2dOptions<ReturnIndices> = {},
  ) {
    super();
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.returnIndices = options.returnIndices ?? false;
    this.ceilMode = options.ceilMode ?? false;
    checkSize(kernelSize, 'kernelSize', 'MaxPool2d', 1);
    checkSize(this.stride, 'stride', 'MaxPool2d', 1);
    checkSize(this.padding, 'padding', 'MaxPool2d', 0);
    checkSize(this.dilation, 'dilation', 'MaxPool2d', 1);
    checkPadding(kernelSize, this.padding, 'MaxPool2d');
  }

  #options() {
    return {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    };
  }

  override forward(x: Tensor): MaxPoolOutput<ReturnIndices> {
    const result = maxPool2d(x, this.kernelSize, {
      ...this.#options(),
      returnIndices: this.returnIndices,
    });
    // TypeScript cannot narrow a conditional type on a class's type parameter: the result is
    // the pair exactly when returnIndices, which the constructor took from ReturnIndices, is true.
    return result as MaxPoolOutput<ReturnIndices>;
  }

  /** The values and the flat input-plane indices of each maximum (returnIndices). */
  forwardWithIndices(x: Tensor): { values: Tensor; indices: Tensor } {
    return maxPool2dWithIndices(x, this.kernelSize, this.#options());
  }

  override extraRepr(): string {
    return `kernel_size=${pyInts(this.kernelSize)}, stride=${pyInts(this.stride)}, padding=${pyInts(this.padding)}, dilation=${pyInts(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/**
 * Options of AvgPool2d, as torch.nn.AvgPool2d's: stride the kernel size, padding 0, ceilMode false,
 * countIncludePad true by default.
 */
export interface AvgPool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

export class AvgPool2d extends Module {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(
    readonly kernelSize: Pair,
    options: AvgPool2dOptions = {},
  ) {
    super();
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
    checkSize(kernelSize, 'kernelSize', 'AvgPool2d', 1);
    checkSize(this.stride, 'stride', 'AvgPool2d', 1);
    checkSize(this.padding, 'padding', 'AvgPool2d', 0);
    checkPadding(kernelSize, this.padding, 'AvgPool2d');
    if (this.divisorOverride === 0)
      throw new RangeError('AvgPool2d: divisorOverride must not be zero');
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      ...(this.divisorOverride === null ? {} : { divisorOverride: this.divisorOverride }),
    });
  }

  override extraRepr(): string {
    return `kernel_size=${pyInts(this.kernelSize)}, stride=${pyInts(this.stride)}, padding=${pyInts(this.padding)}`;
  }
}

function outputSizeRepr(size: AdaptiveSize): string {
  if (typeof size === 'number') return String(size);
  return `(${size.map((s) => (s === null ? 'None' : String(s))).join(', ')})`;
}

/** Average pooling to a fixed output size (null keeps that dim). */
function checkOutputSize(size: AdaptiveSize, layer: string): void {
  const values = typeof size === 'number' ? [size] : [...size];
  if (
    values.length < 1 ||
    values.length > 2 ||
    values.some((v) => v !== null && (!Number.isInteger(v) || v < 1))
  )
    throw new RangeError(
      `${layer}: outputSize must be positive integers (or null to keep a dim), got ${String(size)}`,
    );
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
    checkOutputSize(outputSize, 'AdaptiveAvgPool2d');
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${outputSizeRepr(this.outputSize)}`;
  }
}

/** What AdaptiveMaxPool2d's forward gives: [values, indices] with returnIndices, else values. */
export type AdaptiveMaxPoolOutput<ReturnIndices extends boolean> = ReturnIndices extends true
  ? [Tensor, Tensor]
  : Tensor;

/**
 * Max pooling to a fixed output size (null keeps a dim). With `returnIndices: true`, forward
 * gives [values, indices] as PyTorch's return_indices (int32 flat indices into each input plane).
 */
export class AdaptiveMaxPool2d<ReturnIndices extends boolean = false> extends Module<
  AdaptiveMaxPoolOutput<ReturnIndices>
> {
  readonly returnIndices: boolean;

  constructor(
    readonly outputSize: AdaptiveSize,
    options: { returnIndices?: ReturnIndices } = {},
  ) {
    super();
    checkOutputSize(outputSize, 'AdaptiveMaxPool2d');
    this.returnIndices = options.returnIndices ?? false;
  }

  override forward(x: Tensor): AdaptiveMaxPoolOutput<ReturnIndices> {
    const result = adaptiveMaxPool2d(x, this.outputSize, { returnIndices: this.returnIndices });
    // TypeScript cannot narrow a conditional type on a class's type parameter: the result is
    // the pair exactly when returnIndices, which the constructor took from ReturnIndices, is true.
    return result as AdaptiveMaxPoolOutput<ReturnIndices>;
  }

  override extraRepr(): string {
    return `output_size=${outputSizeRepr(this.outputSize)}`;
  }
}
