/**
 * \@dl/data: datasets, samplers, randomSplit and DataLoader, shaped like torch.utils.data;
 * classification metrics under `metrics` (also the `@dl/data/metrics` entry point).
 *
 * @module \@dl/data
 */

export { type Collated, CollateError, defaultCollate } from './collate.js';
export { DataLoader, type DataLoaderOptions } from './dataloader.js';
export {
  ConcatDataset,
  Dataset,
  IterableDataset,
  isMapDataset,
  Subset,
  TensorDataset,
} from './dataset.js';
export * as metrics from './metrics/index.js';
export {
  BatchSampler,
  RandomSampler,
  type RandomSamplerOptions,
  type Sampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from './sampler.js';
export { randomSplit } from './split.js';
