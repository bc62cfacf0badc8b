// The benchmarks' data and initial weights, made with dl: MNIST images as the app's training
// normalises them, and freshly initialised models (dl's PyTorch-style init, seed 0), which
// every side starts from.

import type * as nn from '@dl/nn';
import { manualSeed } from '@dl/tensor';
import { MNIST, models } from '@dl/vision';
import { normalization } from '../src/data.ts';
import { Mlp } from './dl-side.ts';
import { type Batch, batchSize, type Weights } from './side.ts';

/** The first `count` images of the MNIST training set and their labels. */
export function firstImages(count: number): Batch {
  const mnist = new MNIST({ train: true });
  const { mean, std } = normalization.mnist;
  const images = new Float32Array(count * 28 * 28);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const [image, label] = mnist.getItem(i);
    for (let j = 0; j < 28 * 28; j++) images[i * 28 * 28 + j] = (image.data[j]! / 255 - mean) / std;
    labels[i] = label;
  }
  return { images, labels };
}

/** The first `batchSize` images of the MNIST training set. */
export function firstBatch(): Batch {
  return firstImages(batchSize);
}

function weightsOf(model: nn.Module): Weights {
  const weights: Weights = new Map();
  for (const [name, p] of model.namedParameters()) {
    const data = p.dataSync();
    if (!(data instanceof Float32Array)) throw new Error(`${name}: expected float32 weights`);
    weights.set(name, { shape: [...p.shape], data: data.slice() });
  }
  return weights;
}

/** A freshly initialised DigitRecognizer's parameters (seed 0). */
export function initialWeights(): Weights {
  manualSeed(0);
  return weightsOf(new models.DigitRecognizer());
}

/** A freshly initialised Mlp's parameters (seed 0). */
export function initialMlpWeights(): Weights {
  manualSeed(0);
  return weightsOf(new Mlp());
}
