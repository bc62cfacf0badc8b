// Conformance cases: reductions. Each op is checked over a dim, a list of dims, all dims,
// negative dims, keepdim and strided views against PyTorch's values and gradients
// (reference/reduce.ts) and against finite differences; ties, zeros, empty and 0-d inputs,
// infinities and NaN against hand-derived expectations.

import type { Backend } from '../../backend.js';
import type { ValuesIndices } from '../../index.js';
import { type Tensor, tensor } from '../../index.js';
import { assertClose, assertThrows, expectDType, expectValues, type Tolerance } from '../assert.js';
import { type ConformanceCase, checkGradients, defineCases } from '../conformance.js';
import {
  MASK,
  type ReduceArgs,
  type ReduceOp,
  type ReduceReference,
  type ReduceView,
  reduceReference,
  weights,
  X,
} from './reference/reduce.js';

/** Sums, products and extremes: float32 rounding of a few dozen terms explains any difference. */
const SIMPLE: Tolerance = { rtol: 1e-5, atol: 1e-6 };
/** Reductions through exp, log, sqrt or pow, which a GPU computes to a few ulps. */
const TRANSCENDENTAL: Tolerance = { rtol: 3e-5, atol: 1e-6 };

const X_SHAPE = [2, 3, 4];

const views: Record<ReduceView, (x: Tensor) => Tensor> = {
  contiguous: (x) => x,
  permuted: (x) => x.permute(2, 0, 1),
  strided: (x) => x.index(':, ::2, 1:'),
};

type Reduction = (x: Tensor, args: ReduceArgs) => Tensor | ValuesIndices;

const reductions: Record<ReduceOp, { fn: Reduction; tolerance: Tolerance }> = {
  sum: { fn: (x, a) => x.sum(a.dim, a.keepdim), tolerance: SIMPLE },
  mean: { fn: (x, a) => x.mean(a.dim, a.keepdim), tolerance: SIMPLE },
  prod: { fn: (x, a) => x.prod(a.dim, a.keepdim), tolerance: SIMPLE },
  amax: { fn: (x, a) => x.amax(a.dim, a.keepdim), tolerance: SIMPLE },
  amin: { fn: (x, a) => x.amin(a.dim, a.keepdim), tolerance: SIMPLE },
  logsumexp: { fn: (x, a) => x.logsumexp(a.dim!, a.keepdim), tolerance: TRANSCENDENTAL },
  var: { fn: (x, a) => x.var(a), tolerance: SIMPLE },
  std: { fn: (x, a) => x.std(a), tolerance: TRANSCENDENTAL },
  norm: { fn: (x, a) => x.norm(a.p, a.dim, a.keepdim), tolerance: TRANSCENDENTAL },
  max: { fn: (x, a) => x.max(a.dim as number, a.keepdim), tolerance: SIMPLE },
  min: { fn: (x, a) => x.min(a.dim as number, a.keepdim), tolerance: SIMPLE },
  argmax: { fn: (x, a) => x.argmax(a.dim as number | undefined, a.keepdim), tolerance: SIMPLE },
  argmin: { fn: (x, a) => x.argmin(a.dim as number | undefined, a.keepdim), tolerance: SIMPLE },
  cumsum: { fn: (x, a) => x.cumsum(a.dim as number), tolerance: SIMPLE },
  all: { fn: (x, a) => x.all(a.dim, a.keepdim), tolerance: SIMPLE },
  any: { fn: (x, a) => x.any(a.dim, a.keepdim), tolerance: SIMPLE },
};

const INDEX_OPS: readonly ReduceOp[] = ['argmax', 'argmin'];
const LOGICAL_OPS: readonly ReduceOp[] = ['all', 'any'];

function describe(op: ReduceOp, entry: ReduceReference): string {
  return `${op}(${JSON.stringify(entry.args)}) of the ${entry.view} input`;
}

function valuesOf(result: Tensor | ValuesIndices): Tensor {
  return 'values' in result ? result.values : result;
}

function float32(values: NestedNumbers, device: Backend, requiresGrad = false): Tensor {
  return tensor(values, { device, dtype: 'float32', requiresGrad });
}

type NestedNumbers = number | NestedNumbers[];

