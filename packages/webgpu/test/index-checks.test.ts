// Device-side index checks: gather and scatter kernels record the first out-of-range index,
// and the next read or synchronize() raises an IndexError naming the op, the index and the
// bound, as CUDA's device-side asserts do. The cases shared with the CPU are in the
// conformance suite (bounds); these cover what only a device that computes later has.
import { IndexError, ones, tensor } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();
const unchecked = await openTestDevice({ checkIndices: false });

describe.skipIf(!device || !unchecked)(`index checks on WebGPU in ${runtime}`, () => {
  afterAll(() => {
    device?.destroy();
    unchecked?.destroy();
  });
  const int = (values: number[], on = device!) => tensor(values, { device: on, dtype: 'int32' });

  it('synchronize() raises a bad index recorded before it, once', async () => {
    const x = ones([4], { device: device! });
    const y = x.gather(0, int([1, 4])); // returns at once: nothing has run yet
    expect(y.shape).toEqual([2]);
    const error = await device!.synchronize().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IndexError);
    expect(String(error)).toContain('gather: index 4 is out of bounds for dimension 0 with size 4');
    await expect(device!.synchronize()).resolves.toBeUndefined();
  });

  it('reads started while the read carrying the report is in flight raise it too', async () => {
    const x = tensor([1, 2, 3], { device: device! });
    const bad = x.gather(0, int([0, 5]));
    // A progress print reading something else first, then the result itself.
    const first = x.sum().item();
    const second = bad.data();
    const synchronized = device!.synchronize();
    const outcomes = await Promise.allSettled([first, second, synchronized]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') {
        expect(outcome.reason).toBeInstanceOf(IndexError);
        expect(String(outcome.reason)).toContain(
          'gather: index 5 is out of bounds for dimension 0 with size 3',
        );
      }
    }
    // Reported to the reads that were in flight; the next ones read normally.
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
  });

  it('with checkIndices: false the same gather reads 0 without a word (what the checks prevent)', async () => {
    expect(unchecked!.checkIndices).toBe(false);
    const x = tensor([7, 8, 9], { device: unchecked! });
    const y = x.gather(0, int([0, 5], unchecked!));
    expect(Array.from(await y.data())).toEqual([7, 0]);
  });

  it('a loop of many indexing ops without a read still reports its bad index', async () => {
    const x = ones([3], { device: device! });
    const good = int([0, 1, 2]);
    // More ops than the device keeps sites for: the oldest are forgotten, and a report from
    // one of them gets a plain message, still an IndexError with the index and the bound.
    x.gather(0, int([3]));
    for (let k = 0; k < 5000; k++) x.gather(0, good);
    const error = await x
      .add(1)
      .data()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(IndexError);
    expect(String(error)).toContain('index 3 is out of bounds for a dim of size 3');
  });
});
