// What a time step of RNN, LSTM and GRU costs on WebGPU, counted in compute dispatches: the
// gate arithmetic fuses into a few kernels whatever the number of gates, and backward
// touches the whole [T, B, G·H] input projection a bounded number of times, not once per step.

import { manualSeed, randn, type Tensor } from '@dl/tensor';
import type { WebGPUBackend } from '@dl/webgpu';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';

const gpu = devices.find(([name]) => name === 'webgpu')?.[1] as WebGPUBackend | undefined;
const [batch, inputSize, hidden] = [3, 8, 16];

/** The labels of the dispatches recorded while `work` runs (and its results are read). */
async function dispatches(work: () => Promise<void>): Promise<string[]> {
  const runtime = gpu!.runtime;
  await gpu!.synchronize();
  const labels: string[] = [];
  const original = runtime.dispatch;
  runtime.dispatch = (program) => {
    labels.push(program.label);
    original.call(runtime, program);
  };
  try {
    await work();
  } finally {
    runtime.dispatch = original;
  }
  return labels;
}

/** Dispatches of a forward pass and of its backward pass over `steps` time steps. */
async function countSteps(
  module: nn.RNN | nn.LSTM | nn.GRU,
  steps: number,
): Promise<{ forward: string[]; backward: string[] }> {
  const x = randn([steps, batch, inputSize]).to(gpu!).requiresGrad_(true);
  let output: Tensor | undefined;
  const forward = await dispatches(async () => {
    output = module.call(x)[0];
    await output.data();
  });
  const loss = output!.sum();
  await loss.data();
  const backward = await dispatches(async () => {
    loss.backward();
    await x.grad!.data();
    for (const p of module.parameters()) await p.grad!.data();
  });
  module.zeroGrad();
  return { forward, backward };
}

/** Dispatches per extra time step: the difference between 12 and 4 steps, over 8. */
async function perStep(module: nn.RNN | nn.LSTM | nn.GRU) {
  const [short, long] = [await countSteps(module, 4), await countSteps(module, 12)];
  return {
    forward: (long.forward.length - short.forward.length) / 8,
    backward: (long.backward.length - short.backward.length) / 8,
    long,
  };
}

describe.skipIf(!gpu)('recurrent time steps on WebGPU', () => {
  it('fuse the gate arithmetic: a few dispatches a step, whatever the gate count', async () => {
    manualSeed(0);
    const rnn = await perStep(new nn.RNN(inputSize, hidden).to(gpu!));
    const lstm = await perStep(new nn.LSTM(inputSize, hidden).to(gpu!));
    const gru = await perStep(new nn.GRU(inputSize, hidden).to(gpu!));
    // A step of the RNN: h · W_hhᵀ, the add and tanh (one kernel), and the copy of h into
    // the output sequence.
    expect(rnn.forward).toBeLessThanOrEqual(3);
    // LSTM: the product, the gates, c and h (c is sometimes folded into the next step's),
    // and the copy into the output: four gates cost no more kernels than one would.
    expect(lstm.forward).toBeLessThanOrEqual(6);
    expect(gru.forward).toBeLessThanOrEqual(5);
    for (const { long } of [rnn, lstm, gru]) {
      expect(long.forward.filter((label) => label.startsWith('matmul')).length).toBe(1 + 12);
    }
  });

  it('pass the gradient of the input projection back once, not once per step', async () => {
    manualSeed(1);
    for (const module of [new nn.LSTM(inputSize, hidden), new nn.GRU(inputSize, hidden)]) {
      const { long, backward } = await perStep(module.to(gpu!));
      const gates = module instanceof nn.LSTM ? 4 : 3;
      // Kernels over the whole [12, 3, G·H] projection's gradient: building it from each
      // step's slice would take two per step.
      const whole = long.backward.filter((label) => label.includes(`[12, 3, ${gates * hidden}]`));
      expect(whole.length, whole.join('\n')).toBeLessThanOrEqual(2);
      // Two products a step (for h and W_hh) and the gates' gradients.
      expect(backward).toBeLessThanOrEqual(30);
    }
  });
});
