// Convolution layers: Conv1d, Conv2d and ConvTranspose2d over @dl/tensor's conv ops, with
// PyTorch's arguments, default initialisation and printed form.

import { conv1d, conv2d, convTranspose2d, describeValue, pad, type Tensor } from '@dl/tensor';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyInts } from '../repr.js';
import {
  checkPositiveInt,
  type FactoryOptions,
  newParameter,
  resetWeightAndBias,
} from './linear.js';

/**
 * How a convolution layer pads its input, as torch.nn.Conv2d's padding_mode: with zeros (the
 * default), by reflecting, by repeating the edge, or by wrapping around.
 */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvLayerOptions<T> extends FactoryOptions {
  stride?: T;
  padding?: T | 'valid' | 'same';
  dilation?: T;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

function tuple(
  value: number | readonly number[],
  n: number,
  name: string,
  layer: string,
): number[] {
  if (typeof value !== 'number' && !Array.isArray(value)) {
    throw new TypeError(
      `${layer}: ${name} must be an integer or an array of ${n}, got ${describeValue(value)}`,
    );
  }
  const out = typeof value === 'number' ? new Array<number>(n).fill(value) : [...value];
  if (out.length !== n || out.some((v) => !Number.isInteger(v) || v < 0))
    throw new RangeError(
      `${layer}: ${name} must be ${n} non-negative integers, got ${describeValue(value)}`,
    );
  return out;
}

/** The shared part of Conv1d and Conv2d: arguments, parameters, init, printed form. */
abstract class ConvNd extends Module {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[] | 'valid' | 'same';
  readonly dilation: readonly number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    layer: string,
    dims: number,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly number[],
    options: ConvLayerOptions<number | readonly number[]>,
  ) {
    super();
    checkPositiveInt(inChannels, 'inChannels', layer);
    checkPositiveInt(outChannels, 'outChannels', layer);
    this.kernelSize = tuple(kernelSize, dims, 'kernelSize', layer);
    if (this.kernelSize.some((k) => k === 0))
      throw new RangeError(`${layer}: kernelSize must be positive`);
    this.stride = tuple(options.stride ?? 1, dims, 'stride', layer);
    if (this.stride.some((s) => s === 0)) throw new RangeError(`${layer}: stride must be positive`);
    const padding = options.padding ?? 0;
    this.padding =
      padding === 'valid' || padding === 'same' ? padding : tuple(padding, dims, 'padding', layer);
    if (padding === 'same' && this.stride.some((s) => s !== 1))
      throw new Error(`${layer}: padding='same' is not supported for strided convolutions`);
    this.dilation = tuple(options.dilation ?? 1, dims, 'dilation', layer);
    this.groups = options.groups ?? 1;
    checkPositiveInt(this.groups, 'groups', layer);
    if (inChannels % this.groups !== 0)
      throw new Error(`${layer}: in_channels must be divisible by groups`);
    if (outChannels % this.groups !== 0)
      throw new Error(`${layer}: out_channels must be divisible by groups`);
    this.paddingMode = options.paddingMode ?? 'zeros';
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(this.paddingMode))
      throw new Error(
        `${layer}: paddingMode must be zeros, reflect, replicate or circular, got ${this.paddingMode}`,
      );
    if (this.paddingMode !== 'zeros' && typeof this.padding === 'string')
      throw new Error(`${layer}: paddingMode ${this.paddingMode} needs numeric padding`);
    this.weight = newParameter(
      [outChannels, inChannels / this.groups, ...this.kernelSize],
      options,
    );
    this.bias = (options.bias ?? true) ? newParameter([outChannels], options) : null;
    this.resetParameters();
  }

  /** Re-initialises weight and bias as PyTorch does: uniform on ±1/sqrt(fanIn). */
  resetParameters(): void {
    resetWeightAndBias(this.weight, this.bias);
  }

  /** The input padded by paddingMode (non-zero modes), and the padding left for the conv. */
  protected padded(x: Tensor): [Tensor, readonly number[] | 'valid' | 'same'] {
    const mode = this.paddingMode;
    if (mode === 'zeros' || typeof this.padding === 'string') return [x, this.padding];
    // F.pad lists the last dim first.
    const amounts = [...this.padding].reverse().flatMap((p) => [p, p]);
    return [pad(x, amounts, mode), this.padding.map(() => 0)];
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyInts(this.kernelSize)}, stride=${pyInts(this.stride)}`;
    const padding = this.padding;
    if (typeof padding === 'string') s += `, padding=${padding}`;
    else if (padding.some((p) => p !== 0)) s += `, padding=${pyInts(padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyInts(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/** 2-d convolution over [N, C, H, W] (or unbatched [C, H, W]). */
export class Conv2d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number, number],
    options: ConvLayerOptions<number | readonly [number, number]> = {},
  ) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, options);
  }

  override forward(x: Tensor): Tensor {
    const [input, padding] = this.padded(x);
    return conv2d(input, this.weight, this.bias, {
      stride: [this.stride[0]!, this.stride[1]!],
      padding: typeof padding === 'string' ? padding : [padding[0]!, padding[1]!],
      dilation: [this.dilation[0]!, this.dilation[1]!],
      groups: this.groups,
    });
  }
}

