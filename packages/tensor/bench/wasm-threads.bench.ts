// The WebAssembly thread pool: what a run costs on the calling thread alone and split over a
// worker, how large a chunk must be before a worker pays for its wake-up, and the speed-up of
// a compute-bound and a memory-bound toy kernel on 2 threads over 1. Run with
// `pnpm --filter @dl/tensor bench:threads`.

import { availableParallelism, loadavg } from 'node:os';
import { compare, formatTable } from '../../../tooling/bench/harness.ts';
import { WasmRuntime } from '../src/wasm/runtime.ts';
import { ThreadPool } from '../src/wasm/threads.ts';
import { slowReference, toyKernels } from '../test/wasm-toy-kernels.ts';

const runtime = new WasmRuntime();
const one = new ThreadPool(runtime, { threads: 1 });
const two = new ThreadPool(runtime, { threads: 2 });
const sleeping = new ThreadPool(runtime, { threads: 2, spinMicroseconds: 0 });
const bytes = toyKernels(runtime.memoryImport);
const kernels = new Map([one, two, sleeping].map((pool) => [pool, pool.register(bytes)]));
await two.ready();
await sleeping.ready();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Microseconds per call of `work` run back to back, the median of `samples` batches. */
function perCall(work: () => unknown, calls: number, samples = 9): number {
  for (let i = 0; i < calls; i++) work();
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) work();
    times.push(((performance.now() - start) * 1000) / calls);
  }
  return median(times);
}

const fixed = (value: number, digits = 2) => value.toFixed(digits).padStart(9);
console.log(
  `wasm thread pool, ${availableParallelism()} hardware threads, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);

// 1. The cost of a run with nothing to do.
const emptyOne = kernels.get(one)!;
const emptyTwo = kernels.get(two)!;
const direct = emptyOne.exports['empty'] as (start: number, end: number) => void;
console.log('empty kernel, µs per call (back to back)');
console.log(
  `  direct export call              ${fixed(
    perCall(() => direct(0, 1), 100_000),
    3,
  )}`,
);
console.log(
  `  run, inline (total < 2 grains)  ${fixed(
    perCall(() => one.run(emptyOne, 'empty', [], 1, 1), 100_000),
    3,
  )}`,
);
let shared = 0;
const dispatch = perCall(() => {
  if (two.run(emptyTwo, 'empty', [], 2, 1) > 1) shared++;
}, 20_000);
console.log(
  `  run split over 2 threads        ${fixed(dispatch, 3)}  (the worker took part in ${shared} of ${9 * 20_000 + 20_000} runs; the others it was taken back before waking)`,
);

// 2. Two chunks of a slow kernel, one per thread: the wake-up a worker must cover.
const reps = 16;
const n = 1 << 20;
const a = runtime.alloc(4 * n)!;
const out = runtime.alloc(4 * n)!;
const f32 = new Float32Array(runtime.buffer);
for (let i = 0; i < n; i++) f32[a / 4 + i] = (i % 1000) / 10;
const slowOne = kernels.get(one)!;
const nsPerItem =
  (perCall(() => one.run(slowOne, 'slow', [a, out, reps], 65_536, 1 << 20), 20) * 1000) / 65_536;
console.log(
  `\nslow kernel (${reps} multiply-adds per item, ${nsPerItem.toFixed(2)} ns per item here): two chunks of the given time`,
);
console.log(
  '  chunk µs   1 thread µs   2 threads µs   speed-up   worker took part   2 threads, no polling µs   speed-up',
);
for (const chunkUs of [1, 2, 5, 10, 25, 50, 100, 250, 1000]) {
  const grain = Math.max(1, Math.round((chunkUs * 1000) / nsPerItem));
  const total = 2 * grain;
  const calls = Math.max(10, Math.round(20_000 / chunkUs));
  const single = perCall(() => one.run(slowOne, 'slow', [a, out, reps], total, grain), calls);
  const results: string[] = [];
  let took = 0;
  let runs = 0;
  for (const pool of [two, sleeping]) {
    const module = kernels.get(pool)!;
    took = 0;
    runs = 0;
    const time = perCall(() => {
      runs++;
      if (pool.run(module, 'slow', [a, out, reps], total, grain) > 1) took++;
    }, calls);
    results.push(`${fixed(time, 1)}     ${fixed(single / time)}x`);
    if (pool === two) results.push(`${String(Math.round((100 * took) / runs)).padStart(8)}%`);
  }
  console.log(`  ${fixed(chunkUs, 0)}   ${fixed(single, 1)}     ${results.join('          ')}`);
}
const check = slowReference(f32[a / 4 + 12345]!, reps);
if (f32[out / 4 + 12345] !== check)
  throw new Error(`slow kernel gave ${f32[out / 4 + 12345]}, expected ${check}`);

// 3. Large kernels: 2 threads against 1, timed alternately by the shared harness.
const large = n;
const cases = [
  await compare({
    name: `slow, 100 multiply-adds x ${large}`,
    flops: 2 * 100 * large,
    ours: () => two.run(kernels.get(two)!, 'slow', [a, out, 100], large, 4096),
    peer: () => one.run(slowOne, 'slow', [a, out, 100], large, 4096),
  }),
  await compare({
    name: `mulAdd (memory-bound) x ${large}`,
    flops: 2 * large,
    ours: () => two.run(kernels.get(two)!, 'mulAdd', [a, a, out], large, 16_384),
    peer: () => one.run(slowOne, 'mulAdd', [a, a, out], large, 16_384),
  }),
];
console.log(`\n${formatTable(cases, { ours: '2 threads', peer: '1 thread' })}`);
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
two.close();
sleeping.close();
