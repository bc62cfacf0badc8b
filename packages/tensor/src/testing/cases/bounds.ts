// Conformance cases: out-of-range indices. What the CPU refuses at the op, every device
// refuses, in the same words: a device that computes later (WebGPU) records a bad index
// in its kernel and raises at the next read, naming the op, the index and the bound,
// instead of returning values computed from it.

import type { Backend } from '../../index.js';
import { embedding, IndexError, oneHot, ones, type Tensor, tensor } from '../../index.js';
import { assertClose, assertRaises, assertThrows } from '../assert.js';
import { defineCases } from '../conformance.js';

const int = (values: number | number[] | number[][], device: Backend) =>
  tensor(values, { device, dtype: 'int32' });

/** assertRaises, and the error is an IndexError. */
async function raisesIndexError(fn: () => Tensor, message: string): Promise<void> {
  const error = await assertRaises(fn, message, message.split(':')[0]);
  if (!(error instanceof IndexError)) {
    throw new Error(`expected an IndexError for "${message}", got ${error.constructor.name}`);
  }
}

export const boundsCases = defineCases('bounds', {
  'gather, scatter and scatterAdd name the op, the index and the bound': async (device) => {
    const x = tensor([[1, 2, 3]], { device });
    await raisesIndexError(
      () => x.gather(1, int([[5]], device)),
      'gather: index 5 is out of bounds for dimension 1 with size 3',
    );
    await raisesIndexError(
      () => x.gather(1, int([[-1]], device)),
      'gather: index -1 is out of bounds for dimension 1 with size 3',
    );
    await raisesIndexError(
      () => ones([3], { device }).scatter(0, int([7], device), 1),
      'scatter: index 7 is out of bounds for dimension 0 with size 3',
    );
    await raisesIndexError(
      () =>
        ones([2, 3], { device }).scatterAdd(0, int([[0, 2, 1]], device), ones([1, 3], { device })),
      'scatterAdd: index 2 is out of bounds for dimension 0 with size 2',
    );
  },

  'indexSelect, index with a tensor, embedding and oneHot name themselves': async (device) => {
    await raisesIndexError(
      () => ones([2, 2], { device }).indexSelect(0, int([1, 9], device)),
      'indexSelect: index 9 is out of bounds for dimension 0 with size 2',
    );
    await raisesIndexError(
      () => ones([2, 4], { device }).index([1, int([4], device)]),
      'index: index 4 is out of bounds for dimension 1 with size 4',
    );
    // A negative index is named as written, after counting from the end failed.
    await raisesIndexError(
      () => ones([2], { device }).index([int([-3], device)]),
      'index: index -3 is out of bounds for dimension 0 with size 2',
    );
    await raisesIndexError(
      () => embedding(int([[0, 10]], device), ones([4, 2], { device })),
      'embedding: index 10 is out of range for 4 embeddings',
    );
    await raisesIndexError(
      () => oneHot(int([0, 5], device), 3),
      'oneHot: Class values must be smaller than num_classes (got 5 with num_classes 3).',
    );
    await raisesIndexError(
      () => oneHot(int([-1], device), 3),
      'oneHot: Class values must be non-negative (got -1).',
    );
  },

  'after a refused index, the next reads work again and in-range indices are exact': async (
    device,
  ) => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    await raisesIndexError(
      () => x.gather(1, int([[0], [3]], device)),
      'gather: index 3 is out of bounds for dimension 1 with size 3',
    );
    await assertClose(x.gather(1, int([[2], [0]], device)), [[3], [4]], { atol: 0, rtol: 0 });
    await assertClose(
      ones([3], { device }).scatterAdd(0, int([2, 2, 0], device), tensor([1, 2, 3], { device })),
      [4, 1, 4],
      { atol: 0, rtol: 0 },
    );
  },

  'a bad index is raised by the next read even of another tensor, naming one of them': async (
    device,
  ) => {
    const x = tensor([1, 2, 3], { device });
    const indices = int([0, 4, 9], device);
    if (device.readSync) {
      // The CPU raises at the op, naming the first bad index.
      assertThrows(
        () => x.gather(0, indices),
        'gather: index 4 is out of bounds for dimension 0 with size 3',
      );
      return;
    }
    x.gather(0, indices);
    const other = x.mul(2);
    let failure: unknown;
    try {
      await other.data();
    } catch (error) {
      failure = error;
    }
    if (!(failure instanceof IndexError)) {
      throw new Error(`expected an IndexError at the next read, got ${String(failure)}`);
    }
    // Which of the two the device recorded depends on which invocation ran first.
    if (!/gather: index (4|9) is out of bounds for dimension 0 with size 3/.test(failure.message))
      throw new Error(`unexpected message: ${failure.message}`);
    await assertClose(other, [2, 4, 6], { atol: 0, rtol: 0 }, 'a later read');
  },
});
