// DataLoader: batch order, dropLast, length, default collation, shuffling under manualSeed,
// prefetching (same batches, loaded ahead while the consumer waits), PyTorch's positional
// batch size and error messages.

import { Generator, manualSeed, randperm, type Tensor, tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import {
  CollateError,
  DataLoader,
  Dataset,
  IterableDataset,
  SequentialSampler,
  TensorDataset,
} from '../src/index.ts';

/** Sample i is the number i. */
class Numbers extends Dataset<number> {
  constructor(readonly size: number) {
    super();
  }
  get length(): number {
    return this.size;
  }
  getItem(index: number): number {
    return index;
  }
}

/** Sample i is [a 1x2x2 image filled with i, label i]; sample `odd` is 1x3x3 instead. */
class Images extends Dataset<[Tensor, number]> {
  constructor(
    readonly size: number,
    readonly odd = -1,
  ) {
    super();
  }
  get length(): number {
    return this.size;
  }
  getItem(index: number): [Tensor, number] {
    const side = index === this.odd ? 3 : 2;
    return [tensor(new Float32Array(side * side).fill(index)).reshape(1, side, side), index];
  }
}

async function collect<B>(loader: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const batch of loader) out.push(batch);
  return out;
}

async function epochOrder(loader: DataLoader<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const batch of loader) out.push(...Array.from(batch.dataSync()));
  return out;
}

describe('DataLoader order and batching', () => {
  it('yields batches in order with a short last batch, or drops it', async () => {
    const loader = new DataLoader(new Numbers(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = await collect(loader);
    expect(batches.map((b) => Array.from(b.dataSync()))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batches[0]!.dtype).toBe('int32');

    const dropping = new DataLoader(new Numbers(10), { batchSize: 4, dropLast: true });
    expect(dropping.length).toBe(2);
    expect((await collect(dropping)).map((b) => b.shape)).toEqual([[4], [4]]);
  });

  it('defaults to batches of one', async () => {
    const loader = new DataLoader(new Numbers(3));
    expect(loader.length).toBe(3);
    expect((await collect(loader)).map((b) => Array.from(b.dataSync()))).toEqual([[0], [1], [2]]);
  });

  it('collates [image, label] samples into [N, C, H, W] float32 images and int32 labels', async () => {
    const [first, second] = await collect(new DataLoader(new Images(5), { batchSize: 3 }));
    const [images, labels] = first!;
    expect(images.shape).toEqual([3, 1, 2, 2]);
    expect(images.dtype).toBe('float32');
    expect(Array.from(images.dataSync())).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.dataSync())).toEqual([0, 1, 2]);
    expect(second![0].shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(second![1].dataSync())).toEqual([3, 4]);
  });

  it('batches a TensorDataset into row blocks', async () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { dtype: 'int32' },
    );
    const y = tensor([0.5, 1.5, 2.5]);
    const [first, second] = await collect(
      new DataLoader(new TensorDataset(x, y), { batchSize: 2 }),
    );
    expect(first![0]!.toArraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(first![0]!.dtype).toBe('int32');
    expect(Array.from(first![1]!.dataSync())).toEqual([0.5, 1.5]);
    expect(second![0]!.toArraySync()).toEqual([[5, 6]]);
  });

  it('collates objects, nested arrays, non-integer numbers and strings', async () => {
    class Records extends Dataset<{ x: [number, boolean]; name: string; w: number }> {
      get length(): number {
        return 2;
      }
      getItem(i: number) {
        return { x: [i, i === 1] as [number, boolean], name: `s${i}`, w: i + 0.5 };
      }
    }
    const [batch] = await collect(new DataLoader(new Records(), { batchSize: 2 }));
    expect(Array.from(batch!.x[0].dataSync())).toEqual([0, 1]);
    expect(batch!.x[1].dtype).toBe('bool');
    expect(Array.from(batch!.x[1].dataSync())).toEqual([0, 1]);
    expect(batch!.name).toEqual(['s0', 's1']);
    expect(batch!.w.dtype).toBe('float32');
    expect(Array.from(batch!.w.dataSync())).toEqual([0.5, 1.5]);
  });

  it('uses a custom collateFn, sampler and batchSampler', async () => {
    const sum = new DataLoader(new Numbers(6), {
      batchSize: 3,
      collateFn: (s) => s.reduce((a, b) => a + b, 0),
    });
    expect(await collect(sum)).toEqual([3, 12]);
    const reversed = {
      length: 4,
      *[Symbol.iterator]() {
        yield* [3, 2, 1, 0];
      },
    };
    const bySampler = new DataLoader(new Numbers(4), {
      batchSize: 2,
      sampler: reversed,
      collateFn: (s) => s,
    });
    expect(await collect(bySampler)).toEqual([
      [3, 2],
      [1, 0],
    ]);
    const byBatch = new DataLoader(new Numbers(6), {
      batchSampler: [[5], [0, 2], [4, 1, 3]],
      collateFn: (s) => s,
    });
    expect(await collect(byBatch)).toEqual([[5], [0, 2], [4, 1, 3]]);
    expect(
      new DataLoader(new Numbers(4), { sampler: new SequentialSampler(new Numbers(4)) }).length,
    ).toBe(4);
  });

  it('batches an IterableDataset', async () => {
    class Stream extends IterableDataset<number> {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 5; i++) yield i * 10;
      }
    }
    const batches = await collect(new DataLoader(new Stream(), { batchSize: 2 }));
    expect(batches.map((b) => Array.from(b.dataSync()))).toEqual([[0, 10], [20, 30], [40]]);
    const dropped = await collect(new DataLoader(new Stream(), { batchSize: 2, dropLast: true }));
    expect(dropped.length).toBe(2);
    expect(() => new DataLoader(new Stream(), { batchSize: 2 }).length).toThrow(
      /length is unknown/,
    );
  });
});

