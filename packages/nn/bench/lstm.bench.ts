// LSTM benchmark: one forward and backward pass of a one-layer LSTM (batch 64, 32 steps,
// input 64, hidden 128; the loss is sum(output · P), the gradients those of the four
// parameters), dl's nn.LSTM against TensorFlow.js 4.22's LSTM layer (tf.layers.lstm, with
// sigmoid gates as PyTorch's) on the same backend: WebGPU (both on Dawn in this process;
// lavapipe without a GPU) and the CPU (tfjs's pure-JS backend). Run with `pnpm bench`.
// Both sides start from the same weights, and the run fails unless their outputs and
// weight gradients agree; GPU sides wait for their work in the timed region.

import { loadavg } from 'node:os';
import { type Backend, cpu, manualSeed, randn, type Tensor, tidy } from '@dl/tensor';
import { type WebGPUBackend, webgpu } from '@dl/webgpu';
import type * as Tf from '@tensorflow/tfjs-core';
import * as dawn from 'webgpu';
import { type ComparisonResult, compare, formatTable } from '../../../tooling/bench/harness.ts';
import {
  hostLine,
  provideNavigatorGpu,
  resolveTfjsCoreEsm,
} from '../../../tooling/bench/peers.node.ts';
import { syncTf, useTfBackend } from '../../../tooling/bench/tfjs.ts';
import * as nn from '../src/index.ts';

const [batch, steps, inputSize, hidden] = [64, 32, 64, 128];
/** Multiply-adds of the four products per step (x·W_ih, h·W_hh) forward, twice that backward. */
const flops = 3 * 2 * batch * steps * 4 * hidden * (inputSize + hidden);

// tfjs registers its WebGPU backend at import when navigator.gpu exists: import it after.
provideNavigatorGpu(dawn);
const tf: typeof Tf = await import('@tensorflow/tfjs-core');
// tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs bundle does).
resolveTfjsCoreEsm();
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
await import('@tensorflow/tfjs-backend-webgpu');
await import('@tensorflow/tfjs-backend-cpu');
const tfl = await import('@tensorflow/tfjs-layers');

/** The values of a CPU tensor as a Float32Array. */
function floats(t: Tensor): Float32Array {
  const data = t.contiguous().dataSync();
  if (!(data instanceof Float32Array)) throw new Error(`expected float32, got ${t.dtype}`);
  return data;
}

/** Fails the run if dl and tfjs differ by more than float32 noise. */
function check(name: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): void {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
    scale = Math.max(scale, Math.abs(theirs[i]!));
  }
  if (ours.length !== theirs.length || !(worst <= 1e-3 * Math.max(1, scale))) {
    throw new Error(`${name}: dl and tfjs disagree (max difference ${worst}, scale ${scale})`);
  }
}

async function lstmCase(
  label: string,
  device: Backend,
  tfName: 'webgpu' | 'cpu',
): Promise<ComparisonResult> {
  const name = `LSTM fwd+bwd, B${batch} T${steps} in${inputSize} h${hidden}, ${label}`;
  const tfBackend = await useTfBackend(tf, tfName);

  manualSeed(0);
  const lstm = new nn.LSTM(inputSize, hidden, { batchFirst: true });
  const x = randn([batch, steps, inputSize]);
  const projection = randn([batch, steps, hidden]);
  // tfjs's kernels are the transposed weights, gates in the same order (i, f, c, o), and
  // one bias: b_ih + b_hh.
  const weights = [
    tf.tensor(floats(lstm.getParameter('weight_ih_l0')!.t()), [inputSize, 4 * hidden]),
    tf.tensor(floats(lstm.getParameter('weight_hh_l0')!.t()), [hidden, 4 * hidden]),
    tf.tensor(floats(lstm.getParameter('bias_ih_l0')!.add(lstm.getParameter('bias_hh_l0')!)), [
      4 * hidden,
    ]),
  ];
  const layer = tfl.layers.lstm({
    units: hidden,
    returnSequences: true,
    recurrentActivation: 'sigmoid',
    // Replaced by dl's weights below (and tfjs's orthogonal initialiser needs its chained ops).
    kernelInitializer: 'zeros',
    recurrentInitializer: 'zeros',
    inputShape: [steps, inputSize],
  });
  const tx = tf.tensor(floats(x), [batch, steps, inputSize]);
  tf.dispose(layer.apply(tx) as Tf.Tensor); // builds the layer's weights
  layer.setWeights(weights);
  const tp = tf.tensor(floats(projection), [batch, steps, hidden]);

  lstm.to(device);
  const [dx, dp] = [x.to(device), projection.to(device)];
  const pass = () => {
    lstm.zeroGrad();
    const [output] = lstm.call(dx);
    output.mul(dp).sum().backward();
  };
  // Timed inside tidy, which frees the pass's tensors (the gradients too) as it ends.
  const ours = () => tidy(pass);
  const peerGrads = () =>
    tf.variableGrads(() => tf.sum(tf.mul(layer.apply(tx) as Tf.Tensor, tp)) as Tf.Scalar);
  const peer = () => {
    const { value, grads } = peerGrads();
    tf.dispose([value, ...Object.values(grads)]);
  };

  // The same loss and weight gradients on both sides.
  pass();
  const { value, grads } = peerGrads();
  const [output] = lstm.call(dx);
  check(`${name}: output`, await output.data(), await (layer.apply(tx) as Tf.Tensor).data());
  const byName = (suffix: string) =>
    grads[Object.keys(grads).find((k) => k.endsWith(suffix))!]!.data();
  check(
    `${name}: kernel grad`,
    await lstm.getParameter('weight_ih_l0')!.grad!.t().data(),
    await byName('kernel'),
  );
  check(
    `${name}: recurrent kernel grad`,
    await lstm.getParameter('weight_hh_l0')!.grad!.t().data(),
    await byName('recurrent_kernel'),
  );
  check(
    `${name}: bias grad`,
    await lstm.getParameter('bias_ih_l0')!.grad!.data(),
    await byName('bias'),
  );
  tf.dispose([value, ...Object.values(grads)]);

  // On WebGPU each side waits for its GPU work inside the timed region.
  const gpu = device === cpu ? undefined : (device as WebGPUBackend); // main() opened it
  const result = await compare(
    {
      name,
      flops,
      ours: gpu
        ? async () => {
            ours();
            await gpu.synchronize();
          }
        : ours,
      peer: tfBackend
        ? async () => {
            peer();
            await syncTf(tfBackend);
          }
        : peer,
    },
    { samples: 7, minSampleMs: 500, maxMs: 60_000 },
  );
  console.log(
    `  ${name}: ${result.ours.medianMs.toFixed(1)} ms vs ${result.peer.medianMs.toFixed(1)} ms, ${result.ratio.toFixed(2)}x`,
  );
  layer.dispose();
  tf.dispose([...weights, tx, tp]);
  return result;
}

async function main(): Promise<void> {
  const gpu = await webgpu();
  console.log(`dl nn.LSTM vs tfjs ${tf.version_core} tf.layers.lstm, forward and backward`);
  console.log(`adapter: ${gpu.adapter.description}`);
  console.log(
    `${hostLine()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  const results: ComparisonResult[] = [];
  try {
    results.push(await lstmCase('WebGPU', gpu, 'webgpu'));
    results.push(await lstmCase('CPU', cpu, 'cpu'));
  } finally {
    gpu.destroy();
  }
  console.log(`\n${formatTable(results, { ours: 'dl', peer: 'tfjs' })}`);
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  // tfjs holds a device of its own, which keeps Node's event loop alive.
  process.exit(0);
}

await main();
