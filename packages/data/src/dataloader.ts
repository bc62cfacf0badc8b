// DataLoader: batches of a dataset for `for await`, like torch.utils.data.DataLoader.
// Batches are loaded ahead of the consumer (`prefetch`), each starting in its own
// macrotask, so reading and decoding samples runs while a training step waits on the GPU.

import { checkOptionKeys, describeValue, type Generator } from '@dl/tensor';
import { type Collated, CollateError, defaultCollate } from './collate.js';
import { type Dataset, type IterableDataset, isMapDataset } from './dataset.js';
import { BatchSampler, RandomSampler, type Sampler, SequentialSampler } from './sampler.js';

/**
 * Options of DataLoader, as torch.utils.data.DataLoader's keywords in camelCase (no worker
 * processes: `prefetch` loads ahead instead).
 */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** A new random order every epoch (from `generator`, else the global generator). */
  shuffle?: boolean;
  /** Which indices to read, in order; excludes `shuffle`. */
  sampler?: Iterable<number> & { readonly length?: number };
  /** Yields whole batches of indices; excludes batchSize, shuffle, sampler and dropLast. */
  batchSampler?: Iterable<readonly number[]> & { readonly length?: number };
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Turns a list of samples into a batch (default: defaultCollate). */
  collateFn?: (samples: T[]) => B;
  /** The generator the shuffle draws from. */
  generator?: Generator;
  /** Batches loaded ahead of the consumer (default 2; 0 loads each batch on demand). */
  prefetch?: number;
}

const optionKeys = [
  'batchSize',
  'shuffle',
  'sampler',
  'batchSampler',
  'dropLast',
  'collateFn',
  'generator',
  'prefetch',
];

/** The options of `(batchSize, options)` or `(options)`, checked for unknown keys. */
function loaderOptions<T, B>(
  batchSizeOrOptions: number | DataLoaderOptions<T, B>,
  rest: Omit<DataLoaderOptions<T, B>, 'batchSize'> | undefined,
): DataLoaderOptions<T, B> {
  if (typeof batchSizeOrOptions === 'number') {
    const options = rest ?? {};
    checkOptionKeys('DataLoader', options, optionKeys.slice(1));
    return { ...options, batchSize: batchSizeOrOptions };
  }
  if (typeof batchSizeOrOptions !== 'object' || batchSizeOrOptions === null || rest !== undefined) {
    throw new TypeError(
      `DataLoader: expected the batch size (new DataLoader(dataset, 64)) or an options object (new DataLoader(dataset, { batchSize: 64, shuffle: true })), got ${[
        batchSizeOrOptions,
        rest,
      ]
        .filter((v) => v !== undefined)
        .map((v) => describeValue(v))
        .join(' and ')}`,
    );
  }
  checkOptionKeys('DataLoader', batchSizeOrOptions, optionKeys);
  return batchSizeOrOptions;
}

