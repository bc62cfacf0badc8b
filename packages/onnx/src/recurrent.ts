// RNN, LSTM and GRU as ONNX's RNN, LSTM and GRU ops, one per layer (both directions in one
// op when bidirectional). ONNX stacks the gates in other orders than PyTorch (LSTM i, o, f,
// c against PyTorch's i, f, g, o; GRU z, r, h against r, z, n), so the weights are written
// with their blocks reordered; GRU's n = tanh(W_in x + b_in + r·(W_hn h + b_hn)) is ONNX's
// linear_before_reset = 1. Inputs are [T, B, features]: batch-first and unbatched inputs
// and states are transposed or unsqueezed around the ops.

import * as nn from '@dl/nn';
import { cat, noGrad, stack, Tensor } from '@dl/tensor';
import { attr } from './graph.js';
import type { TraceContext } from './trace.js';

type Recurrent = nn.RNN | nn.LSTM | nn.GRU;

/** Each ONNX gate block's index among PyTorch's blocks. */
const onnxGateOrder: Record<nn.RecurrentMode, readonly number[]> = {
  RNN_TANH: [0],
  RNN_RELU: [0],
  LSTM: [0, 3, 1, 2],
  GRU: [1, 0, 2],
};

const onnxOp: Record<nn.RecurrentMode, 'RNN' | 'LSTM' | 'GRU'> = {
  RNN_TANH: 'RNN',
  RNN_RELU: 'RNN',
  LSTM: 'LSTM',
  GRU: 'GRU',
};

/** `weight` ([G·H, ...] or [G·H]) with its gate blocks in ONNX's order. */
function reorderGates(weight: Tensor, mode: nn.RecurrentMode, hidden: number): Tensor {
  return cat(
    onnxGateOrder[mode].map((block) => weight.narrow(0, block * hidden, hidden)),
    0,
  );
}

/** The tensors of what a recurrent layer's forward returned: output, hN and (LSTM) cN. */
function outputsOf(output: unknown): Tensor[] {
  if (!Array.isArray(output)) return [];
  const [sequence, state] = output as unknown[];
  const states = Array.isArray(state) ? state : [state];
  return [sequence, ...states].filter((t): t is Tensor => t instanceof Tensor);
}

/**
 * Exports one call of RNN, LSTM or GRU: `args` are forward's (input, and hx: h0, or LSTM's
 * [h0, c0]), `output` its [output, hN] or [output, [hN, cN]].
 */
export function exportRecurrent(
  ctx: TraceContext,
  module: unknown,
  args: readonly unknown[],
  output: unknown,
  path: string,
): void {
  if (!(module instanceof nn.RNN || module instanceof nn.LSTM || module instanceof nn.GRU)) return;
  const layer: Recurrent = module;
  const name = layer.constructor.name;
  if (layer.projSize > 0)
    throw ctx.unsupported(name, 'projSize has no ONNX LSTM form (ONNX has no projection)');
  const [x, hx] = args;
  if (!(x instanceof Tensor)) return;
  const states: Tensor[] = (Array.isArray(hx) ? hx : hx ? [hx] : []).filter(
    (t): t is Tensor => t instanceof Tensor,
  );
  const results = outputsOf(output);
  const stateCount = layer.mode === 'LSTM' ? 2 : 1;
  if (results.length !== 1 + stateCount) return;

  const batched = x.ndim === 3;
  const int64s = (values: readonly number[]) => ctx.graph.int64s(values, 'Axes');
  // The input as [T, B, I].
  let sequence = ctx.input(x);
  if (!batched) sequence = ctx.node('Unsqueeze', [sequence, int64s([1])])[0]!;
  else if (layer.batchFirst)
    sequence = ctx.node('Transpose', [sequence], [attr.ints('perm', [1, 0, 2])])[0]!;
  // Initial states as [L·D, B, H].
  const initial = states.map((s) => {
    const value = ctx.input(s);
    return batched ? value : ctx.node('Unsqueeze', [value, int64s([1])])[0]!;
  });

  const directions = layer.numDirections;
  const hidden = layer.hiddenSize;
  const finals: string[][] = Array.from({ length: stateCount }, () => []);
  const prefix = path ? `${path}.` : '';
  for (let l = 0; l < layer.numLayers; l++) {
    const weights = layer.allWeights.slice(l * directions, (l + 1) * directions);
    // Parameters are constants of the graph: derived without a trace.
    const [w, r, b] = noGrad(() => [
      stack(
        weights.map((ws) => reorderGates(ws[0]!, layer.mode, hidden)),
        0,
      ),
      stack(
        weights.map((ws) => reorderGates(ws[1]!, layer.mode, hidden)),
        0,
      ),
      layer.bias
        ? stack(
            weights.map((ws) =>
              cat(
                [
                  reorderGates(ws[2]!, layer.mode, hidden),
                  reorderGates(ws[3]!, layer.mode, hidden),
                ],
                0,
              ),
            ),
            0,
          )
        : undefined,
    ]);
    const inputs = [
      sequence,
      ctx.graph.tensor(w!, `${prefix}onnx_W_l${l}`),
      ctx.graph.tensor(r!, `${prefix}onnx_R_l${l}`),
      b ? ctx.graph.tensor(b, `${prefix}onnx_B_l${l}`) : '',
      '', // sequence_lens: every sequence has all T steps
      ...initial.map(
        (value) =>
          ctx.node('Slice', [
            value,
            ctx.graph.int64s([l * directions], 'Starts'),
            ctx.graph.int64s([(l + 1) * directions], 'Ends'),
            int64s([0]),
          ])[0]!,
      ),
    ];
    // Trailing optional inputs left out are simply not given.
    while (inputs.at(-1) === '') inputs.pop();
    const attributes = [
      attr.int('hidden_size', hidden),
      attr.string('direction', directions === 2 ? 'bidirectional' : 'forward'),
    ];
    if (layer.mode === 'RNN_RELU')
      attributes.push(
        attr.strings(
          'activations',
          Array.from({ length: directions }, () => 'Relu'),
        ),
      );
    if (layer.mode === 'GRU') attributes.push(attr.int('linear_before_reset', 1));
    const [y, ...last] = ctx.node(onnxOp[layer.mode], inputs, attributes, 1 + stateCount);
    // Y is [T, D, B, H]: the next layer reads [T, B, D·H].
    const moved = ctx.node('Transpose', [y!], [attr.ints('perm', [0, 2, 1, 3])])[0]!;
    sequence = ctx.node('Reshape', [moved, ctx.graph.int64s([0, 0, -1], 'Shape')])[0]!;
    last.forEach((value, k) => {
      finals[k]!.push(value);
    });
  }
  let out = sequence;
  if (!batched) out = ctx.node('Squeeze', [out, int64s([1])])[0]!;
  else if (layer.batchFirst) out = ctx.node('Transpose', [out], [attr.ints('perm', [1, 0, 2])])[0]!;
  ctx.set(results[0]!, out);
  finals.forEach((values, k) => {
    let state =
      values.length === 1 ? values[0]! : ctx.node('Concat', values, [attr.int('axis', 0)])[0]!;
    if (!batched) state = ctx.node('Squeeze', [state, int64s([1])])[0]!;
    ctx.set(results[1 + k]!, state);
  });
}
