// Autograd: requiresGrad, backward, reading and zeroing .grad, gradient accumulation, and
// turning gradients off with noGrad (also around an async loop, as `with torch.no_grad():`
// around a validation loop): PyTorch's "Automatic Differentiation with torch.autograd".
//
//   pnpm example 04-autograd [--device cpu|webgpu]

import assert from 'node:assert/strict';
import { DataLoader, TensorDataset } from '@dl/data';
import * as nn from '@dl/nn';
import {
  eye,
  isGradEnabled,
  manualSeed,
  noGrad,
  ones,
  onesLike,
  randn,
  tensor,
  zeros,
} from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

// A one-layer network: z = x w + b, with a binary cross-entropy loss.
const x = ones([5], { device }); // input tensor
const y = zeros([3], { device }); // expected output
const w = randn([5, 3], { device, requiresGrad: true });
const b = randn([3], { device, requiresGrad: true });
const z = x.matmul(w).add(b);
const loss = nn.F.binaryCrossEntropyWithLogits(z, y);
console.log(`Gradient function for z = ${z.gradFn?.name}`);
console.log(`Gradient function for loss = ${loss.gradFn?.name}`);
assert.ok(z.requiresGrad && !z.isLeaf && w.isLeaf);

// Computing gradients.
loss.backward();
console.log(await w.grad!.format());
console.log(await b.grad!.format());
// By hand: dloss/dz = (sigmoid(z) - y) / 3, so b.grad is that and w.grad[i] = x[i] * it.
const dz = z.detach().sigmoid().sub(y).div(3);
await assertClose(b.grad!, dz);
await assertClose(w.grad!, x.unsqueeze(1).mul(dz.unsqueeze(0)));

// A scalar function: y = x^2 + 3x has dy/dx = 2x + 3, which is 7 at x = 2.
const s = tensor([2], { requiresGrad: true, device });
s.square().add(s.mul(3)).sum().backward();
await assertClose(s.grad!, [7]);

// Disabling gradient tracking.
let zz = x.matmul(w).add(b);
console.log(zz.requiresGrad); // true
zz = noGrad(() => x.matmul(w).add(b)); // with torch.no_grad(): ...
console.log(zz.requiresGrad); // false
assert.equal(zz.requiresGrad, false);
const zDet = x.matmul(w).add(b).detach();
assert.equal(zDet.requiresGrad, false);

// Gradients accumulate: a second backward adds to .grad until it is zeroed.
const inp = eye(4, 5, { device, requiresGrad: true });
const out = inp.add(1).pow(2).t();
out.backward(onesLike(out), { retainGraph: true });
console.log(`First call\n${await inp.grad!.format()}`);
await assertClose(inp.grad!, inp.detach().add(1).mul(2)); // d/dinp (inp + 1)^2 = 2 (inp + 1)
out.backward(onesLike(out), { retainGraph: true });
console.log(`\nSecond call\n${await inp.grad!.format()}`);
await assertClose(inp.grad!, inp.detach().add(1).mul(4));
inp.grad!.zero_();
out.backward(onesLike(out), { retainGraph: true });
console.log(`\nCall after zeroing gradients\n${await inp.grad!.format()}`);
await assertClose(inp.grad!, inp.detach().add(1).mul(2));

// Accumulation on purpose: the gradient of one batch of 8 equals the sum of the gradients
// of its two halves when each half's mean loss is scaled by 1/2 (a larger batch than fits).
const model = new nn.Linear(3, 1).to(device);
const inputs = randn([8, 3], { device });
const targets = randn([8, 1], { device });
nn.F.mseLoss(model.call(inputs), targets).backward();
const fullBatch = model.weight.grad!.clone();
model.zeroGrad();
for (const [part, target] of [
  [inputs.narrow(0, 0, 4), targets.narrow(0, 0, 4)],
  [inputs.narrow(0, 4, 4), targets.narrow(0, 4, 4)],
] as const) {
  nn.F.mseLoss(model.call(part), target).div(2).backward();
}
await assertClose(model.weight.grad!, fullBatch, { rtol: 1e-4, atol: 1e-6 });
model.zeroGrad(); // sets .grad to null, as PyTorch 2 does
assert.equal(model.weight.grad, null);

// noGrad around an async loop: the mode holds across the awaits of `for await`, as
// `with torch.no_grad():` holds for the body of a validation loop.
const loader = new DataLoader(new TensorDataset(randn([20, 3]), randn([20, 1])), {
  batchSize: 8,
});
let validationLoss = 0;
await noGrad(async () => {
  // (TensorDataset's samples are typed Tensor[], so the pair needs `!` under
  // noUncheckedIndexedAccess.)
  for await (const [batch, target] of loader) {
    assert.equal(isGradEnabled(), false);
    const prediction = model.call(batch!.to(device));
    assert.equal(prediction.requiresGrad, false, 'no graph is recorded under noGrad');
    const loss = nn.F.mseLoss(prediction, target!.to(device), { reduction: 'sum' });
    validationLoss += await loss.item();
  }
});
assert.equal(isGradEnabled(), true, 'gradients are back on after the loop');
console.log(`validation loss ${(validationLoss / 20).toFixed(4)}`);
assert.ok(Number.isFinite(validationLoss));
