// The multi-layer recurrent layers RNN, LSTM and GRU, with torch.nn's constructor, parameter
// names (weight_ih_l0, bias_hh_l1_reverse, ...), shapes and call forms.
//
// Each layer and direction projects its whole input sequence in one matrix product first;
// the time loop (rnn-sequence.ts) then costs one h · W_hhᵀ product per step and the step's
// gate arithmetic, which fuses on WebGPU, forward and backward.

import {
  cat,
  checkOptionKeys,
  describeValue,
  dropout,
  stack,
  type Tensor,
  zeros,
} from '@dl/tensor';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { pyBool, pyFloat } from '../repr.js';
import { checkPositiveInt, type FactoryOptions, newParameter } from './linear.js';
import {
  checkNonlinearity,
  gateCount,
  inputProjection,
  type Nonlinearity,
  type RecurrentMode,
  type StepWeights,
} from './rnn-cells.js';
import { runSequence } from './rnn-sequence.js';

/** Options of RNN, LSTM and GRU, with PyTorch's defaults. */
export interface RecurrentOptions extends FactoryOptions {
  /** Stacked recurrent layers, each reading the previous one's output (default 1). */
  numLayers?: number;
  /** Whether the layers have b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [B, T, features] instead of [T, B, features] (default false). */
  batchFirst?: boolean;
  /** Dropout probability on each layer's output but the last, in training mode (default 0). */
  dropout?: number;
  /** Runs a second direction over the reversed sequence and concatenates (default false). */
  bidirectional?: boolean;
}

/** Options of RNN: the recurrent layers' and the nonlinearity. */
export interface RNNOptions extends RecurrentOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: Nonlinearity;
}

/** Options of LSTM: the recurrent layers' and a projection of the hidden state. */
export interface LSTMOptions extends RecurrentOptions {
  /**
   * When positive, h is projected to this size after each step (weight_hr_l*), as in
   * PyTorch's LSTM with proj_size; 0 (default) for none.
   */
  projSize?: number;
}

const optionKeys = [
  'numLayers',
  'bias',
  'batchFirst',
  'dropout',
  'bidirectional',
  'device',
  'dtype',
];

/** numLayers and the options from `(numLayers, options)` or `(options)`. */
function layerArgs<O extends RecurrentOptions>(
  layer: string,
  numLayers: number | O | undefined,
  options: O | undefined,
): O {
  if (typeof numLayers === 'number') {
    if (options?.numLayers !== undefined)
      throw new TypeError(`${layer}: numLayers given twice (as an argument and an option)`);
    return { ...(options ?? ({} as O)), numLayers };
  }
  return numLayers ?? options ?? ({} as O);
}

/**
 * What RNN, LSTM and GRU share (PyTorch's RNNBase): the parameters of every layer and
 * direction, the checks of the input and the initial state, and the loop over layers.
 */
export abstract class RecurrentBase<Output> extends Module<Output> {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** The size of h after the projection (LSTM with projSize), 0 without one. */
  readonly projSize: number;

