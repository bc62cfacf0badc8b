// What every side of the benchmarks (train.bench.ts, cpu-peers.bench.ts) shares: the batch
// sizes, the shapes of the data and initial weights every library starts from (dl's, copied
// into the peers), and the shape of one side's work. This file imports no library, so a
// child process measuring one library's memory loads that library alone (dl-data.ts makes
// the data with dl).

export const batchSize = 64;
export const lr = 1e-3;
/** Images per inference batch (the memory row of cpu-peers.bench.ts). */
export const inferenceBatchSize = 1000;
/** The MLP of cpu-peers.bench.ts: 784 inputs (a flattened image), 128 hidden, 10 classes. */
export const mlpSizes = { input: 784, hidden: 128, classes: 10 } as const;

/** Some MNIST images, normalised as the app's training does, and their labels. */
export interface Batch {
  /** [count, 1, 28, 28], NCHW. */
  images: Float32Array;
  labels: Int32Array;
}

/** A parameter's values in dl's layout (OIHW convolutions, [out, in] linear weights). */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

/**
 * A model's parameters by PyTorch key name: the DigitRecognizer's (conv1.weight, ...,
 * fc2.bias) or the MLP's (fc1.weight, fc1.bias, fc2.weight, fc2.bias).
 */
export type Weights = Map<string, Weight>;

/** One library training a model on a batch. */
export interface TrainingSide {
  /**
   * One step: forward, nll loss, backward, Adam(1e-3), the loss read back to the CPU and
   * the device's work finished. Resolves with the loss.
   */
  step(): Promise<number>;
  dispose(): void;
}

export interface SideOptions {
  weights: Weights;
  batch: Batch;
  /** Train-mode dropout (the timed runs) or none (the cross-check, so all sides agree). */
  dropout: boolean;
}

/** One library running the trained CNN forward over a batch of images, in eval mode. */
export interface InferenceSide {
  /** The log-probabilities [images, 10], read back to the CPU. */
  run(): Promise<Float32Array>;
  dispose(): void;
}

/** How closely first losses must agree (same weights, same batch, no dropout). */
export const lossTolerance = 1e-4;

/**
 * Fails unless a side's `losses` start within lossTolerance of dl's first loss `reference`
 * and go down.
 */
export function checkLosses(
  row: string,
  side: string,
  losses: readonly number[],
  reference: number,
): void {
  const first = losses[0]!;
  if (!(Math.abs(first - reference) <= lossTolerance * Math.max(1, Math.abs(reference)))) {
    throw new Error(`${row}: ${side}'s first loss ${first} differs from dl cpu's ${reference}`);
  }
  if (!(losses.at(-1)! < first)) {
    throw new Error(`${row}: ${side}'s loss did not go down (${losses.join(', ')})`);
  }
}

/** The named weight, or an error naming the ones there are. */
export function weight(weights: Weights, name: string): Weight {
  const found = weights.get(name);
  if (!found) throw new Error(`no weight ${name} (have ${[...weights.keys()].join(', ')})`);
  return found;
}
