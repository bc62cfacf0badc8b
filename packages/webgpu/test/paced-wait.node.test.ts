// While dl waits for Dawn in Node, Dawn's event polling is paced instead of spinning the
// JavaScript thread (src/paced-wait.ts): few polls go through setImmediate during a long
// wait, other setImmediate callbacks keep running, and the global is put back afterwards.

import { promisify } from 'node:util';
import type { WebGPUDevice } from '@dl/webgpu';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTestDevice } from './device.js';

const device = await openTestDevice();

/** A kernel that runs `iterations` dependent multiply-adds per invocation; writes the result. */
function busyKernel(gpu: WebGPUDevice, out: GPUBuffer, iterations: number): void {
  gpu.dispatch({
    label: 'busy',
    code: /* wgsl */ `
      @group(0) @binding(0) var<storage, read_write> out: array<f32>;
      @compute @workgroup_size(64)
      fn main(@builtin(global_invocation_id) id: vec3u) {
        var x = f32(id.x);
        for (var i = 0u; i < ${iterations}u; i++) { x = fma(x, 0.5, 1.0); }
        out[id.x] = x;
      }`,
    bindings: [out],
    workgroups: [2],
  });
}

/** setImmediate that counts the calls whose callback is native code (Dawn's polls). */
function countingSetImmediate(real: typeof setImmediate) {
  const counter = { polls: 0, calls: 0 };
  const spy = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    counter.calls++;
    if (Function.prototype.toString.call(callback).includes('[native code]')) counter.polls++;
    return real(callback, ...args);
  }) as typeof setImmediate;
  return { spy, counter };
}

describe.skipIf(!device)('waiting for Dawn in Node', () => {
  let gpu: WebGPUDevice;
  const real = globalThis.setImmediate;
  beforeAll(() => {
    gpu = device!.runtime;
  });
  afterEach(() => {
    globalThis.setImmediate = real;
  });
  afterAll(() => device!.destroy());

  it('polls through setImmediate a few dozen times during a wait of tens of milliseconds', async () => {
    const out = gpu.createBuffer(128 * 4, 'out');
    busyKernel(gpu, out, 1000);
    await gpu.synchronize(); // compiles the pipeline
    // Long enough to be measured on any adapter: grow the loop until the wait takes 40 ms.
    for (let iterations = 100_000; ; iterations *= 4) {
      const { spy, counter } = countingSetImmediate(real);
      globalThis.setImmediate = spy;
      busyKernel(gpu, out, iterations);
      const start = performance.now();
      const values = new Float32Array(await gpu.read(out));
      const waited = performance.now() - start;
      expect(globalThis.setImmediate).toBe(spy);
      // x -> x / 2 + 1 converges to 2 from any start.
      expect(values[0]).toBe(2);
      expect(values[127]).toBe(2);
      if (waited < 40 && iterations < 1e9) continue;
      // Dawn's own loop polls every few microseconds: thousands of times in 40 ms. Paced,
      // the first quarter millisecond and the sleeps of the first 10 ms take about 100.
      expect(counter.polls).toBeGreaterThan(0);
      expect(counter.polls).toBeLessThan(400);
      break;
    }
  });

  it('runs other setImmediate callbacks and promisified setImmediate during a wait', async () => {
    const out = gpu.createBuffer(128 * 4, 'out');
    busyKernel(gpu, out, 1000);
    await gpu.synchronize();
    busyKernel(gpu, out, 2_000_000);
    const events: string[] = [];
    const reading = gpu.read(out).then(() => events.push('read'));
    // The wait has begun: the wrapper is installed while the read is pending.
    expect(globalThis.setImmediate).not.toBe(real);
    setImmediate(() => events.push('immediate'));
    await promisify(setImmediate)();
    events.push('promisified');
    await reading;
    expect(events.slice(0, 2)).toEqual(['immediate', 'promisified']);
    expect(events).toContain('read');
    expect(globalThis.setImmediate).toBe(real);
  });

  it('puts setImmediate back once overlapping waits have all ended', async () => {
    const [a, b] = [gpu.createBuffer(128 * 4, 'a'), gpu.createBuffer(128 * 4, 'b')];
    busyKernel(gpu, a, 200_000);
    busyKernel(gpu, b, 100);
    const first = gpu.read(a);
    const second = gpu.read(b);
    const done = await Promise.all([first, second, gpu.synchronize()]);
    expect(new Float32Array(done[0])[5]).toBe(2);
    expect(new Float32Array(done[1])[5]).toBe(2);
    expect(globalThis.setImmediate).toBe(real);
  });
});