/** 1-d convolution over [N, C, L] (or unbatched [C, L]). */
export class Conv1d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number],
    options: ConvLayerOptions<number | readonly [number]> = {},
  ) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, options);
  }

  override forward(x: Tensor): Tensor {
    const [input, padding] = this.padded(x);
    return conv1d(input, this.weight, this.bias, {
      stride: this.stride[0]!,
      padding: typeof padding === 'string' ? padding : padding[0]!,
      dilation: this.dilation[0]!,
      groups: this.groups,
    });
  }
}

/** The transpose of Conv2d (a "deconvolution"): weight [in, out / groups, kh, kw]. */
export class ConvTranspose2d extends Module {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly [number, number],
    options: FactoryOptions & {
      stride?: number | readonly [number, number];
      padding?: number | readonly [number, number];
      outputPadding?: number | readonly [number, number];
      groups?: number;
      bias?: boolean;
      dilation?: number | readonly [number, number];
    } = {},
  ) {
    super();
    const layer = 'ConvTranspose2d';
    checkPositiveInt(inChannels, 'inChannels', layer);
    checkPositiveInt(outChannels, 'outChannels', layer);
    this.kernelSize = tuple(kernelSize, 2, 'kernelSize', layer);
    this.stride = tuple(options.stride ?? 1, 2, 'stride', layer);
    this.padding = tuple(options.padding ?? 0, 2, 'padding', layer);
    this.outputPadding = tuple(options.outputPadding ?? 0, 2, 'outputPadding', layer);
    this.dilation = tuple(options.dilation ?? 1, 2, 'dilation', layer);
    this.groups = options.groups ?? 1;
    checkPositiveInt(this.groups, 'groups', layer);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0)
      throw new Error(`${layer}: in_channels and out_channels must be divisible by groups`);
    if (this.outputPadding.some((p, i) => p >= Math.max(this.stride[i]!, this.dilation[i]!)))
      throw new Error(`${layer}: output padding must be smaller than either stride or dilation`);
    this.weight = newParameter(
      [inChannels, outChannels / this.groups, ...this.kernelSize],
      options,
    );
    this.bias = (options.bias ?? true) ? newParameter([outChannels], options) : null;
    this.resetParameters();
  }

  /** Re-initialises weight and bias as PyTorch does: uniform on ±1/sqrt(fanIn). */
  resetParameters(): void {
    resetWeightAndBias(this.weight, this.bias);
  }

  override forward(x: Tensor): Tensor {
    const pair = (v: readonly number[]): [number, number] => [v[0]!, v[1]!];
    return convTranspose2d(x, this.weight, this.bias, {
      stride: pair(this.stride),
      padding: pair(this.padding),
      outputPadding: pair(this.outputPadding),
      groups: this.groups,
      dilation: pair(this.dilation),
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyInts(this.kernelSize)}, stride=${pyInts(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${pyInts(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyInts(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0))
      s += `, output_padding=${pyInts(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}
