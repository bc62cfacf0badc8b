/**
 * Classification metrics with scikit-learn's definitions, on tensors of any device and on
 * plain arrays.
 *
 * @module \@dl/data/metrics
 */

export {
  type Average,
  accuracy,
  type FbetaOptions,
  f1Score,
  fbetaScore,
  type PrecisionRecallFscoreSupport,
  precision,
  precisionRecallFscoreSupport,
  recall,
  type Score,
  type ScoreOptions,
  type ZeroDivision,
} from './classification.js';
export { type ConfusionMatrixOptions, confusionMatrix, topKAccuracy } from './confusion.js';
export type { MetricInput } from './inputs.js';
