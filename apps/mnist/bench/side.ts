// What every side of the training benchmark (train.bench.ts) shares: the fixed batch, the
// initial weights (dl's, copied into the peers) and the shape of one side's training step.

import { manualSeed } from '@dl/tensor';
import { MNIST, models } from '@dl/vision';
import { normalization } from '../src/data.ts';

export const batchSize = 64;
export const lr = 1e-3;

/** One batch of MNIST training images, normalised as the app's training does. */
export interface Batch {
  /** [batchSize, 1, 28, 28], NCHW. */
  images: Float32Array;
  labels: Int32Array;
}

/** A parameter's values in dl's layout (OIHW convolutions, [out, in] linear weights). */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

/** The DigitRecognizer's parameters by PyTorch key name (conv1.weight, ..., fc2.bias). */
export type Weights = Map<string, Weight>;

/** One library training the CNN on the batch. */
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

/** The first `batchSize` images of the MNIST training set. */
export function firstBatch(): Batch {
  const mnist = new MNIST({ train: true });
  const { mean, std } = normalization.mnist;
  const images = new Float32Array(batchSize * 28 * 28);
  const labels = new Int32Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const [image, label] = mnist.getItem(i);
    for (let j = 0; j < 28 * 28; j++) images[i * 28 * 28 + j] = (image.data[j]! / 255 - mean) / std;
    labels[i] = label;
  }
  return { images, labels };
}

/** A freshly initialised DigitRecognizer's parameters (dl's PyTorch-style init, seed 0). */
export function initialWeights(): Weights {
  manualSeed(0);
  const model = new models.DigitRecognizer();
  const weights: Weights = new Map();
  for (const [name, p] of model.namedParameters()) {
    const data = p.dataSync();
    if (!(data instanceof Float32Array)) throw new Error(`${name}: expected float32 weights`);
    weights.set(name, { shape: [...p.shape], data: data.slice() });
  }
  return weights;
}

/** The named weight, or an error naming the ones there are. */
export function weight(weights: Weights, name: string): Weight {
  const found = weights.get(name);
  if (!found) throw new Error(`no weight ${name} (have ${[...weights.keys()].join(', ')})`);
  return found;
}
