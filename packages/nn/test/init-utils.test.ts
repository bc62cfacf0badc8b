// nn.init and nn.utils against hand-computed values, and BatchNorm's cumulative average
// (momentum null) against PyTorch, on the CPU and WebGPU.

import { empty, manualSeed, type Tensor, tensor, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';
import { expectRecorded, fromRecorded } from './helpers.js';
import { references } from './reference/values.js';

function stats(t: Tensor): { mean: number; std: number; maxAbs: number } {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance), maxAbs: Math.max(...v.map(Math.abs)) };
}

describe('init', () => {
  it("calculateGain gives PyTorch's gains", () => {
    expect(nn.init.calculateGain('linear')).toBe(1);
    expect(nn.init.calculateGain('conv2d')).toBe(1);
    expect(nn.init.calculateGain('sigmoid')).toBe(1);
    expect(nn.init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(nn.init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(nn.init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(nn.init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(nn.init.calculateGain('selu')).toBe(0.75);
  });

  it('xavier and kaiming draw with the documented bounds and spreads', () => {
    manualSeed(0);
    const w = empty([200, 300]);
    nn.init.xavierUniform_(w);
    const bound = Math.sqrt(6 / 500);
    expect(stats(w).maxAbs).toBeLessThanOrEqual(bound);
    expect(stats(w).std).toBeCloseTo(bound / Math.sqrt(3), 3);
    nn.init.xavierNormal_(w, 2);
    expect(stats(w).std).toBeCloseTo(2 * Math.sqrt(2 / 500), 3);
    nn.init.kaimingUniform_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    expect(stats(w).maxAbs).toBeLessThanOrEqual(Math.SQRT2 * Math.sqrt(3 / 200));
    nn.init.kaimingNormal_(w);
    expect(stats(w).std).toBeCloseTo(Math.SQRT2 / Math.sqrt(300), 3);
    nn.init.normal_(w, 3, 0.5);
    expect(stats(w).mean).toBeCloseTo(3, 2);
    expect(stats(w).std).toBeCloseTo(0.5, 2);
    nn.init.uniform_(w, -2, -1);
    expect(w.dataSync().every((v) => v >= -2 && v < -1)).toBe(true);
  });

  it('is seeded by manualSeed, fills constants, and works on parameters that require grad', () => {
    const p = new nn.Parameter(zeros([50]));
    manualSeed(7);
    nn.init.normal_(p);
    const first = Array.from(p.dataSync());
    manualSeed(7);
    nn.init.normal_(p);
    expect(Array.from(p.dataSync())).toEqual(first);
    nn.init.constant_(p, 0.25);
    expect(p.dataSync().every((v) => v === 0.25)).toBe(true);
    nn.init.ones_(p);
    expect(p.dataSync().every((v) => v === 1)).toBe(true);
    nn.init.zeros_(p);
    expect(p.dataSync().every((v) => v === 0)).toBe(true);
  });

  it('refuses tensors with fewer than two dims for fan-based init, and bad arguments', () => {
    expect(() => nn.init.xavierUniform_(zeros([3]))).toThrow(/fewer than 2 dimensions/);
    expect(() => nn.init.uniform_(zeros([3]), 1, 0)).toThrow(/expected a <= b, got a=1 and b=0/);
    expect(() => nn.init.kaimingUniform_(zeros([2, 2]), { mode: 'fan_avg' as 'fan_in' })).toThrow(
      /Mode fan_avg not supported/,
    );
  });
});

describe.each(devices)('utils on %s', (_, device) => {
  /** Two parameters whose gradients are [3, 4] and [12] (2-norm 13, 1-norm 19, inf-norm 12). */
  function withGrads(): nn.Parameter[] {
    const a = new nn.Parameter(tensor([0, 0], { dtype: 'float32', device }));
    const b = new nn.Parameter(tensor([0], { dtype: 'float32', device }));
    a.grad = tensor([3, 4], { dtype: 'float32', device });
    b.grad = tensor([12], { dtype: 'float32', device });
    return [a, b];
  }

  it('clipGradNorm_ returns the total norm and scales gradients to maxNorm (norms 2, 1, inf)', async () => {
    for (const [normType, total] of [
      [2, 13],
      [1, 19],
      [Infinity, 12],
    ] as const) {
      const params = withGrads();
      const norm = nn.utils.clipGradNorm_(params, 6.5, { normType });
      expect(await norm.item()).toBeCloseTo(total, 4);
      const scale = 6.5 / (total + 1e-6);
      expect(Array.from(await params[0]!.grad!.data())[1]).toBeCloseTo(4 * scale, 5);
      expect(Array.from(await params[1]!.grad!.data())[0]).toBeCloseTo(12 * scale, 5);
    }
    // Below the limit nothing changes.
    const params = withGrads();
    nn.utils.clipGradNorm_(params, 100);
    expect(Array.from(await params[0]!.grad!.data())).toEqual([3, 4]);
  });

  it('clipGradNorm_ with errorIfNonfinite refuses an infinite norm: at the call on the CPU, at the next read elsewhere', async () => {
    const message =
      'clipGradNorm_: the total norm of order 2 for gradients from parameters is non-finite';
    const params = withGrads();
    params[1]!.grad = tensor([Infinity], { device });
    let failure: unknown;
    try {
      const norm = nn.utils.clipGradNorm_(params, 1, { errorIfNonfinite: true });
      await norm.item();
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).toContain(message);
    // A finite norm passes, and later reads are not affected.
    const fine = withGrads();
    expect(await nn.utils.clipGradNorm_(fine, 100, { errorIfNonfinite: true }).item()).toBeCloseTo(
      13,
      4,
    );
  });

  it('clipGradValue_ clamps every gradient', async () => {
    const params = withGrads();
    nn.utils.clipGradValue_(params, 3.5);
    expect(Array.from(await params[0]!.grad!.data())).toEqual([3, 3.5]);
    expect(Array.from(await params[1]!.grad!.data())).toEqual([3.5]);
  });

  it('parametersToVector and vectorToParameters are inverses', async () => {
    const fc = new nn.Linear(2, 2).to(device);
    const vector = nn.utils.parametersToVector(fc.parameters());
    expect(vector.shape).toEqual([6]);
    const expected = [...(await fc.weight.data()), ...(await fc.bias!.data())];
    expect(Array.from(await vector.data())).toEqual(expected);
    nn.utils.vectorToParameters(
      tensor([1, 2, 3, 4, 5, 6], { dtype: 'float32', device }),
      fc.parameters(),
    );
    expect(Array.from(await fc.bias!.data())).toEqual([5, 6]);
    expect(() => nn.utils.vectorToParameters(zeros([5], { device }), fc.parameters())).toThrow(
      /expected a vector of 6 elements/,
    );
  });
});

describe.each(devices)('BatchNorm on %s', (_, device) => {
  it.each([
    ['', references.batchNormCumulative],
    [' (an empty first batch counts, adding nothing)', references.batchNormCumulativeAfterEmpty],
  ])('momentum null keeps a cumulative average, as PyTorch%s', async (_what, reference) => {
    const bn = new nn.BatchNorm2d(2, { momentum: null }).to(device);
    bn.call(fromRecorded(reference.first, device));
    const out = bn.call(fromRecorded(reference.second, device));
    await expectRecorded(out, reference.output, 'output');
    const state = bn.stateDict();
    for (const [key, value] of Object.entries(reference.stateAfter))
      await expectRecorded(state.get(key), value, key);
    expect(bn.toString()).toBe(
      'BatchNorm2d(2, eps=1e-05, momentum=None, affine=True, track_running_stats=True)',
    );
  });
});

describe('F.batchNorm', () => {
  it('uses the running statistics by default, as torch.nn.functional.batch_norm', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 6],
      ],
      { dtype: 'float32' },
    );
    const mean = tensor([1, 2], { dtype: 'float32' });
    const variance = tensor([4, 16], { dtype: 'float32' });
    const y = nn.F.batchNorm(x, mean, variance, { eps: 0 });
    // (x - mean) / sqrt(var): [[0, 0], [1, 1]]
    expect(y.toArraySync()).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });
});
