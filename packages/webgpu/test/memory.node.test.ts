// A training-shaped loop on WebGPU keeps its GPU memory flat: 1,000 steps of forward,
// backward and an SGD update, with no dispose() or tidy(), the way a PyTorch user writes it.
// Between collections garbage tensors hold buffers, so bytes in use rise and fall below a
// bound; what survives a collection is the same at the end as after warm-up.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type MemoryInfo, manualSeed, memory, noGrad, randn, zeros } from '@dl/tensor';
import { webgpu } from '@dl/webgpu';
import { describe, expect, it } from 'vitest';
import { openTestDevice } from './device.js';

const probe = await openTestDevice();
probe?.destroy();

/** Collects garbage until what was dropped is freed (the registry's callbacks run later). */
async function settle(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let round = 0; round < 5; round++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
  }
}

describe.skipIf(!probe)('GPU memory in a training loop', () => {
  it('stays flat after warm-up over 1,000 steps', async () => {
    const floor = 4 * 2 ** 20;
    const device = await webgpu({ collectAbove: floor });
    manualSeed(0);
    const w = randn([32, 16], { device }).mul(0.1).requiresGrad_();
    const b = zeros([16], { device, requiresGrad: true });
    const x = randn([64, 32], { device });
    const y = randn([64, 16], { device });
    const inUse: number[] = [];
    let first = 0;
    let last = 0;
    const survivors: MemoryInfo[] = [];
    for (let step = 0; step < 1000; step++) {
      // What outlives a collection after warm-up: the same before the last step as before
      // step 100 (tensors, storages and bytes, counted exactly).
      if (step === 100 || step === 999) {
        await settle();
        survivors.push(memory());
      }
      const loss = x.matmul(w).add(b).relu().sub(y).square().mean();
      w.grad = null;
      b.grad = null;
      loss.backward();
      noGrad(() => {
        w.sub_(w.grad!.mul(0.05));
        b.sub_(b.grad!.mul(0.05));
      });
      const value = await loss.item(); // as a training loop reads its loss
      if (step === 0) first = value;
      last = value;
      inUse.push(device.poolStats().inUse);
    }
    const stats = device.poolStats();
    device.destroy();
    const [warm, end] = survivors.map(({ tensors, storages, bytes }) => ({
      tensors,
      storages,
      bytes,
    }));
    expect(end).toEqual(warm);
    expect(warm!.bytes).toBeGreaterThanOrEqual(4 * (32 * 16 + 16 + 64 * 32 + 64 * 16)); // w, b, x, y

    expect(last).toBeLessThan(first); // it did train
    const afterWarmUp = Math.max(...inUse.slice(100));
    // Bounded by the collection threshold (twice what survives a collection, at least the
    // floor) plus one step's allocations, however many steps run.
    expect(afterWarmUp).toBeLessThan(2 * floor + 2 ** 20);
    expect(Math.max(...inUse.slice(500))).toBeLessThan(2 * floor + 2 ** 20);
    expect(stats.pooled + stats.inUse).toBeLessThan(64 * 2 ** 20);
  }, 120_000);

  it('asks for a collection when a wait begins with garbage past the threshold', async () => {
    const floor = 2 ** 20;
    const device = await webgpu({ collectAbove: floor });
    const x = randn([65536], { device }); // 256 KiB
    // Eight buffers of x's size, freed explicitly into the pool.
    const kept = Array.from({ length: 8 }, (_, i) => x.mul(i).realize());
    await device.synchronize();
    for (const t of kept) t.dispose();
    await device.synchronize();
    const before = device.poolStats();
    // Six results dropped without dispose() reuse those buffers (none is created), so only
    // the wait can notice 1.75 MiB in use past the 1 MiB threshold.
    for (let i = 0; i < 6; i++) x.add(i).realize();
    const during = device.poolStats();
    expect(during.created).toBe(before.created);
    expect(during.collections).toBe(before.collections);
    expect(during.inUse).toBe(before.inUse + 6 * 4 * 65536);
    await device.synchronize();
    expect(device.poolStats().collections).toBe(before.collections + 1);
    x.dispose();
    device.destroy();
  });

  it('frees the GPU storage of tensors collected without dispose()', async () => {
    const device = await webgpu();
    await settle();
    const before = memory().storages;
    const x = randn([4096], { device });
    // Dropped within the task that made them, and in the next one.
    for (let i = 0; i < 10; i++) x.mul(i).realize();
    await x.sum().item();
    for (let i = 0; i < 10; i++) x.add(i).exp().realize();
    expect(memory().storages).toBeGreaterThanOrEqual(before + 21);
    await settle();
    expect(memory().storages).toBe(before + 1); // x
    x.dispose();
    device.destroy();
  });
});
