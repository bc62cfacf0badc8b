// The datasets and loaders of a run: MNIST or Fashion-MNIST (bundled or from --data), the
// seed recipe's toTensor + normalize, and the best recipe's random affine augmentation.

import { existsSync } from 'node:fs';
import { DataLoader, type Dataset, Subset } from '@dl/data';
import type { Generator, Tensor } from '@dl/tensor';
import { FashionMNIST, fashionMnistSpec, MNIST, type RawImage, transforms } from '@dl/vision';
import { type DatasetName, type Recipe, UsageError } from './args.js';

/** Per-dataset normalisation (the training set's pixel mean and standard deviation). */
export const normalization: Record<DatasetName, { mean: number; std: number }> = {
  mnist: { mean: 0.1307, std: 0.3081 },
  fashion: { mean: 0.286, std: 0.353 },
};

type Sample = [Tensor, number];

/** Opens one split, turning a missing folder or file into a UsageError that says where. */
export function openDataset(
  name: DatasetName,
  dataDir: string | undefined,
  train: boolean,
  transform: (image: RawImage) => Tensor,
): Dataset<Sample> {
  if (dataDir !== undefined && !existsSync(dataDir)) {
    throw new UsageError(`--data ${dataDir}: no such folder (it should hold the four IDX files)`);
  }
  const options = { train, transform, ...(dataDir === undefined ? {} : { root: dataDir }) };
  try {
    return name === 'fashion' ? new FashionMNIST(options) : new MNIST(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot read the ${name} ${train ? 'training' : 'test'} set: ${message}`);
  }
}

/** toTensor + normalize, plus (for training with the best recipe) random affine moves. */
export function transformFor(
  name: DatasetName,
  recipe: Recipe,
  augment: boolean,
  generator: Generator,
): (image: RawImage) => Tensor {
  const { mean, std } = normalization[name];
  const steps = [transforms.toTensor(), transforms.normalize([mean], [std])];
  const augmentation =
    augment && recipe === 'best'
      ? [
          transforms.randomAffine(10, {
            translate: [0.1, 0.1],
            scale: [0.9, 1.1],
            generator,
          }),
        ]
      : [];
  return transforms.compose<Tensor, RawImage>([...augmentation, ...steps]);
}

export function limited<T>(dataset: Dataset<T>, limit: number | undefined): Dataset<T> {
  if (limit === undefined || limit >= dataset.length) return dataset;
  return new Subset(
    dataset,
    Array.from({ length: limit }, (_, i) => i),
  );
}

export function loader<T>(
  dataset: Dataset<T>,
  batchSize: number,
  shuffle: boolean,
  generator: Generator,
): DataLoader<T> {
  return new DataLoader(dataset, { batchSize, shuffle, generator });
}

/** The class names the confusion matrix rows are labelled with. */
export function classNames(name: DatasetName): string[] {
  return name === 'fashion'
    ? [...fashionMnistSpec.classes]
    : ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
}
