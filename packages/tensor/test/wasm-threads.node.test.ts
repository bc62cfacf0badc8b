// The WebAssembly thread pool in Node: kernels split over worker_threads give the values
// JavaScript computes, every element once, traps surface as errors naming the kernel, and a
// program that used the pool still exits by itself.

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WasmConv } from '../src/wasm/conv.js';
import { WasmRuntime } from '../src/wasm/runtime.js';
import {
  planThreads,
  type ThreadHost,
  type ThreadModule,
  ThreadPool,
  threadPool,
} from '../src/wasm/threads.js';
import { checkProduct } from './wasm-gemm-cases.js';
import { slowReference, toyKernels } from './wasm-toy-kernels.js';

const pools: ThreadPool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

function setUp(threads: number, maximumBytes = 2 ** 28) {
  const runtime = new WasmRuntime({ maximumBytes });
  const pool = new ThreadPool(runtime, { threads });
  pools.push(pool);
  const kernels = pool.register(toyKernels(runtime.memoryImport));
  return { runtime, pool, kernels };
}

/**
 * Runs `work` (give it some milliseconds of work) until it reports more than one thread: a
 * worker the OS does not wake before the calling thread has done every chunk takes no part.
 */
async function untilShared(work: () => number, attempts = 50): Promise<number> {
  let most = 0;
  for (let i = 0; i < attempts && most < 2; i++) {
    most = Math.max(most, work());
    await new Promise((r) => setTimeout(r, 1));
  }
  return most;
}

/** Runs `slow` over a fresh array until two threads take part, and checks its values. */
async function checkShared(runtime: WasmRuntime, pool: ThreadPool, kernels: ThreadModule) {
  const n = 64_000;
  const reps = 100;
  const a = runtime.alloc(4 * n)!;
  const out = runtime.alloc(4 * n)!;
  const f32 = new Float32Array(runtime.buffer);
  for (let i = 0; i < n; i++) f32[a / 4 + i] = i % 100;
  const used = await untilShared(() => pool.run(kernels, 'slow', [a, out, reps], n, 1000));
  expect(used).toBeGreaterThan(1);
  for (let i = 0; i < n; i += 11) expect(f32[out / 4 + i]).toBe(slowReference(i % 100, reps));
  runtime.free(a);
  runtime.free(out);
}

const grain = 1000;
const sizes = [0, 1, grain - 1, grain, 2 * grain - 1, 2 * grain, 2 * grain + 1, 1_000_003];

describe.each([1, 2, 4])('thread pool with %i threads', (threads) => {
  it('computes out[i] = a[i] * b[i] + i over every size', async () => {
    const { runtime, pool, kernels } = setUp(threads);
    const n = sizes.at(-1)!;
    const a = runtime.alloc(4 * n)!;
    const b = runtime.alloc(4 * n)!;
    const out = runtime.alloc(4 * n)!;
    const f32 = new Float32Array(runtime.buffer);
    for (let i = 0; i < n; i++) {
      f32[a / 4 + i] = (i % 13) - 6;
      f32[b / 4 + i] = 0.25 * (i % 5);
    }
    await pool.ready();
    for (const size of sizes) {
      f32.fill(-1, out / 4, out / 4 + n);
      const used = pool.run(kernels, 'mulAdd', [a, b, out], size, grain);
      expect(used).toBeLessThanOrEqual(threads);
      if (size === 0) expect(used).toBe(0);
      if (size > 0 && size < 2 * grain) expect(used).toBe(1);
      for (let i = 0; i < size; i++) {
        const expected = Math.fround(((i % 13) - 6) * 0.25 * (i % 5) + i);
        if (f32[out / 4 + i] !== expected) {
          throw new Error(`size ${size}: out[${i}] = ${f32[out / 4 + i]}, expected ${expected}`);
        }
      }
      // Nothing past the end is written.
      if (size < n) expect(f32[out / 4 + size]).toBe(-1);
    }
  });

  it('writes every element exactly once, whichever threads take part', async () => {
    const { runtime, pool, kernels } = setUp(threads);
    const n = 250_007;
    const out = runtime.alloc(4 * n)!;
    await pool.ready();
    const runs = 40;
    let most = 0;
    for (let r = 0; r < runs; r++) {
      most = Math.max(most, pool.run(kernels, 'increment', [out], n, 257));
    }
    const i32 = new Int32Array(runtime.buffer, out, n);
    const wrong = i32.findIndex((v) => v !== runs);
    expect(wrong, `element ${wrong} holds ${i32[wrong]}`).toBe(-1);
    expect(most).toBeLessThanOrEqual(threads);
    if (threads > 1) {
      const a = runtime.alloc(4 * n)!;
      const o = runtime.alloc(4 * n)!;
      const used = await untilShared(() => pool.run(kernels, 'slow', [a, o, 300], n, 1000));
      expect(used).toBeGreaterThan(1);
    }
  });

  it('returns once every chunk of a slow kernel is done, with the values JavaScript computes', async () => {
    const { runtime, pool, kernels } = setUp(threads);
    const n = 20_000;
    const a = runtime.alloc(4 * n)!;
    const out = runtime.alloc(4 * n)!;
    const f32 = new Float32Array(runtime.buffer);
    for (let i = 0; i < n; i++) f32[a / 4 + i] = Math.sin(i) * 100;
    await pool.ready();
    for (const reps of [50, 200, 31]) {
      f32.fill(Number.NaN, out / 4, out / 4 + n);
      pool.run(kernels, 'slow', [a, out, reps], n, 64);
      // A copy at once: a worker still at work after run returned would leave NaNs in it.
      const result = f32.slice(out / 4, out / 4 + n);
      for (let i = 0; i < n; i += 7) {
        expect(result[i]).toBe(slowReference(Math.sin(i) * 100, reps));
      }
      expect(result.findIndex((v) => Number.isNaN(v))).toBe(-1);
    }
  });
});

