// The CPU backend in this runtime (Node, or Chromium where reads yield through a
// MessageChannel): a training loop whose only wait is `await loss.item()` keeps its live
// tensors bounded (without reads yielding to the event loop, none could ever be freed:
// about 45 a step, 67,000 after 1,500 steps), and a tensor past the CPU's allocation
// limit is refused at once.
import { cpu, manualSeed, memory, noGrad, randn, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { runtime } from './device.js';

describe(`the CPU backend in ${runtime}`, () => {
  it('keeps a 1,500-step training loop awaiting only loss.item() bounded', async () => {
    manualSeed(0);
    const w1 = randn([64, 32]).mul(0.1).requiresGrad_();
    const b1 = zeros([32], { requiresGrad: true });
    const w2 = randn([32, 10]).mul(0.1).requiresGrad_();
    const x = randn([16, 64]);
    const y = randn([16, 10]);
    const before = memory().tensors;
    let most = 0;
    let first = 0;
    let last = 0;
    for (let step = 0; step < 1500; step++) {
      const loss = x.matmul(w1).add(b1).relu().matmul(w2).sub(y).square().mean();
      for (const p of [w1, b1, w2]) p.grad = null;
      loss.backward();
      noGrad(() => {
        for (const p of [w1, b1, w2]) p.sub_(p.grad!.mul(0.05));
      });
      const value = await loss.item();
      if (step === 0) first = value;
      last = value;
      if (step >= 750) most = Math.max(most, memory().tensors - before);
    }
    expect(last).toBeLessThan(first);
    // The collector runs when it chooses; what it may leave is far below what never
    // collecting holds (33,000 at step 750, growing).
    expect(most).toBeLessThan(30_000);
  }, 60_000);

  it('refuses a tensor past cpu.maxAllocationBytes at once', () => {
    expect(() => zeros([65536, 65536])).toThrow(
      "cpu: a float32 tensor of 4294967296 elements needs 17179869184 bytes (16 GiB), more than the CPU backend's limit of 4 GiB per tensor",
    );
    expect(cpu.maxAllocationBytes).toBe(2 ** 32);
  });
});
