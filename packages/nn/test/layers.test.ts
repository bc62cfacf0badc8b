// Every layer against PyTorch: the reference script loads the same state dict into the torch
// module, and records the output and the gradients of sum(output * projection) with respect
// to the input and each parameter. Run on the CPU and on WebGPU.

import { Tensor, tensor, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';
import { expectRecorded, fromRecorded, recordedState } from './helpers.js';
import { factories } from './layers.cases.js';
import { references } from './reference/values.js';

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
    // A layer with returnIndices gives [values, indices], as PyTorch's.
    const [out, indices] = Array.isArray(output) ? output : [output];
    if (!(out instanceof Tensor)) throw new Error(`${name} did not return a tensor`);
    await expectRecorded(out, reference.output, `${name} output`);
    if (reference.indices) {
      expect(indices?.dtype, `${name} indices dtype`).toBe('int32');
      await expectRecorded(indices, reference.indices, `${name} indices`, { rtol: 0, atol: 0 });
    } else expect(indices, `${name} returns a second output`).toBeUndefined();
    out.mul(fromRecorded(reference.projection, device)).sum().backward();
    if (reference.inputGrad)
      await expectRecorded(input.grad, reference.inputGrad, `${name} input grad`);
    const params = new Map(module.namedParameters());
    // Parameters the output does not depend on have no gradient, in PyTorch and here.
    for (const [key, p] of params) if (!(key in reference.grads)) expect(p.grad, key).toBeNull();
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

describe('MaxPool2d returnIndices', () => {
  it('gives [values, indices] as PyTorch with it, values without (it was ignored before)', async () => {
    // arange(16) as 4x4: each 2x2 window's maximum is its bottom-right element.
    const x = tensor(
      Array.from({ length: 16 }, (_, i) => i),
      { dtype: 'float32' },
    ).reshape([1, 1, 4, 4]);
    const [values, indices] = new nn.MaxPool2d(2, { returnIndices: true }).call(x);
    expect(await values.toArray()).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    expect(indices.dtype).toBe('int32');
    expect(await indices.toArray()).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    // Mirrored along W: each window's maximum is now its bottom-left element.
    const [v2, i2] = nn.F.maxPool2d(x.flip(3), 2, { returnIndices: true });
    expect(await v2.toArray()).toEqual([
      [
        [
          [7, 5],
          [15, 13],
        ],
      ],
    ]);
    expect(await i2.toArray()).toEqual([
      [
        [
          [4, 6],
          [12, 14],
        ],
      ],
    ]);
    const plain: Tensor = new nn.MaxPool2d(2).call(x);
    expect(await plain.toArray()).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
  });
});

describe('AdaptiveMaxPool2d returnIndices', () => {
  it('types forward by the option: [values, indices] with it, values without', () => {
    const x = zeros([1, 2, 5, 7]);
    const [values, indices] = new nn.AdaptiveMaxPool2d(3, { returnIndices: true }).call(x);
    expect([values.shape, indices.shape, indices.dtype]).toEqual([
      [1, 2, 3, 3],
      [1, 2, 3, 3],
      'int32',
    ]);
    const plain: Tensor = new nn.AdaptiveMaxPool2d(3).call(x);
    expect(plain.shape).toEqual([1, 2, 3, 3]);
    expect(new nn.AdaptiveMaxPool2d(3, { returnIndices: false }).call(x)).toBeInstanceOf(Tensor);
  });
});
