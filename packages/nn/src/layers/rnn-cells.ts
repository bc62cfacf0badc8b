// The cells RNNCell, LSTMCell and GRUCell: one step of an Elman RNN, an LSTM or a GRU in
// PyTorch's gate order, recorded by autograd, and what the layers of rnn.ts share with them
// (the gate counts, the input projection with its folded biases).
//
// A step starts from two matrix products, the input's (x · W_ihᵀ) and the hidden state's
// (h · W_hhᵀ), and does the rest as elementwise ops on views of them. On WebGPU those ops
// stay pending and fuse: a step's gate arithmetic is a few kernels whatever the gate count.

import { checkOptionKeys, describeValue, type Tensor, tensor, zeros } from '@dl/tensor';
import { linear } from '../functional/activations.js';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyBool } from '../repr.js';
import { checkPositiveInt, type FactoryOptions, newParameter } from './linear.js';

/** The kinds of recurrence, by PyTorch's mode names. */
export type RecurrentMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** How many blocks of hiddenSize rows W_ih and W_hh stack: LSTM's i, f, g, o; GRU's r, z, n. */
export const gateCount: Record<RecurrentMode, number> = {
  RNN_TANH: 1,
  RNN_RELU: 1,
  LSTM: 4,
  GRU: 3,
};

/** The nonlinearity of an Elman RNN or RNNCell. */
export type Nonlinearity = 'tanh' | 'relu';

/** One direction's weights, views of the module's parameters. */
export interface StepWeights {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;
  /** LSTM with projSize: the projection of the hidden state, [projSize, hiddenSize]. */
  weightHr?: Tensor | null;
}

/**
 * The input's part of every step at once: x · W_ihᵀ plus the biases that can be added before
 * the recurrence (b_ih, and b_hh except GRU's n block, which the reset gate multiplies).
 * x is [..., inputSize]; the result is [..., gates · hiddenSize].
 */
export function inputProjection(mode: RecurrentMode, x: Tensor, weights: StepWeights): Tensor {
  const { biasIh, biasHh } = weights;
  let bias: Tensor | null = biasIh;
  if (biasHh) {
    const folded = mode === 'GRU' ? biasHh.mul(gruGateMask(biasHh)) : biasHh;
    bias = bias ? bias.add(folded) : folded;
  }
  if (x.ndim <= 2) return linear(x, weights.weightIh, bias);
  // [T, B, I] as one [T·B, I] product: its weight gradient is then one product too, not T
  // of them summed.
  const flat = linear(x.reshape([-1, x.shape[x.ndim - 1]!]), weights.weightIh, bias);
  return flat.reshape([...x.shape.slice(0, -1), flat.shape[1]!]);
}

/**
 * 1 over GRU's r and z blocks and 0 over its n block, [3 · hiddenSize], on the device of
 * `like`: b_hr and b_hz are added with the input, b_hn inside the reset gate's product.
 */
export function gruGateMask(like: Tensor): Tensor {
  const size = like.shape[like.ndim - 1]!;
  const mask = new Float32Array(size);
  mask.fill(1, 0, (2 * size) / 3);
  return tensor(mask, { device: like.device, dtype: like.dtype });
}

/**
 * One step of `mode`, recorded by autograd: the new [h] or [h, c]. `xp` is the step's input
 * projection from inputProjection, [B, G·H]; `state` the previous [h] or [h, c]; `gruMask`
 * is gruGateMask's for GRU.
 */
