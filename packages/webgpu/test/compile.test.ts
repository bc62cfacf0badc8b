// Pipelines that compile in the background: a batch that needs one is held, with all queue
// work after it, until it is ready. Results, read ordering, compile errors, synchronize and
// device loss must be what they are when every pipeline compiles before its dispatch.

import { type Backend, type Tensor, tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import {
  type CompileMode,
  type WebGPUBackend,
  WebGPUDeviceLostError,
  WebGPUOperationError,
  webgpu,
} from '@dl/webgpu';
import { describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const probe = await openTestDevice();
probe?.destroy();

/** Deterministic operands: small integers and halves, so every backend rounds alike. */
const values = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => (((i * 7 + seed * 13) % 17) - 8) / 2);

/**
 * Ops whose pipelines are all new on a fresh device, over several batches, with uploads
 * and freed tensors in between. Returns the results to compare and what the WebGPU queue
 * looked like after each flush (held or not).
 */
function sequence(device: Backend | 'cpu'): { results: Tensor[]; held: boolean[] } {
  const gpu = device === 'cpu' ? undefined : (device as WebGPUBackend);
  const held: boolean[] = [];
  const flush = () => {
    gpu?.flush();
    held.push(gpu?.runtime.hasPendingWork ?? false);
  };
  const a = tensor(values(8 * 16, 1), { device }).reshape([8, 16]);
  const b = tensor(values(16 * 12, 2), { device }).reshape([16, 12]);
  const c = a.matmul(b).realize();
  flush();
  // a's buffer is still read by the held matmul: freeing it must not let the next upload,
  // of the same size, write into it before the matmul runs.
  a.dispose();
  const d = tensor(values(8 * 16, 3), { device }).reshape([8, 16]);
  const e = c.softmax(1).realize();
  flush();
  const f = d.exp().mul(0.25).add(d.transpose(0, 1).sum(1)).realize();
  const g = e.logsumexp(1).realize();
  flush();
  d.dispose();
  const h = tensor(values(8 * 16, 4), { device }).reshape([8, 16]);
  const i = f.sub(h).amax(0).realize();
  const j = c.cumsum(1);
  flush();
  b.dispose();
  h.dispose();
  return { results: [c, e, f, g, i, j], held };
}

async function readAll(results: readonly Tensor[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const t of results) out.push(Array.from(await t.data()));
  return out;
}

const copyKernel = (factor: number) => /* wgsl */ `
  @group(0) @binding(0) var<storage, read> x: array<f32>;
  @group(0) @binding(1) var<storage, read_write> y: array<f32>;
  @compute @workgroup_size(64)
  fn main(@builtin(global_invocation_id) id: vec3u) {
    if (id.x < arrayLength(&y)) { y[id.x] = x[id.x] * ${factor}.0; }
  }`;

async function open(compile: CompileMode): Promise<WebGPUBackend> {
  return (await openTestDevice({ compile }))!;
}

describe.skipIf(!probe)(`pipeline compilation in ${runtime}`, () => {
  it('refuses an unknown compile mode, naming it', async () => {
    await expect(webgpu({ compile: 'eager' as CompileMode })).rejects.toThrow(
      "webgpu: compile must be 'async' or 'sync', got eager",
    );
  });

  it("new pipelines over several batches, with uploads and freed buffers between: the CPU's values, the same in both modes", async () => {
    const cpu = sequence('cpu');
    const byMode: number[][][] = [];
    for (const compile of ['async', 'sync'] as const) {
      const gpu = await open(compile);
      expect(gpu.runtime.compile).toBe(compile);
      const { results, held } = sequence(gpu);
      // Compiles finish in another task at the earliest, so in 'async' mode every batch
      // above was held; in 'sync' mode each flush submitted at once.
      expect(held, compile).toEqual([true, true, true, true].map((h) => h && compile === 'async'));
      for (const [k, t] of results.entries()) {
        await assertClose(t, cpu.results[k]!, { rtol: 1e-5, atol: 1e-5 }, `${compile} result ${k}`);
      }
      byMode.push(await readAll(results));
      expect(gpu.runtime.hasPendingWork).toBe(false);
      gpu.destroy();
    }
    expect(byMode[0]).toEqual(byMode[1]);
  });

  it('a buffer freed under held work is pooled only once that work is submitted', async () => {
    const gpu = await open('async');
    const x = tensor(values(64, 5), { device: gpu });
    await x.data(); // everything submitted: the pool has no free buffer now
    const created = gpu.poolStats().created;
    const y = x.mul(3).realize(); // a new pipeline: held
    const z = tensor(values(64, 6), { device: gpu });
    x.dispose(); // the held multiply still reads it
    const w = tensor(values(64, 7), { device: gpu }); // so this upload gets a new buffer
    expect(gpu.poolStats().created).toBe(created + 3);
    await assertClose(
      y,
      Array.from(values(64, 5), (v) => v * 3),
      {},
      'y',
    );
    // Submitted now: x's buffer is pooled. Hold more work, then upload into it.
    const u = z.sub(w).realize();
    gpu.flush();
    expect(gpu.runtime.hasPendingWork).toBe(true);
    const v = tensor(values(64, 8), { device: gpu });
    expect(gpu.poolStats().created).toBe(created + 4); // u's output is new, v reuses x's
    const [zs, ws, vs] = [values(64, 6), values(64, 7), values(64, 8)];
    await assertClose(
      u,
      Array.from(zs, (a, i) => a - ws[i]!),
      {},
      'z - w',
    );
    await assertClose(v, Array.from(vs), {}, 'v');
    await assertClose(
      y,
      Array.from(values(64, 5), (a) => a * 3),
      {},
      'y again',
    );
    gpu.destroy();
  });

  for (const compile of ['async', 'sync'] as const) {
    it(`${compile}: a read sees the work recorded before it and none recorded after`, async () => {
      const device = (await open(compile)).runtime;
      const x = device.upload(new Float32Array([1, 2, 3, 4]), 'x');
      const y = device.createBuffer(16, 'y');
      device.dispatch({ label: 'double', code: copyKernel(2), bindings: [x, y], workgroups: [1] });
      const first = device.read(y);
      device.dispatch({ label: 'triple', code: copyKernel(3), bindings: [x, y], workgroups: [1] });
      const second = device.read(y);
      expect(Array.from(new Float32Array(await second))).toEqual([3, 6, 9, 12]);
      expect(Array.from(new Float32Array(await first))).toEqual([2, 4, 6, 8]);
      device.destroy();
    });

    it(`${compile}: a batch whose pipelines are ready runs after an earlier batch that waits for a compile`, async () => {
      const device = (await open(compile)).runtime;
      const x = device.upload(new Float32Array([1, 2, 3, 4]), 'x');
      const y = device.createBuffer(16, 'y');
      const z = device.createBuffer(16, 'z');
      device.dispatch({ label: 'triple', code: copyKernel(3), bindings: [x, z], workgroups: [1] });
      expect(Array.from(new Float32Array(await device.read(z)))).toEqual([3, 6, 9, 12]);
      device.dispatch({ label: 'double', code: copyKernel(2), bindings: [x, y], workgroups: [1] });
      device.flush();
      device.dispatch({ label: 'triple', code: copyKernel(3), bindings: [y, z], workgroups: [1] });
      device.flush();
      expect(Array.from(new Float32Array(await device.read(z)))).toEqual([6, 12, 18, 24]);
      device.destroy();
    });

    it(`${compile}: a write after flushed work lands after it, as after a submission`, async () => {
      const device = (await open(compile)).runtime;
      const x = device.upload(new Float32Array([1, 2, 3, 4]), 'x');
      const y = device.createBuffer(16, 'y');
      device.dispatch({ label: 'double', code: copyKernel(2), bindings: [x, y], workgroups: [1] });
      device.flush();
      const data = new Float32Array([10, 20, 30, 40]);
      device.write(x, data, 0, 'overwrite x');
      data.fill(-1); // the write took its own copy
      const z = device.createBuffer(16, 'z');
      device.dispatch({ label: 'triple', code: copyKernel(3), bindings: [x, z], workgroups: [1] });
      expect(Array.from(new Float32Array(await device.read(y)))).toEqual([2, 4, 6, 8]);
      expect(Array.from(new Float32Array(await device.read(z)))).toEqual([30, 60, 90, 120]);
      device.destroy();
    });

    it(`${compile}: a shader that does not compile rejects the next wait naming the op, then work goes on`, async () => {
      const device = (await open(compile)).runtime;
      const x = device.upload(new Float32Array([1, 2, 3]), 'x');
      const y = device.createBuffer(12, 'y');
      device.dispatch({ label: 'double', code: copyKernel(2), bindings: [x, y], workgroups: [1] });
      device.dispatch({
        label: 'not wgsl',
        code: 'fn main( { this is not WGSL',
        bindings: [x, y],
        workgroups: [1],
      });
      const failure = device.read(y);
      await expect(failure).rejects.toBeInstanceOf(WebGPUOperationError);
      await expect(failure).rejects.toThrow(/not wgsl: validation error/);
      // A module that parses but has no such entry point fails in the pipeline itself.
      device.dispatch({
        label: 'no entry point',
        code: copyKernel(4),
        entryPoint: 'absent',
        bindings: [x, y],
        workgroups: [1],
      });
      await expect(device.synchronize()).rejects.toThrow(/no entry point: validation error/);
      device.dispatch({ label: 'triple', code: copyKernel(3), bindings: [x, y], workgroups: [1] });
      expect(Array.from(new Float32Array(await device.read(y)))).toEqual([3, 6, 9]);
      device.destroy();
    });
  }

  it('a compile that finishes while a batch is recording frees no buffer that batch uses', async () => {
    const gpu = await open('async');
    const device = gpu.runtime;
    // The pool recycles freed buffers on this signal: nothing recorded may be unsubmitted then.
    const pendingAtSignal: boolean[] = [];
    device.onSubmit(() => pendingAtSignal.push(device.hasPendingWork));
    const a = tensor(values(64, 1), { device: gpu });
    const b = a.mul(2).realize(); // a new pipeline: held
    gpu.flush();
    const x = tensor(values(64, 2), { device: gpu });
    const y = x.mul(2).realize(); // recorded into an open batch, not submitted
    x.dispose();
    // Let the compile finish and the held batch go while the open batch still holds x.
    // (A trivial kernel compiles in milliseconds; the test can only pass vacuously if not.)
    await new Promise((resolve) => setTimeout(resolve, 300));
    const w = tensor(values(64, 3), { device: gpu }); // must not get x's buffer
    await assertClose(
      y,
      Array.from(values(64, 2), (v) => v * 2),
      {},
      'y',
    );
    await assertClose(
      b,
      Array.from(values(64, 1), (v) => v * 2),
      {},
      'b',
    );
    await assertClose(w, Array.from(values(64, 3)), {}, 'w');
    expect(pendingAtSignal.length).toBeGreaterThan(0);
    expect(pendingAtSignal.every((pending) => !pending)).toBe(true);
    gpu.destroy();
  });

  it('synchronize submits held batches before it resolves', async () => {
    const device = (await open('async')).runtime;
    const x = device.upload(new Float32Array([1, 2, 3, 4]), 'x');
    const y = device.createBuffer(16, 'y');
    device.dispatch({ label: 'double', code: copyKernel(2), bindings: [x, y], workgroups: [1] });
    device.flush();
    expect(device.hasPendingWork).toBe(true);
    await device.synchronize();
    expect(device.hasPendingWork).toBe(false);
    // A copy submitted straight to the queue, past the device's own ordering, sees the result.
    const staging = device.gpu.createBuffer({ size: 16, usage: 0x0001 | 0x0008 }); // MAP_READ | COPY_DST
    const encoder = device.gpu.createCommandEncoder();
    encoder.copyBufferToBuffer(y, 0, staging, 0, 16);
    device.gpu.queue.submit([encoder.finish()]);
    await staging.mapAsync(0x0001);
    expect(Array.from(new Float32Array(staging.getMappedRange()))).toEqual([2, 4, 6, 8]);
    staging.unmap();
    device.destroy();
  });

  it('destroying the device while a compile is pending rejects the waits with a device loss', async () => {
    const device = (await open('async')).runtime;
    const x = device.upload(new Float32Array([1, 2, 3, 4]), 'x');
    const y = device.createBuffer(16, 'y');
    device.dispatch({ label: 'double', code: copyKernel(2), bindings: [x, y], workgroups: [1] });
    const read = device.read(y);
    const synchronized = device.synchronize();
    expect(device.hasPendingWork).toBe(true);
    device.destroy();
    await expect(read).rejects.toBeInstanceOf(WebGPUDeviceLostError);
    await expect(synchronized).rejects.toThrow(/was lost because it was destroyed/);
    expect(device.hasPendingWork).toBe(false);
    expect(() =>
      device.dispatch({ label: 'after', code: copyKernel(2), bindings: [x, y], workgroups: [1] }),
    ).toThrow(/after: the WebGPU device/);
  });
});
