// Loss functions with their values worked out by hand: MSELoss, L1Loss, CrossEntropyLoss
// (class indices and class probabilities, label smoothing), NLLLoss and
// BCEWithLogitsLoss, with each reduction. Ports the "Loss Function" part of PyTorch's
// "Optimizing Model Parameters" tutorial (`loss_fn = nn.CrossEntropyLoss()`).
//
//   pnpm example 07-losses [--device cpu|webgpu]

import assert from 'node:assert/strict';
import * as nn from '@dl/nn';
import { tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();

// Regression: prediction and target.
const prediction = tensor([1, 2, 3, 4], { device, requiresGrad: true });
const target = tensor([1.5, 2, 2, 6], { device });
const differences = [-0.5, 0, 1, -2]; // prediction - target

// Mean squared error: mean of the squared differences.
const mse = new nn.MSELoss().call(prediction, target);
const mseByHand = differences.reduce((sum, d) => sum + d * d, 0) / 4; // (0.25 + 0 + 1 + 4) / 4
console.log(`MSELoss: ${(await mse.item()).toFixed(4)} (by hand ${mseByHand})`);
await assertClose(mse, mseByHand);
await assertClose(nn.F.mseLoss(prediction, target, { reduction: 'sum' }), 5.25);
await assertClose(
  nn.F.mseLoss(prediction, target, { reduction: 'none' }),
  differences.map((d) => d * d),
);
// Its gradient is 2 (prediction - target) / n.
mse.backward();
await assertClose(
  prediction.grad!,
  differences.map((d) => (2 * d) / 4),
);

// Mean absolute error (L1): mean of |differences|.
const l1 = new nn.L1Loss().call(prediction, target);
console.log(`L1Loss: ${(await l1.item()).toFixed(4)}`);
await assertClose(l1, (0.5 + 0 + 1 + 2) / 4);

// Classification: raw scores (logits) for 3 classes, and the true class of each sample.
const rows = [
  [2, 1, 0.1],
  [0.5, 2.5, 0.3],
  [1, 1, 1],
];
const logits = tensor(rows, { device, requiresGrad: true });
const labels = tensor([0, 1, 2], { dtype: 'int32', device }); // class indices are integers
const logSumExp = (row: number[]) => Math.log(row.reduce((sum, v) => sum + Math.exp(v), 0));
// Cross-entropy of a sample: log(sum(exp(logits))) - logit of the true class.
const perSample = rows.map((row, i) => logSumExp(row) - row[i]!);
const crossEntropyByHand = perSample.reduce((a, b) => a + b) / 3;

const lossFn = new nn.CrossEntropyLoss();
const ce = lossFn.call(logits, labels);
console.log(
  `CrossEntropyLoss: ${(await ce.item()).toFixed(4)} (by hand ${crossEntropyByHand.toFixed(4)})`,
);
await assertClose(ce, crossEntropyByHand);
await assertClose(nn.F.crossEntropy(logits, labels, { reduction: 'none' }), perSample);
// The third sample's scores are equal, so its loss is log(3).
assert.ok(Math.abs(perSample[2]! - Math.log(3)) < 1e-12);

// Its gradient with respect to the logits is (softmax - one-hot) / batch size.
ce.backward();
const softmaxRows = rows.map((row) => row.map((v) => Math.exp(v - logSumExp(row))));
await assertClose(
  logits.grad!,
  softmaxRows.map((row, i) => row.map((p, j) => (p - (i === j ? 1 : 0)) / 3)),
);

// CrossEntropyLoss is LogSoftmax followed by NLLLoss.
const nll = new nn.NLLLoss().call(nn.F.logSoftmax(logits, 1), labels);
await assertClose(nll, crossEntropyByHand);

// Class probabilities as targets (soft labels): the mean of -sum(p * log softmax) per sample.
const crossEntropyOf = (targets: number[][]) =>
  targets
    .map((p, i) => -p.reduce((sum, pj, j) => sum + pj * (rows[i]![j]! - logSumExp(rows[i]!)), 0))
    .reduce((a, b) => a + b) / targets.length;
const softRows = [
  [0.7, 0.2, 0.1],
  [0, 1, 0],
  [1 / 3, 1 / 3, 1 / 3],
];
await assertClose(
  nn.F.crossEntropy(logits, tensor(softRows, { device })),
  crossEntropyOf(softRows),
);

// Label smoothing 0.1 mixes the one-hot target with the uniform distribution.
const smoothed = rows.map((_, i) => [0, 1, 2].map((j) => (i === j ? 0.9 : 0) + 0.1 / 3));
await assertClose(
  new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).call(logits, labels),
  crossEntropyOf(smoothed),
);

// Binary classification from logits: BCEWithLogitsLoss = -[y log s(x) + (1 - y) log(1 - s(x))].
const binaryLogits = tensor([0, 2, -1], { device });
const binaryTargets = tensor([1, 1, 0], { device });
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const bceByHand = -(Math.log(sigmoid(0)) + Math.log(sigmoid(2)) + Math.log(1 - sigmoid(-1))) / 3;
const bce = new nn.BCEWithLogitsLoss().call(binaryLogits, binaryTargets);
console.log(
  `BCEWithLogitsLoss: ${(await bce.item()).toFixed(4)} (by hand ${bceByHand.toFixed(4)})`,
);
await assertClose(bce, bceByHand);
