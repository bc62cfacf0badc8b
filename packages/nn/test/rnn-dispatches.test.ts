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

/**
 * Dispatches per extra time step: the difference between 12 and 4 steps, over 8. Sums are
 * left out: a few per call (over the whole projection and the weights), they are split in
 * more parts as the sequence grows.
 */
async function perStep(module: nn.RNN | nn.LSTM | nn.GRU) {
  const [short, long] = [await countSteps(module, 4), await countSteps(module, 12)];
  const kernels = (labels: string[]) => labels.filter((label) => !label.startsWith('sum')).length;
  return {
    forward: (kernels(long.forward) - kernels(short.forward)) / 8,
    backward: (kernels(long.backward) - kernels(short.backward)) / 8,
    long,
  };
}

describe.skipIf(!gpu)('recurrent time steps on WebGPU', () => {
  it('fuse the gate arithmetic: a few dispatches a step, forward and backward, whatever the gate count', async () => {
    manualSeed(0);
    const rnn = await perStep(new nn.RNN(inputSize, hidden).to(gpu!));
    const lstm = await perStep(new nn.LSTM(inputSize, hidden).to(gpu!));
    const gru = await perStep(new nn.GRU(inputSize, hidden).to(gpu!));
    // Forward, a step of the RNN: h · W_hhᵀ, the add and tanh (one kernel), and the copy of
    // h into the output sequence. Backward: tanh's slope times the gradient, the product
    // with W_hh, and the copy into the stacked gradient of the projection.
    expect([rnn.forward, rnn.backward]).toEqual([3, 3]);
    // LSTM: the product, the four activations (one kernel), c, h and the copy; backward c's
    // gradient, the partners of the gates, the four gates' gradients (one kernel), the
    // product and the copy. Four gates cost no more kernels than one would.
    expect(lstm.forward).toBeLessThanOrEqual(5);
    expect(lstm.backward).toBeLessThanOrEqual(5);
    // GRU: two kernels more backward, where n's gradient reads more tensors than one
    // kernel may bind.
    expect(gru.forward).toBeLessThanOrEqual(5);
    expect(gru.backward).toBeLessThanOrEqual(8);
    for (const { long } of [rnn, lstm, gru]) {
      expect(long.forward.filter((label) => label.startsWith('matmul')).length).toBe(1 + 12);
      // One product a step for h's gradient, and three over all steps: the gradients of
      // W_hh, W_ih and the input.
      expect(long.backward.filter((label) => label.startsWith('matmul')).length).toBe(12 + 3);
    }
  });

  it('pass the gradient of the input projection back once, not once per step', async () => {
    manualSeed(1);
    for (const module of [new nn.LSTM(inputSize, hidden), new nn.GRU(inputSize, hidden)]) {
      const { long } = await perStep(module.to(gpu!));
      const gates = module instanceof nn.LSTM ? 4 : 3;
      // Kernels over the whole [12, 3, G·H] projection's gradient: building it from each
      // step's slice would take two per step.
      const whole = long.backward.filter((label) => label.includes(`[12, 3, ${gates * hidden}]`));
      expect(whole.length, whole.join('\n')).toBeLessThanOrEqual(2);
    }
  });
});
