// Adam benchmark: one optimizer step over the MNIST CNN's parameters (1.2M floats in eight
// tensors), dl's Adam against TensorFlow.js 4.22's (tf.train.adam's applyGradients) on the
// same backend: WebGPU (both on Dawn in this process; lavapipe without a GPU) and the CPU
// (tfjs's pure-JS backend). Run with `pnpm bench`. Each side first takes one step from the
// same values and the results are checked to agree; GPU sides wait for their work in the
// timed region.

import { type Backend, cpu, manualSeed, randn, type Tensor, tensor } from '@dl/tensor';
import { type WebGPUBackend, webgpu } from '@dl/webgpu';
import type * as Tf from '@tensorflow/tfjs-core';
import * as dawn from 'webgpu';
import { type ComparisonResult, compare, formatTable } from '../../../tooling/bench/harness.ts';
import { hostLine, provideNavigatorGpu } from '../../../tooling/bench/peers.node.ts';
import { syncTf, useTfBackend } from '../../../tooling/bench/tfjs.ts';
import { Adam } from '../src/index.ts';

/** The MNIST CNN's parameters: two convolutions and two linear layers with their biases. */
const shapes = [[32, 1, 3, 3], [32], [64, 32, 3, 3], [64], [128, 9216], [128], [10, 128], [10]];
const numel = shapes.reduce((total, shape) => total + shape.reduce((a, b) => a * b, 1), 0);
const lr = 1e-3;

// tfjs registers its WebGPU backend at import when navigator.gpu exists: import it after.
provideNavigatorGpu(dawn);
const tf: typeof Tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
await import('@tensorflow/tfjs-backend-cpu');

/** The same numbers for both sides: dl's seeded randn, as plain floats. */
function values(shape: number[]): Float32Array {
  const data = randn(shape).dataSync();
  if (!(data instanceof Float32Array)) throw new Error(`expected float32, got ${data}`);
  return data;
}

/** Fails the run if dl and tfjs differ by more than float32 noise after one step. */
function check(name: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): void {
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
  // Adam's first step moves each weight by about lr; the two agree to a small part of it.
  if (ours.length !== theirs.length || !(worst <= 1e-3 * lr + 1e-6)) {
    throw new Error(`${name}: dl and tfjs disagree after one step (max difference ${worst})`);
  }
}

async function adamCase(
  label: string,
  device: Backend,
  tfName: 'webgpu' | 'cpu',
): Promise<ComparisonResult> {
  const name = `Adam step, MNIST CNN (${(numel / 1e6).toFixed(2)}M params), ${label}`;
  const tfBackend = await useTfBackend(tf, tfName);

  const data = shapes.map((shape) => ({ shape, weight: values(shape), grad: values(shape) }));
  const params: Tensor[] = data.map(({ shape, weight }) =>
    tensor(weight, { device }).reshape(shape).requiresGrad_(),
  );
  data.forEach(({ shape, grad }, i) => {
    params[i]!.grad = tensor(grad, { device }).reshape(shape);
  });
  const optimizer = new Adam(params, { lr, betas: [0.9, 0.999], eps: 1e-8 });
  const variables = data.map(({ shape, weight }, i) =>
    tf.variable(tf.tensor(weight, shape), true, `p${i}`),
  );
  const grads = data.map(({ shape, grad }, i) => ({
    name: `p${i}`,
    tensor: tf.tensor(grad, shape),
  }));
  const tfAdam = tf.train.adam(lr, 0.9, 0.999, 1e-8);

  optimizer.step();
  tfAdam.applyGradients(grads);
  for (const [i, p] of params.entries()) check(name, await p.data(), await variables[i]!.data());

  // On WebGPU each side waits for its GPU work inside the timed region.
  const gpu = device === cpu ? undefined : (device as WebGPUBackend); // main() opened it
  const result = await compare(
    {
      name,
      ours: gpu
        ? async () => {
            optimizer.step();
            await gpu.synchronize();
          }
        : () => optimizer.step(),
      peer: tfBackend
        ? async () => {
            tfAdam.applyGradients(grads);
            await syncTf(tfBackend);
          }
        : () => tfAdam.applyGradients(grads),
    },
    { samples: 7, minSampleMs: 200, maxMs: 30_000 },
  );
  console.log(
    `  ${name}: ${result.ours.medianMs.toFixed(2)} ms vs ${result.peer.medianMs.toFixed(2)} ms, ${result.ratio.toFixed(2)}x`,
  );
  tfAdam.dispose();
  tf.dispose([...variables, ...grads.map((g) => g.tensor)]);
  for (const p of params) p.dispose();
  return result;
}

async function main(): Promise<void> {
  manualSeed(0);
  const gpu = await webgpu();
  console.log(
    `dl Adam vs tfjs ${tf.version_core} tf.train.adam, one step over ${numel} parameters`,
  );
  console.log(`adapter: ${gpu.adapter.description}`);
  console.log(`${hostLine()}\n`);
  const results: ComparisonResult[] = [];
  try {
    results.push(await adamCase('WebGPU', gpu, 'webgpu'));
    results.push(await adamCase('CPU', cpu, 'cpu'));
  } finally {
    gpu.destroy();
  }
  console.log(`\n${formatTable(results, { ours: 'dl', peer: 'tfjs' })}`);
  // tfjs holds a device of its own, which keeps Node's event loop alive.
  process.exit(0);
}

await main();
