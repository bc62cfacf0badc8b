// Samplers: which dataset indices a DataLoader reads, and in which order; BatchSampler
// groups them into batches. Random ones draw from a Generator (the global one by default),
// so manualSeed makes every epoch's order repeat.

import { type Generator, globalGenerator } from '@dl/tensor';

/** Anything that yields dataset indices; `length` when it is known. */
export interface Sampler extends Iterable<number> {
  readonly length: number;
}

/** A Fisher-Yates permutation of 0..n-1 drawn from `generator` (same algorithm as randperm). */
export function permutation(n: number, generator: Generator): number[] {
  const values = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = generator.nextInt(0, i + 1);
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
  return values;
}

function checkCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${what} should be a non-negative integer, got ${value}`);
}

/** 0, 1, ..., length - 1. */
export class SequentialSampler implements Sampler {
  readonly length: number;
  constructor(source: { readonly length: number }) {
    this.length = source.length;
  }
  /** The indices of one epoch. */
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield i;
  }
}

/** Options of RandomSampler, as torch.utils.data.RandomSampler's: no replacement by default. */
export interface RandomSamplerOptions {
  /** Draw with replacement (then numSamples may exceed the dataset). */
  replacement?: boolean;
  /** How many indices per epoch; the dataset's length by default. */
  numSamples?: number;
  generator?: Generator;
}

/** A fresh random order each epoch (or draws with replacement). */
export class RandomSampler implements Sampler {
  readonly size: number;
  readonly replacement: boolean;
  readonly numSamples: number;
  readonly generator: Generator | undefined;

  constructor(source: { readonly length: number }, options: RandomSamplerOptions = {}) {
    this.size = source.length;
    this.replacement = options.replacement ?? false;
    this.numSamples = options.numSamples ?? this.size;
    this.generator = options.generator;
    checkCount(this.numSamples, 'RandomSampler: numSamples');
    if (this.numSamples > 0 && this.size === 0)
      throw new RangeError('RandomSampler: cannot draw samples from an empty dataset');
  }

  /** The number of indices per epoch. */
  get length(): number {
    return this.numSamples;
  }

  /** The indices of one epoch. */
  *[Symbol.iterator](): Iterator<number> {
    const generator = this.generator ?? globalGenerator();
    if (this.replacement) {
      for (let i = 0; i < this.numSamples; i++) yield generator.nextInt(0, this.size);
      return;
    }
    // Whole permutations, then part of one more, as PyTorch does for numSamples > size.
    let left = this.numSamples;
    while (left > 0) {
      const order = permutation(this.size, generator);
      const take = Math.min(left, this.size);
      for (let i = 0; i < take; i++) yield order[i]!;
      left -= take;
    }
  }
}

/** The given indices in a random order, without replacement. */
export class SubsetRandomSampler implements Sampler {
  readonly indices: readonly number[];
  readonly generator: Generator | undefined;
  constructor(indices: readonly number[], options: { generator?: Generator } = {}) {
    this.indices = [...indices];
    this.generator = options.generator;
  }
  /** The number of indices per epoch. */
  get length(): number {
    return this.indices.length;
  }
  /** The indices of one epoch. */
  *[Symbol.iterator](): Iterator<number> {
    const order = permutation(this.indices.length, this.generator ?? globalGenerator());
    for (const i of order) yield this.indices[i]!;
  }
}

/** Index i drawn with probability weights[i] / sum(weights). */
export class WeightedRandomSampler implements Sampler {
  readonly weights: readonly number[];
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly generator: Generator | undefined;

  constructor(
    weights: readonly number[],
    numSamples: number,
    options: { replacement?: boolean; generator?: Generator } = {},
  ) {
    checkCount(numSamples, 'WeightedRandomSampler: numSamples');
    weights.forEach((w, i) => {
      if (!Number.isFinite(w) || w < 0)
        throw new RangeError(
          `WeightedRandomSampler: weights[${i}] is ${w}; weights must be finite and >= 0`,
        );
    });
    this.replacement = options.replacement ?? true;
    const positive = weights.filter((w) => w > 0).length;
    if (numSamples > 0 && positive === 0)
      throw new RangeError('WeightedRandomSampler: all weights are zero');
    if (!this.replacement && numSamples > positive) {
      throw new RangeError(
        `WeightedRandomSampler: cannot draw ${numSamples} samples without replacement from ${positive} nonzero weights`,
      );
    }
    this.weights = [...weights];
    this.numSamples = numSamples;
    this.generator = options.generator;
  }

  /** The number of indices per epoch. */
  get length(): number {
    return this.numSamples;
  }

  /** The indices of one epoch. */
  *[Symbol.iterator](): Iterator<number> {
    const generator = this.generator ?? globalGenerator();
    const weights = this.weights;
    if (this.replacement) {
      // Inverse-CDF sampling: cumulative sums once, then a binary search per draw.
      const cumulative = new Float64Array(weights.length);
      let total = 0;
      weights.forEach((w, i) => {
        total += w;
        cumulative[i] = total;
      });
      for (let n = 0; n < this.numSamples; n++) {
        const target = generator.nextDouble() * total;
        let low = 0;
        let high = weights.length - 1;
        while (low < high) {
          const mid = (low + high) >> 1;
          if (cumulative[mid]! > target) high = mid;
          else low = mid + 1;
        }
        yield low;
      }
      return;
    }
    // Without replacement: Efraimidis-Spirakis keys u^(1/w); the numSamples largest give the
    // same distribution as drawing one at a time and removing each pick, in O(n log n).
    const keys = weights.map((w, i) => ({
      i,
      key: w > 0 ? Math.log(generator.nextDouble() || Number.MIN_VALUE) / w : -Infinity,
    }));
    keys.sort((a, b) => b.key - a.key);
    for (let n = 0; n < this.numSamples; n++) yield keys[n]!.i;
  }
}

/** Groups the indices of `sampler` into lists of `batchSize`; the last one is shorter unless dropLast. */
export class BatchSampler implements Iterable<number[]> {
  readonly sampler: Iterable<number> & { readonly length?: number };
  readonly batchSize: number;
  readonly dropLast: boolean;

  constructor(
    sampler: Iterable<number> & { readonly length?: number },
    batchSize: number,
    dropLast: boolean,
  ) {
    if (!Number.isInteger(batchSize) || batchSize <= 0)
      throw new RangeError(
        `BatchSampler: batchSize should be a positive integer, got ${batchSize}`,
      );
    this.sampler = sampler;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
  }

  /** Batches per epoch; needs a sampler with a length. */
  get length(): number {
    const n = this.sampler.length;
    if (n === undefined) throw new Error('BatchSampler: the sampler has no length');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The batches of indices of one epoch. */
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const index of this.sampler) {
      batch.push(index);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
