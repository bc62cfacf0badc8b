// Classification metrics against scikit-learn's definitions, on label sets whose scores are
// worked out by hand below (and, for a larger set, by scripts/reference/metrics.py), with
// the inputs as plain arrays and as tensors on every device.

import { type Backend, tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { metrics } from '../src/index.ts';
import { testDevices } from './device.ts';
import { reference } from './metrics.reference.ts';

const devices = await testDevices();

/*
 * yTrue = [0, 1, 2, 0, 1, 2, 0, 2, 2, 1], yPred = [0, 2, 1, 0, 0, 2, 0, 2, 1, 1]
 * class 0: true at 0,3,6 (3); predicted at 0,3,4,6 (4); tp 3 -> P 3/4, R 1,   F1 6/7
 * class 1: true at 1,4,9 (3); predicted at 2,8,9 (3);   tp 1 -> P 1/3, R 1/3, F1 1/3
 * class 2: true at 2,5,7,8 (4); predicted at 1,5,7 (3); tp 2 -> P 2/3, R 1/2, F1 4/7
 * micro: 6 right of 10 -> 0.6 for P, R and F1 (and accuracy)
 * macro: P (3/4 + 1/3 + 2/3)/3 = 7/12, R (1 + 1/3 + 1/2)/3 = 11/18, F1 (6/7 + 1/3 + 4/7)/3 = 37/63
 * weighted by support 3, 3, 4: P (9/4 + 1 + 8/3)/10 = 71/120, R 6/10, F1 (18/7 + 1 + 16/7)/10 = 41/70
 * confusion (rows true, columns predicted): [3 0 0], [1 1 1], [0 2 2]
 */
const yTrue = [0, 1, 2, 0, 1, 2, 0, 2, 2, 1];
const yPred = [0, 2, 1, 0, 0, 2, 0, 2, 1, 1];

describe.each(devices)('metrics on %s', (_name, device: Backend | 'cpu') => {
  const t = (values: number[] | number[][]) => tensor(values, { dtype: 'int32', device });
  const inputs: [string, (v: number[]) => number[] | ReturnType<typeof tensor>][] = [
    ['arrays', (v) => v],
    ['tensors', (v) => t(v)],
  ];

  it.each(inputs)('accuracy, precision, recall and F1 from %s', async (_kind, wrap) => {
    const a = wrap(yTrue);
    const b = wrap(yPred);
    expect(await metrics.accuracy(a, b)).toBeCloseTo(0.6, 12);
    expect(await metrics.accuracy(a, b, { normalize: false })).toBe(6);
    const none = await metrics.precisionRecallFscoreSupport(a, b, { average: 'none' });
    expect(none.precision).toEqual([3 / 4, 1 / 3, 2 / 3]);
    expect(none.recall).toEqual([1, 1 / 3, 1 / 2]);
    expect(none.fscore).toEqual([6 / 7, 1 / 3, 4 / 7].map((v) => expect.closeTo(v, 12)));
    expect(none.support).toEqual([3, 3, 4]);
    for (const [average, p, r, f] of [
      ['micro', 0.6, 0.6, 0.6],
      ['macro', 7 / 12, 11 / 18, 37 / 63],
      ['weighted', 71 / 120, 0.6, 41 / 70],
    ] as const) {
      expect(await metrics.precision(a, b, { average })).toBeCloseTo(p, 12);
      expect(await metrics.recall(a, b, { average })).toBeCloseTo(r, 12);
      expect(await metrics.f1Score(a, b, { average })).toBeCloseTo(f, 12);
    }
    // Only classes 1 and 2: P [1/3, 2/3] -> macro 1/2.
    expect(await metrics.precision(a, b, { average: 'macro', labels: [1, 2] })).toBeCloseTo(
      0.5,
      12,
    );
  });

  it('confusionMatrix and its normalizations', async () => {
    expect(await metrics.confusionMatrix(t(yTrue), t(yPred))).toEqual([
      [3, 0, 0],
      [1, 1, 1],
      [0, 2, 2],
    ]);
    expect(await metrics.confusionMatrix(yTrue, yPred, { labels: [2, 0] })).toEqual([
      [2, 0],
      [0, 3],
    ]);
    expect(await metrics.confusionMatrix(yTrue, yPred, { normalize: 'true' })).toEqual([
      [1, 0, 0],
      [1 / 3, 1 / 3, 1 / 3],
      [0, 1 / 2, 1 / 2],
    ]);
    expect(await metrics.confusionMatrix(yTrue, yPred, { normalize: 'pred' })).toEqual([
      [3 / 4, 0, 0],
      [1 / 4, 1 / 3, 1 / 3],
      [0, 2 / 3, 2 / 3],
    ]);
    expect((await metrics.confusionMatrix(yTrue, yPred, { normalize: 'all' }))[2]).toEqual([
      0, 0.2, 0.2,
    ]);
  });

  it('binary scores, F-beta and predictions given as scores', async () => {
    // Positive class 1: true at 0,2,3 (3), predicted at 0,1 (2), tp 1 -> P 1/2, R 1/3,
    // F1 2/(2+2+1) = 2/5, F2 5/(5 + 4*2 + 1) = 5/14.
    const truth = t([1, 0, 1, 1, 0]);
    const predicted = t([1, 1, 0, 0, 0]);
    expect(await metrics.precision(truth, predicted)).toBe(0.5);
    expect(await metrics.recall(truth, predicted)).toBeCloseTo(1 / 3, 12);
    expect(await metrics.f1Score(truth, predicted)).toBeCloseTo(2 / 5, 12);
    expect(await metrics.fbetaScore(truth, predicted, 2)).toBeCloseTo(5 / 14, 12);
    // posLabel 0: true at 1,4 (2), predicted at 2,3,4 (3), tp 1 -> P 1/3, R 1/2.
    expect(await metrics.precision(truth, predicted, { posLabel: 0 })).toBeCloseTo(1 / 3, 12);
    const scores = tensor(
      [
        [0.1, 0.9],
        [0.2, 0.8],
        [0.7, 0.3],
        [0.6, 0.4],
        [0.9, 0.1],
      ],
      { device },
    );
    expect(await metrics.accuracy(truth, scores)).toBeCloseTo(2 / 5, 12);
    await expect(metrics.precision(yTrue, yPred)).rejects.toThrow(
      "target is multiclass (labels 0, 1, 2) but average='binary'; choose another average setting",
    );
  });

  it('zeroDivision like scikit-learn', async () => {
    // Class 1 is never predicted: its precision is 0/0; its F1 is 0 (fn > 0). Class 0:
    // P 2/4, R 1, F1 4/6.
    const truth = t([0, 0, 1, 1]);
    const predicted = t([0, 0, 0, 0]);
    const warn = console.warn;
    const warnings: unknown[] = [];
    console.warn = (message: unknown) => warnings.push(message);
    try {
      expect(await metrics.precision(truth, predicted, { average: 'none' })).toEqual([0.5, 0]);
      expect(warnings.length).toBe(1);
    } finally {
      console.warn = warn;
    }
    expect(await metrics.precision(truth, predicted, { average: 'none', zeroDivision: 1 })).toEqual(
      [0.5, 1],
    );
    expect(await metrics.precision(truth, predicted, { average: 'macro', zeroDivision: 1 })).toBe(
      0.75,
    );
    expect(await metrics.precision(truth, predicted, { average: 'macro', zeroDivision: 0 })).toBe(
      0.25,
    );
    // NaN entries are left out of the average.
    expect(
      await metrics.precision(truth, predicted, { average: 'macro', zeroDivision: Number.NaN }),
    ).toBe(0.5);
    expect(await metrics.f1Score(truth, predicted, { average: 'none', zeroDivision: 1 })).toEqual([
      expect.closeTo(2 / 3, 12),
      0,
    ]);
    expect(await metrics.precision(truth, predicted, { zeroDivision: 1 })).toBe(1);
    expect(await metrics.recall(truth, predicted, { zeroDivision: 1 })).toBe(0);
    // No true sample of the scored label, and no prediction of it: everything is zeroDivision.
    const r = await metrics.precisionRecallFscoreSupport([0, 0], [0, 0], {
      average: 'weighted',
      labels: [1],
      zeroDivision: 1,
    });
    expect([r.precision, r.recall, r.fscore]).toEqual([1, 1, 1]);
  });

  it('topKAccuracy ranks ties like scikit-learn', async () => {
    // Row 0: true 2 (0.4) has one higher score; row 1: true 0 (0.3) ties with a later
    // column and is below 0.4 -> rank 3; row 2: true 1 (0.2) ties with an earlier column,
    // below 0.6 -> rank 2; row 3: true 2 is last -> rank 3.
    const scores = tensor(
      [
        [0.1, 0.5, 0.4],
        [0.3, 0.3, 0.4],
        [0.2, 0.2, 0.6],
        [0.7, 0.2, 0.1],
      ],
      { device },
    );
    const truth = t([2, 0, 1, 2]);
    expect(await metrics.topKAccuracy(truth, scores, 1)).toBe(0);
    expect(await metrics.topKAccuracy(truth, scores, 2)).toBe(0.5);
    expect(await metrics.topKAccuracy(truth, scores, 2, { normalize: false })).toBe(2);
    expect(await metrics.topKAccuracy(truth, scores, 3)).toBe(1);
    await expect(metrics.topKAccuracy(truth, tensor([1, 2, 3, 4]), 1)).rejects.toThrow(
      'topKAccuracy: scores should have shape [N, C], got [4]',
    );
  });
});

describe('metrics on a larger label set (scripts/reference/metrics.py)', () => {
  it.each(reference.cases)('average $average', async ({ average, precision, recall, f1 }) => {
    const options = { average, zeroDivision: 0 } as const;
    const result = await metrics.precisionRecallFscoreSupport(
      reference.yTrue,
      reference.yPred,
      options,
    );
    const close = (value: number | readonly number[]) =>
      typeof value !== 'number'
        ? value.map((v) => expect.closeTo(v, 12))
        : expect.closeTo(value, 12);
    expect(result.precision).toEqual(close(precision));
    expect(result.recall).toEqual(close(recall));
    expect(result.fscore).toEqual(close(f1));
  });

  it('accuracy and confusion matrix', async () => {
    expect(await metrics.accuracy(reference.yTrue, reference.yPred)).toBeCloseTo(
      reference.accuracy,
      12,
    );
    expect(await metrics.confusionMatrix(reference.yTrue, reference.yPred)).toEqual(
      reference.confusion,
    );
  });
});

describe('metric input errors', () => {
  it('names the inconsistent lengths', async () => {
    await expect(metrics.accuracy([0, 1], [0])).rejects.toThrow(
      'accuracy: found input variables with inconsistent numbers of samples: yTrue has 2, yPred has 1',
    );
    await expect(metrics.f1Score([0], [0], { average: 'median' as 'macro' })).rejects.toThrow(
      "average should be 'binary', 'micro', 'macro', 'weighted' or 'none', got 'median'",
    );
  });
});
