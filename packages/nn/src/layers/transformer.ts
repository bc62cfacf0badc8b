// MultiheadAttention and TransformerEncoderLayer, with PyTorch's parameter names
// (in_proj_weight, self_attn.out_proj.weight, ...) so their state dicts load either way.

import { dropout, type Tensor, where, zeros } from '@dl/tensor';
import { gelu, linear, relu } from '../functional/activations.js';
import { xavierUniform_, zeros_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { Dropout } from './dropout.js';
import { checkPositiveInt, type FactoryOptions, Linear, newParameter } from './linear.js';
import { LayerNorm } from './norm.js';

/** PyTorch's name for MultiheadAttention's output projection (a plain Linear). */
export class NonDynamicallyQuantizableLinear extends Linear {}

export interface MultiheadAttentionOptions extends FactoryOptions {
  dropout?: number;
  bias?: boolean;
  /** Inputs are [N, L, E] instead of [L, N, E]. */
  batchFirst?: boolean;
}

/**
 * Options of MultiheadAttention's forward, as torch.nn.MultiheadAttention's: no masks, attention
 * weights returned and averaged over the heads by default.
 */
export interface AttentionCallOptions {
  /** [N, S] boolean: true marks keys to ignore; or an additive float mask. */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** [L, S] or [N·H, L, S]: boolean true = not allowed to attend, or an additive float mask. */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  isCausal?: boolean;
}

/** Attention over numHeads heads of size embedDim / numHeads, with input and output projections. */
export class MultiheadAttention extends Module<[Tensor, Tensor | null]> {
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;
  readonly outProj: NonDynamicallyQuantizableLinear;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    checkPositiveInt(embedDim, 'embedDim', 'MultiheadAttention');
    checkPositiveInt(numHeads, 'numHeads', 'MultiheadAttention');
    if (embedDim % numHeads !== 0)
      throw new Error(
        `MultiheadAttention: embed_dim (${embedDim}) must be divisible by num_heads (${numHeads})`,
      );
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1))
      throw new RangeError(`MultiheadAttention: dropout must be in [0, 1], got ${this.dropout}`);
    this.batchFirst = options.batchFirst ?? false;
    this.headDim = embedDim / numHeads;
    const bias = options.bias ?? true;
    this.registerParameter('in_proj_weight', newParameter([3 * embedDim, embedDim], options));
    this.registerParameter('in_proj_bias', bias ? newParameter([3 * embedDim], options) : null);
    this.outProj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { ...options, bias });
    this.registerModule('out_proj', this.outProj);
    this.resetParameters();
  }

  /**
   * The query, key and value projections stacked, [3 · embedDim, embedDim] (PyTorch's
   * `in_proj_weight`).
   */
  get inProjWeight(): Parameter {
    return this.getParameter('in_proj_weight')!;
  }

  /** Their biases, [3 · embedDim] (PyTorch's `in_proj_bias`), or null without bias. */
  get inProjBias(): Parameter | null {
    return this.getParameter('in_proj_bias');
  }

  /** Re-initialises as PyTorch does: Xavier-uniform projections, zero biases. */
  resetParameters(): void {
    xavierUniform_(this.inProjWeight);
    if (this.inProjBias) zeros_(this.inProjBias);
    if (this.outProj.bias) zeros_(this.outProj.bias);
  }

  /** Returns [output, attention weights (averaged over heads unless told), or null]. */
  override forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: AttentionCallOptions = {},
  ): [Tensor, Tensor | null] {
    const unbatched = query.ndim === 2;
    // Work in [N, L, E].
    const toBatchFirst = (t: Tensor) =>
      unbatched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1);
    const [q, k, v] = [toBatchFirst(query), toBatchFirst(key), toBatchFirst(value)];
    if (q.ndim !== 3 || q.shape[2] !== this.embedDim)
      throw new Error(
        `MultiheadAttention: expected query of shape [L, N, ${this.embedDim}] (or batch first), got [${query.shape.join(', ')}]`,
      );
    const [n, l] = [q.shape[0]!, q.shape[1]!];
    const s = k.shape[1]!;
    const e = this.embedDim;
    const w = this.inProjWeight;
    const b = this.inProjBias;
    const project = (x: Tensor, i: number) =>
      linear(x, w.narrow(0, i * e, e), b ? b.narrow(0, i * e, e) : null);
    const heads = (x: Tensor, length: number) =>
      x.reshape([n, length, this.numHeads, this.headDim]).permute([0, 2, 1, 3]); // [N, H, len, D]
    const qh = heads(project(q, 0), l);
    const kh = heads(project(k, 1), s);
    const vh = heads(project(v, 2), s);
    let scores = qh.matmul(kh.transpose(-2, -1)).mul(1 / Math.sqrt(this.headDim)); // [N, H, L, S]
    const mask = (m: Tensor, shaped: (t: Tensor) => Tensor) =>
      m.dtype === 'bool' ? where(shaped(m), -Infinity, scores) : scores.add(shaped(m));
    if (options.isCausal && !options.attnMask) {
      const causal = where(zeros([l, s], { device: q.device }).add(1).triu(1).bool(), -Infinity, 0);
      scores = scores.add(causal);
    }
    if (options.attnMask) {
      const m = options.attnMask;
      scores = mask(m, (t) => (t.ndim === 2 ? t : t.reshape([n, this.numHeads, l, s])));
    }
    if (options.keyPaddingMask) {
      scores = mask(options.keyPaddingMask, (t) => t.reshape([n, 1, 1, s]));
    }
    let weights = scores.softmax(-1);
    if (this.dropout > 0 && this.training) weights = dropout(weights, this.dropout);
    const attended = weights.matmul(vh).permute([0, 2, 1, 3]).reshape([n, l, e]);
    let out = this.outProj.forward(attended);
    out = unbatched ? out.squeeze(0) : this.batchFirst ? out : out.transpose(0, 1);
    if (!(options.needWeights ?? true)) return [out, null];
    let averaged = (options.averageAttnWeights ?? true) ? weights.mean(1) : weights;
    if (unbatched) averaged = averaged.squeeze(0);
    return [out, averaged];
  }
}

