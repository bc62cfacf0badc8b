// Gradients by finite differences (@dl/tensor/testing's gradcheck, float64 on the CPU) for
// every layer, with respect to its input and each of its parameters, and for every loss.
// (On WebGPU, which has no float64, the layer and loss suites compare gradients with PyTorch.)

import { type Tensor, Tensor as TensorClass } from '@dl/tensor';
import { gradcheck } from '@dl/tensor/testing';
import { describe, expect, it } from 'vitest';
import type * as nn from '../src/index.js';
import { Embedding, F } from '../src/index.js';
import { fromRecorded, recordedState } from './helpers.js';
import { factories } from './layers.cases.js';
import type { Recorded } from './reference/types.js';
import { references } from './reference/values.js';

/** The module and field holding each parameter that lives in a field (registered ones have none). */
function parameterFields(module: nn.Module<unknown>): Map<string, [nn.Module<unknown>, string]> {
  const out = new Map<string, [nn.Module<unknown>, string]>();
  for (const [path, owner] of module.namedModules()) {
    for (const [field, value] of Object.entries(owner)) {
      for (const [name, p] of owner.namedParameters({ recurse: false })) {
        if (p === value) out.set(path ? `${path}.${name}` : name, [owner, field]);
      }
    }
  }
  return out;
}

describe('layer gradients by finite differences', () => {
  it.each(Object.keys(references.layers))('%s', (name) => {
    const reference = references.layers[name]!;
    // paddingIdx cuts the padding row's gradient on purpose (its value still counts), which
    // finite differences cannot agree with: check the embedding without it.
    const module = (name === 'Embedding' ? new Embedding(5, 3) : factories[name]!()).double();
    module.loadStateDict(recordedState(reference.state, 'float64'));
    if (reference.stateAfter) module.train();
    else module.eval();
    const integerInput = name === 'Embedding';
    const input = fromRecorded(reference.input, 'cpu', integerInput ? 'int32' : 'float64');
    const fields = parameterFields(module);
    const names = [...fields.keys()];
    const params = names.map((n) => fields.get(n)!);
    const fn = (x: Tensor, ...values: Tensor[]) => {
      const saved = params.map(([owner, field]) => Reflect.get(owner, field));
      for (const [i, [owner, field]] of params.entries()) Reflect.set(owner, field, values[i]);
      try {
        const output = module.call(x);
        const out = Array.isArray(output) ? output[0] : output; // [values, indices]: values
        if (!(out instanceof TensorClass)) throw new Error(`${name} did not return a tensor`);
        return out;
      } finally {
        for (const [i, [owner, field]] of params.entries()) Reflect.set(owner, field, saved[i]);
      }
    };
    const leaves = [...module.namedParameters()]
      .filter(([n]) => fields.has(n))
      .map(([, p]) => p.detach().requiresGrad_(true));
    expect(leaves.length).toBe(names.length);
    gradcheck(fn, [integerInput ? input : input.requiresGrad_(true), ...leaves], {
      atol: 1e-5,
      rtol: 1e-3,
    });
  });
});

const lossFns: Record<
  string,
  (input: Tensor, target: Tensor, options: Record<string, unknown>) => Tensor
> = {
  mseLoss: F.mseLoss,
  l1Loss: F.l1Loss,
  smoothL1Loss: F.smoothL1Loss,
  huberLoss: F.huberLoss,
  crossEntropy: F.crossEntropy,
  nllLoss: F.nllLoss,
  binaryCrossEntropy: F.binaryCrossEntropy,
  binaryCrossEntropyWithLogits: F.binaryCrossEntropyWithLogits,
  klDiv: F.klDiv,
  cosineSimilarity: (a, b) => F.cosineSimilarity(a, b),
};

const optionNames: Record<string, string> = {
  label_smoothing: 'labelSmoothing',
  ignore_index: 'ignoreIndex',
  pos_weight: 'posWeight',
  log_target: 'logTarget',
};

// A loss whose value is NaN (the mean over targets that are all ignored) has no finite
// differences to compare; losses.test.ts checks its zero gradient against PyTorch's.
const finiteLosses = Object.keys(references.losses).filter(
  (name) => !references.losses[name]!.output.values.some(Number.isNaN),
);

describe('loss gradients by finite differences', () => {
  it.each(finiteLosses)('%s', (name) => {
    const reference = references.losses[name]!;
    const fn = lossFns[name.split('/')[0]!]!;
    const integer =
      (name.startsWith('crossEntropy') || name.startsWith('nllLoss')) &&
      !name.includes('probabilities');
    const target = fromRecorded(reference.target, 'cpu', integer ? 'int32' : 'float64');
    const options: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(reference.options)) {
      options[optionNames[key] ?? key] =
        typeof value === 'object' ? fromRecorded(value as Recorded, 'cpu', 'float64') : value;
    }
    const input = fromRecorded(reference.input, 'cpu', 'float64').requiresGrad_(true);
    gradcheck((x) => fn(x, target, options), [input]);
  });
});