describe('thread pool lifecycle', () => {
  it('runs modules registered while the workers start and while they run others', async () => {
    const { runtime, pool, kernels } = setUp(2);
    const n = 50_000;
    const out = runtime.alloc(4 * n)!;
    const a = runtime.alloc(4 * n)!;
    const b = runtime.alloc(4 * n)!;
    const f32 = new Float32Array(runtime.buffer);
    for (let i = 0; i < n; i++) {
      f32[a / 4 + i] = 2;
      f32[b / 4 + i] = 0.5;
    }
    // Runs start the workers; modules arrive at them while the pool is in use.
    for (let round = 1; round <= 20; round++) {
      const fresh = pool.register(toyKernels(runtime.memoryImport));
      pool.run(fresh, 'increment', [out], n, 100);
      pool.run(kernels, 'mulAdd', [a, b, a], n, 100);
      if (round % 5 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    const counts = new Int32Array(runtime.buffer, out, n);
    expect(counts.findIndex((v) => v !== 20)).toBe(-1);
    // a[i] went through a = a * 0.5 + i twenty times, in float32.
    for (const i of [0, 1, 777, n - 1]) {
      let x = 2;
      for (let round = 0; round < 20; round++) x = Math.fround(Math.fround(x * 0.5) + i);
      expect(f32[a / 4 + i]).toBe(x);
    }
    await pool.ready();
    const last = pool.register(toyKernels(runtime.memoryImport));
    await pool.ready();
    await checkShared(runtime, pool, last);
  });

  it('reports a trap on a worker with the kernel and the range, then keeps working', async () => {
    const { runtime, pool, kernels } = setUp(2);
    await pool.ready();
    const n = 64_000;
    // The calling thread spends a while in the first chunk, so a worker reaches the last.
    let message = '';
    for (let attempt = 0; attempt < 20 && !message.includes('worker'); attempt++) {
      try {
        pool.run(kernels, 'trapLast', [5_000_000, n - 1], n, 1000);
      } catch (error) {
        message = String(error);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(message).toMatch(
      /^Error: wasm kernel trapLast failed on worker 1 over \[\d+, 64000\) of 64000: RuntimeError: unreachable$/,
    );
    await checkShared(runtime, pool, kernels);
  });

  it('reports traps and out-of-bounds stores wherever they happen, then keeps working', async () => {
    const { runtime, pool, kernels } = setUp(4);
    await pool.ready();
    const n = 100_000;
    for (let k = 0; k < 10; k++) {
      const index = (k * 9973) % n;
      expect(() => pool.run(kernels, 'trapAt', [index], n, 500)).toThrow(
        /^wasm kernel trapAt failed on (worker \d|the calling thread) over \[\d+, \d+\) of 100000: RuntimeError: unreachable$/,
      );
      expect(() => pool.run(kernels, 'outOfBoundsAt', [index], n, 500)).toThrow(
        /^wasm kernel outOfBoundsAt failed on (worker \d|the calling thread) over \[\d+, \d+\) of 100000: RuntimeError: memory access out of bounds$/,
      );
    }
    // Small work traps inline, with the same message.
    expect(() => pool.run(kernels, 'trapAt', [3], 10, 500)).toThrow(
      'wasm kernel trapAt failed on the calling thread over [0, 10): RuntimeError: unreachable',
    );
    const out = runtime.alloc(4 * n)!;
    for (let r = 0; r < 5; r++) pool.run(kernels, 'increment', [out], n, 100);
    expect(new Int32Array(runtime.buffer, out, n).every((v) => v === 5)).toBe(true);
    await checkShared(runtime, pool, kernels);
  });

  it('sees memory the calling thread grew after the workers started', async () => {
    const { runtime, pool, kernels } = setUp(2, 2 ** 30);
    await pool.ready();
    const before = runtime.byteLength;
    const n = 4_000_000;
    const out = runtime.alloc(4 * n)!;
    expect(runtime.byteLength).toBeGreaterThan(before);
    expect(out + 4 * n).toBeGreaterThan(before);
    pool.run(kernels, 'increment', [out], n, 10_000);
    pool.run(kernels, 'increment', [out], n, 10_000);
    const values = new Int32Array(runtime.buffer, out, n);
    expect(values.every((v) => v === 2)).toBe(true);
  });

  it('refuses bad arguments with one clear line', () => {
    const { pool, kernels, runtime } = setUp(2);
    expect(() => pool.run(kernels, 'nope', [], 10, 1)).toThrow(
      'thread pool: module 0 has no export nope (it has mulAdd, increment, slow, empty, trapAt, outOfBoundsAt, trapLast)',
    );
    expect(() => pool.run(kernels, 'empty', [], 10, 0)).toThrow(
      'thread pool: empty grain must be a positive integer, got 0',
    );
    expect(() => pool.run(kernels, 'empty', [], -1, 1)).toThrow(
      'thread pool: empty total must be an int32 >= 0, got -1',
    );
    const other = new ThreadPool(runtime, { threads: 1 });
    expect(() => other.run(kernels, 'empty', [], 10, 1)).toThrow(
      'thread pool: module 0 was not registered with this pool',
    );
    expect(() => new ThreadPool(runtime, { threads: 0 })).toThrow(
      'thread pool: threads must be a positive integer, got 0',
    );
  });

  it('closes: later runs use the calling thread', async () => {
    const { runtime, pool, kernels } = setUp(2);
    await pool.ready();
    pool.close();
    expect(pool.info).toEqual({ threads: 1, reason: 'the thread pool was closed' });
    const n = 10_000;
    const out = runtime.alloc(4 * n)!;
    expect(pool.run(kernels, 'increment', [out], n, 10)).toBe(1);
    expect(new Int32Array(runtime.buffer, out, n).every((v) => v === 1)).toBe(true);
  });

  it('keeps one pool per runtime', () => {
    const runtime = new WasmRuntime({ maximumBytes: 2 ** 20 });
    const pool = threadPool(runtime, { threads: 2 });
    pools.push(pool);
    expect(threadPool(runtime)).toBe(pool);
  });
});

describe('the matmul on the convolutions module', () => {
  it('registers one module and splits large products over the pool', {
    timeout: 20_000,
  }, async () => {
    const { runtime, pool } = setUp(2);
    const conv = new WasmConv(runtime, { pool });
    // The toy kernels are module 0 and the convolutions' (with the matmul) module 1: the
    // next one registered is module 2, so conv.gemm registered no module of its own.
    expect(pool.register(toyKernels(runtime.memoryImport)).id).toBe(2);
    await pool.ready();
    // 100·300·70 multiply-adds, over 2^20: split into column ranges run by sgemmChunks.
    for (const [seed, accumulate] of [
      [1, false],
      [2, true],
    ] as const) {
      const failure = checkProduct(conv.gemm, {
        m: 100,
        n: 300,
        k: 70,
        a: 'rows',
        b: 'columns',
        c: 'padded',
        accumulate,
        split: false,
        seed,
      });
      expect(failure).toBeUndefined();
    }
  });
});

describe('thread pool info', () => {
  it('uses the hardware concurrency here, and threads: 1 disables workers', () => {
    const runtime = new WasmRuntime({ maximumBytes: 2 ** 20 });
    const cores = availableParallelism();
    const pool = new ThreadPool(runtime);
    pools.push(pool);
    expect(pool.info.threads).toBe(Math.min(cores, 8));
    const single = new ThreadPool(runtime, { threads: 1 });
    expect(single.info).toEqual({ threads: 1, reason: 'threads: 1 was asked for' });
    const two = new ThreadPool(runtime, { threads: 2 });
    pools.push(two);
    expect(two.info).toEqual({
      threads: 2,
      reason:
        'the calling thread and 1 worker (worker_threads) over shared memory (threads: 2 was asked for)',
    });
  });

  it('runs on the calling thread alone when the memory is not shared', () => {
    const runtime = new WasmRuntime({ maximumBytes: 2 ** 24, unshared: true });
    const pool = new ThreadPool(runtime, { threads: 4 });
    pools.push(pool);
    expect(pool.info).toEqual({
      threads: 1,
      reason: "the runtime's WebAssembly memory is not shared",
    });
    const kernels = pool.register(toyKernels(runtime.memoryImport));
    const n = 100_000;
    const out = runtime.alloc(4 * n)!;
    expect(pool.run(kernels, 'increment', [out], n, 10)).toBe(1);
    expect(new Int32Array(runtime.buffer, out, n).every((v) => v === 1)).toBe(true);
  });

  it('names the reason a browser runs one thread', () => {
    const page: ThreadHost = {
      sharedMemory: false,
      sharedArrayBuffer: false,
      browser: true,
      crossOriginIsolated: false,
      workers: 'web',
      hardwareConcurrency: 8,
    };
    expect(planThreads(page)).toEqual({
      threads: 1,
      reason: 'the page is not cross-origin isolated (SharedArrayBuffer needs COOP/COEP headers)',
    });
    const isolated = {
      ...page,
      sharedMemory: true,
      sharedArrayBuffer: true,
      crossOriginIsolated: true,
    };
    expect(planThreads(isolated)).toEqual({
      threads: 8,
      reason:
        'the calling thread and 7 workers (Web Workers) over shared memory (8 hardware threads)',
    });
    expect(planThreads({ ...isolated, hardwareConcurrency: 32 }).threads).toBe(8);
    expect(planThreads({ ...isolated, hardwareConcurrency: 1 })).toEqual({
      threads: 1,
      reason: 'one hardware thread',
    });
    expect(planThreads({ ...isolated, workers: undefined })).toEqual({
      threads: 1,
      reason: 'this runtime has neither node:worker_threads nor Web Workers',
    });
  });
});

describe('process lifetime', () => {
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/wasm');

  it('exits by itself after parallel runs, without closing the pool', () => {
    const script = `
      import { WasmRuntime } from ${JSON.stringify(`${dist}/runtime.js`)};
      import { ModuleBuilder } from ${JSON.stringify(`${dist}/encoder.js`)};
      import { threadPool } from ${JSON.stringify(`${dist}/threads.js`)};
      const runtime = new WasmRuntime({ maximumBytes: 2 ** 24 });
      const pool = threadPool(runtime, { threads: 2 });
      const m = new ModuleBuilder(runtime.memoryImport);
      m.func(['i32', 'i32', 'i32'], [], (f) => {
        const i = f.local('i32');
        f.get(1).set(i).block().loop();
        f.get(i).get(2).op('i32.ge_u').brIf(1);
        f.get(0).get(i).i32Const(2).op('i32.shl').op('i32.add').get(i).mem('i32.store');
        f.get(i).i32Const(1).op('i32.add').set(i).br(0);
        f.end().end();
      }, 'iota');
      const kernels = pool.register(m.encode());
      const n = 100000;
      const out = runtime.alloc(4 * n);
      await pool.ready();
      let most = 0;
      for (let r = 0; r < 20; r++) most = Math.max(most, pool.run(kernels, 'iota', [out], n, 1000));
      const values = new Int32Array(runtime.buffer, out, n);
      console.log('iota', values[0], values[n - 1], 'threads', pool.info.threads, pool.info.reason);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('iota 0 99999 threads 2');
  });
});
