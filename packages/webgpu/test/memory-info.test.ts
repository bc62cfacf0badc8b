// memory() on WebGPU: live tensors, bytes of live storage, and what the buffer pool keeps
// for reuse once a tensor is disposed.
import { memory, zeros } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)(`memory() in ${runtime}`, () => {
  afterAll(() => device?.destroy());

  it('reports tensors, bytes in use and bytes pooled', async () => {
    const before = memory();
    const x = zeros([1000], { device: device! });
    const v = x.reshape([10, 100]);
    await x.data(); // the buffer exists, and no recorded work still reads it
    const live = memory();
    expect(live.tensors).toBe(before.tensors + 2);
    expect(live.storages).toBe(before.storages + 1);
    expect(live.bytes).toBe(before.bytes + 4000);
    x.dispose();
    expect(memory().tensors).toBe(before.tensors + 1); // the view still holds the buffer
    expect(memory().pooled).toBe(live.pooled);
    v.dispose();
    device!.flush();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    // 4,000 bytes round up to the pool's size class: 2,048 plus steps of 512 -> 4,096.
    expect(after.pooled).toBe(live.pooled + 4096);
    expect(after.pooled).toBe(device!.poolStats().pooled);
  });

  /** A second device holding a tensor and a pooled buffer, and what memory() said before it. */
  async function busyDevice() {
    const before = memory();
    const other = (await openTestDevice())!;
    const x = zeros([1000], { device: other });
    const y = x.add(1);
    await y.data();
    y.dispose();
    other.flush(); // y's buffer joins the pool
    expect(memory()).toEqual({
      tensors: before.tensors + 1,
      storages: before.storages + 1,
      bytes: before.bytes + 4000,
      pooled: before.pooled + 4096,
    });
    return { before, other, x };
  }

  it('counts nothing of a device once it is destroyed', async () => {
    const { before, other, x } = await busyDevice();
    other.destroy();
    expect(memory()).toEqual(before);
    expect(other.isLost).toBe(true);
    x.dispose();
    expect(memory()).toEqual(before);
  });

  it('counts nothing of a device lost under it', async () => {
    const { before, other, x } = await busyDevice();
    // Lost as a driver reset loses it: the backend is not told, it finds out.
    other.runtime.gpu.destroy();
    await other.runtime.gpu.lost; // the device's own handler, registered first, has run
    expect(memory()).toEqual(before);
    expect(other.isLost).toBe(true);
    expect(other.poolStats().pooled).toBe(0);
    x.dispose();
    expect(memory()).toEqual(before);
  });
});