export function recurrentStep(
  mode: RecurrentMode,
  xp: Tensor,
  state: readonly Tensor[],
  weights: StepWeights,
  gruMask?: Tensor,
): Tensor[] {
  const h = state[0]!;
  // h · W_hhᵀ: b_hh was folded into xp, except GRU's n block.
  const hh = h.matmul(weights.weightHh.t());
  switch (mode) {
    case 'RNN_TANH':
    case 'RNN_RELU': {
      const pre = xp.add(hh);
      return [mode === 'RNN_TANH' ? pre.tanh() : pre.relu()];
    }
    case 'LSTM': {
      // One [B, 4H] tensor; the gates are views of it, so the arithmetic below fuses.
      const gates = xp.add(hh);
      const [i, f, g, o] = gates.chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor];
      const c = f.sigmoid().mul(state[1]!).add(i.sigmoid().mul(g.tanh()));
      let next = o.sigmoid().mul(c.tanh());
      if (weights.weightHr) next = next.matmul(weights.weightHr.t());
      return [next, c];
    }
    case 'GRU': {
      // r and z see xp + h·W_hᵀ (with b_hr, b_hz folded into xp); n sees x·W_inᵀ + b_in plus
      // r · (h·W_hnᵀ + b_hn), as PyTorch (and cuDNN, ONNX's linear_before_reset) compute it.
      const size = h.shape[h.ndim - 1]!;
      const pre = xp.add(hh.mul(gruMask!));
      const r = pre.narrow(1, 0, size).sigmoid();
      const z = pre.narrow(1, size, size).sigmoid();
      let hn = hh.narrow(1, 2 * size, size);
      if (weights.biasHh) hn = hn.add(weights.biasHh.narrow(0, 2 * size, size));
      const n = pre
        .narrow(1, 2 * size, size)
        .add(r.mul(hn))
        .tanh();
      return [h.sub(n).mul(z).add(n)];
    }
  }
}

// ---- cells ----

/** Options of RNNCell, LSTMCell and GRUCell. */
export interface RecurrentCellOptions extends FactoryOptions {
  /** Whether the cell has b_ih and b_hh (default true). */
  bias?: boolean;
}

/** Options of RNNCell: a cell's, and its nonlinearity. */
export interface RNNCellOptions extends RecurrentCellOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: Nonlinearity;
}

const cellOptionKeys = ['bias', 'device', 'dtype'];

abstract class RecurrentCellBase<Output> extends Module<Output> {
  readonly bias: boolean;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly mode: RecurrentMode,
    options: RecurrentCellOptions,
    layer: string,
  ) {
    super();
    checkPositiveInt(inputSize, 'inputSize', layer);
    checkPositiveInt(hiddenSize, 'hiddenSize', layer);
    this.bias = options.bias ?? true;
    const rows = gateCount[mode] * hiddenSize;
    this.registerParameter('weight_ih', newParameter([rows, inputSize], options));
    this.registerParameter('weight_hh', newParameter([rows, hiddenSize], options));
    this.registerParameter('bias_ih', this.bias ? newParameter([rows], options) : null);
    this.registerParameter('bias_hh', this.bias ? newParameter([rows], options) : null);
    this.resetParameters();
  }

  /** W_ih, [gates · hiddenSize, inputSize] (PyTorch's `weight_ih`). */
  get weightIh(): Parameter {
    return this.getParameter('weight_ih')!;
  }

  /** W_hh, [gates · hiddenSize, hiddenSize] (PyTorch's `weight_hh`). */
  get weightHh(): Parameter {
    return this.getParameter('weight_hh')!;
  }

  /** b_ih, [gates · hiddenSize], or null without bias (PyTorch's `bias_ih`). */
  get biasIh(): Parameter | null {
    return this.getParameter('bias_ih');
  }

  /** b_hh, [gates · hiddenSize], or null without bias (PyTorch's `bias_hh`). */
  get biasHh(): Parameter | null {
    return this.getParameter('bias_hh');
  }

  /** Re-initialises every weight and bias as PyTorch does: uniform on ±1/sqrt(hiddenSize). */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -bound, bound);
  }

  /**
   * Runs one step on `input` ([B, inputSize] or unbatched [inputSize]) from `state` (zeros
   * when missing), checking the shapes as PyTorch does, and returns the new state, batched
   * as the input is.
   */
  protected run(input: Tensor, state: readonly (Tensor | null | undefined)[]): Tensor[] {
    const layer = this.constructor.name;
    if (input.ndim !== 1 && input.ndim !== 2)
      throw new Error(
        `${layer}: Expected input to be 1-D or 2-D but received ${input.ndim}-D tensor of shape [${input.shape.join(', ')}]`,
      );
    if (input.shape[input.ndim - 1] !== this.inputSize)
      throw new Error(
        `${layer}: input has inconsistent input_size: got ${input.shape[input.ndim - 1]} expected ${this.inputSize} (input of shape [${input.shape.join(', ')}])`,
      );
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    const batch = x.shape[0]!;
    const names = state.length === 1 ? ['hx'] : ['hx', 'cx'];
    const given = state.map((s, k) => {
      if (!s) return zeros([batch, this.hiddenSize], { device: x.device, dtype: x.dtype });
      const name = names[k]!;
      if (s.ndim !== input.ndim)
        throw new Error(
          `${layer}: Expected ${name} to be ${input.ndim}-D${batched ? '' : ' for unbatched 1-D input'} but received ${s.ndim}-D tensor of shape [${s.shape.join(', ')}]`,
        );
      const h = batched ? s : s.unsqueeze(0);
      if (h.shape[0] !== batch)
        throw new Error(
          `${layer}: Input batch size ${batch} doesn't match ${name} batch size ${h.shape[0]}`,
        );
      if (h.shape[1] !== this.hiddenSize)
        throw new Error(
          `${layer}: ${name} has inconsistent hidden_size: got ${h.shape[1]}, expected ${this.hiddenSize}`,
        );
      return h;
    });
    const weights: StepWeights = {
      weightIh: this.weightIh,
      weightHh: this.weightHh,
      biasIh: this.biasIh,
      biasHh: this.biasHh,
    };
    const xp = inputProjection(this.mode, x, weights);
    const mask = this.mode === 'GRU' ? gruGateMask(xp) : undefined;
    const next = recurrentStep(this.mode, xp, given, weights, mask);
    return batched ? next : next.map((t) => t.squeeze(0));
  }

  /** PyTorch's printed settings: `10, 20`, then `bias=False` when it has none. */
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    return s;
  }
}

