// Common layers and activations, each checked against numbers worked out by hand: Flatten,
// Linear, Sequential, Conv2d, MaxPool2d, Dropout, BatchNorm1d/2d, ReLU, Sigmoid, Tanh,
// LeakyReLU, Softmax. Ports "Build the Neural Network"'s "Model Layers" section and the
// layers of the CNN tutorial ("Training a Classifier").
//
//   pnpm example 06-layers [--device cpu|webgpu]

import assert from 'node:assert/strict';
import * as nn from '@dl/nn';
import { arange, manualSeed, ones, rand, randn, tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

// A minibatch of 3 images of 28x28, flattened, through a linear layer and a ReLU.
const inputImage = rand([3, 28, 28], { device });
const flatten = new nn.Flatten();
const flatImage = flatten.call(inputImage);
console.log(`flatImage: [${flatImage.shape.join(', ')}]`);
assert.deepEqual(flatImage.shape, [3, 784]);

const layer1 = new nn.Linear(28 * 28, 20).to(device);
let hidden1 = layer1.call(flatImage);
console.log(`hidden1: [${hidden1.shape.join(', ')}]`);
// Linear computes x W^T + b.
await assertClose(hidden1, flatImage.matmul(layer1.weight.T).add(layer1.bias!), { rtol: 1e-4 });
hidden1 = new nn.ReLU().call(hidden1);
assert.ok((await hidden1.min().item()) >= 0);

const seqModules = new nn.Sequential(flatten, layer1, new nn.ReLU(), new nn.Linear(20, 10)).to(
  device,
);
const logits = seqModules.call(rand([3, 28, 28], { device }));
const predProbab = new nn.Softmax(1).call(logits);
await assertClose(predProbab.sum(1), [1, 1, 1]);

// Activations on known inputs.
const v = tensor([-2, -0.5, 0, 0.5, 2], { device });
const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));
const points = [-2, -0.5, 0, 0.5, 2];
await assertClose(new nn.ReLU().call(v), [0, 0, 0, 0.5, 2]);
await assertClose(new nn.Sigmoid().call(v), points.map(sigmoid));
await assertClose(new nn.Tanh().call(v), points.map(Math.tanh));
await assertClose(new nn.LeakyReLU(0.1).call(v), [-0.2, -0.05, 0, 0.5, 2]);
await assertClose(nn.F.softmax(tensor([0, Math.log(3)], { device }), 0), [0.25, 0.75]);

// Conv2d: a 3x3 kernel of ones over a 5x5 image of ones sums 9 pixels inside, fewer at the
// zero-padded border.
const conv = new nn.Conv2d(1, 2, 3, { padding: 1 }).to(device);
nn.init.ones_(conv.weight);
nn.init.zeros_(conv.bias!);
const image = ones([1, 1, 5, 5], { device });
const features = conv.call(image);
assert.deepEqual(features.shape, [1, 2, 5, 5]); // padding 1 keeps 5x5
await assertClose(features.index([0, 0, 0]), [4, 6, 6, 6, 4]);
await assertClose(features.index([0, 1, 2]), [6, 9, 9, 9, 6]);
// Without padding and with stride 2: (5 - 3) / 2 + 1 = 2 outputs per side.
const strided = new nn.Conv2d(1, 4, 3, { stride: 2 }).to(device);
assert.deepEqual(strided.call(image).shape, [1, 4, 2, 2]);

// MaxPool2d(2): the largest of each 2x2 window.
const grid = arange(0, 16, 1, { device }).float().reshape(1, 1, 4, 4);
const pooled = new nn.MaxPool2d(2).call(grid);
await assertClose(pooled, [
  [
    [
      [5, 7],
      [13, 15],
    ],
  ],
]);

// Dropout: while training, zeroes elements with probability p and scales the rest by
// 1 / (1 - p); in eval mode it is the identity.
const dropout = new nn.Dropout(0.5);
const x = ones([10_000], { device });
const dropped = await dropout.call(x).data();
const kept = dropped.filter((value) => value !== 0);
assert.ok(
  kept.every((value) => value === 2),
  'kept elements are scaled by 1 / (1 - p)',
);
const keptFraction = kept.length / dropped.length;
console.log(`Dropout(0.5) kept ${(100 * keptFraction).toFixed(1)}% of the elements`);
assert.ok(Math.abs(keptFraction - 0.5) < 0.03);
dropout.eval();
await assertClose(dropout.call(x), x);

// BatchNorm1d in training mode normalises each feature over the batch, and moves its
// running statistics by momentum 0.1 towards the batch's (unbiased) variance and mean.
const bn = new nn.BatchNorm1d(3).to(device);
const batch = randn([64, 3], { device }).mul(4).add(10);
const normalised = bn.call(batch);
await assertClose(normalised.mean(0), [0, 0, 0], { atol: 1e-4 });
await assertClose(normalised.var(0, { correction: 0 }), [1, 1, 1], { atol: 1e-3 });
await assertClose(bn.getBuffer('running_mean')!, batch.mean(0).mul(0.1), { rtol: 1e-4 });
await assertClose(bn.getBuffer('running_var')!, batch.var(0).mul(0.1).add(0.9), { rtol: 1e-4 });
// In eval mode it uses the running statistics instead.
bn.eval();
const runningMean = bn.getBuffer('running_mean')!;
const runningVar = bn.getBuffer('running_var')!;
await assertClose(bn.call(batch), batch.sub(runningMean).div(runningVar.add(1e-5).sqrt()), {
  rtol: 1e-4,
  atol: 1e-4,
});

// BatchNorm2d normalises per channel over the batch and both spatial dims.
const bn2 = new nn.BatchNorm2d(4).to(device);
const maps = bn2.call(randn([8, 4, 5, 5], { device }).mul(3).add(1));
await assertClose(maps.mean([0, 2, 3]), [0, 0, 0, 0], { atol: 1e-4 });

// The layers of the CNN tutorial together: conv, pool, conv, pool, three linear layers.
const net = new nn.Sequential(
  new nn.Conv2d(3, 6, 5),
  new nn.ReLU(),
  new nn.MaxPool2d(2, { stride: 2 }),
  new nn.Conv2d(6, 16, 5),
  new nn.ReLU(),
  new nn.MaxPool2d(2, { stride: 2 }),
  new nn.Flatten(),
  new nn.Linear(16 * 5 * 5, 120),
  new nn.ReLU(),
  new nn.Linear(120, 84),
  new nn.ReLU(),
  new nn.Linear(84, 10),
).to(device);
const cifarLogits = net.call(rand([4, 3, 32, 32], { device }));
assert.deepEqual(cifarLogits.shape, [4, 10]);
console.log(nn.summary(net, [4, 3, 32, 32], { device }).toString());
assert.equal(net.numParameters(), 62_006);
