// The WebAssembly thread pool in Chromium. In a cross-origin-isolated page (the tensor:chromium
// project sends COOP/COEP headers) kernels split over Web Workers from a Blob URL, and the
// page's main thread, which may not block, polls for them; in a plain page
// (tensor:chromium-plain) the pool runs on the main thread alone and says why.

import { describe, expect, inject, it } from 'vitest';
import { WasmRuntime } from '../src/wasm/runtime.js';
import { ThreadPool } from '../src/wasm/threads.js';
import { slowReference, toyKernels } from './wasm-toy-kernels.js';

const isolated = inject('isolatedPage');
// The page's globals (@dl/tensor's tests are typed without the DOM library).
const page = globalThis as unknown as {
  crossOriginIsolated: boolean;
  navigator: { hardwareConcurrency: number };
};

function setUp(threads?: number) {
  const runtime = new WasmRuntime({ maximumBytes: 2 ** 27 });
  const pool = new ThreadPool(runtime, threads === undefined ? {} : { threads });
  const kernels = pool.register(toyKernels(runtime.memoryImport));
  return { runtime, pool, kernels };
}

describe('thread pool in Chromium', () => {
  it('runs where the page says it can', () => {
    expect(page.crossOriginIsolated).toBe(isolated);
    const { pool } = setUp();
    const cores = page.navigator.hardwareConcurrency;
    const threads = Math.min(cores, 8);
    const why =
      cores > 8 ? `${cores} hardware threads, at most 8 by default` : `${cores} hardware threads`;
    expect(pool.info).toEqual(
      isolated
        ? {
            threads,
            reason: `the calling thread and ${threads - 1} worker${threads === 2 ? '' : 's'} (Web Workers) over shared memory (${why})`,
          }
        : {
            threads: 1,
            reason:
              'the page is not cross-origin isolated (SharedArrayBuffer needs COOP/COEP headers)',
          },
    );
    pool.close();
  });

  it('splits kernels over the workers there are, with the values JavaScript computes', async () => {
    const { runtime, pool, kernels } = setUp(isolated ? 3 : undefined);
    const n = 200_003;
    const reps = 60;
    const a = runtime.alloc(4 * n)!;
    const out = runtime.alloc(4 * n)!;
    const counts = runtime.alloc(4 * n)!;
    const f32 = new Float32Array(runtime.buffer);
    for (let i = 0; i < n; i++) f32[a / 4 + i] = (i % 200) / 8;
    await pool.ready();
    let most = 0;
    const runs = 30;
    for (let r = 0; r < runs; r++) {
      f32.fill(Number.NaN, out / 4, out / 4 + n);
      most = Math.max(most, pool.run(kernels, 'slow', [a, out, reps], n, 2000));
      pool.run(kernels, 'increment', [counts], n, 2000);
      const result = f32.slice(out / 4, out / 4 + n);
      expect(result.findIndex((v) => Number.isNaN(v))).toBe(-1);
      for (let i = r; i < n; i += 997) expect(result[i]).toBe(slowReference((i % 200) / 8, reps));
      if (most > 1 && r >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (isolated) expect(most).toBeGreaterThan(1);
    else expect(most).toBe(1);
    const done = new Int32Array(runtime.buffer, counts, n);
    expect(done.every((v) => v === done[0])).toBe(true);
    pool.close();
  });

  it('reports a trap with the kernel and keeps working', async () => {
    const { runtime, pool, kernels } = setUp(2);
    await pool.ready();
    const n = 100_000;
    expect(() => pool.run(kernels, 'trapAt', [n - 5], n, 500)).toThrow(
      /^wasm kernel trapAt failed on (worker 1|the calling thread) over \[\d+, 100000\)( of 100000)?: RuntimeError: unreachable$/,
    );
    const out = runtime.alloc(4 * n)!;
    for (let r = 0; r < 3; r++) pool.run(kernels, 'increment', [out], n, 500);
    expect(new Int32Array(runtime.buffer, out, n).every((v) => v === 3)).toBe(true);
    pool.close();
  });
});
