// The CPU backend keeps tensors in one WebAssembly memory: each storage is a typed array over
// it, freed on dispose (or when collected) and reused; tensors past the memory's limit are
// plain arrays; `{ wasm: false }` gives the JavaScript reference backend.
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CpuBackend, type CpuStorage, cpu, memory, tensor, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

const storageOf = (t: { storageRef: { storage: unknown } }) => t.storageRef.storage as CpuStorage;

describe('cpu tensors in WebAssembly memory', () => {
  it('live in the WebAssembly memory, report it in info, and read back', async () => {
    expect(cpu.info).toEqual({
      kernels: 'wasm',
      simd: true,
      relaxedSimd: false,
      sharedMemory: true,
      threads: Math.min(availableParallelism(), 8),
      threadsReason: expect.stringContaining('over shared memory'),
    });
    const x = tensor([1.5, -2, 3]);
    const storage = storageOf(x as never);
    expect(storage.ptr).toBeGreaterThan(0);
    expect(storage.ptr! % 16).toBe(0);
    expect(storage.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(await x.add(1).data())).toEqual([2.5, -1, 4]);
    // What a read returns is the user's own copy, not a view of the memory.
    const values = x.dataSync();
    expect(values.buffer).toBeInstanceOf(ArrayBuffer);
    values[0] = 99;
    expect(x.dataSync()[0]).toBe(1.5);
  });

  it('reuses the bytes of disposed tensors, so a loop does not grow the memory', () => {
    const first = zeros([1000, 1000]);
    first.dispose();
    const pooledBefore = memory().pooled;
    for (let i = 0; i < 50; i++) {
      const t = zeros([1000, 1000]);
      const u = t.add(1);
      t.dispose();
      u.dispose();
    }
    // Nothing new was pooled: each step's 8 MB came from the freed blocks.
    expect(memory().pooled).toBeLessThanOrEqual(pooledBefore + 4_000_064);
  });

  it('frees tensors nobody disposed once the collector finds them, in a loop that awaits', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const bytesBefore = memory().bytes;
    for (let step = 0; step < 40; step++) {
      const t = zeros([500, 500]).add(step); // 1 MB each, never disposed
      await t.sum().item();
    }
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(memory().bytes - bytesBefore).toBeLessThan(4_000_000);
  });

  it('makes plain arrays past the memory limit, computed alike, and collectable', async () => {
    const limit = cpu.wasmMemoryLimit;
    try {
      cpu.wasmMemoryLimit = 0;
      const x = tensor([1, 2, 3]);
      expect(storageOf(x as never).ptr).toBeUndefined();
      expect(storageOf(x as never).collectable).toBe(true);
      cpu.wasmMemoryLimit = limit;
      const y = tensor([10, 20, 30]); // in the memory again
      expect(storageOf(y as never).ptr).toBeDefined();
      expect(Array.from(await x.mul(y).data())).toEqual([10, 40, 90]);
    } finally {
      cpu.wasmMemoryLimit = limit;
    }
    expect(() => {
      cpu.wasmMemoryLimit = -1;
    }).toThrow('cpu: wasmMemoryLimit must be a number of bytes >= 0, got -1');
  });

  it('gives the JavaScript reference with { wasm: false }', async () => {
    const reference = new CpuBackend({ wasm: false });
    expect(reference.info).toEqual({
      kernels: 'javascript',
      reason: 'made with { wasm: false }',
      simd: false,
      relaxedSimd: false,
      sharedMemory: false,
      threads: 1,
      threadsReason: 'the JavaScript kernels run on this thread only',
    });
    const x = tensor([1, 2, 3], { device: reference });
    expect(storageOf(x as never).ptr).toBeUndefined();
    expect(Array.from(await x.exp().data())).toEqual(
      [1, 2, 3].map((v) => Math.fround(Math.exp(v))),
    );
  });
});
