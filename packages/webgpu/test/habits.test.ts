// PyTorch habits with WebGPU, in Node (Dawn) and in Chromium: asking whether WebGPU is
// there without try/catch (torch.cuda.is_available()), the open device named 'webgpu'
// (as 'cuda' names the current GPU), and printing a tensor whose values were not read.

import { inspect, registerDevtoolsFormatter, tensor } from '@dl/tensor';
import { isWebGPUAvailable, webgpu } from '@dl/webgpu';
import { describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

describe(`PyTorch habits with WebGPU in ${runtime}`, () => {
  it('isWebGPUAvailable() says whether webgpu() can open a device, without throwing', async () => {
    expect(await isWebGPUAvailable()).toBe(device !== undefined);
  });

  it.skipIf(!device)("'webgpu' names the device opened last until it is destroyed", async () => {
    expect(tensor([1], { device: 'webgpu' }).device).toBe(device);
    const second = await webgpu();
    expect(tensor([1], { device: 'webgpu' }).device).toBe(second);
    expect(tensor([2, 3]).to('webgpu').device).toBe(second);
    second.destroy();
    expect(tensor([1], { device: 'webgpu' }).device).toBe(device);
    device!.destroy();
    expect(() => tensor([1], { device: 'webgpu' })).toThrow(
      "device: no WebGPU device is open: open one with `await webgpu()` from '@dl/webgpu' first",
    );
  });

  it.skipIf(!device)('printing does not wait for the device, in the console too', async () => {
    const gpu = await webgpu();
    try {
      const x = tensor([1.5, 2], { device: gpu });
      const unread =
        "tensor(<not read yet: await t.format()>, size=[2], dtype=float32, device='webgpu')";
      expect(String(x)).toBe(unread);
      expect(x[inspect]()).toBe(unread);
      const host = globalThis as { devtoolsFormatters?: { header(value: unknown): unknown }[] };
      const before = host.devtoolsFormatters;
      registerDevtoolsFormatter();
      const formatter = host.devtoolsFormatters!.at(-1)!;
      expect(formatter.header(x)).toEqual(['span', { style: 'white-space: pre' }, unread]);
      if (before) host.devtoolsFormatters = before;
      else delete host.devtoolsFormatters;
      expect(await x.format()).toBe("tensor([1.5000, 2.0000], device='webgpu')");
      expect(String(x)).toBe("tensor([1.5000, 2.0000], device='webgpu')");
    } finally {
      gpu.destroy();
    }
  });
});
