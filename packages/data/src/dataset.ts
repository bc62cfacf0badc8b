// Datasets, shaped like torch.utils.data: map-style (index -> sample) and iterable ones,
// plus the wrappers that compose them (TensorDataset, Subset, ConcatDataset).

import type { Tensor } from '@dl/tensor';

/**
 * A map-style dataset: `length` samples, read by index. `getItem` may return a promise,
 * for samples that are fetched or decoded asynchronously; the DataLoader awaits it.
 */
export abstract class Dataset<T> {
  /** The number of samples. */
  abstract get length(): number;
  /**
   * The sample at `index` (PyTorch's `__getitem__`), or a promise of it. The datasets here
   * throw a RangeError outside [0, length).
   */
  abstract getItem(index: number): T | Promise<T>;
}

/** A dataset that is only iterated, like torch.utils.data.IterableDataset (a stream). */
export abstract class IterableDataset<T> implements AsyncIterable<T> {
  /** The samples, one at a time (PyTorch's `__iter__`). */
  abstract [Symbol.asyncIterator](): AsyncIterator<T>;
}

/**
 * Whether `dataset` is map-style: a Dataset, or any object with a numeric length and a
 * getItem method (duck-typed, as PyTorch accepts any object with __getitem__ and __len__).
 */
export function isMapDataset<T>(dataset: Dataset<T> | IterableDataset<T>): dataset is Dataset<T> {
  if (dataset instanceof Dataset) return true;
  if (dataset instanceof IterableDataset) return false;
  return (
    typeof Reflect.get(dataset, 'getItem') === 'function' &&
    typeof Reflect.get(dataset, 'length') === 'number'
  );
}

export function checkIndex(index: number, length: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(
      `${what}: index ${index} is out of range for a dataset of ${length} samples`,
    );
  }
}

/** Samples are the rows of the given tensors: sample i is [t0[i], t1[i], ...]. */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new Error('TensorDataset: needs at least one tensor');
    const first = tensors[0]!;
    if (first.ndim === 0) throw new Error('TensorDataset: tensors must have a first dimension');
    const rows = first.shape[0]!;
    tensors.forEach((t, i) => {
      if (t.ndim === 0 || t.shape[0] !== rows) {
        throw new Error(
          `TensorDataset: size mismatch between tensors: tensor 0 has shape [${first.shape.join(', ')}] ` +
            `but tensor ${i} has [${t.shape.join(', ')}]; all must have the same first dimension`,
        );
      }
    });
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  getItem(index: number): Tensor[] {
    checkIndex(index, this.length, 'TensorDataset');
    return this.tensors.map((t) => t.select(0, index));
  }
}

/** The samples of `dataset` at `indices`, in that order. */
export class Subset<T> extends Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: readonly number[];

  constructor(dataset: Dataset<T>, indices: readonly number[]) {
    super();
    for (const index of indices) checkIndex(index, dataset.length, 'Subset');
    this.dataset = dataset;
    this.indices = [...indices];
  }

  get length(): number {
    return this.indices.length;
  }

  getItem(index: number): T | Promise<T> {
    checkIndex(index, this.length, 'Subset');
    return this.dataset.getItem(this.indices[index]!);
  }
}

/** The datasets one after another. */
export class ConcatDataset<T> extends Dataset<T> {
  readonly datasets: readonly Dataset<T>[];
  /** cumulativeSizes[i]: samples in datasets 0..i. */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: readonly Dataset<T>[]) {
    super();
    if (datasets.length === 0) throw new Error('ConcatDataset: datasets should not be empty');
    this.datasets = [...datasets];
    let total = 0;
    this.cumulativeSizes = datasets.map((d) => {
      total += d.length;
      return total;
    });
  }

  get length(): number {
    return this.cumulativeSizes.at(-1)!;
  }

  getItem(index: number): T | Promise<T> {
    checkIndex(index, this.length, 'ConcatDataset');
    // Binary search for the first dataset whose cumulative size exceeds index.
    let low = 0;
    let high = this.cumulativeSizes.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.cumulativeSizes[mid]! > index) high = mid;
      else low = mid + 1;
    }
    const start = low === 0 ? 0 : this.cumulativeSizes[low - 1]!;
    return this.datasets[low]!.getItem(index - start);
  }
}
