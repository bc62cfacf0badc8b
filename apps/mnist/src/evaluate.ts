// Evaluation of a model over a loader: mean NLL loss, accuracy, macro precision, recall and
// F1 (scikit-learn's definitions, from @dl/data/metrics) and the confusion matrix.

import type { DataLoader } from '@dl/data';
import { metrics } from '@dl/data';
import * as nn from '@dl/nn';
import { type Backend, noGrad, type Tensor } from '@dl/tensor';
import type { models } from '@dl/vision';

export interface Evaluation {
  loss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** confusion[i][j]: images of class i predicted as j. */
  confusion: number[][];
  samples: number;
}

const classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

export async function evaluate(
  model: models.DigitRecognizer,
  data: DataLoader<[Tensor, number]>,
  device: Backend | 'cpu',
): Promise<Evaluation> {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  const truth: number[] = [];
  const predicted: number[] = [];
  try {
    for await (const [x, y] of data) {
      const [loss, prediction, labels] = noGrad(() => {
        const target = y.to(device);
        const output = model.forward(x.to(device));
        return [nn.F.nllLoss(output, target, { reduction: 'sum' }), output.argmax(1), y];
      });
      lossSum += await loss.item();
      predicted.push(...(await prediction.data()));
      truth.push(...(await labels.data()));
    }
  } finally {
    if (wasTraining) model.train();
  }
  const options = { average: 'macro', labels: classes, zeroDivision: 0 } as const;
  const scores = await metrics.precisionRecallFscoreSupport(truth, predicted, options);
  return {
    loss: lossSum / truth.length,
    accuracy: await metrics.accuracy(truth, predicted),
    precision: scores.precision as number, // a number, as average is 'macro'
    recall: scores.recall as number,
    f1: scores.fscore as number,
    confusion: await metrics.confusionMatrix(truth, predicted, { labels: classes }),
    samples: truth.length,
  };
}

/** The confusion matrix as aligned text, rows the true class, columns the prediction. */
export function formatConfusion(
  confusion: readonly (readonly number[])[],
  names: readonly string[],
): string {
  const width = Math.max(5, ...confusion.flat().map((n) => String(n).length + 1));
  const label = Math.max(...names.map((n) => n.length));
  const header = `${'true \\ pred'.padEnd(label)} ${classes.map((c) => String(c).padStart(width)).join('')}`;
  const rows = confusion.map(
    (row, i) =>
      `${(names[i] ?? String(i)).padEnd(label)} ${row.map((n) => String(n).padStart(width)).join('')}`,
  );
  return [header, ...rows].join('\n');
}

export function summary(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return `loss ${e.loss.toFixed(4)}, accuracy ${pct(e.accuracy)}, precision ${pct(e.precision)}, recall ${pct(e.recall)}, F1 ${pct(e.f1)} (${e.samples} images)`;
}
