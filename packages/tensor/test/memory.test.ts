// dispose(), tidy() and memory(): storage is released when its last tensor lets go of it,
// or, for tensors nobody disposed, once the garbage collector has collected them.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CpuBackend, memory, ones, type Tensor, tensor, tidy, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

/** The garbage collector, exposed for this process. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('memory', () => {
  it('dispose releases a storage once every view of it is disposed', () => {
    const before = memory();
    const x = zeros([10, 10]);
    const v = x.reshape(100);
    expect(memory().storages).toBe(before.storages + 1);
    expect(memory().bytes).toBe(before.bytes + 400);
    x.dispose();
    expect(memory().storages).toBe(before.storages + 1); // the view still uses it
    v.dispose();
    expect(memory().storages).toBe(before.storages);
    expect(memory().bytes).toBe(before.bytes);
    expect(() => x.dataSync()).toThrow(
      'dataSync: a tensor of shape [10, 10] (float32) was disposed',
    );
  });

  it('counts live tensors, views included, until they are disposed', () => {
    const before = memory();
    const x = zeros([10, 10]);
    const v = x.reshape(100);
    const w = x.transpose(0, 1);
    expect(memory().tensors).toBe(before.tensors + 3);
    expect(memory().storages).toBe(before.storages + 1);
    v.dispose();
    v.dispose(); // a second dispose changes nothing
    expect(memory().tensors).toBe(before.tensors + 2);
    x.dispose();
    w.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().storages).toBe(before.storages);
    // Freed blocks at the top of the WebAssembly memory go back to it: nothing is pooled.
    expect(memory().pooled).toBe(before.pooled);
  });

  it('stops counting the tensors of a device once it is lost', () => {
    /** A device that can be lost: a CPU backend with the flag a lost WebGPU device sets. */
    class LosableDevice extends CpuBackend {
      isLost = false;
    }
    // Its tensors are plain arrays (as a GPU's buffers, nothing of them is pooled on the CPU).
    const device = new LosableDevice({ wasm: false });
    // The CPU's pooled bytes move as its allocator reuses freed blocks; the counts are compared.
    const counts = () => {
      const { pooled: _, ...rest } = memory();
      return rest;
    };
    const before = counts();
    const x = zeros([10], { device }); // 40 bytes
    const view = x.reshape(2, 5);
    const kept = zeros([3]); // 12 bytes on the CPU
    expect(counts()).toEqual({
      tensors: before.tensors + 3,
      storages: before.storages + 2,
      bytes: before.bytes + 52,
    });
    device.isLost = true;
    const afterLoss = {
      tensors: before.tensors + 1,
      storages: before.storages + 1,
      bytes: before.bytes + 12,
    };
    expect(counts()).toEqual(afterLoss);
    // Disposing what the lost device held changes nothing more.
    x.dispose();
    view.dispose();
    expect(counts()).toEqual(afterLoss);
    kept.dispose();
    expect(counts()).toEqual(before);
  });

  it('tidy disposes intermediates and keeps what fn returns', () => {
    const a = ones([4]);
    const before = memory().storages;
    const kept = tidy(() => {
      const b = a.mul(2);
      const c = b.add(1);
      return { result: c.sum() };
    });
    expect(memory().storages).toBe(before + 1);
    expect(kept.result.itemSync()).toBe(12);
    expect(a.isDisposed).toBe(false);
  });

  it('tidy waits for an async fn', async () => {
    // Counting storages across an await could see unrelated tensors finalised; check the
    // intermediates themselves instead.
    const inner: Tensor[] = [];
    const value = await tidy(async () => {
      const t = tensor([1, 2, 3]).mul(2);
      inner.push(t);
      const total = await t.sum().item();
      expect(t.isDisposed).toBe(false);
      return total;
    });
    expect(value).toBe(12);
    expect(inner[0]!.isDisposed).toBe(true);
  });

  it('using declarations dispose at the end of the block', () => {
    const before = memory().storages;
    {
      using t = zeros([3]);
      expect(t.numel()).toBe(3);
      expect(memory().storages).toBe(before + 1);
    }
    expect(memory().storages).toBe(before);
  });

  it('frees the storage of tensors collected without dispose()', async () => {
    const gc = collector();
    const settle = async () => {
      for (let round = 0; round < 5; round++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        gc();
      }
    };
    await settle(); // what earlier tests left unreachable
    const before = memory();
    // Made and dropped within one task, and in another after an await: both kinds of
    // storage (registered for collection at the end of their task) must be freed.
    const drop = () => {
      for (let i = 0; i < 20; i++) zeros([1000]).add(i);
    };
    drop();
    await Promise.resolve();
    drop();
    expect(memory().storages).toBeGreaterThanOrEqual(before.storages + 40);
    await settle();
    expect(memory().storages).toBe(before.storages);
    expect(memory().bytes).toBe(before.bytes);
    expect(memory().tensors).toBe(before.tensors);
  });
});
