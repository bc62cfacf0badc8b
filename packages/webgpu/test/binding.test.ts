// Tensors larger than the largest storage binding: the backend binds the range a kernel
// touches, or splits the work. A 16 KiB binding limit (4,096 floats) exercises those paths
// with small tensors; every result is compared with the CPU backend's on the same values.

import {
  conv2d,
  cpu,
  E,
  fusedUpdate_,
  manualSeed,
  maxPool2d,
  randn,
  type Tensor,
} from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const limit = 16384;
const device = await openTestDevice({ maxBindingSize: limit });

/** Runs `f` on CPU tensors and on copies on the device; the results must agree. */
async function agree(
  inputs: readonly Tensor[],
  f: (...xs: Tensor[]) => Tensor,
  tolerance = { rtol: 1e-5, atol: 1e-5 },
): Promise<void> {
  const expected = f(...inputs);
  const actual = f(...inputs.map((x) => x.to(device!)));
  expect(actual.numel()).toBeGreaterThan(0);
  await assertClose(actual, expected, tolerance);
}

describe.skipIf(!device)(`tensors past a ${limit}-byte binding limit in ${runtime}`, () => {
  afterAll(() => device?.destroy());

  it('elementwise ops on broadcast, transposed and sliced operands', async () => {
    manualSeed(1);
    const a = randn([100, 70]);
    const b = randn([70]);
    await agree([a, b], (x, y) => x.add(y).mul(x.exp()));
    await agree([a], (x) => x.t().mul(2).add(1));
    await agree([a], (x) => x.narrow(1, 5, 60).neg());
  });

  it('fused updates of several outputs', async () => {
    manualSeed(2);
    const [p, g] = [randn([6000]), randn([6000])];
    const update = (x: Tensor, y: Tensor) => {
      const [pc, gc, m] = [x.clone(), y.clone(), x.mul(0)];
      fusedUpdate_(
        [pc, m],
        [E.sub(E.input(0), E.mul(0.1, E.input(1))), E.add(E.input(2), E.input(1))],
        [pc, gc, m],
      );
      return pc.add(m);
    };
    await agree([p, g], update);
  });

  it('reductions over kept dims, reduced dims and everything', async () => {
    manualSeed(3);
    const x = randn([60, 100]);
    await agree([x], (t) => t.sum(1));
    await agree([x], (t) => t.amax(0));
    await agree([x], (t) => t.sum(), { rtol: 1e-4, atol: 1e-4 });
    await agree([x], (t) => t.t().min(1).values);
    await agree([x], (t) => t.argmax(1).to('float32'));
  });

  it('batched and 2-d matmuls, cumsum', async () => {
    manualSeed(4);
    await agree([randn([4, 50, 30]), randn([4, 30, 40])], (a, b) => a.matmul(b), {
      rtol: 1e-4,
      atol: 1e-4,
    });
    await agree([randn([300, 20]), randn([20, 30])], (a, b) => a.matmul(b), {
      rtol: 1e-4,
      atol: 1e-4,
    });
    await agree([randn([80, 100])], (x) => x.cumsum(1), { rtol: 1e-4, atol: 1e-4 });
  });

  it('a small CNN forward and backward at batch 8', async () => {
    manualSeed(5);
    const [x, w1, w2] = [randn([8, 1, 12, 12]), randn([4, 1, 3, 3]), randn([8, 4, 3, 3])];
    const forward = (input: Tensor, k1: Tensor, k2: Tensor) =>
      maxPool2d(conv2d(conv2d(input, k1).relu(), k2).relu(), 2);
    await agree([x, w1, w2], forward, { rtol: 1e-4, atol: 1e-4 });
    const gradient = (input: Tensor, k1: Tensor, k2: Tensor) => {
      const w = k1.detach().requiresGrad_(true);
      forward(input, w, k2).square().sum().backward();
      return w.grad!;
    };
    await agree([x, w1, w2], gradient, { rtol: 1e-3, atol: 1e-3 });
  });

  it('gathers and scatters', async () => {
    manualSeed(6);
    const x = randn([30, 200]);
    const index = randn([30, 150]).abs().mul(60).to('int32').clamp(0, 199);
    await agree([x, index], (t, i) => t.gather(1, i));
    await agree([x, index], (t, i) => t.mul(0).scatterAdd(1, i, t.narrow(1, 0, 150)));
  });

  it('refuses, naming the op and the limit, what it cannot split', () => {
    const row = randn([1, 5000]).to(device!);
    const index = row.abs().mul(1000).to('int32').clamp(0, 4999);
    expect(() => row.gather(1, index)).toThrow(/gather along 1: .* limit of 16384 bytes/);
  });
});

describe('the CPU reference', () => {
  it('is the CPU backend', () => expect(cpu.type).toBe('cpu'));
});
