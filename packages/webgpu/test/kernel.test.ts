// A real kernel on the real device: 100,000 floats through WGSL, read back and compared
// with the same float32 arithmetic done on the CPU.

import type { WebGPUDevice } from '@dl/webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)(`WebGPU kernels in ${runtime}`, () => {
  let gpu: WebGPUDevice;
  beforeAll(() => {
    gpu = device!.runtime;
    console.log(
      `WebGPU adapter in ${runtime}: ${gpu.adapter.description} (software: ${gpu.adapter.isFallbackAdapter}, elementwise order: ${device!.elementwiseOrder})`,
    );
  });
  afterAll(() => device!.destroy());

  it('computes y = x * w[i % 7] + 0.5 over 100,000 floats like the CPU', async () => {
    const n = 100_000;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
    const w = Float32Array.from([0.5, -1.25, 3, 0.1, -7.5, 2.2, 1e-3]);
    const xs = gpu.upload(x, 'x');
    const ws = gpu.upload(w, 'w');
    const ys = gpu.createBuffer(n * 4, 'y');
    gpu.dispatch({
      label: 'scale-shift',
      code: /* wgsl */ `
        @group(0) @binding(0) var<storage, read> x: array<f32>;
        @group(0) @binding(1) var<storage, read> w: array<f32>;
        @group(0) @binding(2) var<storage, read_write> y: array<f32>;
        @compute @workgroup_size(128)
        fn main(@builtin(global_invocation_id) id: vec3u) {
          if (id.x >= ${n}u) { return; }
          y[id.x] = x[id.x] * w[id.x % 7u] + 0.5;
        }`,
      bindings: [xs, ws, ys],
      workgroups: [Math.ceil(n / 128)],
    });
    const y = new Float32Array(await gpu.read(ys, n * 4));
    expect(y.length).toBe(n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const expected = Math.fround(Math.fround(x[i]! * w[i % 7]!) + 0.5);
      // One rounding apart at most: the device may fuse the multiply-add.
      worst = Math.max(worst, Math.abs(y[i]! - expected) / Math.max(1, Math.abs(expected)));
    }
    expect(worst).toBeLessThanOrEqual(1.2e-7);
    expect(y[1]).toBeCloseTo(Math.sin(1) * 100 * -1.25 + 0.5, 4);
  });

  it('runs a workgroup reduction: sums of 256-element blocks', async () => {
    const n = 256 * 40;
    const x = Float32Array.from({ length: n }, (_, i) => (i % 13) - 6);
    const xs = gpu.upload(x, 'x');
    const sums = gpu.createBuffer(40 * 4, 'sums');
    gpu.dispatch({
      label: 'block-sum',
      code: /* wgsl */ `
        @group(0) @binding(0) var<storage, read> x: array<f32>;
        @group(0) @binding(1) var<storage, read_write> sums: array<f32>;
        var<workgroup> partial: array<f32, 256>;
        @compute @workgroup_size(256)
        fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
          partial[lid] = x[wid.x * 256u + lid];
          workgroupBarrier();
          for (var stride = 128u; stride > 0u; stride = stride / 2u) {
            if (lid < stride) { partial[lid] += partial[lid + stride]; }
            workgroupBarrier();
          }
          if (lid == 0u) { sums[wid.x] = partial[0]; }
        }`,
      bindings: [xs, sums],
      workgroups: [40],
    });
    const got = Array.from(new Float32Array(await gpu.read(sums)));
    const expected = Array.from({ length: 40 }, (_, b) => {
      let s = 0;
      for (let i = b * 256; i < (b + 1) * 256; i++) s += (i % 13) - 6;
      return s; // small integers: exact in float32 whatever the order
    });
    expect(got).toEqual(expected);
  });

  it('submits a batch open for a few milliseconds at its next dispatch, without a read', async () => {
    const n = 1024;
    const xs = gpu.upload(
      Float32Array.from({ length: n }, (_, i) => i),
      'x',
    );
    const ys = gpu.createBuffer(n * 4, 'y');
    const twice = (label: string) =>
      gpu.dispatch({
        label,
        code: /* wgsl */ `
          @group(0) @binding(0) var<storage, read_write> y: array<f32>;
          @compute @workgroup_size(64)
          fn main(@builtin(global_invocation_id) id: vec3u) { y[id.x] = y[id.x] * 2.0 + 1.0; }`,
        bindings: [ys],
        workgroups: [n / 64],
      });
    gpu.write(ys, new Float32Array(await gpu.read(xs)));
    twice('compile'); // the pipeline compiles at its first dispatch: milliseconds
    await gpu.synchronize();
    twice('first');
    expect(gpu.hasPendingWork).toBe(true);
    // JavaScript busy for longer than a batch stays open (2 ms) before the next dispatch.
    const start = performance.now();
    while (performance.now() - start < 10) {}
    twice('second');
    expect(gpu.hasPendingWork).toBe(false);
    const y = new Float32Array(await gpu.read(ys));
    // ((2i + 1) * 2 + 1) * 2 + 1, exact in float32 for i < 1024.
    expect(Array.from(y.subarray(0, 4))).toEqual([7, 15, 23, 31]);
    expect(y[n - 1]).toBe(8 * (n - 1) + 7);
  });
});