function referenceCases(): Record<string, (device: Backend) => Promise<void>> {
  const cases: Record<string, (device: Backend) => Promise<void>> = {};
  for (const [op, { fn, tolerance }] of Object.entries(reductions) as [
    ReduceOp,
    (typeof reductions)[ReduceOp],
  ][]) {
    const entries = reduceReference[op];
    const logical = LOGICAL_OPS.includes(op);
    const differentiable = !logical && !INDEX_OPS.includes(op);
    cases[
      `${op} matches PyTorch over dims, keepdim and strided views${differentiable ? ' (values and gradients)' : ''}`
    ] = async (device) => {
      for (const entry of entries) {
        const what = describe(op, entry);
        const base = logical
          ? tensor([...MASK], { device, dtype: 'bool' }).reshape(X_SHAPE)
          : tensor([...X], { device, dtype: 'float32' })
              .reshape(X_SHAPE)
              .requiresGrad_(differentiable);
        const result = fn(views[entry.view](base), entry.args);
        const y = valuesOf(result);
        expectDType(y, logical ? 'bool' : INDEX_OPS.includes(op) ? 'int32' : 'float32', what);
        await expectValues(y, entry.shape, entry.values, tolerance, `${what}: values`);
        if ('indices' in result && entry.indices) {
          expectDType(result.indices, 'int32', `${what}: indices`);
          await expectValues(
            result.indices,
            entry.shape,
            entry.indices,
            SIMPLE,
            `${what}: indices`,
          );
        }
        if (differentiable && entry.grad) {
          const w = tensor(weights(y.numel()), { device, dtype: 'float32' }).reshape(y.shape);
          y.mul(w).sum().backward();
          await expectValues(base.grad!, X_SHAPE, entry.grad, tolerance, `${what}: gradient`);
        }
      }
    };
    if (differentiable) {
      cases[`${op} gradients match finite differences`] = async (device) => {
        for (const entry of entries) {
          await checkGradients(device, (x) => valuesOf(fn(views[entry.view](x), entry.args)), [
            { values: X, shape: X_SHAPE },
          ]);
        }
      };
    }
  }
  return cases;
}

const dtypeCases = {
  'sum of bool and int32 gives int32; float64 stays float64': async (device: Backend) => {
    const b = tensor(
      [
        [true, false, true],
        [true, true, false],
      ],
      { device },
    );
    expectDType(b.sum(), 'int32', 'sum of bool');
    await assertClose(b.sum(1), [2, 2]);
    const i = tensor(
      [
        [1, -2, 3],
        [4, 5, -6],
      ],
      { device, dtype: 'int32' },
    );
    expectDType(i.sum(0), 'int32', 'sum of int32');
    await assertClose(i.sum(0), [5, 3, -3]);
    await assertClose(i.prod(1), [-6, -120]);
    expectDType(i.amax(1), 'int32', 'amax of int32');
    await assertClose(i.amax(1), [3, 5]);
    await assertClose(b.cumsum(1), [
      [1, 1, 2],
      [1, 2, 2],
    ]);
    expectDType(b.cumsum(1), 'int32', 'cumsum of bool');
    // float64 is CPU-only (WGSL has no f64): checked on the CPU whatever the device.
    const d = tensor([0.1, 0.2, 0.3], { device: 'cpu', dtype: 'float64' });
    expectDType(d.sum(), 'float64', 'sum of float64');
    expectDType(d.mean(), 'float64', 'mean of float64');
    expectDType(d.var(), 'float64', 'var of float64');
    expectDType(d.norm(), 'float64', 'norm of float64');
    await assertClose(d.sum(), 0.1 + 0.2 + 0.3, { rtol: 1e-15, atol: 0 });
  },
  'mean of an integer tensor throws, naming the dtype': async (device: Backend) => {
    const i = tensor([1, 2, 3], { device, dtype: 'int32' });
    assertThrows(() => i.mean(), /mean\(\).*int32/, 'mean of int32');
  },
  'bad dims throw: out of range, repeated': async (device: Backend) => {
    const x = float32(
      [
        [1, 2],
        [3, 4],
      ],
      device,
    );
    assertThrows(() => x.sum(2), /dimension out of range.*got 2/, 'sum(2) of a 2-d tensor');
    assertThrows(() => x.amax(-3), /dimension out of range/, 'amax(-3) of a 2-d tensor');
    assertThrows(() => x.sum([0, -2]), /appears multiple times/, 'sum([0, -2])');
    assertThrows(() => x.cumsum(2), /dimension out of range/, 'cumsum(2)');
    assertThrows(() => x.max(5), /dimension out of range/, 'max(5)');
  },
};

