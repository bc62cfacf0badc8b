// Every layer against PyTorch: the reference script loads the same state dict into the torch
// module, and records the output and the gradients of sum(output * projection) with respect
// to the input and each parameter. Run on the CPU and on WebGPU.

import { Tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';
import { expectRecorded, fromRecorded, recordedState } from './helpers.js';
import { references } from './reference/values.js';

class MhaSelf extends nn.Module {
  attn = new nn.MultiheadAttention(4, 2);
  override forward(x: Tensor): Tensor {
    return this.attn.forward(x, x, x)[0];
  }
}

/** The dl module of each reference case, built with the same arguments as the script's. */
export const factories: Record<string, () => nn.Module> = {
  Linear: () => new nn.Linear(3, 2),
  LinearNoBias: () => new nn.Linear(3, 2, { bias: false }),
  Conv2d: () => new nn.Conv2d(2, 3, 3, { padding: 1 }),
  Conv2dStridedGroups: () => new nn.Conv2d(2, 4, [2, 3], { stride: 2, padding: [1, 0], groups: 2 }),
  Conv2dDilated: () => new nn.Conv2d(2, 2, 2, { dilation: 2, bias: false }),
  Conv2dReflect: () => new nn.Conv2d(2, 2, 3, { padding: 1, paddingMode: 'reflect' }),
  Conv1d: () => new nn.Conv1d(2, 3, 3, { padding: 1 }),
  ConvTranspose2d: () =>
    new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  MaxPool2d: () => new nn.MaxPool2d(2),
  MaxPool2dPadded: () => new nn.MaxPool2d(3, { stride: 1, padding: 1 }),
  AvgPool2d: () => new nn.AvgPool2d(2),
  AvgPool2dPadded: () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }),
  AdaptiveAvgPool2d: () => new nn.AdaptiveAvgPool2d([2, 3]),
  AdaptiveAvgPool2dGlobal: () => new nn.AdaptiveAvgPool2d(1),
  AdaptiveMaxPool2d: () => new nn.AdaptiveMaxPool2d(2),
  BatchNorm1dTrain: () => new nn.BatchNorm1d(3),
  BatchNorm1dEval: () => new nn.BatchNorm1d(3),
  BatchNorm1d3dTrain: () => new nn.BatchNorm1d(2),
  BatchNorm2dTrain: () => new nn.BatchNorm2d(2, { momentum: 0.3 }),
  BatchNorm2dEval: () => new nn.BatchNorm2d(2),
  BatchNorm1dNoAffineNoStats: () =>
    new nn.BatchNorm1d(3, { affine: false, trackRunningStats: false }),
  LayerNorm: () => new nn.LayerNorm(4),
  LayerNorm2d: () => new nn.LayerNorm([3, 4], { eps: 1e-3 }),
  GroupNorm: () => new nn.GroupNorm(2, 4),
  Embedding: () => new nn.Embedding(5, 3, { paddingIdx: 1 }),
  ReLU: () => new nn.ReLU(),
  LeakyReLU: () => new nn.LeakyReLU(0.2),
  Sigmoid: () => new nn.Sigmoid(),
  Tanh: () => new nn.Tanh(),
  GELU: () => new nn.GELU(),
  GELUTanh: () => new nn.GELU({ approximate: 'tanh' }),
  SiLU: () => new nn.SiLU(),
  ELU: () => new nn.ELU(0.5),
  Softplus: () => new nn.Softplus(2, 1.5),
  Softmax: () => new nn.Softmax(1),
  LogSoftmax: () => new nn.LogSoftmax(-1),
  Hardtanh: () => new nn.Hardtanh(-0.5, 0.8),
  Mish: () => new nn.Mish(),
  Identity: () => new nn.Identity(),
  Flatten: () => new nn.Flatten(),
  Dropout: () => new nn.Dropout(0.3),
  Unflatten: () => new nn.Unflatten(1, [2, 3]),
  UpsampleNearest: () => new nn.Upsample({ scaleFactor: 2 }),
  UpsampleBilinear: () => new nn.Upsample({ size: [3, 5], mode: 'bilinear' }),
  MultiheadAttention: () => new MhaSelf(),
  TransformerEncoderLayer: () =>
    new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 }),
  TransformerEncoderLayerNormFirst: () =>
    new nn.TransformerEncoderLayer(4, 2, {
      dimFeedforward: 6,
      dropout: 0,
      activation: 'gelu',
      batchFirst: true,
      normFirst: true,
    }),
};

const names = Object.keys(references.layers);

describe('reference cases', () => {
  it('has a factory for every case the script recorded, and no other', () => {
    expect(Object.keys(factories).sort()).toEqual([...names].sort());
  });
});

describe.each(devices)('layers on %s', (_, device) => {
  it.each(names)('%s matches PyTorch (output, gradients, state)', async (name) => {
    const reference = references.layers[name]!;
    const module = factories[name]!();
    module.loadStateDict(recordedState(reference.state));
    module.to(device);
    if (reference.stateAfter) module.train();
    else module.eval();
    const integerInput = name === 'Embedding';
    const input = fromRecorded(reference.input, device, integerInput ? 'int32' : 'float32');
    if (!integerInput) input.requiresGrad_(true);
    const output = module.call(input);
    if (!(output instanceof Tensor)) throw new Error(`${name} did not return a tensor`);
    const out = output;
    await expectRecorded(out, reference.output, `${name} output`);
    out.mul(fromRecorded(reference.projection, device)).sum().backward();
    if (reference.inputGrad)
      await expectRecorded(input.grad, reference.inputGrad, `${name} input grad`);
    const params = new Map(module.namedParameters());
    expect([...params.keys()].sort()).toEqual(Object.keys(reference.grads).sort());
    for (const [key, grad] of Object.entries(reference.grads))
      await expectRecorded(params.get(key)!.grad, grad, `${name} grad of ${key}`);
    if (reference.stateAfter) {
      const state = module.stateDict();
      for (const [key, value] of Object.entries(reference.stateAfter))
        await expectRecorded(state.get(key), value, `${name} ${key} after training step`);
    }
  });
});

describe('printed forms', () => {
  it.each(names)('%s prints like PyTorch', (name) => {
    expect(factories[name]!().toString()).toBe(references.layers[name]!.repr);
  });
});
