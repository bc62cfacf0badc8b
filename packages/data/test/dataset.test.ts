// Datasets, samplers and randomSplit.

import { Generator, tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchSampler,
  ConcatDataset,
  Dataset,
  RandomSampler,
  randomSplit,
  SequentialSampler,
  Subset,
  SubsetRandomSampler,
  TensorDataset,
  WeightedRandomSampler,
} from '../src/index.ts';

class Range extends Dataset<number> {
  constructor(
    readonly start: number,
    readonly size: number,
  ) {
    super();
  }
  get length(): number {
    return this.size;
  }
  getItem(index: number): number {
    return this.start + index;
  }
}

const sorted = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('datasets', () => {
  it('TensorDataset gives the rows of its tensors', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = tensor([7, 8, 9]);
    const dataset = new TensorDataset(x, y);
    expect(dataset.length).toBe(3);
    const [row, label] = dataset.getItem(1);
    expect(row!.toArraySync()).toEqual([3, 4]);
    expect(label!.itemSync()).toBe(8);
    expect(() => dataset.getItem(3)).toThrow(
      'TensorDataset: index 3 is out of range for a dataset of 3 samples',
    );
    expect(() => new TensorDataset(x, tensor([1, 2]))).toThrow(
      'tensor 0 has shape [3, 2] but tensor 1 has [2]; all must have the same first dimension',
    );
  });

  it('Subset and ConcatDataset map indices', () => {
    const sub = new Subset(new Range(100, 10), [9, 0, 4]);
    expect([0, 1, 2].map((i) => sub.getItem(i))).toEqual([109, 100, 104]);
    expect(() => new Subset(new Range(0, 3), [3])).toThrow('Subset: index 3 is out of range');
    const concat = new ConcatDataset([new Range(0, 2), new Range(10, 0), new Range(20, 3)]);
    expect(concat.length).toBe(5);
    expect(concat.cumulativeSizes).toEqual([2, 2, 5]);
    expect(range(5).map((i) => concat.getItem(i))).toEqual([0, 1, 20, 21, 22]);
    expect(() => concat.getItem(5)).toThrow(
      'ConcatDataset: index 5 is out of range for a dataset of 5 samples',
    );
  });

  it('randomSplit gives disjoint seeded subsets of the given sizes or fractions', () => {
    const data = new Range(0, 10);
    const [a, b] = randomSplit(data, [7, 3], { generator: new Generator(1) });
    expect([a!.length, b!.length]).toEqual([7, 3]);
    expect(sorted([...a!.indices, ...b!.indices])).toEqual(range(10));
    const [c] = randomSplit(data, [7, 3], { generator: new Generator(1) });
    expect(c!.indices).toEqual(a!.indices);
    // 10 * [0.33, 0.33, 0.34] floors to [3, 3, 3]; the spare sample goes to the first part.
    expect(
      randomSplit(data, [0.33, 0.33, 0.34], { generator: new Generator(2) }).map((s) => s.length),
    ).toEqual([4, 3, 3]);
    expect(() => randomSplit(data, [5, 4])).toThrow(
      'sum of input lengths (9) does not equal the length of the input dataset (10)',
    );
  });
});

describe('samplers', () => {
  it('SequentialSampler and BatchSampler', () => {
    expect([...new SequentialSampler({ length: 4 })]).toEqual([0, 1, 2, 3]);
    expect([...new BatchSampler(new SequentialSampler({ length: 5 }), 2, false)]).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ]);
    expect([...new BatchSampler(new SequentialSampler({ length: 5 }), 2, true)]).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(new BatchSampler(new SequentialSampler({ length: 5 }), 2, false).length).toBe(3);
    expect(() => new BatchSampler([0], 0, false)).toThrow(
      'batchSize should be a positive integer, got 0',
    );
  });

  it('RandomSampler permutes, or draws with replacement, reproducibly', () => {
    const once = [...new RandomSampler({ length: 8 }, { generator: new Generator(3) })];
    expect(sorted(once)).toEqual(range(8));
    expect([...new RandomSampler({ length: 8 }, { generator: new Generator(3) })]).toEqual(once);
    // numSamples beyond the size without replacement: one whole permutation, then part of another.
    const longer = [
      ...new RandomSampler({ length: 4 }, { numSamples: 6, generator: new Generator(4) }),
    ];
    expect(sorted(longer.slice(0, 4))).toEqual(range(4));
    expect(longer.length).toBe(6);
    const drawn = [
      ...new RandomSampler(
        { length: 3 },
        { replacement: true, numSamples: 300, generator: new Generator(5) },
      ),
    ];
    expect(drawn.length).toBe(300);
    expect(new Set(drawn)).toEqual(new Set([0, 1, 2]));
  });

  it('SubsetRandomSampler permutes its indices', () => {
    const out = [...new SubsetRandomSampler([10, 20, 30, 40], { generator: new Generator(7) })];
    expect(sorted(out)).toEqual([10, 20, 30, 40]);
  });

  it('WeightedRandomSampler draws in proportion to the weights', () => {
    const draws = [...new WeightedRandomSampler([0, 1, 3], 8000, { generator: new Generator(11) })];
    const counts = [0, 1, 2].map((k) => draws.filter((d) => d === k).length);
    expect(counts[0]).toBe(0);
    // Expected 2000 and 6000; a binomial standard deviation is about 39.
    expect(Math.abs(counts[1]! - 2000)).toBeLessThan(200);
    expect(Math.abs(counts[2]! - 6000)).toBeLessThan(200);
    const distinct = [
      ...new WeightedRandomSampler([1, 0, 5, 2], 3, {
        replacement: false,
        generator: new Generator(1),
      }),
    ];
    expect(sorted(distinct)).toEqual([0, 2, 3]);
    expect(() => new WeightedRandomSampler([1, 0], 2, { replacement: false })).toThrow(
      'cannot draw 2 samples without replacement from 1 nonzero weights',
    );
    expect(() => new WeightedRandomSampler([1, -1], 2)).toThrow('weights[1] is -1');
  });
});

describe('WeightedRandomSampler at scale', () => {
  it('draws 60,000 of 60,000 weights quickly, in proportion, and without replacement exactly once each', () => {
    // Weight 3 for even indices, 1 for odd ones: 3/4 of the draws should be even.
    const weights = Array.from({ length: 60_000 }, (_, i) => (i % 2 === 0 ? 3 : 1));
    const start = performance.now();
    const draws = [...new WeightedRandomSampler(weights, 60_000, { generator: new Generator(2) })];
    const even = draws.filter((d) => d % 2 === 0).length;
    // Binomial(60000, 0.75): standard deviation about 106.
    expect(Math.abs(even - 45_000)).toBeLessThan(600);
    const all = [
      ...new WeightedRandomSampler(weights, 60_000, {
        replacement: false,
        generator: new Generator(3),
      }),
    ];
    expect(new Set(all).size).toBe(60_000);
    // The heavier half comes first more often: among the first 1,000, about 3/4 are even.
    expect(all.slice(0, 1000).filter((d) => d % 2 === 0).length).toBeGreaterThan(650);
    expect(performance.now() - start).toBeLessThan(5_000);
  });
});
