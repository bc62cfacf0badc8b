// Whole models against PyTorch, with fixed weights loaded through loadStateDict: DESIGN.md's
// MNIST CNN (DigitRecognizer) and an MLP with BatchNorm1d and Dropout, both in eval mode.
// Output, loss and every parameter's gradient, on the CPU and on WebGPU.

import { type Tensor, tensor } from '@dl/tensor';
import { compareValues } from '@dl/tensor/testing';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';
import { expectRecorded, fromRecorded, recordedState, wave } from './helpers.js';
import type { GradSummary } from './reference/types.js';
import { references } from './reference/values.js';
import { DigitRecognizer } from './test-models.js';

/** The script's CNN weights: wave(shape, k, 1 / sqrt(fanIn)) for the k-th parameter. */
function cnnState(model: nn.Module): nn.StateDict {
  const state: nn.StateDict = new Map();
  const fanIn: Record<string, number> = { conv1: 9, conv2: 288, fc1: 9216, fc2: 128 };
  let k = 0;
  for (const [name, p] of model.namedParameters()) {
    const scale = 1 / Math.sqrt(fanIn[name.split('.')[0]!]!);
    state.set(name, tensor(Float32Array.from(wave(p.shape, k++, scale))).reshape([...p.shape]));
  }
  return state;
}

async function expectSummary(grad: Tensor | null, expected: GradSummary, what: string) {
  if (!grad) throw new Error(`${what}: no gradient`);
  expect(grad.shape, what).toEqual(expected.shape);
  const values = await grad.data();
  const weights = wave([values.length], 0.11);
  let sum = 0;
  let sumSquares = 0;
  let weighted = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    sumSquares += values[i]! ** 2;
    weighted += values[i]! * weights[i]!;
  }
  const norm = Math.sqrt(expected.sumSquares);
  const problems = [
    compareValues([sum, weighted], [expected.sum, expected.weighted], {
      rtol: 1e-3,
      atol: 1e-4 * norm,
    }),
    compareValues([sumSquares], [expected.sumSquares], { rtol: 1e-3, atol: 0 }),
    compareValues(
      expected.indices.map((i) => values[i]!),
      expected.samples,
      { rtol: 1e-3, atol: 1e-4 * norm },
    ),
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new Error(`${what}: ${problems.join('; ')}`);
}

describe('the MNIST CNN', () => {
  const reference = references.cnn;
  it('prints exactly as PyTorch prints it', () => {
    expect(new DigitRecognizer().toString()).toBe(reference.repr);
  });
  it("has PyTorch's state-dict keys, in order, and parameter count", () => {
    const model = new DigitRecognizer();
    expect([...model.stateDict().keys()]).toEqual(reference.keys);
    expect(model.numParameters()).toBe(reference.numParameters);
  });
  describe.each(devices)('on %s', (_, device) => {
    it('output, loss and every parameter gradient match PyTorch', async () => {
      const model = new DigitRecognizer();
      model.loadStateDict(cnnState(model));
      model.to(device).eval();
      const x = tensor(Float32Array.from(wave([2, 1, 28, 28], 0.5)), { device }).reshape([
        2, 1, 28, 28,
      ]);
      const target = tensor([3, 7], { dtype: 'int32', device });
      const out = model.forward(x);
      await expectRecorded(out, reference.output, 'CNN output');
      const loss = nn.F.nllLoss(out, target);
      expect(await loss.item()).toBeCloseTo(reference.loss, 4);
      loss.backward();
      const params = new Map(model.namedParameters());
      expect([...params.keys()]).toEqual(Object.keys(reference.grads));
      for (const [name, summary] of Object.entries(reference.grads))
        await expectSummary(params.get(name)!.grad, summary, `grad of ${name}`);
    });
  });
});

describe('an MLP with BatchNorm1d and Dropout in eval mode', () => {
  const reference = references.mlp;
  const build = () =>
    new nn.Sequential(
      new nn.Linear(6, 8),
      new nn.BatchNorm1d(8),
      new nn.ReLU(),
      new nn.Dropout(0.5),
      new nn.Linear(8, 3),
    );
  it("prints exactly as PyTorch prints it, with PyTorch's keys", () => {
    const model = build();
    expect(model.toString()).toBe(reference.repr);
    expect([...model.stateDict().keys()]).toEqual(Object.keys(reference.state));
  });
  describe.each(devices)('on %s', (_, device) => {
    it('output, loss and every parameter gradient match PyTorch', async () => {
      const model = build();
      model.loadStateDict(recordedState(reference.state));
      model.to(device).eval();
      const out = model.forward(fromRecorded(reference.input, device));
      await expectRecorded(out, reference.output, 'MLP output');
      const loss = nn.F.crossEntropy(out, tensor([0, 2, 1, 2], { dtype: 'int32', device }));
      expect(await loss.item()).toBeCloseTo(reference.loss, 5);
      loss.backward();
      const params = new Map(model.namedParameters());
      expect([...params.keys()]).toEqual(Object.keys(reference.grads));
      for (const [name, grad] of Object.entries(reference.grads))
        await expectRecorded(params.get(name)!.grad, grad, `grad of ${name}`);
      // Eval mode leaves the running statistics alone.
      await expectRecorded(
        model.stateDict().get('1.running_mean'),
        reference.state['1.running_mean']!,
        'running mean',
      );
      expect(await model.stateDict().get('1.num_batches_tracked')!.item()).toBe(7);
    });
  });
});
