// The MNIST CNN's forward pass at batch 1000 on lavapipe: its second convolution's output
// (147 MB) is past the 128 MiB storage binding limit, so kernels bind ranges and split work.
// The answer must equal ten forward passes at batch 100 (Node only: the work is large).

import { conv2d, logSoftmax, manualSeed, maxPool2d, randn, type Tensor } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)('the MNIST CNN at batch 1000', () => {
  afterAll(() => device?.destroy());

  it('gives the same log-probabilities as ten batches of 100', async () => {
    const gpu = device!;
    manualSeed(0);
    const param = (shape: number[], scale: number) => randn(shape).mul(scale).to(gpu);
    const [w1, b1] = [param([32, 1, 3, 3], 0.3), param([32], 0.1)];
    const [w2, b2] = [param([64, 32, 3, 3], 0.06), param([64], 0.1)];
    const [w3, b3] = [param([128, 9216], 0.01), param([128], 0.1)];
    const [w4, b4] = [param([10, 128], 0.1), param([10], 0.1)];
    let largest = 0;
    const forward = (x: Tensor): Tensor => {
      let h = conv2d(x, w1, b1).relu();
      h = conv2d(h, w2, b2).relu();
      largest = Math.max(largest, h.numel() * 4);
      h = maxPool2d(h, 2).flatten(1);
      h = h.matmul(w3.t()).add(b3).relu();
      return logSoftmax(h.matmul(w4.t()).add(b4), 1);
    };
    const x = randn([1000, 1, 28, 28]).to(gpu);
    const whole = await forward(x).data();
    let worst = 0;
    for (let start = 0; start < 1000; start += 100) {
      const part = await forward(x.narrow(0, start, 100)).data();
      for (let i = 0; i < part.length; i++) {
        worst = Math.max(worst, Math.abs(part[i]! - whole[start * 10 + i]!));
      }
    }
    expect(largest).toBeGreaterThan(gpu.limits.maxStorageBufferBindingSize);
    expect(whole.length).toBe(10_000);
    expect(worst).toBeLessThan(1e-4);
  }, 240_000);
});
