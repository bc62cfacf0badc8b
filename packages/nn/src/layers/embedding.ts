// Embedding (a lookup table of learned vectors) and Upsample (resizing by interpolation).

import { embedding, type InterpolateOptions, interpolate, noGrad, type Tensor } from '@dl/tensor';
import { normal_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyFloat, pyInts } from '../repr.js';
import { checkPositiveInt, type FactoryOptions, newParameter } from './linear.js';

/** Rows of a [numEmbeddings, embeddingDim] table picked by int32 indices; N(0, 1) init. */
export class Embedding extends Module {
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: FactoryOptions & { paddingIdx?: number | null } = {},
  ) {
    super();
    checkPositiveInt(numEmbeddings, 'numEmbeddings', 'Embedding');
    checkPositiveInt(embeddingDim, 'embeddingDim', 'Embedding');
    const padding = options.paddingIdx ?? null;
    if (
      padding !== null &&
      (!Number.isInteger(padding) || padding < -numEmbeddings || padding >= numEmbeddings)
    )
      throw new RangeError(
        `Embedding: paddingIdx must be within num_embeddings (${numEmbeddings}), got ${padding}`,
      );
    this.paddingIdx = padding !== null && padding < 0 ? padding + numEmbeddings : padding;
    this.weight = newParameter([numEmbeddings, embeddingDim], options);
    this.resetParameters();
  }

  /** Re-initialises the weight from N(0, 1), with the paddingIdx row zero. */
  resetParameters(): void {
    normal_(this.weight);
    const padding = this.paddingIdx;
    if (padding !== null) noGrad(() => this.weight.select(0, padding).zero_());
  }

  override forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}

/** Resizes [N, C, ...] to `size` or by `scaleFactor`, with any mode of interpolate. */
export class Upsample extends Module {
  readonly options: InterpolateOptions;

  constructor(options: InterpolateOptions) {
    super();
    if ((options.size === undefined) === (options.scaleFactor === undefined))
      throw new Error('Upsample: give exactly one of size and scaleFactor');
    this.options = { ...options };
  }

  override forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }

  override extraRepr(): string {
    const { size, scaleFactor } = this.options;
    const info =
      scaleFactor !== undefined
        ? `scale_factor=${typeof scaleFactor === 'number' ? pyFloat(scaleFactor) : `(${scaleFactor.map(pyFloat).join(', ')})`}`
        : `size=${pyInts(size ?? [])}`;
    return `${info}, mode=${this.options.mode ?? 'nearest'}`;
  }
}