/** Schedules a macrotask: setImmediate where it exists (Node), else a MessageChannel or timer. */
function nextMacrotask(): Promise<void> {
  const scope = globalThis as { setImmediate?: (callback: () => void) => unknown };
  if (scope.setImmediate) {
    const setImmediate = scope.setImmediate;
    return new Promise((resolve) => setImmediate(() => resolve()));
  }
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Batches of a dataset for `for await (const [x, y] of loader)`, like torch.utils.data.DataLoader:
 * samples are read in the sampler's order (shuffled with `shuffle`), grouped into batches of
 * `batchSize` and collated into tensors (defaultCollate, or `collateFn`). Batches are loaded
 * `prefetch` ahead while the consumer works. `B` is the batch type: what collateFn returns.
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  readonly dataset: Dataset<T> | IterableDataset<T>;
  readonly batchSize: number | undefined;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly sampler: (Iterable<number> & { readonly length?: number }) | undefined;
  readonly batchSampler: (Iterable<readonly number[]> & { readonly length?: number }) | undefined;
  /** Turns a list of samples into a batch (defaultCollate unless the options gave one). */
  readonly collateFn: (samples: T[]) => B;
  readonly generator: Generator | undefined;

  /**
   * `new DataLoader(dataset, { batchSize: 64, shuffle: true })`, or with PyTorch's positional
   * batch size, `new DataLoader(dataset, 64, { shuffle: true })`.
   */
  constructor(dataset: Dataset<T> | IterableDataset<T>, options?: DataLoaderOptions<T, B>);
  constructor(
    dataset: Dataset<T> | IterableDataset<T>,
    batchSize: number,
    options?: Omit<DataLoaderOptions<T, B>, 'batchSize'>,
  );
  constructor(
    dataset: Dataset<T> | IterableDataset<T>,
    batchSizeOrOptions: number | DataLoaderOptions<T, B> = {},
    rest?: Omit<DataLoaderOptions<T, B>, 'batchSize'>,
  ) {
    const options = loaderOptions(batchSizeOrOptions, rest);
    const { shuffle = false, dropLast = false, prefetch = 2 } = options;
    if (
      options.batchSize !== undefined &&
      (!Number.isInteger(options.batchSize) || options.batchSize <= 0)
    )
      throw new RangeError(
        `DataLoader: batchSize should be a positive integer, got ${describeValue(options.batchSize)}`,
      );
    if (!Number.isInteger(prefetch) || prefetch < 0)
      throw new RangeError(
        `DataLoader: prefetch should be a non-negative integer, got ${prefetch}`,
      );
    if (options.sampler && shuffle)
      throw new Error('DataLoader: sampler option is mutually exclusive with shuffle');
    if (
      options.batchSampler &&
      (options.batchSize !== undefined || shuffle || options.sampler || dropLast)
    )
      throw new Error(
        'DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast',
      );
    const iterable = !isMapDataset(dataset);
    if (iterable && (shuffle || options.sampler || options.batchSampler))
      throw new Error(
        'DataLoader: an IterableDataset has no indices: shuffle, sampler and batchSampler do not apply (shuffle the stream itself)',
      );

    this.dataset = dataset;
    this.dropLast = dropLast;
    this.prefetch = prefetch;
    this.generator = options.generator;
    // Collated<T> is what defaultCollate returns; B defaults to it, and a custom B comes with its collateFn.
    this.collateFn =
      options.collateFn ?? ((samples: T[]) => defaultCollate(samples) as unknown as B);
    if (options.batchSampler) {
      this.batchSize = undefined;
      this.batchSampler = options.batchSampler;
      this.sampler = undefined;
    } else {
      this.batchSize = options.batchSize ?? 1;
      if (isMapDataset(dataset)) {
        this.sampler =
          options.sampler ??
          (shuffle
            ? new RandomSampler(dataset, options.generator ? { generator: options.generator } : {})
            : new SequentialSampler(dataset));
        this.batchSampler = new BatchSampler(this.sampler, this.batchSize, dropLast);
      } else {
        this.sampler = undefined;
        this.batchSampler = undefined;
      }
    }
  }

  /** Batches per epoch (throws for an IterableDataset or a sampler without a length). */
  get length(): number {
    const length = this.batchSampler?.length;
    if (length === undefined)
      throw new Error(
        'DataLoader: length is unknown for an IterableDataset or a sampler without a length',
      );
    return length;
  }

  /** One epoch of batches; a new iteration starts a new epoch (reshuffled with `shuffle`). */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    if (!isMapDataset(this.dataset)) {
      yield* this.#iterateStream(this.dataset);
      return;
    }
    const dataset = this.dataset;
    // A new pass over the batch sampler each epoch: RandomSampler draws its permutation from
    // the generator when the epoch starts, so manualSeed before an epoch fixes its order.
    const batches = this.batchSampler![Symbol.iterator]();
    const pending: Promise<B>[] = [];
    // Before each batch is handed out the queue holds it and the `prefetch` after it, so
    // those load while the consumer works on the one it just received.
    const refill = (): void => {
      while (pending.length <= this.prefetch) {
        const next = batches.next();
        if (next.done) return;
        const promise = this.#loadBatch(dataset, next.value);
        // A batch that fails while waiting in the queue is reported when it is reached.
        promise.catch(() => {});
        pending.push(promise);
      }
    };
    for (refill(); pending.length > 0; refill()) yield await pending.shift()!;
  }

  async #loadBatch(dataset: Dataset<T>, indices: readonly number[]): Promise<B> {
    if (this.prefetch > 0) await nextMacrotask();
    const samples = await Promise.all(indices.map((i) => dataset.getItem(i)));
    return this.#collate(samples, indices);
  }

  #collate(samples: T[], indices: readonly number[] | undefined): B {
    try {
      return this.collateFn(samples);
    } catch (error) {
      if (error instanceof CollateError && indices) {
        const index = indices[error.position];
        throw new CollateError(
          error.position,
          error.path,
          `${error.detail} (the offending sample is dataset index ${index}; sample 0 is dataset index ${indices[0]})`,
        );
      }
      throw error;
    }
  }

  async *#iterateStream(stream: IterableDataset<T>): AsyncGenerator<B> {
    const size = this.batchSize ?? 1;
    let samples: T[] = [];
    for await (const sample of stream) {
      samples.push(sample);
      if (samples.length === size) {
        yield this.#collate(samples, undefined);
        samples = [];
      }
    }
    if (samples.length > 0 && !this.dropLast) yield this.#collate(samples, undefined);
  }
}

export type { Sampler };
