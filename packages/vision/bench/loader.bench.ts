// DataLoader throughput over MNIST (toTensor + normalize, batch 64) against the time one
// training step of the MNIST CNN takes (DESIGN.md's DigitRecognizer, written here with
// @dl/tensor ops because @dl/nn is not a dependency of this bench), measured in the same run
// on the CPU backend and, when an adapter answers, on WebGPU. Loading must never be what
// training waits on: the last column is how many times faster the loader is than a step.
//
//   pnpm --filter @dl/vision bench

import { DataLoader } from '@dl/data';
import { type Backend, conv2d, logSoftmax, manualSeed, maxPool2d, randn, tensor } from '@dl/tensor';
import { webgpu } from '@dl/webgpu';
import { MNIST, transforms } from '../src/index.node.ts';

const batchSize = 64;

async function loaderRate(prefetch: number, limitBatches = Infinity): Promise<number> {
  manualSeed(0);
  const tf = transforms.compose([transforms.toTensor(), transforms.normalize([0.1307], [0.3081])]);
  const loader = new DataLoader(new MNIST({ train: true, transform: tf }), {
    batchSize,
    shuffle: true,
    prefetch,
  });
  let images = 0;
  let batches = 0;
  const start = performance.now();
  for await (const [x] of loader) {
    images += x.shape[0]!;
    if (++batches >= limitBatches) break;
  }
  return images / ((performance.now() - start) / 1000);
}

async function augmentedRate(): Promise<number> {
  manualSeed(0);
  const tf = transforms.compose([
    transforms.randomCrop(28, { padding: 2 }),
    transforms.randomRotation(10),
    transforms.toTensor(),
    transforms.normalize([0.1307], [0.3081]),
  ]);
  const loader = new DataLoader(new MNIST({ train: true, transform: tf }), {
    batchSize,
    shuffle: true,
  });
  let images = 0;
  let batches = 0;
  const start = performance.now();
  for await (const [x] of loader) {
    images += x.shape[0]!;
    if (++batches >= 100) break;
  }
  return images / ((performance.now() - start) / 1000);
}

/**
 * A consumer that waits `waitMs` after each batch (a stand-in for a training step that
 * waits on the GPU): images/s, and how long per batch it waited for the loader. With
 * prefetch the next batches load during the wait, so that second number drops to ~0.
 */
async function overlapped(
  prefetch: number,
  waitMs: number,
  batches: number,
): Promise<[number, number]> {
  const tf = transforms.compose([transforms.toTensor(), transforms.normalize([0.1307], [0.3081])]);
  const loader = new DataLoader(new MNIST({ train: true, transform: tf }), { batchSize, prefetch });
  let images = 0;
  let count = 0;
  let waitingForData = 0;
  const start = performance.now();
  let asked = performance.now();
  for await (const [x] of loader) {
    waitingForData += performance.now() - asked;
    images += x.shape[0]!;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    if (++count >= batches) break;
    asked = performance.now();
  }
  return [images / ((performance.now() - start) / 1000), waitingForData / count];
}

/** Seconds per training step (forward, loss, backward, SGD update) of the MNIST CNN. */
async function stepSeconds(device: Backend | 'cpu', steps: number): Promise<number> {
  manualSeed(0);
  const param = (...shape: number[]) => randn(shape, { device }).mul(0.05).detach().requiresGrad_();
  const w1 = param(32, 1, 3, 3);
  const b1 = param(32);
  const w2 = param(64, 32, 3, 3);
  const b2 = param(64);
  const w3 = param(128, 9216);
  const b3 = param(128);
  const w4 = param(10, 128);
  const b4 = param(10);
  const params = [w1, b1, w2, b2, w3, b3, w4, b4];
  const x = randn([batchSize, 1, 28, 28], { device });
  const y = tensor(
    Int32Array.from({ length: batchSize }, (_, i) => i % 10),
    { device },
  ).reshape(batchSize, 1);
  const step = async () => {
    let h = conv2d(x, w1, b1).relu();
    h = maxPool2d(conv2d(h, w2, b2).relu(), 2).flatten(1);
    h = h.matmul(w3.t()).add(b3).relu();
    const logits = h.matmul(w4.t()).add(b4);
    const loss = logSoftmax(logits, 1).gather(1, y).mean().neg();
    loss.backward();
    for (const p of params) {
      p.detach().sub_(p.grad!.mul(0.01));
      p.grad = null;
    }
    await loss.item();
  };
  await step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step();
  return (performance.now() - start) / 1000 / steps;
}

const rows: [string, string][] = [];
const fmt = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
const epoch = await loaderRate(2);
rows.push(['DataLoader, toTensor+normalize, prefetch 2 (one epoch)', `${fmt(epoch)} images/s`]);
rows.push([
  'DataLoader, toTensor+normalize, prefetch 0 (one epoch)',
  `${fmt(await loaderRate(0))} images/s`,
]);
for (const prefetch of [0, 2]) {
  const [rate, waiting] = await overlapped(prefetch, 4, 200);
  rows.push([
    `DataLoader + a 4 ms wait per batch, prefetch ${prefetch} (200 batches)`,
    `${fmt(rate)} images/s, ${waiting.toFixed(2)} ms/batch spent waiting for data`,
  ]);
}
rows.push([
  'DataLoader, + randomCrop(pad 2) + randomRotation(10), 100 batches',
  `${fmt(await augmentedRate())} images/s`,
]);
const devices: [string, Backend | 'cpu'][] = [['cpu', 'cpu']];
try {
  devices.push(['webgpu', await webgpu()]);
} catch (error) {
  console.warn(`no WebGPU adapter, CPU only: ${error}`);
}
for (const [name, device] of devices) {
  const seconds = await stepSeconds(device, name === 'cpu' ? 3 : 5);
  const rate = batchSize / seconds;
  rows.push([
    `MNIST CNN training step on ${name}, batch 64`,
    `${(seconds * 1000).toFixed(0)} ms/step = ${fmt(rate)} images/s; loader is ${(epoch / rate).toFixed(1)}x faster`,
  ]);
}
const width = Math.max(...rows.map(([what]) => what.length));
for (const [what, value] of rows) console.log(`${what.padEnd(width)}  ${value}`);