/** Checks a nonlinearity option: 'tanh' or 'relu'. */
export function checkNonlinearity(value: unknown, layer: string): Nonlinearity {
  if (value !== 'tanh' && value !== 'relu')
    throw new Error(
      `${layer}: Unknown nonlinearity ${describeValue(value)} (use 'tanh' or 'relu')`,
    );
  return value;
}

/** One step of an Elman RNN: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu). */
export class RNNCell extends RecurrentCellBase<Tensor> {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    checkOptionKeys('RNNCell', options, [...cellOptionKeys, 'nonlinearity']);
    const nonlinearity = checkNonlinearity(options.nonlinearity ?? 'tanh', 'RNNCell');
    super(
      inputSize,
      hiddenSize,
      nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU',
      options,
      'RNNCell',
    );
    this.nonlinearity = nonlinearity;
  }

  /** The next hidden state, [B, hiddenSize] (or [hiddenSize]); hx is zeros when missing. */
  override forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.run(input, [hx])[0]!;
  }

  /** PyTorch's printed settings, with `nonlinearity=relu` when it is not tanh. */
  override extraRepr(): string {
    const s = super.extraRepr();
    return this.nonlinearity === 'tanh' ? s : `${s}, nonlinearity=${this.nonlinearity}`;
  }
}

/**
 * One step of an LSTM with PyTorch's gate order (input, forget, cell, output):
 * c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').
 */
export class LSTMCell extends RecurrentCellBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions = {}) {
    checkOptionKeys('LSTMCell', options, cellOptionKeys);
    super(inputSize, hiddenSize, 'LSTM', options, 'LSTMCell');
  }

  /** The next [h, c], each [B, hiddenSize] (or [hiddenSize]); hx is zeros when missing. */
  override forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const [h, c] = this.run(input, hx ? [hx[0], hx[1]] : [null, null]);
    return [h!, c!];
  }
}

/**
 * One step of a GRU with PyTorch's gate order (reset, update, new):
 * n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 - z)·n + z·h.
 */
export class GRUCell extends RecurrentCellBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions = {}) {
    checkOptionKeys('GRUCell', options, cellOptionKeys);
    super(inputSize, hiddenSize, 'GRU', options, 'GRUCell');
  }

  /** The next hidden state, [B, hiddenSize] (or [hiddenSize]); hx is zeros when missing. */
  override forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.run(input, [hx])[0]!;
  }
}
