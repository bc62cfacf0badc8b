// RNN, LSTM, GRU and their cells against PyTorch 1.13 (scripts/reference/rnn.py): outputs,
// final states, and the gradients with respect to the input, the initial states and every
// parameter, on the CPU and on WebGPU.

import type { Tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';
import { expectRecorded, fromRecorded, recordedState } from './helpers.js';
import { recurrentReferences } from './reference/rnn-values.js';

const [I, H] = [4, 6];

type Recurrent = nn.RNN | nn.LSTM | nn.GRU | nn.RNNCell | nn.LSTMCell | nn.GRUCell;

/** The dl module of each reference case, built with the script's arguments. */
const factories: Record<string, () => Recurrent> = {
  RNN: () => new nn.RNN(I, H),
  RNNRelu: () => new nn.RNN(I, H, { nonlinearity: 'relu' }),
  RNNTwoLayers: () => new nn.RNN(I, H, 2),
  RNNBidirectional: () => new nn.RNN(I, H, { bidirectional: true }),
  RNNReluNoBiasBatchFirst: () =>
    new nn.RNN(I, H, { nonlinearity: 'relu', bias: false, batchFirst: true }),
  LSTM: () => new nn.LSTM(I, H),
  LSTMWithState: () => new nn.LSTM(I, H),
  LSTMTwoLayers: () => new nn.LSTM(I, H, { numLayers: 2 }),
  LSTMBidirectional: () => new nn.LSTM(I, H, { bidirectional: true }),
  LSTMBatchFirst: () => new nn.LSTM(I, H, { batchFirst: true }),
  LSTMNoBias: () => new nn.LSTM(I, H, { bias: false }),
  LSTMTwoLayersBidirectionalBatchFirst: () =>
    new nn.LSTM(I, H, { numLayers: 2, bidirectional: true, batchFirst: true }),
  LSTMUnbatched: () => new nn.LSTM(I, H, 2),
  LSTMProjection: () => new nn.LSTM(I, H, { projSize: 3, numLayers: 2 }),
  LSTMSingleStep: () => new nn.LSTM(I, H),
  GRU: () => new nn.GRU(I, H),
  GRUWithState: () => new nn.GRU(I, H),
  GRUTwoLayersBidirectional: () => new nn.GRU(I, H, { numLayers: 2, bidirectional: true }),
  GRUNoBiasBatchFirst: () => new nn.GRU(I, H, { bias: false, batchFirst: true }),
  GRUUnbatched: () => new nn.GRU(I, H),
  RNNCell: () => new nn.RNNCell(I, H),
  RNNCellReluNoBias: () => new nn.RNNCell(I, H, { bias: false, nonlinearity: 'relu' }),
  LSTMCell: () => new nn.LSTMCell(I, H),
  LSTMCellNoState: () => new nn.LSTMCell(I, H),
  LSTMCellUnbatched: () => new nn.LSTMCell(I, H, { bias: false }),
  GRUCell: () => new nn.GRUCell(I, H),
  GRUCellNoBias: () => new nn.GRUCell(I, H, { bias: false }),
  GRUCellUnbatched: () => new nn.GRUCell(I, H),
};

/** [output (layers only), ...states] of any of the modules, from `call(x)` or `call(x, hx)`. */
function run(module: Recurrent, x: Tensor, hx: Tensor[] | undefined): Tensor[] {
  const pair = hx ? ([hx[0]!, hx[1]!] as [Tensor, Tensor]) : undefined;
  if (module instanceof nn.LSTM) {
    const [output, [h, c]] = pair ? module.call(x, pair) : module.call(x);
    return [output, h, c];
  }
  if (module instanceof nn.LSTMCell) return pair ? module.call(x, pair) : module.call(x);
  if (module instanceof nn.RNNCell || module instanceof nn.GRUCell)
    return [hx ? module.call(x, hx[0]) : module.call(x)];
  const [output, h] = hx ? module.call(x, hx[0]) : module.call(x);
  return [output, h];
}

const names = Object.keys(recurrentReferences);
/**
 * float32 against float64 references, through up to ten steps of two layers (measured: at
 * most 7.6e-7 on the CPU and 1.3e-6 on WebGPU, lavapipe).
 */
const tolerance = { rtol: 1e-4, atol: 1e-5 };

describe('recurrent reference cases', () => {
  it('has a factory for every case the script recorded, and no other', () => {
    expect(Object.keys(factories).sort()).toEqual([...names].sort());
  });

  it.each(names)('%s prints like PyTorch and has its state-dict keys', (name) => {
    const module = factories[name]!();
    const reference = recurrentReferences[name]!;
    expect(module.toString()).toBe(reference.repr);
    expect([...module.stateDict().keys()]).toEqual(Object.keys(reference.state));
  });
});

describe.each(devices)('recurrent layers on %s', (_, device) => {
  it.each(names)('%s matches PyTorch (outputs, states, gradients)', async (name) => {
    const reference = recurrentReferences[name]!;
    const module = factories[name]!();
    module.loadStateDict(recordedState(reference.state));
    module.to(device);
    const x = fromRecorded(reference.input, device).requiresGrad_(true);
    const hx = reference.hx?.map((h) => fromRecorded(h, device).requiresGrad_(true));
    const outputs = run(module, x, hx);
    const expected = [...(reference.output ? [reference.output] : []), ...reference.states];
    expect(outputs.length, `${name}: number of outputs`).toBe(expected.length);
    for (const [k, out] of outputs.entries())
      await expectRecorded(out, expected[k]!, `${name} output ${k}`, tolerance);
    let loss = outputs[0]!.mul(fromRecorded(reference.projections[0]!, device)).sum();
    for (let k = 1; k < outputs.length; k++)
      loss = loss.add(outputs[k]!.mul(fromRecorded(reference.projections[k]!, device)).sum());
    loss.backward();
    await expectRecorded(x.grad, reference.inputGrad, `${name} input grad`, tolerance);
    for (const [k, h] of (hx ?? []).entries())
      await expectRecorded(h.grad, reference.hxGrads![k]!, `${name} hx[${k}] grad`, tolerance);
    const params = new Map(module.namedParameters());
    expect([...params.keys()].sort()).toEqual(Object.keys(reference.grads).sort());
    for (const [key, grad] of Object.entries(reference.grads))
      await expectRecorded(params.get(key)!.grad, grad, `${name} grad of ${key}`, tolerance);
  });
});