const emptyCases = {
  'reductions of a [0, 3] tensor: sum 0, prod 1, mean NaN, any false, all true': async (
    device: Backend,
  ) => {
    const e = tensor([], { device, dtype: 'float32' }).reshape(0, 3);
    await assertClose(e.sum(), 0);
    await assertClose(e.sum(0), [0, 0, 0]);
    await expectValues(e.sum(1), [0], [], SIMPLE, 'sum(1) of [0, 3]');
    await expectValues(e.sum(0, true), [1, 3], [0, 0, 0], SIMPLE, 'sum(0, keepdim) of [0, 3]');
    await assertClose(e.prod(0), [1, 1, 1]);
    await assertClose(e.mean(0), [NaN, NaN, NaN]);
    await assertClose(e.var(0), [NaN, NaN, NaN]);
    await assertClose(e.norm(), 0);
    await expectValues(e.cumsum(0), [0, 3], [], SIMPLE, 'cumsum(0) of [0, 3]');
    await assertClose(e.any(), false);
    await assertClose(e.all(), true);
    await assertClose(e.all(0), [true, true, true]);
    await expectValues(e.amax(1), [0], [], SIMPLE, 'amax(1) of [0, 3]');
    await assertClose(e.logsumexp(0), [-Infinity, -Infinity, -Infinity]);
    await assertClose(e.logsumexp([0, 1]), -Infinity);
  },
  'max, min and argmax of an empty tensor throw clearly': async (device: Backend) => {
    const e = tensor([], { device, dtype: 'float32' }).reshape(0, 3);
    assertThrows(() => e.max(), /max\(\).*nonzero size.*\[0, 3\]/, 'max() of [0, 3]');
    assertThrows(() => e.amin(0), /amin\(\).*nonzero size/, 'amin(0) of [0, 3]');
    assertThrows(() => e.argmax(), /argmax\(\).*nonzero size/, 'argmax() of [0, 3]');
    assertThrows(() => e.max(0), /nonzero size/, 'max(0) of [0, 3]');
  },
  'the gradient of sum over an empty tensor is empty': async (device: Backend) => {
    const e = tensor([], { device, dtype: 'float32' }).reshape(0, 3).requiresGrad_(true);
    e.sum().backward();
    await expectValues(e.grad!, [0, 3], [], SIMPLE, 'gradient of sum of [0, 3]');
  },
};

const zeroDimCases = {
  'reductions of a 0-d tensor give a 0-d tensor (dims 0 and -1 allowed)': async (
    device: Backend,
  ) => {
    const s = float32(2.5, device, true);
    for (const [name, y] of [
      ['sum()', s.sum()],
      ['sum(0)', s.sum(0)],
      ['sum(-1)', s.sum(-1)],
      ['mean(0)', s.mean(0)],
      ['prod(0)', s.prod(0)],
      ['amax()', s.amax()],
      ['max()', s.max()],
      ['logsumexp(0)', s.logsumexp(0)],
      ['norm()', s.norm()],
      ['cumsum(0)', s.cumsum(0)],
    ] as const) {
      await expectValues(y, [], [2.5], SIMPLE, `${name} of a 0-d tensor`);
    }
    const { values, indices } = s.max(0);
    await expectValues(values, [], [2.5], SIMPLE, 'max(0) values of a 0-d tensor');
    await expectValues(indices, [], [0], SIMPLE, 'max(0) indices of a 0-d tensor');
    await expectValues(s.argmax(), [], [0], SIMPLE, 'argmax() of a 0-d tensor');
    await expectValues(s.amax(0, true), [], [2.5], SIMPLE, 'amax(0, keepdim) of a 0-d tensor');
    await assertClose(s.var(), NaN);
    await assertClose(s.std(undefined, { unbiased: false }), 0);
    s.sum().add(s.cumsum(0).mul(2)).backward();
    await assertClose(s.grad!, 3);
    assertThrows(() => s.sum(1), /dimension out of range/, 'sum(1) of a 0-d tensor');
  },
};

