// WebGPU failures reach the caller as exceptions that say what happened: validation
// errors name the work, device loss rejects pending reads, and nothing hangs.

import { WebGPUDeviceLostError, WebGPUOperationError } from '@dl/webgpu';
import { describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const probe = await openTestDevice();
probe?.destroy();

const copyKernel = /* wgsl */ `
  @group(0) @binding(0) var<storage, read> x: array<f32>;
  @group(0) @binding(1) var<storage, read_write> y: array<f32>;
  @compute @workgroup_size(64)
  fn main(@builtin(global_invocation_id) id: vec3u) {
    if (id.x < arrayLength(&y)) { y[id.x] = x[id.x] * 2.0; }
  }`;

describe.skipIf(!probe)(`WebGPU errors in ${runtime}`, () => {
  it('rejects the next read with a validation error naming the kernel, then keeps working', async () => {
    const device = (await openTestDevice())!.runtime;
    const x = device.upload(new Float32Array([1, 2, 3]), 'x');
    const y = device.createBuffer(12, 'y');
    device.dispatch({
      label: 'broken kernel',
      code: 'fn main( { this is not WGSL',
      bindings: [x, y],
      workgroups: [1],
    });
    await expect(device.read(y)).rejects.toThrow(/broken kernel: validation error/);
    await expect(device.read(y)).resolves.toBeInstanceOf(ArrayBuffer);
    device.dispatch({ label: 'double', code: copyKernel, bindings: [x, y], workgroups: [1] });
    expect(Array.from(new Float32Array(await device.read(y)))).toEqual([2, 4, 6]);
    device.destroy();
  });

  it('reports a binding that does not match the shader as a WebGPUOperationError', async () => {
    const device = (await openTestDevice())!.runtime;
    const x = device.upload(new Float32Array([1, 2, 3]), 'x');
    device.dispatch({
      label: 'too few bindings',
      code: copyKernel,
      bindings: [x],
      workgroups: [1],
    });
    const failure = device.read(x);
    await expect(failure).rejects.toBeInstanceOf(WebGPUOperationError);
    await expect(failure).rejects.toThrow(/too few bindings/);
    device.destroy();
  });

  it('rejects a pending read when the device is destroyed, and refuses new work', async () => {
    const device = (await openTestDevice())!.runtime;
    const x = device.upload(new Float32Array(1024).fill(1), 'x');
    const pending = device.read(x);
    device.destroy();
    const outcome = await pending.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    // The copy may have finished before the destroy; if it did not, the error says why.
    if (outcome !== 'resolved') {
      expect(outcome).toBeInstanceOf(WebGPUDeviceLostError);
      expect(String(outcome)).toMatch(/was lost because it was destroyed/);
    }
    await expect(device.synchronize()).rejects.toThrow(/was lost because it was destroyed/);
    expect(() => device.createBuffer(16, 'after loss')).toThrow(/after loss: the WebGPU device/);
    expect(device.isLost).toBe(true);
  });

  it('refuses grids beyond the device limit with the numbers involved', async () => {
    const device = (await openTestDevice())!.runtime;
    const x = device.upload(new Float32Array(4), 'x');
    const limit = device.limits.maxComputeWorkgroupsPerDimension;
    expect(() =>
      device.dispatch({
        label: 'huge',
        code: copyKernel,
        bindings: [x, x],
        workgroups: [limit + 1],
      }),
    ).toThrow(`huge: ${limit + 1} workgroups along x is outside the device's range 0..${limit}`);
    device.destroy();
  });
});
