// The confusion matrix and top-k accuracy, with scikit-learn's definitions.

import type { Tensor } from '@dl/tensor';
import {
  checkSameLength,
  type MetricInput,
  readInput,
  readLabels,
  uniqueLabels,
} from './inputs.js';

/** Options of confusionMatrix, as sklearn.metrics.confusion_matrix's. */
export interface ConfusionMatrixOptions {
  /** The classes, in row/column order (default: every label seen, sorted). */
  labels?: readonly number[];
  /** Divide by the row sums ('true'), column sums ('pred') or the total ('all'). */
  normalize?: 'true' | 'pred' | 'all';
}

/** matrix[i][j]: samples of true class labels[i] predicted as labels[j]. */
export async function confusionMatrix(
  yTrue: MetricInput,
  yPred: MetricInput,
  options: ConfusionMatrixOptions = {},
): Promise<number[][]> {
  const truth = await readLabels(yTrue, 'confusionMatrix yTrue');
  const predicted = await readLabels(yPred, 'confusionMatrix yPred');
  checkSameLength(truth, predicted, 'confusionMatrix');
  const labels = options.labels ? [...options.labels] : uniqueLabels(truth, predicted);
  if (labels.length === 0)
    throw new Error("confusionMatrix: 'labels' should contain at least one label");
  const position = new Map(labels.map((label, i) => [label, i]));
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = position.get(truth[i]!);
    const p = position.get(predicted[i]!);
    if (t !== undefined && p !== undefined) matrix[t]![p]! += 1;
  }
  const { normalize } = options;
  if (normalize === undefined) return matrix;
  // 0/0 rows or columns become 0, as in scikit-learn.
  const divide = (value: number, by: number): number => (by === 0 ? 0 : value / by);
  if (normalize === 'true')
    return matrix.map((row) =>
      row.map((v) =>
        divide(
          v,
          row.reduce((a, b) => a + b, 0),
        ),
      ),
    );
  if (normalize === 'pred') {
    const columns = labels.map((_, j) => matrix.reduce((a, row) => a + row[j]!, 0));
    return matrix.map((row) => row.map((v, j) => divide(v, columns[j]!)));
  }
  if (normalize === 'all') {
    const total = matrix.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
    return matrix.map((row) => row.map((v) => divide(v, total)));
  }
  throw new RangeError(
    `confusionMatrix: normalize should be 'true', 'pred' or 'all', got '${String(normalize)}'`,
  );
}

/**
 * The fraction of samples whose true class is among the k highest scores, like
 * sklearn.metrics.top_k_accuracy_score: scores [N, C] with class j in column j (or
 * column j of `labels`); ties go to the higher column, as scikit-learn's reversed stable sort does.
 */
export async function topKAccuracy(
  yTrue: MetricInput,
  scores: MetricInput | Tensor,
  k = 2,
  options: { labels?: readonly number[]; normalize?: boolean } = {},
): Promise<number> {
  const truth = await readLabels(yTrue, 'topKAccuracy yTrue');
  const { values, shape } = await readInput(scores, 'topKAccuracy scores');
  if (shape.length !== 2)
    throw new Error(`topKAccuracy: scores should have shape [N, C], got [${shape.join(', ')}]`);
  const [n, c] = shape as [number, number];
  if (n !== truth.length)
    throw new Error(`topKAccuracy: yTrue has ${truth.length} samples but scores has ${n} rows`);
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`topKAccuracy: k should be a positive integer, got ${k}`);
  const labels = options.labels ? [...options.labels] : Array.from({ length: c }, (_, j) => j);
  if (labels.length !== c)
    throw new Error(
      `topKAccuracy: ${labels.length} labels for ${c} score columns; they should match`,
    );
  const column = new Map(labels.map((label, j) => [label, j]));
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const j = column.get(truth[i]!);
    if (j === undefined)
      throw new Error(
        `topKAccuracy: yTrue[${i}] = ${truth[i]} is not one of the labels (${labels.join(', ')})`,
      );
    const score = values[i * c + j]!;
    // Columns ranked above j: a higher score, or an equal score in a later column.
    let above = 0;
    for (let m = 0; m < c; m++) {
      const other = values[i * c + m]!;
      if (other > score || (other === score && m > j)) above++;
    }
    if (above < k) hits++;
  }
  if (options.normalize === false) return hits;
  return n === 0 ? Number.NaN : hits / n;
}
