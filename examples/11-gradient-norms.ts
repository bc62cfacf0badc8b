// Debugging gradients: per-parameter gradient norms, spotting vanishing gradients (a deep
// stack of sigmoids) and exploding ones (large initial weights), non-finite gradients, and
// clipping with clipGradNorm_ and clipGradValue_. Ports what PyTorch courses show with
// `for name, p in model.named_parameters(): print(name, p.grad.norm())` and
// torch.nn.utils.clip_grad_norm_.
//
//   pnpm example 11-gradient-norms [--device cpu|webgpu]

import assert from 'node:assert/strict';
import * as nn from '@dl/nn';
import { manualSeed, randn, tensor } from '@dl/tensor';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

const depth = 8;
const width = 32;
const x = randn([64, width], { device });
const y = randn([64, 1], { device });

/** A deep MLP whose hidden layers use `activation`. */
function deepNet(activation: () => nn.Module): nn.Sequential {
  const layers: nn.Module[] = [];
  for (let i = 0; i < depth; i++) layers.push(new nn.Linear(width, width), activation());
  layers.push(new nn.Linear(width, 1));
  return new nn.Sequential(...layers).to(device);
}

/** The gradient norm of every weight, by name, after one backward pass. */
async function gradientNorms(model: nn.Sequential): Promise<Map<string, number>> {
  model.zeroGrad();
  nn.F.mseLoss(model.call(x), y).backward();
  const norms = new Map<string, number>();
  for (const [name, p] of model.namedParameters()) {
    if (name.endsWith('.weight')) norms.set(name, await p.grad!.norm().item());
  }
  return norms;
}

function show(title: string, norms: Map<string, number>): void {
  console.log(title);
  for (const [name, norm] of norms) console.log(`  ${name.padEnd(10)} ${norm.toExponential(2)}`);
}

// Vanishing: sigmoid's derivative is at most 1/4, so each layer shrinks the gradient on its
// way back; the first layer learns orders of magnitude slower than the last.
const sigmoidNorms = await gradientNorms(deepNet(() => new nn.Sigmoid()));
show('sigmoid, default init: gradient norms by layer', sigmoidNorms);
const firstOverLast = (norms: Map<string, number>) =>
  norms.get('0.weight')! / norms.get(`${2 * depth - 2}.weight`)!;
console.log(`first / last hidden layer: ${firstOverLast(sigmoidNorms).toExponential(2)}`);
assert.ok(firstOverLast(sigmoidNorms) < 1e-3, 'sigmoid gradients vanish towards the input');

// ReLU with Kaiming (He) initialisation keeps them about the same size through the depth.
const reluNet = deepNet(() => new nn.ReLU());
for (const module of reluNet.modules()) {
  if (module instanceof nn.Linear) {
    nn.init.kaimingNormal_(module.weight, { nonlinearity: 'relu' });
    nn.init.zeros_(module.bias!);
  }
}
const reluNorms = await gradientNorms(reluNet);
show('ReLU, Kaiming init: gradient norms by layer', reluNorms);
console.log(`first / last hidden layer: ${firstOverLast(reluNorms).toExponential(2)}`);
assert.ok(firstOverLast(reluNorms) > 0.1, 'ReLU + Kaiming keeps gradients alive');

// Exploding: weights drawn with std 1 (instead of about 1/sqrt(width)) grow the
// activations, and so the gradients, by about sqrt(width) per layer.
const explodingNet = deepNet(() => new nn.Identity());
for (const p of explodingNet.parameters()) nn.init.normal_(p, 0, 1);
explodingNet.zeroGrad();
nn.F.mseLoss(explodingNet.call(x), y).backward();
const parameters = [...explodingNet.parameters()];

// The total norm clipGradNorm_ returns is the norm of all gradients as one vector.
const perParameter = await Promise.all(parameters.map((p) => p.grad!.norm().item()));
const byHand = Math.sqrt(perParameter.reduce((sum, n) => sum + n * n, 0));
const total = await nn.utils.clipGradNorm_(parameters, 1.0).item();
console.log(`exploding: total gradient norm ${total.toExponential(2)} before clipping`);
assert.ok(total > 1e6, 'the gradients explode');
assert.ok(Math.abs(total - byHand) / byHand < 1e-4);
// After clipping, the total norm is maxNorm: every gradient was scaled by 1 / total.
const clippedNorms = await Promise.all(parameters.map((p) => p.grad!.norm().item()));
const clipped = Math.sqrt(clippedNorms.reduce((sum, n) => sum + n * n, 0));
console.log(`after clipGradNorm_(parameters, 1.0): ${clipped.toFixed(6)}`);
assert.ok(Math.abs(clipped - 1) < 1e-3);
// Directions are kept: each gradient shrank by the same factor.
assert.ok(Math.abs(clippedNorms[0]! / perParameter[0]! - 1 / total) < 1e-3 / total);

// clipGradValue_ clamps every element instead.
nn.utils.clipGradValue_(parameters, 1e-3);
// (Compared with 1e-3 rounded to float32, the gradients' dtype.)
for (const p of parameters) assert.ok((await p.grad!.abs().max().item()) <= Math.fround(1e-3));

// Non-finite gradients: a log of zero gives -inf, and its gradient inf. Check before a step.
const w = tensor([0, 1], { device, requiresGrad: true });
w.log().sum().backward();
const finite = await w.grad!.isfinite().all().item();
console.log(`gradient finite everywhere: ${Boolean(finite)}`);
assert.equal(finite, 0);
// clip_grad_norm_(..., error_if_nonfinite=True) refuses them: so does clipGradNorm_ on the
// CPU. On WebGPU that option is not honoured (the check needs a read, which clipGradNorm_
// does not wait for), so the portable check is on the norm it returns, before the step.
if (device === 'cpu') {
  assert.throws(() => nn.utils.clipGradNorm_([w], 1, { errorIfNonfinite: true }), /non-finite/);
}
const norm = await nn.utils.clipGradNorm_([w], 1).item();
console.log(`total norm ${norm}: skip optimizer.step() for this batch`);
assert.equal(Number.isFinite(norm), false);
