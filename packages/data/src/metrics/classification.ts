// Classification scores with scikit-learn's definitions: accuracy, precision, recall,
// F-beta and their averages (binary, micro, macro, weighted, or none = per class), with
// its zeroDivision rule for classes that have no predictions or no true samples.

import { checkSameLength, type MetricInput, readLabels, uniqueLabels } from './inputs.js';

/**
 * How per-class scores combine, as scikit-learn's `average`: the positive class only ('binary'),
 * over all counts ('micro'), their mean ('macro'), their mean weighted by support ('weighted'), or
 * not at all ('none').
 */
export type Average = 'binary' | 'micro' | 'macro' | 'weighted' | 'none';
/** The value of an undefined ratio (0/0): 'warn' acts as 0 and logs a warning, like scikit-learn. */
export type ZeroDivision = 'warn' | 0 | 1 | typeof Number.NaN;

/** Options of precision, recall and the F-scores, as scikit-learn's. */
export interface ScoreOptions {
  /** How per-class scores are combined (default 'binary', as in scikit-learn). */
  average?: Average;
  /** The classes to score, in order (default: every label seen in yTrue or yPred, sorted). */
  labels?: readonly number[];
  /** The positive class for average 'binary' (default 1). */
  posLabel?: number;
  zeroDivision?: ZeroDivision;
}

/** Options of precisionRecallFscoreSupport: ScoreOptions and the F-score's beta (1 by default). */
export interface FbetaOptions extends ScoreOptions {
  beta?: number;
}

/** One number, or one per class for average 'none'. */
export type Score = number | number[];

/**
 * What precisionRecallFscoreSupport returns: each score, a number or one per class with average
 * 'none'.
 */
export interface PrecisionRecallFscoreSupport {
  precision: Score;
  recall: Score;
  fscore: Score;
  /** True samples per class for average 'none'; undefined otherwise, as in scikit-learn. */
  support: number[] | undefined;
}

function checkZeroDivision(value: ZeroDivision | undefined, what: string): number {
  if (value === undefined || value === 'warn' || value === 0) return 0;
  if (value === 1) return 1;
  if (Number.isNaN(value)) return Number.NaN;
  throw new RangeError(`${what}: zeroDivision should be 'warn', 0, 1 or NaN, got ${String(value)}`);
}

/** Counts of true positives, predictions and true samples per label of `labels`. */
function countPerLabel(
  yTrue: readonly number[],
  yPred: readonly number[],
  labels: readonly number[],
) {
  const position = new Map(labels.map((label, i) => [label, i]));
  const tp = new Array<number>(labels.length).fill(0);
  const predicted = new Array<number>(labels.length).fill(0);
  const actual = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const t = position.get(yTrue[i]!);
    const p = position.get(yPred[i]!);
    if (t !== undefined) actual[t]! += 1;
    if (p !== undefined) predicted[p]! += 1;
    if (t !== undefined && t === p) tp[t]! += 1;
  }
  return { tp, predicted, actual };
}

/** The mean of `values` weighted by `weights`, skipping NaN entries (numpy's nanaverage). */
function nanAverage(values: readonly number[], weights: readonly number[] | undefined): number {
  let sum = 0;
  let total = 0;
  values.forEach((v, i) => {
    if (Number.isNaN(v)) return;
    const w = weights ? weights[i]! : 1;
    sum += v * w;
    total += w;
  });
  return total === 0 ? Number.NaN : sum / total;
}

