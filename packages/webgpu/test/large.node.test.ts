// A tensor past lavapipe's real 128 MiB storage binding limit (Node only: Chromium's
// SwiftShader is slower and its tab's memory smaller): elementwise ops, reductions and argmax
// over 35 million floats, checked against values known exactly.

import { full } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)('a 140 MB tensor on lavapipe', () => {
  afterAll(() => device?.destroy());

  it('computes elementwise ops, sums and argmax over all of it', async () => {
    const n = 35 * 2 ** 20; // 140 MiB of float32, past the 128 MiB binding limit
    const limit = device!.limits.maxStorageBufferBindingSize;
    expect(n * 4).toBeGreaterThan(limit);
    const x = full([n], 0.25, { device: device! });
    const y = x.mul(4).sub(1); // all zeros
    x.narrow(0, n - 3, 1).fill_(5.25);
    const total = await x.sum().item();
    expect(Math.abs(total - (n * 0.25 + 5)) / (n * 0.25)).toBeLessThan(1e-6);
    expect(await y.abs().amax().item()).toBe(0);
    expect(await x.argmax().item()).toBe(n - 3);
    const rows = x.reshape([n / 1024, 1024]).sum(1);
    expect(await rows.narrow(0, n / 1024 - 1, 1).item()).toBe(1023 * 0.25 + 5.25);
    expect(await rows.narrow(0, 0, 1).item()).toBe(256);
    for (const t of [x, y, rows]) t.dispose();
  });
});