  constructor(
    readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RecurrentOptions & { projSize?: number },
  ) {
    super();
    const layer = modeLayer[mode];
    checkPositiveInt(inputSize, 'inputSize', layer);
    checkPositiveInt(hiddenSize, 'hiddenSize', layer);
    this.numLayers = options.numLayers ?? 1;
    checkPositiveInt(this.numLayers, 'numLayers', layer);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    if (typeof this.dropout !== 'number' || !(this.dropout >= 0 && this.dropout <= 1))
      throw new RangeError(
        `${layer}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${describeValue(this.dropout)}`,
      );
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = options.projSize ?? 0;
    if (!Number.isInteger(this.projSize) || this.projSize < 0)
      throw new RangeError(
        `${layer}: projSize should be a non-negative integer, got ${describeValue(this.projSize)}`,
      );
    if (this.projSize >= hiddenSize)
      throw new RangeError(
        `${layer}: projSize (${this.projSize}) has to be smaller than hiddenSize (${hiddenSize})`,
      );
    const rows = gateCount[mode] * hiddenSize;
    const outSize = this.projSize || hiddenSize;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < this.numDirections; d++) {
        const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const layerInput = l === 0 ? inputSize : outSize * this.numDirections;
        this.registerParameter(`weight_ih${suffix}`, newParameter([rows, layerInput], options));
        this.registerParameter(`weight_hh${suffix}`, newParameter([rows, outSize], options));
        if (this.bias) {
          this.registerParameter(`bias_ih${suffix}`, newParameter([rows], options));
          this.registerParameter(`bias_hh${suffix}`, newParameter([rows], options));
        }
        if (this.projSize > 0)
          this.registerParameter(
            `weight_hr${suffix}`,
            newParameter([this.projSize, hiddenSize], options),
          );
      }
    }
    this.resetParameters();
  }

  /** 2 when bidirectional, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /**
   * Every layer's and direction's parameters, in PyTorch's order (`all_weights`): for layer
   * l and direction d, [weight_ih, weight_hh, bias_ih, bias_hh, weight_hr] (those that exist).
   */
  get allWeights(): Parameter[][] {
    const out: Parameter[][] = [];
    for (let l = 0; l < this.numLayers; l++)
      for (let d = 0; d < this.numDirections; d++) {
        const w = this.#weights(l, d);
        out.push(
          [w.weightIh, w.weightHh, w.biasIh, w.biasHh, w.weightHr ?? null].filter(
            (p): p is Parameter => p !== null,
          ),
        );
      }
    return out;
  }

  /** Re-initialises every weight and bias as PyTorch does: uniform on ±1/sqrt(hiddenSize). */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -bound, bound);
  }

  /** Does nothing: PyTorch's flatten_parameters compacts weights for cuDNN, which dl has no need of. */
  flattenParameters(): void {}

  #weights(
    layer: number,
    direction: number,
  ): StepWeights & {
    weightIh: Parameter;
    weightHh: Parameter;
    biasIh: Parameter | null;
    biasHh: Parameter | null;
    weightHr: Parameter | null;
  } {
    const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
    const get = (name: string) => this.getParameter(`${name}${suffix}`);
    return {
      weightIh: get('weight_ih')!,
      weightHh: get('weight_hh')!,
      biasIh: this.bias ? get('bias_ih') : null,
      biasHh: this.bias ? get('bias_hh') : null,
      weightHr: this.projSize > 0 ? get('weight_hr') : null,
    };
  }

  /**
   * Runs every layer over `input` from the initial states `hx` (each [layers · directions,
   * B, size] or unbatched [layers · directions, size], zeros when missing), and returns the
   * last layer's output and the final states, shaped and batched as PyTorch's.
   */
  protected run(
    input: Tensor,
    hx: readonly (Tensor | null | undefined)[],
  ): { output: Tensor; state: Tensor[] } {
    const layer = modeLayer[this.mode];
    if (input.ndim !== 2 && input.ndim !== 3)
      throw new Error(
        `${layer}: Expected input to be 2-D or 3-D but received ${input.ndim}-D tensor of shape [${input.shape.join(', ')}]`,
      );
    if (input.shape[input.ndim - 1] !== this.inputSize)
      throw new Error(
        `${layer}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]} (input of shape [${input.shape.join(', ')}])`,
      );
    const batched = input.ndim === 3;
    // Work in [T, B, features].
    let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
    const [steps, batch] = [x.shape[0]!, x.shape[1]!];
    if (steps === 0)
      throw new Error(
        `${layer}: the input has no time steps (shape [${input.shape.join(', ')}]); expected a sequence of at least one`,
      );
    const stack0 = this.numLayers * this.numDirections;
    const sizes =
      this.mode === 'LSTM'
        ? [this.projSize || this.hiddenSize, this.hiddenSize]
        : [this.hiddenSize];
    const names = this.mode === 'LSTM' ? ['hidden[0]', 'hidden[1]'] : ['hidden'];
    const initial = sizes.map((size, k) => {
      const given = hx[k];
      const expected = batched ? [stack0, batch, size] : [stack0, size];
      if (!given) return null;
      if (given.ndim !== expected.length)
        throw new Error(
          batched
            ? `${layer}: For batched 3-D input, hx should also be 3-D but got ${given.ndim}-D tensor of shape [${given.shape.join(', ')}]`
            : `${layer}: For unbatched 2-D input, hx should also be 2-D but got ${given.ndim}-D tensor of shape [${given.shape.join(', ')}]`,
        );
      if (given.shape.some((d, i) => d !== expected[i]))
        throw new Error(
          `${layer}: Expected ${names[k]} size (${expected.join(', ')}), got [${given.shape.join(', ')}]`,
        );
      return batched ? given : given.unsqueeze(1);
    });

    const finals: Tensor[][] = sizes.map(() => []);
    for (let l = 0; l < this.numLayers; l++) {
      const outputs: Tensor[] = [];
      for (let d = 0; d < this.numDirections; d++) {
        const index = l * this.numDirections + d;
        const state = sizes.map(
          (size, k) =>
            initial[k]?.select(0, index) ??
            zeros([batch, size], { device: x.device, dtype: x.dtype }),
        );
        const weights = this.#weights(l, d);
        const projection = inputProjection(this.mode, x, weights);
        const result = runSequence(this.mode, projection, state, weights, d === 1);
        outputs.push(result.output);
        result.state.forEach((s, k) => {
          finals[k]!.push(s);
        });
      }
      x = outputs.length === 1 ? outputs[0]! : cat(outputs, 2);
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) x = dropout(x, this.dropout);
    }
    const output = batched ? (this.batchFirst ? x.transpose(0, 1) : x) : x.squeeze(1);
    const state = finals.map((list) => {
      const s = stack(list, 0);
      return batched ? s : s.squeeze(1);
    });
    return { output, state };
  }

  /** PyTorch's printed settings: the sizes, then each option that is not its default. */
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