/** Precision, recall, F-beta and support, like sklearn.metrics.precision_recall_fscore_support. */
export async function precisionRecallFscoreSupport(
  yTrue: MetricInput,
  yPred: MetricInput,
  options: FbetaOptions = {},
): Promise<PrecisionRecallFscoreSupport> {
  const what = 'precisionRecallFscoreSupport';
  const { average = 'binary', posLabel = 1, beta = 1 } = options;
  if (!['binary', 'micro', 'macro', 'weighted', 'none'].includes(average))
    throw new RangeError(
      `${what}: average should be 'binary', 'micro', 'macro', 'weighted' or 'none', got '${average}'`,
    );
  if (!(beta >= 0)) throw new RangeError(`${what}: beta should be >= 0, got ${beta}`);
  const zero = checkZeroDivision(options.zeroDivision, what);
  const truth = await readLabels(yTrue, `${what} yTrue`);
  const predicted = await readLabels(yPred, `${what} yPred`);
  checkSameLength(truth, predicted, what);

  const present = uniqueLabels(truth, predicted);
  let labels = options.labels ? [...options.labels] : present;
  if (average === 'binary') {
    if (present.length > 2) {
      throw new Error(
        `${what}: target is multiclass (labels ${present.join(', ')}) but average='binary'; choose another average setting, one of 'none', 'micro', 'macro', 'weighted'`,
      );
    }
    if (present.length > 0 && !present.includes(posLabel)) {
      if (present.length === 2 || posLabel !== 1)
        throw new Error(
          `${what}: posLabel=${posLabel} is not a valid label; it should be one of ${present.join(', ')}`,
        );
    }
    labels = [posLabel];
  }

  const { tp, predicted: predSum, actual: trueSum } = countPerLabel(truth, predicted, labels);
  let warned = false;
  const ratio = (numerator: number, denominator: number): number => {
    if (denominator !== 0) return numerator / denominator;
    if (options.zeroDivision === undefined || options.zeroDivision === 'warn') warned = true;
    return zero;
  };
  const beta2 = beta * beta;
  const fbeta = (t: number, p: number, a: number): number =>
    // From the counts, as scikit-learn >= 1.3 does: tp / (tp + (beta^2 fn + fp) / (1 + beta^2)).
    ratio((1 + beta2) * t, (1 + beta2) * t + beta2 * (a - t) + (p - t));

  let result: PrecisionRecallFscoreSupport;
  if (average === 'micro') {
    const t = tp.reduce((a, b) => a + b, 0);
    const p = predSum.reduce((a, b) => a + b, 0);
    const a = trueSum.reduce((x, y) => x + y, 0);
    result = {
      precision: ratio(t, p),
      recall: ratio(t, a),
      fscore: fbeta(t, p, a),
      support: undefined,
    };
  } else {
    const precision = labels.map((_, i) => ratio(tp[i]!, predSum[i]!));
    const recall = labels.map((_, i) => ratio(tp[i]!, trueSum[i]!));
    const fscore = labels.map((_, i) => fbeta(tp[i]!, predSum[i]!, trueSum[i]!));
    if (average === 'none') {
      result = { precision, recall, fscore, support: trueSum };
    } else if (average === 'weighted' && trueSum.reduce((a, b) => a + b, 0) === 0) {
      // No true sample of any scored label: scikit-learn's special case.
      const z = Number.isNaN(zero) ? Number.NaN : zero;
      const noPredictions = predSum.reduce((a, b) => a + b, 0) === 0;
      result = noPredictions
        ? { precision: z, recall: z, fscore: z, support: undefined }
        : { precision: 0, recall: z, fscore: 0, support: undefined };
    } else {
      const weights = average === 'weighted' ? trueSum : undefined;
      result = {
        precision: nanAverage(precision, weights),
        recall: nanAverage(recall, weights),
        fscore: nanAverage(fscore, weights),
        support: undefined,
      };
    }
  }
  if (warned)
    console.warn(
      `${what}: some scores are ill-defined (0/0) and set to 0; pass zeroDivision to control this`,
    );
  return result;
}

/**
 * tp / (tp + fp): how many of the predicted positives are right, like
 * sklearn.metrics.precision_score.
 */
export async function precision(
  yTrue: MetricInput,
  yPred: MetricInput,
  options: ScoreOptions = {},
): Promise<Score> {
  return (await precisionRecallFscoreSupport(yTrue, yPred, options)).precision;
}

/** tp / (tp + fn): how many of the true positives are found, like sklearn.metrics.recall_score. */
export async function recall(
  yTrue: MetricInput,
  yPred: MetricInput,
  options: ScoreOptions = {},
): Promise<Score> {
  return (await precisionRecallFscoreSupport(yTrue, yPred, options)).recall;
}

/**
 * The weighted harmonic mean of precision and recall, recall counting `beta` times as much, like
 * sklearn.metrics.fbeta_score.
 */
export async function fbetaScore(
  yTrue: MetricInput,
  yPred: MetricInput,
  beta: number,
  options: ScoreOptions = {},
): Promise<Score> {
  return (await precisionRecallFscoreSupport(yTrue, yPred, { ...options, beta })).fscore;
}

/** The harmonic mean of precision and recall, like sklearn.metrics.f1_score. */
export async function f1Score(
  yTrue: MetricInput,
  yPred: MetricInput,
  options: ScoreOptions = {},
): Promise<Score> {
  return (await precisionRecallFscoreSupport(yTrue, yPred, { ...options, beta: 1 })).fscore;
}

/** The fraction (or with normalize false, the number) of samples whose label is right. */
export async function accuracy(
  yTrue: MetricInput,
  yPred: MetricInput,
  options: { normalize?: boolean } = {},
): Promise<number> {
  const truth = await readLabels(yTrue, 'accuracy yTrue');
  const predicted = await readLabels(yPred, 'accuracy yPred');
  checkSameLength(truth, predicted, 'accuracy');
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) correct++;
  if (options.normalize === false) return correct;
  return truth.length === 0 ? Number.NaN : correct / truth.length;
}
