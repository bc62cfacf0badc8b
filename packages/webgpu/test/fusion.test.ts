// Elementwise fusion on WebGPU: chains of elementwise ops run as one kernel, computed when
// first needed, with the values the separate kernels (and the CPU backend) give, even when
// a source is written in place or disposed before the result is used.

import { E, fusedUpdate_, manualSeed, noGrad, randn, type Tensor, tensor, tidy } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();
/** Values that float32 holds exactly are compared exactly. */
const exact = { rtol: 0, atol: 0 };

/** Counts the elementwise kernels `f` dispatches (including those computed when reading). */
async function kernelsOf(f: () => Promise<unknown>): Promise<number> {
  const backend = device!;
  const original = backend.elementwiseMulti.bind(backend);
  let count = 0;
  backend.elementwiseMulti = (...args) => {
    count++;
    original(...args);
  };
  try {
    await f();
  } finally {
    backend.elementwiseMulti = original;
  }
  return count;
}

describe.skipIf(!device)(`elementwise fusion in ${runtime}`, () => {
  afterAll(() => device?.destroy());

  it('runs a chain of ten ops as one kernel with the CPU values', async () => {
    manualSeed(7);
    const [a, b] = [randn([33, 17]), randn([17])];
    const chain = (x: Tensor, y: Tensor) =>
      x.mul(1.5).add(y).relu().sub(0.25).exp().neg().add(x).mul(y).tanh().abs();
    const [ga, gb] = [a.to(device!), b.to(device!)];
    let result: Tensor | undefined;
    const kernels = await kernelsOf(async () => {
      result = chain(ga, gb);
      await result.data();
    });
    expect(kernels).toBe(1);
    await assertClose(result!, chain(a, b), { rtol: 1e-5, atol: 1e-6 });
  });

  it('realize() computes a pending result once, when asked', async () => {
    const x = tensor([1, -2, 3], { device: device!, dtype: 'float32' });
    let y = x;
    expect(
      await kernelsOf(async () => {
        y = x.mul(2).add(1);
      }),
    ).toBe(0);
    expect(await kernelsOf(async () => void y.realize().realize())).toBe(1);
    expect(await kernelsOf(() => y.data())).toBe(0);
    await assertClose(y, [3, -3, 7], exact);
  });

  it('breaks long chains into kernels of bounded size', async () => {
    const x = tensor([0.5, -0.25, 2], { device: device! });
    let y = x;
    const kernels = await kernelsOf(async () => {
      for (let i = 0; i < 200; i++) y = y.mul(1.001).add(0.001);
      await y.data();
    });
    expect(kernels).toBeGreaterThan(1);
    expect(kernels).toBeLessThan(40);
    let expected = [0.5, -0.25, 2];
    for (let i = 0; i < 200; i++)
      expected = expected.map((v) => Math.fround(Math.fround(v * 1.001) + 0.001));
    await assertClose(y, expected, { rtol: 1e-5 });
  });

  it('gives each folded operand its own params when pending results with params meet', async () => {
    const x = tensor([1, 2, 3, 4], { device: device! });
    const z = tensor([0.5, -1, 2, 8], { device: device! });
    const a = x.mul(3).add(0.5); // params 3, 0.5
    const b = z.sub(7).div(2); // params 7, 2
    // a's params come first and are shared, b's follow, then c's own.
    const c = a.mul(b).add(100);
    expect(await kernelsOf(async () => void c.realize())).toBe(1);
    // Chains built on a and b afterwards add their own params after theirs.
    const d = a.sub(1);
    const e = b.mul(10);
    // Exact in float32: (3x + 0.5)(z - 7)/2 + 100.
    await assertClose(c, [88.625, 74, 76.25, 106.25], exact);
    await assertClose(d, [2.5, 5.5, 8.5, 11.5], exact);
    await assertClose(e, [-32.5, -40, -25, 5], exact);
    await assertClose(a, [3.5, 6.5, 9.5, 12.5], exact);
    await assertClose(b, [-3.25, -4, -2.5, 0.5], exact);
  });

  it('keeps the values a pending result had when its source is written in place', async () => {
    const x = tensor([1, 2, 3], { device: device!, dtype: 'float32' });
    const doubled = x.mul(2); // pending: reads x
    x.add_(10);
    noGrad(() => fusedUpdate_([x], [E.mul(E.input(0), 0)], [x]));
    const tripled = x.add(3).mul(3); // pending, from the new x
    x.fill_(-1);
    await assertClose(doubled, [2, 4, 6], exact);
    await assertClose(tripled, [9, 9, 9], exact);
    await assertClose(x, [-1, -1, -1], exact);
  });

  it('a pending result larger than a source written in place reads a copy of it', async () => {
    // The bias add of a layer whose activation was fused, after the optimizer updates the
    // bias: the write copies the 3 values of the bias (one kernel), it does not compute the
    // [4, 3] result; the result, read later, has the values of the bias before the write.
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
        [10, 11, 12],
      ],
      { device: device! },
    );
    const bias = tensor([0.5, -1, 2], { device: device! });
    const shifted = x.add(bias); // pending: reads x and bias
    const shiftedTwice = shifted.add(bias); // folds shifted's expression, reads bias too
    const sameSize = bias.mul(3); // pending, no larger than bias: computed at the write
    const alone = tensor([1, 2, 3], { device: device! });
    const write = await kernelsOf(async () => void alone.mul_(0));
    // The copy of bias and sameSize, besides the write's own kernels.
    expect(await kernelsOf(async () => void bias.mul_(0))).toBe(write + 2);
    expect(await kernelsOf(async () => void bias.add_(1))).toBe(write);
    await assertClose(
      shifted,
      [
        [1.5, 1, 5],
        [4.5, 4, 8],
        [7.5, 7, 11],
        [10.5, 10, 14],
      ],
      exact,
    );
    await assertClose(
      shiftedTwice,
      [
        [2, 0, 7],
        [5, 3, 10],
        [8, 6, 13],
        [11, 9, 16],
      ],
      exact,
    );
    await assertClose(sameSize, [1.5, -3, 6], exact);
    await assertClose(bias, [1, 1, 1], exact);
  });

  it('keeps the values of a pending result made in an earlier task when its source is written', async () => {
    // A pending result is held strongly by its source within the task that made it, and
    // weakly after: both must be computed (or given a copy) before the source changes.
    const x = tensor([1, 2, 3, 4], { device: device! });
    const doubled = x.mul(2);
    const big = x.reshape([4, 1]).add(tensor([0, 10], { device: device! })); // [4, 2]
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    x.fill_(0);
    await assertClose(doubled, [2, 4, 6, 8], exact);
    await assertClose(
      big,
      [
        [1, 11],
        [2, 12],
        [3, 13],
        [4, 14],
      ],
      exact,
    );
    await assertClose(x, [0, 0, 0, 0], exact);
  });

  it('computes a pending result whose sources were disposed', async () => {
    const x = tensor([1, 2, 3], { device: device!, dtype: 'float32' });
    const y = x.sqrt().mul(2);
    x.dispose();
    await assertClose(y, [2, 2 * Math.SQRT2, 2 * Math.sqrt(3)], { rtol: 1e-6 });
  });

  it('folds int and bool intermediates as the separate kernels store them', async () => {
    const x = tensor([1.7, -2.5, 3.2, 0.4], { device: device! });
    const truncated = x.to('int32').mul(3); // int32: [1, -2, 3, 0] * 3
    const positive = x.gt(0.5).to('float32').add(truncated);
    await assertClose(positive, [4, -6, 10, 0], exact);
  });

  it('fuses through autograd and gives the CPU gradients', async () => {
    manualSeed(8);
    const a = randn([5, 4]);
    const grads = async (x: Tensor) => {
      const w = x.detach().requiresGrad_(true);
      w.mul(2).add(1).sigmoid().mul(w).sum().backward();
      return w.grad!;
    };
    await assertClose(await grads(a.to(device!)), await grads(a), { rtol: 1e-5, atol: 1e-6 });
  });

  it('differentiates a loss returned from tidy, its pending intermediates kept for backward', async () => {
    manualSeed(9);
    const [a, b] = [randn([6, 5]), randn([5, 3])];
    const grads = async (x: Tensor, y: Tensor) => {
      const w = y.detach().requiresGrad_(true);
      const loss = tidy(() => x.matmul(w).mul(2).add(1).relu().square().mean());
      loss.backward();
      return w.grad!;
    };
    await assertClose(await grads(a.to(device!), b.to(device!)), await grads(a, b), {
      rtol: 1e-5,
      atol: 1e-6,
    });
  });
});
