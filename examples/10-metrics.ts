// Classification metrics (accuracy, precision, recall, F1, the confusion matrix, top-k
// accuracy) with the values worked out by hand, for a binary and a three-class problem,
// from labels and from a model's scores. A PyTorch course computes these with
// sklearn.metrics (accuracy_score, precision_score, ..., confusion_matrix); dl has the same
// functions, with scikit-learn's definitions, in @dl/data's `metrics`.
//
//   pnpm example 10-metrics [--device cpu|webgpu]

import assert from 'node:assert/strict';
import { metrics } from '@dl/data';
import { tensor } from '@dl/tensor';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();

/** Metrics are plain numbers: compared to a few ulps. */
function assertNear(actual: number | number[], expected: number | number[], what: string) {
  const a = [actual].flat();
  const e = [expected].flat();
  assert.equal(a.length, e.length, what);
  a.forEach((value, i) => {
    assert.ok(Math.abs(value - e[i]!) < 1e-9, `${what}: got ${value}, expected ${e[i]}`);
  });
}

// Binary: label 1 is the positive class. Labels are int32 tensors on any device (typed or
// plain arrays work too); the metrics read them back with await.
const yTrue = tensor([1, 0, 1, 1, 0, 1, 0, 0], { dtype: 'int32', device });
const yPred = tensor([1, 0, 0, 1, 1, 1, 1, 0], { dtype: 'int32', device });
// By hand: TP = 3 (samples 0, 3, 5), FP = 2 (4, 6), FN = 1 (2), TN = 2 (1, 7).
const [tp, fp, fn, tn] = [3, 2, 1, 2];
const binary = {
  accuracy: await metrics.accuracy(yTrue, yPred),
  precision: await metrics.precision(yTrue, yPred),
  recall: await metrics.recall(yTrue, yPred),
  f1: await metrics.f1Score(yTrue, yPred),
};
console.log('binary:', binary);
assertNear(binary.accuracy, (tp + tn) / 8, 'accuracy'); // 0.625
assertNear(binary.precision, tp / (tp + fp), 'precision'); // 0.6
assertNear(binary.recall, tp / (tp + fn), 'recall'); // 0.75
const p = tp / (tp + fp);
const r = tp / (tp + fn);
assertNear(binary.f1, (2 * p * r) / (p + r), 'f1'); // 0.667
// scikit-learn's layout: [[TN, FP], [FN, TP]].
assert.deepEqual(await metrics.confusionMatrix(yTrue, yPred), [
  [tn, fp],
  [fn, tp],
]);

// The same counts with tensor ops, as one would write them by hand in PyTorch.
const positive = yPred.eq(1);
const truePositives = await positive.logicalAnd(yTrue.eq(1)).sum().item();
const predictedPositives = await positive.sum().item();
assert.equal(truePositives / predictedPositives, binary.precision);

// Three classes: per-class scores and their averages.
const yTrue3 = tensor([0, 0, 0, 1, 1, 1, 1, 2, 2, 2], { dtype: 'int32', device });
const yPred3 = tensor([0, 0, 1, 1, 1, 2, 1, 2, 1, 2], { dtype: 'int32', device });
const confusion = await metrics.confusionMatrix(yTrue3, yPred3);
console.log('confusion matrix (rows: true class, columns: predicted):');
for (const row of confusion) console.log(`  ${row.join(' ')}`);
assert.deepEqual(confusion, [
  [2, 1, 0],
  [0, 3, 1],
  [0, 1, 2],
]);
// Per class: precision = diagonal / column sum, recall = diagonal / row sum.
const precisionPerClass = [2 / 2, 3 / 5, 2 / 3];
const recallPerClass = [2 / 3, 3 / 4, 2 / 3];
const f1PerClass = precisionPerClass.map((pc, i) => {
  const rc = recallPerClass[i]!;
  return (2 * pc * rc) / (pc + rc);
});
const support = [3, 4, 3];
const mean = (values: number[]) => values.reduce((a, b) => a + b) / values.length;

const report = await metrics.precisionRecallFscoreSupport(yTrue3, yPred3, { average: 'none' });
console.log('per class:', report);
assertNear(report.precision, precisionPerClass, 'precision per class');
assertNear(report.recall, recallPerClass, 'recall per class');
assertNear(report.fscore, f1PerClass, 'F1 per class');
assert.deepEqual(report.support, support);

// Macro: the plain mean over classes; weighted: weighted by support; micro: from the
// pooled counts, which for single-label problems is the accuracy.
const macroF1 = await metrics.f1Score(yTrue3, yPred3, { average: 'macro' });
const weightedF1 = await metrics.f1Score(yTrue3, yPred3, { average: 'weighted' });
const microF1 = await metrics.f1Score(yTrue3, yPred3, { average: 'micro' });
console.log(`F1: macro ${macroF1}, weighted ${weightedF1}, micro ${microF1}`);
assertNear(
  await metrics.precision(yTrue3, yPred3, { average: 'macro' }),
  mean(precisionPerClass),
  'macro precision',
);
assertNear(
  await metrics.recall(yTrue3, yPred3, { average: 'macro' }),
  mean(recallPerClass),
  'macro recall',
);
assertNear(macroF1, mean(f1PerClass), 'macro F1'); // 0.711
assertNear(
  weightedF1,
  f1PerClass.reduce((sum, f, i) => sum + f * support[i]!, 0) / 10,
  'weighted F1',
);
assertNear(microF1, 0.7, 'micro F1');
assertNear(await metrics.accuracy(yTrue3, yPred3), 0.7, 'accuracy');

// From a model's scores [N, C]: predictions are their argmax. Top-2 accuracy counts a
// sample as right when its class is among the two highest scores.
const scores = tensor(
  [
    [2.0, 1.0, 0.1], // predicted 0, true 0
    [0.2, 0.3, 2.5], // predicted 2, true 1; class 1 is second
    [0.1, 3.0, 0.2], // predicted 1, true 1
    [1.5, 0.0, 1.4], // predicted 0, true 2; class 2 is second
    [0.3, 0.4, 0.2], // predicted 1, true 0; class 0 is second
  ],
  { device },
);
const labels = tensor([0, 1, 1, 2, 0], { dtype: 'int32', device });
assertNear(await metrics.accuracy(labels, scores.argmax(1)), 2 / 5, 'accuracy from scores');
assertNear(await metrics.topKAccuracy(labels, scores, 2), 5 / 5, 'top-2 accuracy');
assertNear(await metrics.topKAccuracy(labels, scores, 1), 2 / 5, 'top-1 accuracy');
