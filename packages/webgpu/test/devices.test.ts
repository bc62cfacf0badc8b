// Tensors move between the CPU and WebGPU with to()/toAsync(), and mixing devices in one op
// is a clear error, as in PyTorch.
import { cpu, tensor } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)(`devices in ${runtime}`, () => {
  afterAll(() => device?.destroy());

  it('moves tensors to the GPU and back, keeping values and dtypes', async () => {
    const x = tensor([
      [1.5, -2],
      [3, 4],
    ]);
    const g = x.to(device!);
    expect(g.device).toBe(device);
    expect(String(g.device)).toMatch(/^webgpu \(/);
    expect(await g.toArray()).toEqual([
      [1.5, -2],
      [3, 4],
    ]);
    const back = await g.mul(2).toAsync('cpu');
    expect(back.device).toBe(cpu);
    expect(back.toArraySync()).toEqual([
      [3, -4],
      [6, 8],
    ]);
    const flags = tensor([true, false, true]).to(device!);
    expect(flags.dtype).toBe('bool');
    expect(await flags.toArray()).toEqual([true, false, true]);
    expect(await tensor([7, -8]).to(device!).toArray()).toEqual([7, -8]);
  });

  it('refuses to mix devices in one op, naming both', () => {
    const a = tensor([1, 2]);
    const b = tensor([1, 2]).to(device!);
    expect(() => a.add(b)).toThrow(
      /expected all tensors to be on the same device, but found at least two devices, cpu and webgpu \(/,
    );
    expect(() => b.matmul(tensor([[1], [2]]))).toThrow(/same device/);
  });

  it('explains that reading a GPU tensor synchronously is not possible', () => {
    const g = tensor([1, 2]).to(device!);
    expect(() => g.dataSync()).toThrow(/can only be read asynchronously; use await t.data\(\)/);
    expect(() => g.to('cpu')).toThrow(/asynchronous; use `await x.toAsync\('cpu'\)`/);
    expect(() => tensor([1.5], { dtype: 'float64' }).to(device!)).toThrow(
      /float64 is not supported on WebGPU/,
    );
  });
});
