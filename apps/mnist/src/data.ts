// The datasets and loaders of a run: MNIST or Fashion-MNIST (bundled or from --data), the
// seed recipe's toTensor + normalize, and the best recipe's random affine augmentation.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader, type Dataset, Subset } from '@dl/data';
import type { Generator, Tensor } from '@dl/tensor';
import {
  debianFashionMnistFolder,
  FashionMNIST,
  fashionMnistSpec,
  type IdxImageDataset,
  MNIST,
  mnistDataFolder,
  mnistSpec,
  type RawImage,
  transforms,
} from '@dl/vision';
import { type DatasetName, type Recipe, UsageError } from './args.js';

/** Per-dataset normalisation (the training set's pixel mean and standard deviation). */
export const normalization: Record<DatasetName, { mean: number; std: number }> = {
  mnist: { mean: 0.1307, std: 0.3081 },
  fashion: { mean: 0.286, std: 0.353 },
};

type Sample = [Tensor, number];

/** The model's input size and number of classes, which every image and label must fit. */
const imageSize = 28;
const classCount = 10;

/**
 * Where a split's images or labels file was read from (as @dl/vision looks: directly in the
 * folder or under <Name>/raw, raw or .gz), for error messages; the bare name if not found.
 */
function splitFile(
  name: DatasetName,
  dataDir: string | undefined,
  train: boolean,
  kind: 'images' | 'labels',
): string {
  const spec = name === 'fashion' ? fashionMnistSpec : mnistSpec;
  const file = spec.files[train ? 'train' : 'test'][kind];
  const root = dataDir ?? (name === 'fashion' ? debianFashionMnistFolder : mnistDataFolder());
  if (root === undefined) return file;
  const raw = join(root, spec.name, 'raw');
  const candidates = [join(root, file), join(raw, file)].flatMap((p) => [p, `${p}.gz`]);
  return candidates.find((p) => existsSync(p)) ?? file;
}

/**
 * Refuses a split the model cannot train or be tested on, before any step: no images, images
 * other than 28x28, or a label outside the ten classes (the first one, with its index, named
 * with its file). Holds whatever checks @dl/vision's dataset classes make themselves.
 */
export function checkSplit(
  dataset: IdxImageDataset<unknown, unknown>,
  name: DatasetName,
  dataDir: string | undefined,
  train: boolean,
): void {
  const [count, height, width] = dataset.images.shape;
  if (count === 0 || dataset.targets.length === 0) {
    const file = splitFile(name, dataDir, train, 'images');
    throw new UsageError(
      `${file}: no images; the ${train ? 'training' : 'test'} set must hold some`,
    );
  }
  if (height !== imageSize || width !== imageSize) {
    const file = splitFile(name, dataDir, train, 'images');
    throw new UsageError(
      `${file}: images of ${height}x${width}; the model takes ${imageSize}x${imageSize}`,
    );
  }
  const bad = dataset.targets.findIndex((label) => label < 0 || label >= classCount);
  if (bad >= 0) {
    const file = splitFile(name, dataDir, train, 'labels');
    throw new UsageError(
      `${file}: label ${dataset.targets[bad]} at index ${bad} is outside the ${classCount} classes (0 to ${classCount - 1})`,
    );
  }
}

/**
 * Opens one split, turning a missing folder or file into a UsageError that says where, and
 * refusing data the model cannot use (checkSplit).
 */
export function openDataset(
  name: DatasetName,
  dataDir: string | undefined,
  train: boolean,
  transform: (image: RawImage) => Tensor,
): Dataset<Sample> {
  if (dataDir !== undefined && !existsSync(dataDir)) {
    throw new UsageError(`--data ${dataDir}: no such folder (it should hold the four IDX files)`);
  }
  if (dataDir !== undefined && !statSync(dataDir).isDirectory()) {
    throw new UsageError(`--data ${dataDir}: a file, not a folder (of the four IDX files)`);
  }
  const options = { train, transform, ...(dataDir === undefined ? {} : { root: dataDir }) };
  let dataset: IdxImageDataset<Tensor, number>;
  try {
    dataset = name === 'fashion' ? new FashionMNIST(options) : new MNIST(options);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(
      /\s*\n\s*/g,
      ' ',
    );
    throw new UsageError(`cannot read the ${name} ${train ? 'training' : 'test'} set: ${message}`);
  }
  checkSplit(dataset, name, dataDir, train);
  return dataset;
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
