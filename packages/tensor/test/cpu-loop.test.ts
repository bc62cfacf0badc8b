// A training loop on the CPU written the README's way (no dispose, tidy or explicit yield;
// its only wait is `await loss.item()`) keeps memory flat: CPU reads settle at once, so
// without reads yielding to the event loop the whole loop would run in one task and the
// collector could never free a step's tensors.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { manualSeed, memory, noGrad, randn, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

/** The garbage collector, exposed for this process. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('a CPU training loop', () => {
  it('keeps live tensors and bytes flat over 1,500 steps', async () => {
    // A collection every 100 steps, in the middle of the loop's task, makes the test
    // independent of when V8 would collect by itself: 50 steps later, what it found dead
    // must be gone from memory(), which needs the loop's reads to have let tasks run.
    const gc = collector();
    manualSeed(0);
    const w1 = randn([64, 32]).mul(0.1).requiresGrad_();
    const b1 = zeros([32], { requiresGrad: true });
    const w2 = randn([32, 10]).mul(0.1).requiresGrad_();
    const x = randn([16, 64]);
    const y = randn([16, 10]);
    const tensors: number[] = [];
    const bytes: number[] = [];
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
      if (step % 100 === 0) gc();
      if (step % 100 === 50) {
        const now = memory();
        tensors.push(now.tensors);
        bytes.push(now.bytes);
      }
    }
    expect(last).toBeLessThan(first); // it trained
    // Each step leaves about 45 tensors to the collector: a loop that never let it free
    // them would hold 65,000 by the end. What is live stays what it was early on.
    const early = Math.max(...tensors.slice(1, 5));
    const late = Math.max(...tensors.slice(10));
    expect(late).toBeLessThan(early + 1000);
    expect(late).toBeLessThan(5000);
    expect(Math.max(...bytes.slice(10))).toBeLessThan(Math.max(...bytes.slice(1, 5)) + 2 ** 20);
  });
});
