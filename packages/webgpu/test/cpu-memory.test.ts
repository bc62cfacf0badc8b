// The CPU backend in this runtime (Node, or Chromium where reads yield through a
// MessageChannel): a training loop whose only wait is `await loss.item()` keeps its live
// tensors flat (without reads yielding to the event loop, none could ever be freed: about
// 45 a step, 67,000 after 1,500 steps), and a tensor past the CPU's allocation limit is
// refused at once. (In this package because its tests run in both runtimes.)
import { cpu, manualSeed, memory, noGrad, randn, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { runtime } from './device.js';

type BuiltinLoader = (id: string) => unknown;

/**
 * The garbage collector: Chromium's, exposed by the test browser's --expose-gc flag, or
 * Node's, exposed through node:v8 (reached without an import a browser bundle would see).
 */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  const load = (globalThis as { process?: { getBuiltinModule?: BuiltinLoader } }).process
    ?.getBuiltinModule;
  const v8 = load?.('node:v8') as { setFlagsFromString(flags: string): void } | undefined;
  const vm = load?.('node:vm') as { runInNewContext(code: string): unknown } | undefined;
  if (!v8 || !vm) throw new Error(`no way to run the garbage collector in ${runtime}`);
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

describe(`the CPU backend in ${runtime}`, () => {
  it('keeps live tensors flat over a 1,500-step training loop awaiting only loss.item()', async () => {
    // A collection every 100 steps, in the middle of the loop's task, makes the test
    // independent of when the engine would collect by itself: 50 steps later, what it found
    // dead must be gone from memory(), which needs the loop's reads to have let tasks run.
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
    // What is live late in the loop stays near what was live early on (finalization runs
    // when the engine schedules it, so a few steps' worth may remain): a loop whose garbage
    // could not be freed would hold 4,500 more tensors, and 4 MB more, every 100 steps.
    const early = Math.max(...tensors.slice(1, 5));
    const late = Math.max(...tensors.slice(10));
    expect(late).toBeLessThan(early + 3000);
    expect(Math.max(...bytes.slice(10))).toBeLessThan(Math.max(...bytes.slice(1, 5)) + 2 ** 21);
  }, 60_000);

  it('refuses a tensor past cpu.maxAllocationBytes at once', () => {
    expect(() => zeros([65536, 65536])).toThrow(
      "cpu: a float32 tensor of 4294967296 elements needs 17179869184 bytes (16 GiB), more than the CPU backend's limit of 4 GiB per tensor",
    );
    expect(cpu.maxAllocationBytes).toBe(2 ** 32);
  });
});