export interface TransformerEncoderLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
}

/** Self-attention and a feed-forward block, each with a residual connection and LayerNorm. */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly normFirst: boolean;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly activation: 'relu' | 'gelu';

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const p = options.dropout ?? 0.1;
    const factory: FactoryOptions = {
      ...(options.device === undefined ? {} : { device: options.device }),
      ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
    };
    const eps = options.layerNormEps ?? 1e-5;
    this.activation = options.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'gelu')
      throw new Error(
        `TransformerEncoderLayer: activation should be relu or gelu, not ${String(this.activation)}`,
      );
    this.normFirst = options.normFirst ?? false;
    // Registered in PyTorch's order, under its names (self_attn), for the state dict and printing.
    this.selfAttn = this.#add(
      'self_attn',
      new MultiheadAttention(dModel, nhead, {
        ...factory,
        dropout: p,
        batchFirst: options.batchFirst ?? false,
      }),
    );
    this.linear1 = this.#add(
      'linear1',
      new Linear(dModel, options.dimFeedforward ?? 2048, factory),
    );
    this.dropout = this.#add('dropout', new Dropout(p));
    this.linear2 = this.#add(
      'linear2',
      new Linear(options.dimFeedforward ?? 2048, dModel, factory),
    );
    this.norm1 = this.#add('norm1', new LayerNorm(dModel, { ...factory, eps }));
    this.norm2 = this.#add('norm2', new LayerNorm(dModel, { ...factory, eps }));
    this.dropout1 = this.#add('dropout1', new Dropout(p));
    this.dropout2 = this.#add('dropout2', new Dropout(p));
  }

  #add<T extends Module<unknown>>(name: string, module: T): T {
    this.registerModule(name, module);
    return module;
  }

  override forward(
    src: Tensor,
    options: {
      srcMask?: Tensor | null;
      srcKeyPaddingMask?: Tensor | null;
      isCausal?: boolean;
    } = {},
  ): Tensor {
    const attend = (x: Tensor) =>
      this.dropout1.forward(
        this.selfAttn.forward(x, x, x, {
          attnMask: options.srcMask ?? null,
          keyPaddingMask: options.srcKeyPaddingMask ?? null,
          needWeights: false,
          isCausal: options.isCausal ?? false,
        })[0],
      );
    const act = this.activation === 'gelu' ? (t: Tensor) => gelu(t) : relu;
    const feedForward = (x: Tensor) =>
      this.dropout2.forward(
        this.linear2.forward(this.dropout.forward(act(this.linear1.forward(x)))),
      );
    if (this.normFirst) {
      const x = src.add(attend(this.norm1.forward(src)));
      return x.add(feedForward(this.norm2.forward(x)));
    }
    const x = this.norm1.forward(src.add(attend(src)));
    return this.norm2.forward(x.add(feedForward(x)));
  }
}