const modeLayer: Record<RecurrentMode, string> = {
  RNN_TANH: 'RNN',
  RNN_RELU: 'RNN',
  LSTM: 'LSTM',
  GRU: 'GRU',
};

/**
 * An Elman RNN over a sequence, torch.nn.RNN: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ +
 * b_hh) (or relu), in layers and optionally both directions. `call(x)` or `call(x, h0)`
 * returns [output, hN]: output [T, B, D·H] (batchFirst: [B, T, D·H]; unbatched [T, D·H]),
 * hN [layers·D, B, H].
 */
export class RNN extends RecurrentBase<[Tensor, Tensor]> {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions);
  constructor(inputSize: number, hiddenSize: number, numLayers: number, options?: RNNOptions);
  constructor(
    inputSize: number,
    hiddenSize: number,
    numLayers?: number | RNNOptions,
    options?: RNNOptions,
  ) {
    const resolved = layerArgs('RNN', numLayers, options);
    checkOptionKeys('RNN', resolved, [...optionKeys, 'nonlinearity']);
    const nonlinearity = checkNonlinearity(resolved.nonlinearity ?? 'tanh', 'RNN');
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, resolved);
    this.nonlinearity = nonlinearity;
  }

  /** [output, hN]; h0 (zeros when missing) is [layers · directions, B, hiddenSize]. */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { output, state } = this.run(input, [hx]);
    return [output, state[0]!];
  }
}

/**
 * A long short-term memory network over a sequence, torch.nn.LSTM, with PyTorch's gate
 * order (input, forget, cell, output), in layers and optionally both directions.
 * `call(x)` or `call(x, [h0, c0])` returns [output, [hN, cN]]: output [T, B, D·H]
 * (batchFirst: [B, T, D·H]; unbatched [T, D·H]), hN and cN [layers·D, B, H].
 */
export class LSTM extends RecurrentBase<[Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, options?: LSTMOptions);
  constructor(inputSize: number, hiddenSize: number, numLayers: number, options?: LSTMOptions);
  constructor(
    inputSize: number,
    hiddenSize: number,
    numLayers?: number | LSTMOptions,
    options?: LSTMOptions,
  ) {
    const resolved = layerArgs('LSTM', numLayers, options);
    checkOptionKeys('LSTM', resolved, [...optionKeys, 'projSize']);
    super('LSTM', inputSize, hiddenSize, resolved);
  }

  /**
   * [output, [hN, cN]]; h0 and c0 (zeros when missing) are [layers · directions, B, size],
   * size being projSize (h) or hiddenSize (c).
   */
  override forward(
    input: Tensor,
    hx?: readonly [Tensor, Tensor] | null,
  ): [Tensor, [Tensor, Tensor]] {
    if (hx && (!Array.isArray(hx) || hx.length !== 2))
      throw new TypeError(`LSTM: hx must be a pair [h0, c0] of tensors, got ${describeValue(hx)}`);
    const { output, state } = this.run(input, hx ? [hx[0], hx[1]] : []);
    return [output, [state[0]!, state[1]!]];
  }
}

/**
 * A gated recurrent unit network over a sequence, torch.nn.GRU, with PyTorch's gate order
 * (reset, update, new) and n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), in layers and
 * optionally both directions. `call(x)` or `call(x, h0)` returns [output, hN] as RNN does.
 */
export class GRU extends RecurrentBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options?: RecurrentOptions);
  constructor(inputSize: number, hiddenSize: number, numLayers: number, options?: RecurrentOptions);
  constructor(
    inputSize: number,
    hiddenSize: number,
    numLayers?: number | RecurrentOptions,
    options?: RecurrentOptions,
  ) {
    const resolved = layerArgs('GRU', numLayers, options);
    checkOptionKeys('GRU', resolved, optionKeys);
    super('GRU', inputSize, hiddenSize, resolved);
  }

  /** [output, hN]; h0 (zeros when missing) is [layers · directions, B, hiddenSize]. */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { output, state } = this.run(input, [hx]);
    return [output, state[0]!];
  }
}