const gradientRuleCases = {
  'prod gradient with zeros: the product of the others where one zero, else 0': async (
    device: Backend,
  ) => {
    const x = float32(
      [
        [1, 0, 3],
        [0, 2, 0],
        [2, 3, 4],
      ],
      device,
      true,
    );
    x.prod(1).sum().backward();
    await assertClose(x.grad!, [
      [0, 3, 0],
      [0, 0, 0],
      [12, 8, 6],
    ]);
    const y = float32(
      [
        [1, 0, 3],
        [2, 2, 5],
        [2, 3, 4],
      ],
      device,
      true,
    );
    y.prod().backward();
    await assertClose(y.grad!, [
      [0, 1440, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const z = float32(
      [
        [1, 0, 3],
        [0, 2, 0],
      ],
      device,
      true,
    );
    z.prod().backward();
    await assertClose(z.grad!, [
      [0, 0, 0],
      [0, 0, 0],
    ]);
  },
  'amax and amin split the gradient evenly among ties': async (device: Backend) => {
    const x = float32(
      [
        [1, 3, 3],
        [2, 2, 2],
      ],
      device,
      true,
    );
    const y = x.amax(1);
    await assertClose(y, [3, 2]);
    y.sum().backward();
    await assertClose(x.grad!, [
      [0, 0.5, 0.5],
      [1 / 3, 1 / 3, 1 / 3],
    ]);
    const z = float32(
      [
        [1, 1, 3],
        [5, -2, -2],
      ],
      device,
      true,
    );
    z.amin(-1, true).backward(float32([[2], [3]], device));
    await assertClose(z.grad!, [
      [1, 1, 0],
      [0, 1.5, 1.5],
    ]);
    // max() over all elements is amax: ties split too (PyTorch's max() does the same).
    const w = float32(
      [
        [1, 3, 3],
        [2, 2, 2],
      ],
      device,
      true,
    );
    w.max().backward();
    await assertClose(w.grad!, [
      [0, 0.5, 0.5],
      [0, 0, 0],
    ]);
  },
  'max and min along a dim pick the first index on ties, and its gradient': async (
    device: Backend,
  ) => {
    const x = float32(
      [
        [1, 3, 3],
        [2, 2, 2],
      ],
      device,
      true,
    );
    const { values, indices } = x.max(1);
    await assertClose(values, [3, 2]);
    await assertClose(indices, [1, 0]);
    values.sum().backward();
    await assertClose(x.grad!, [
      [0, 1, 0],
      [1, 0, 0],
    ]);
    const m = x.detach().min(0, true);
    await assertClose(m.values, [[1, 2, 2]]);
    await assertClose(m.indices, [[0, 1, 1]]);
    await assertClose(x.argmax(1), [1, 0]);
    await assertClose(x.argmin(0), [0, 1, 1]);
    await assertClose(
      float32(
        [
          [1, 2],
          [4, 4],
        ],
        device,
      ).argmax(undefined, true),
      [[2]],
    );
  },
  'norm gradients at a zero vector are 0 for p = 1, 2, inf and 3': async (device: Backend) => {
    for (const p of [1, 2, Infinity, 3]) {
      const x = float32(
        [
          [0, 0, 0],
          [3, -4, 0],
        ],
        device,
        true,
      );
      const n = x.norm(p, 1);
      const expected =
        p === 1 ? [0, 7] : p === 2 ? [0, 5] : p === Infinity ? [0, 4] : [0, Math.cbrt(91)];
      await assertClose(n, expected, TRANSCENDENTAL, `norm(${p}, 1)`);
      n.sum().backward();
      const row: number[] =
        p === 1
          ? [1, -1, 0]
          : p === 2
            ? [0.6, -0.8, 0]
            : p === Infinity
              ? [0, -1, 0]
              : [9 / Math.cbrt(91) ** 2, -16 / Math.cbrt(91) ** 2, 0];
      await assertClose(x.grad!, [[0, 0, 0], row], TRANSCENDENTAL, `gradient of norm(${p}, 1)`);
    }
    const z = float32([0, 0, 0], device, true);
    z.norm().backward();
    await assertClose(z.grad!, [0, 0, 0]);
  },
  'the inf-norm splits its gradient among ties of |x|': async (device: Backend) => {
    const x = float32([3, -3, 1], device, true);
    x.norm(Infinity).backward();
    await assertClose(x.grad!, [0.5, -0.5, 0]);
  },
  'std and var of a constant have gradient 0; of one element, NaN unless correction is 0': async (
    device: Backend,
  ) => {
    const x = float32(
      [
        [2, 2, 2],
        [1, 2, 3],
      ],
      device,
      true,
    );
    const s = x.std(1);
    await assertClose(s, [0, 1]);
    s.sum().backward();
    await assertClose(x.grad!, [
      [0, 0, 0],
      [-0.5, 0, 0.5],
    ]);
    const v = float32([[2, 2, 2]], device, true);
    v.var(1).sum().backward();
    await assertClose(v.grad!, [[0, 0, 0]]);
    const one = float32([5], device);
    await assertClose(one.var(), NaN);
    await assertClose(one.std(), NaN);
    await assertClose(one.var(0, { correction: 0 }), 0);
    await assertClose(
      float32([1, 2, 3, 4], device).var(0, { correction: 0, keepdim: true }),
      [1.25],
    );
    await assertClose(float32([1, 2, 3, 4], device).var(undefined, { unbiased: true }), 5 / 3);
  },
  'cumsum gradient is the reversed cumulative sum, along any dim': async (device: Backend) => {
    const x = float32(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      device,
      true,
    );
    const y = x.cumsum(1);
    await assertClose(y, [
      [1, 3, 6],
      [4, 9, 15],
    ]);
    y.backward(
      float32(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        device,
      ),
    );
    await assertClose(x.grad!, [
      [6, 5, 3],
      [15, 11, 6],
    ]);
    const t = float32(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      device,
      true,
    );
    const z = t.t().cumsum(-1);
    await assertClose(z, [
      [1, 5],
      [2, 7],
      [3, 9],
    ]);
    z.backward(
      float32(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        device,
      ),
    );
    await assertClose(t.grad!, [
      [3, 7, 11],
      [2, 4, 6],
    ]);
  },
  'mean gradient divides by the count of reduced elements': async (device: Backend) => {
    const x = float32(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      device,
      true,
    );
    const y = x.mean([0, 1], true);
    await assertClose(y, [[3.5]]);
    y.backward(float32([[6]], device));
    await assertClose(x.grad!, [
      [1, 1, 1],
      [1, 1, 1],
    ]);
  },
};

const specialValueCases = {
  'logsumexp stays finite for large values and handles infinities': async (device: Backend) => {
    const x = float32(
      [
        [1000, 1000, 999],
        [-1000, -1000, -1001],
      ],
      device,
    );
    await assertClose(
      x.logsumexp(1),
      [1000 + Math.log(2 + Math.exp(-1)), -1000 + Math.log(2 + Math.exp(-1))],
      SIMPLE,
    );
    const inf = float32(
      [
        [-Infinity, -Infinity],
        [-Infinity, 0],
        [Infinity, 1],
      ],
      device,
    );
    await assertClose(inf.logsumexp(1), [-Infinity, 0, Infinity]);
    const g = float32([-Infinity, 0, 0], device, true);
    g.logsumexp(0).backward();
    await assertClose(g.grad!, [0, 0.5, 0.5]);
    const big = float32([1000, 1000], device, true);
    big.logsumexp(-1).backward();
    await assertClose(big.grad!, [0.5, 0.5]);
  },
  'max, min, amax and argmax propagate NaN': async (device: Backend) => {
    const x = float32(
      [
        [1, NaN, 3],
        [4, 5, 6],
      ],
      device,
    );
    await assertClose(x.amax(1), [NaN, 6]);
    await assertClose(x.amin(1), [NaN, 4]);
    await assertClose(x.max(), NaN);
    const { values, indices } = x.max(1);
    await assertClose(values, [NaN, 6]);
    await assertClose(indices, [1, 2]);
    await assertClose(x.argmin(1), [1, 0]);
    await assertClose(x.sum(1), [NaN, 15]);
  },
  'all and any of floats and ints: nonzero (NaN included) is true': async (device: Backend) => {
    const x = float32(
      [
        [0, NaN],
        [0, 0],
        [-1, 2],
      ],
      device,
    );
    await assertClose(x.all(1), [false, false, true]);
    await assertClose(x.any(1), [true, false, true]);
    await assertClose(x.any(), true);
    await assertClose(x.all(), false);
    const i = tensor(
      [
        [3, -1],
        [0, 5],
      ],
      { device, dtype: 'int32' },
    );
    await assertClose(i.all(0, true), [[false, true]]);
    expectDType(i.any(), 'bool', 'any of int32');
  },
  'sums with infinities': async (device: Backend) => {
    const x = float32(
      [
        [Infinity, 1],
        [Infinity, -Infinity],
        [-Infinity, 2],
      ],
      device,
    );
    await assertClose(x.sum(1), [Infinity, NaN, -Infinity]);
    await assertClose(x.cumsum(0), [
      [Infinity, 1],
      [Infinity, -Infinity],
      [NaN, -Infinity],
    ]);
  },
};

export const reduceCases: ConformanceCase[] = defineCases('reduce', {
  ...referenceCases(),
  ...dtypeCases,
  ...emptyCases,
  ...zeroDimCases,
  ...gradientRuleCases,
  ...specialValueCases,
});
