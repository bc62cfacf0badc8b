// Optimizers (SGD with and without momentum, Adam, RMSprop) and learning-rate schedulers
// (StepLR, ReduceLROnPlateau): first steps checked against the update rules by hand, then a
// small regression trained with each. Ports the "Optimizer" part of PyTorch's "Optimizing
// Model Parameters" tutorial and the `torch.optim.lr_scheduler` usage it links to.
//
//   pnpm example 08-optimizers [--device cpu|webgpu]

import assert from 'node:assert/strict';
import * as nn from '@dl/nn';
import { Adam, lrScheduler, type Optimizer, RMSprop, SGD } from '@dl/optim';
import { manualSeed, randn, type Tensor, tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

// One step on loss = sum(w^2), whose gradient is 2w, from w = [1, -2].
async function oneStep(makeOptimizer: (params: Tensor[]) => Optimizer, steps = 1) {
  const w = tensor([1, -2], { device, requiresGrad: true });
  const optimizer = makeOptimizer([w]);
  for (let i = 0; i < steps; i++) {
    optimizer.zeroGrad(); // reset the gradients: they add up otherwise
    w.square().sum().backward(); // compute them
    optimizer.step(); // and move the parameters
  }
  return w;
}

// SGD: w <- w - lr * grad = [1, -2] - 0.1 * [2, -4].
await assertClose(await oneStep((p) => new SGD(p, { lr: 0.1 })), [0.8, -1.6]);
// With momentum 0.9, the second step uses buf = 0.9 * g1 + g2: w2 = w1 - lr * buf.
const afterTwo = [1, -2].map((w0) => {
  const w1 = w0 - 0.1 * 2 * w0;
  return w1 - 0.1 * (0.9 * 2 * w0 + 2 * w1);
});
await assertClose(await oneStep((p) => new SGD(p, { lr: 0.1, momentum: 0.9 }), 2), afterTwo);
// Adam's first step is lr * m_hat / (sqrt(v_hat) + eps) = lr * g / (|g| + eps): about lr
// in the direction of the gradient, whatever its size.
await assertClose(await oneStep((p) => new Adam(p, { lr: 0.1 })), [0.9, -1.9], { rtol: 1e-5 });
// RMSprop's first step: v = (1 - alpha) g^2, w <- w - lr * g / (sqrt(v) + eps) = w - 10 lr sign(g)
// for alpha = 0.99.
await assertClose(await oneStep((p) => new RMSprop(p, { lr: 0.01 })), [0.9, -1.9], { rtol: 1e-5 });

// Training y = 3x + 2 (plus noise) with each optimizer.
const x = randn([64, 1], { device });
const y = x
  .mul(3)
  .add(2)
  .add(randn([64, 1], { device }).mul(0.01));
async function train(makeOptimizer: (model: nn.Module) => Optimizer, epochs: number) {
  manualSeed(1); // the same initial weights for every optimizer
  const model = new nn.Linear(1, 1).to(device);
  const optimizer = makeOptimizer(model);
  let loss = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const prediction = model.call(x);
    const lossTensor = nn.F.mseLoss(prediction, y);
    optimizer.zeroGrad();
    lossTensor.backward();
    optimizer.step();
    if (epoch === epochs - 1) loss = await lossTensor.item(); // read once, at the end
  }
  return { loss, weight: await model.weight.item(), bias: await model.bias!.item() };
}

const results = {
  SGD: await train((m) => new SGD(m.parameters(), { lr: 0.1 }), 100),
  'SGD + momentum': await train((m) => new SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), 100),
  Adam: await train((m) => new Adam(m.parameters(), { lr: 0.1 }), 200),
  RMSprop: await train((m) => new RMSprop(m.parameters(), { lr: 0.03 }), 200),
};
for (const [name, result] of Object.entries(results)) {
  console.log(
    `${name.padEnd(15)} loss ${result.loss.toExponential(2)}  y = ${result.weight.toFixed(3)} x + ${result.bias.toFixed(3)}`,
  );
  assert.ok(result.loss < 1e-3, `${name} reaches a small loss (${result.loss})`);
  assert.ok(Math.abs(result.weight - 3) < 0.05 && Math.abs(result.bias - 2) < 0.05, name);
}

// Parameter groups: a smaller learning rate for one part of the model.
const model = new nn.Sequential(new nn.Linear(4, 4), new nn.Linear(4, 1)).to(device);
const optimizer = new SGD(
  [
    { params: model.getSubmodule('0').parameters(), lr: 1e-3 },
    { params: model.getSubmodule('1').parameters() },
  ],
  { lr: 1e-2, momentum: 0.9 },
);
assert.deepEqual(
  optimizer.paramGroups.map((group) => group.lr),
  [1e-3, 1e-2],
);

// StepLR: the learning rate is multiplied by gamma every stepSize epochs. Scheduler steps
// come after the optimizer's, once per epoch.
const stepOptimizer = new SGD(model.parameters(), { lr: 0.1 });
const stepLR = new lrScheduler.StepLR(stepOptimizer, 2, { gamma: 0.5 });
const stepLrs: number[] = [];
for (let epoch = 0; epoch < 6; epoch++) {
  stepLrs.push(stepOptimizer.paramGroups[0]!.lr);
  stepOptimizer.step(); // (no gradients here: the step skips parameters without one)
  stepLR.step();
}
console.log(`StepLR(stepSize 2, gamma 0.5): ${stepLrs.join(', ')}`);
assert.deepEqual(stepLrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
assert.deepEqual(stepLR.getLastLr(), [0.0125]);

// ReduceLROnPlateau: halves the learning rate once the validation loss has not improved
// for more than `patience` epochs. step() takes a number (read a loss with await first).
const plateauOptimizer = new SGD(model.parameters(), { lr: 0.1 });
const plateau = new lrScheduler.ReduceLROnPlateau(plateauOptimizer, {
  mode: 'min',
  factor: 0.5,
  patience: 1,
});
const validationLosses = [1, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8];
const plateauLrs = validationLosses.map((loss) => {
  plateau.step(loss);
  return plateauOptimizer.paramGroups[0]!.lr;
});
console.log(`ReduceLROnPlateau(factor 0.5, patience 1): ${plateauLrs.join(', ')}`);
// Two epochs without improvement (0.9, 0.9 after 0.9) exceed patience 1: the lr halves.
assert.deepEqual(plateauLrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
