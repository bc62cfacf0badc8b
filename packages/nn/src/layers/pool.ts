// Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d.

import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  maxPool2d,
  maxPool2dWithIndices,
  type Tensor,
} from '@dl/tensor';
import { Module } from '../module.js';
import { pyBool, pyInts } from '../repr.js';

type Size2 = number | readonly [number, number];

export interface MaxPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: Size2 | null;
  padding?: Size2;
  dilation?: Size2;
  returnIndices?: boolean;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  readonly stride: Size2;
  readonly padding: Size2;
  readonly dilation: Size2;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;

  constructor(
    readonly kernelSize: Size2,
    options: MaxPool2dOptions = {},
  ) {
    super();
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.returnIndices = options.returnIndices ?? false;
    this.ceilMode = options.ceilMode ?? false;
  }

  #options() {
    return {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    };
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.#options());
  }

  /** The values and the flat input-plane indices of each maximum (returnIndices). */
  forwardWithIndices(x: Tensor): { values: Tensor; indices: Tensor } {
    return maxPool2dWithIndices(x, this.kernelSize, this.#options());
  }

  override extraRepr(): string {
    return `kernel_size=${pyInts(this.kernelSize)}, stride=${pyInts(this.stride)}, padding=${pyInts(this.padding)}, dilation=${pyInts(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

export interface AvgPool2dOptions {
  stride?: Size2 | null;
  padding?: Size2;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

export class AvgPool2d extends Module {
  readonly stride: Size2;
  readonly padding: Size2;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(
    readonly kernelSize: Size2,
    options: AvgPool2dOptions = {},
  ) {
    super();
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
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

type OutputSize = number | readonly [number | null, number | null];

function outputSizeRepr(size: OutputSize): string {
  if (typeof size === 'number') return String(size);
  return `(${size.map((s) => (s === null ? 'None' : String(s))).join(', ')})`;
}

/** Average pooling to a fixed output size (null keeps that dim). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: OutputSize) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${outputSizeRepr(this.outputSize)}`;
  }
}

export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: OutputSize) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${outputSizeRepr(this.outputSize)}`;
  }
}