describe('DataLoader shuffling', () => {
  it('repeats the order under manualSeed, draws a new permutation each epoch', async () => {
    const loader = new DataLoader(new Numbers(20), { batchSize: 6, shuffle: true });
    manualSeed(1234);
    const first = await epochOrder(loader);
    const second = await epochOrder(loader);
    manualSeed(1234);
    expect(await epochOrder(loader)).toEqual(first);
    expect(await epochOrder(loader)).toEqual(second);
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([...second].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(second).not.toEqual(first);
    expect(first).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    // The shuffle is the global generator's Fisher-Yates permutation, the same one randperm draws.
    manualSeed(1234);
    expect(first).toEqual(Array.from(randperm(20).dataSync()));
  });

  it('draws from its own generator when given one', async () => {
    const order = (seed: number) =>
      epochOrder(
        new DataLoader(new Numbers(12), {
          batchSize: 5,
          shuffle: true,
          generator: new Generator(seed),
        }),
      );
    const a = await order(5);
    manualSeed(99); // the global generator does not matter
    expect(await order(5)).toEqual(a);
    expect(await order(6)).not.toEqual(a);
  });
});

describe('DataLoader prefetching', () => {
  /** Records which indices were read, resolving each sample after a short delay. */
  class Slow extends Dataset<number> {
    readonly reads: number[] = [];
    get length(): number {
      return 12;
    }
    async getItem(index: number): Promise<number> {
      this.reads.push(index);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return index;
    }
  }

  it('gives the same batches with and without prefetch', async () => {
    for (const prefetch of [0, 1, 3, 10]) {
      const batches = await collect(
        new DataLoader(new Slow(), { batchSize: 5, prefetch, collateFn: (s) => s }),
      );
      expect(batches).toEqual([
        [0, 1, 2, 3, 4],
        [5, 6, 7, 8, 9],
        [10, 11],
      ]);
    }
  });

  it('loads the next batches while the consumer is busy, and no further', async () => {
    const dataset = new Slow();
    const loader = new DataLoader(dataset, { batchSize: 2, prefetch: 2, collateFn: (s) => s });
    const iterator = loader[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual([0, 1]);
    // The consumer "trains" for a while: batches 1 and 2 are read meanwhile, batch 3 is not.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([...dataset.reads].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await iterator.next()).value).toEqual([2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(dataset.reads.length).toBe(8);

    const eager = new Slow();
    const onDemand = new DataLoader(eager, { batchSize: 2, prefetch: 0, collateFn: (s) => s })[
      Symbol.asyncIterator
    ]();
    await onDemand.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(eager.reads).toEqual([0, 1]);
  });

  it('reports a failing prefetched batch when it is reached', async () => {
    class Failing extends Dataset<number> {
      get length(): number {
        return 6;
      }
      getItem(index: number): number {
        if (index === 4) throw new Error('cannot read sample 4');
        return index;
      }
    }
    const seen: number[][] = [];
    const run = async () => {
      for await (const b of new DataLoader(new Failing(), { batchSize: 2, collateFn: (s) => s }))
        seen.push(b);
    };
    await expect(run()).rejects.toThrow('cannot read sample 4');
    expect(seen).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });
});

describe('DataLoader errors', () => {
  it('names the dataset index and both shapes for a sample of the wrong shape', async () => {
    const loader = new DataLoader(new Images(8, 5), { batchSize: 4 });
    const error = await collect(loader).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CollateError);
    expect(String(error)).toBe(
      'CollateError: defaultCollate: sample 1 of the batch has a float32 tensor of shape [1, 3, 3] at [0], ' +
        'but sample 0 has a float32 tensor of shape [1, 2, 2]; all samples in a batch must have the same shape ' +
        'and dtype (resize or pad them, or pass a collateFn) (the offending sample is dataset index 5; sample 0 is dataset index 4)',
    );
  });

  it('names mismatched sample types', async () => {
    class Mixed extends Dataset<number | string> {
      get length(): number {
        return 3;
      }
      getItem(i: number): number | string {
        return i === 2 ? 'two' : i;
      }
    }
    await expect(collect(new DataLoader(new Mixed(), { batchSize: 3 }))).rejects.toThrow(
      'sample 2 of the batch is a string, but sample 0 is a number (the offending sample is dataset index 2',
    );
  });

  it('validates its options up front', () => {
    const data = new Numbers(4);
    expect(() => new DataLoader(data, { batchSize: 0 })).toThrow(
      'batchSize should be a positive integer, got 0',
    );
    expect(() => new DataLoader(data, { batchSize: 2.5 })).toThrow('got 2.5');
    expect(() => new DataLoader(data, { prefetch: -1 })).toThrow(
      'prefetch should be a non-negative integer, got -1',
    );
    expect(() => new DataLoader(data, { shuffle: true, sampler: [0, 1] })).toThrow(
      'mutually exclusive with shuffle',
    );
    expect(() => new DataLoader(data, { batchSampler: [[0]], batchSize: 2 })).toThrow(
      'batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast',
    );
  });
});

describe("PyTorch's DataLoader arguments", () => {
  it('takes the batch size positionally, as PyTorch does, then options', async () => {
    const loader = new DataLoader(new Numbers(5), 2, { dropLast: true });
    expect(loader.batchSize).toBe(2);
    expect(await epochOrder(loader)).toEqual([0, 1, 2, 3]);
  });

  it("refuses PyTorch's snake_case keywords and other unknown options, naming the right one", () => {
    const data = new Numbers(4);
    expect(() => new DataLoader(data, { batch_size: 2 } as never)).toThrow(
      "DataLoader: unknown option 'batch_size' (did you mean 'batchSize'? dl spells PyTorch's names in camelCase)",
    );
    expect(() => new DataLoader(data, 2, { batchSize: 3 } as never)).toThrow(
      "DataLoader: unknown option 'batchSize'",
    );
    expect(() => new DataLoader(data, '2' as never)).toThrow(
      "DataLoader: expected the batch size (new DataLoader(dataset, 64)) or an options object (new DataLoader(dataset, { batchSize: 64, shuffle: true })), got '2'",
    );
  });
});

describe('DataLoader over duck-typed datasets', () => {
  it('accepts any object with length and getItem', async () => {
    const squares = { length: 3, getItem: (i: number) => i * i };
    const batches = await collect(new DataLoader(squares, { batchSize: 3 }));
    expect(Array.from(batches[0]!.dataSync())).toEqual([0, 1, 4]);
  });
});
