// Conformance cases: elementwise ops. Unary and binary ops (tensor and scalar operands) are
// checked against PyTorch's values and gradients (reference/elementwise.ts) and against finite
// differences; comparisons, logical ops, where, dtype promotion, broadcasting, strided
// inputs, 0-d and size-0 tensors and special values against hand-derived expectations.

import type { Backend } from '../../backend.js';
import { type Tensor, tensor, where } from '../../index.js';
import { assertClose, assertThrows, expectDType, expectValues, type Tolerance } from '../assert.js';
import { type ConformanceCase, checkGradients, defineCases } from '../conformance.js';
import {
  type BinaryName,
  binaryReference,
  float64Reference,
  type IntegerName,
  integerReference,
  type ScalarName,
  scalarReference,
  type UnaryName,
  unaryReference,
  weights,
} from './reference/elementwise.js';

/** Exact or correctly rounded ops: float32 rounding of the result explains any difference. */
const SIMPLE: Tolerance = { rtol: 1e-5, atol: 1e-6 };
/** Transcendental functions, which a GPU computes to a few ulps. */
const TRANSCENDENTAL: Tolerance = { rtol: 3e-5, atol: 1e-6 };
/** log1p and expm1 exist for their relative accuracy near 0, so there is no absolute slack. */
const NEAR_ZERO: Tolerance = { rtol: 3e-5, atol: 1e-12 };
/** float64 results: a few ulps, more where a function cancels (gelu for negative x). */
const FLOAT64: Tolerance = { rtol: 1e-12, atol: 1e-15 };
/** float64 is CPU-only (WGSL has no f64), so cases about it run on the CPU whatever the device. */
const FLOAT64_DEVICE = 'cpu';

type UnaryFn = (x: Tensor) => Tensor;

const unaryOps: Record<UnaryName, { fn: UnaryFn; tolerance: Tolerance }> = {
  neg: { fn: (x) => x.neg(), tolerance: SIMPLE },
  abs: { fn: (x) => x.abs(), tolerance: SIMPLE },
  exp: { fn: (x) => x.exp(), tolerance: TRANSCENDENTAL },
  log: { fn: (x) => x.log(), tolerance: TRANSCENDENTAL },
  log1p: { fn: (x) => x.log1p(), tolerance: NEAR_ZERO },
  expm1: { fn: (x) => x.expm1(), tolerance: NEAR_ZERO },
  sqrt: { fn: (x) => x.sqrt(), tolerance: SIMPLE },
  rsqrt: { fn: (x) => x.rsqrt(), tolerance: TRANSCENDENTAL },
  sin: { fn: (x) => x.sin(), tolerance: TRANSCENDENTAL },
  cos: { fn: (x) => x.cos(), tolerance: TRANSCENDENTAL },
  tan: { fn: (x) => x.tan(), tolerance: TRANSCENDENTAL },
  tanh: { fn: (x) => x.tanh(), tolerance: TRANSCENDENTAL },
  sigmoid: { fn: (x) => x.sigmoid(), tolerance: TRANSCENDENTAL },
  relu: { fn: (x) => x.relu(), tolerance: SIMPLE },
  gelu: { fn: (x) => x.gelu(), tolerance: TRANSCENDENTAL },
  "gelu approximate 'tanh'": {
    fn: (x) => x.gelu({ approximate: 'tanh' }),
    tolerance: TRANSCENDENTAL,
  },
  silu: { fn: (x) => x.silu(), tolerance: TRANSCENDENTAL },
  softplus: { fn: (x) => x.softplus(), tolerance: TRANSCENDENTAL },
  'softplus beta 2 threshold 1': {
    fn: (x) => x.softplus({ beta: 2, threshold: 1 }),
    tolerance: TRANSCENDENTAL,
  },
  leakyRelu: { fn: (x) => x.leakyRelu(), tolerance: SIMPLE },
  'leakyRelu 0.2': { fn: (x) => x.leakyRelu(0.2), tolerance: SIMPLE },
  elu: { fn: (x) => x.elu(), tolerance: TRANSCENDENTAL },
  'elu alpha 0.5': { fn: (x) => x.elu(0.5), tolerance: TRANSCENDENTAL },
  mish: { fn: (x) => x.mish(), tolerance: TRANSCENDENTAL },
  hardtanh: { fn: (x) => x.hardtanh(), tolerance: SIMPLE },
  'hardtanh -2 2': { fn: (x) => x.hardtanh(-2, 2), tolerance: SIMPLE },
  erf: { fn: (x) => x.erf(), tolerance: TRANSCENDENTAL },
  sign: { fn: (x) => x.sign(), tolerance: SIMPLE },
  floor: { fn: (x) => x.floor(), tolerance: SIMPLE },
  ceil: { fn: (x) => x.ceil(), tolerance: SIMPLE },
  round: { fn: (x) => x.round(), tolerance: SIMPLE },
  trunc: { fn: (x) => x.trunc(), tolerance: SIMPLE },
  reciprocal: { fn: (x) => x.reciprocal(), tolerance: SIMPLE },
  square: { fn: (x) => x.square(), tolerance: SIMPLE },
  'pow 2': { fn: (x) => x.pow(2), tolerance: SIMPLE },
  'pow 3': { fn: (x) => x.pow(3), tolerance: SIMPLE },
  'pow 0': { fn: (x) => x.pow(0), tolerance: SIMPLE },
  'pow -2': { fn: (x) => x.pow(-2), tolerance: TRANSCENDENTAL },
  'pow 0.5': { fn: (x) => x.pow(0.5), tolerance: TRANSCENDENTAL },
  'pow 1.5': { fn: (x) => x.pow(1.5), tolerance: TRANSCENDENTAL },
  'clamp min 0.5': { fn: (x) => x.clamp(0.5), tolerance: SIMPLE },
  'clamp max -0.5': { fn: (x) => x.clamp(null, -0.5), tolerance: SIMPLE },
  'clamp -1 2.5': { fn: (x) => x.clamp(-1, 2.5), tolerance: SIMPLE },
};

type BinaryFn = (a: Tensor, b: Tensor) => Tensor;

const binaryOps: Record<BinaryName, { fn: BinaryFn; tolerance: Tolerance }> = {
  add: { fn: (a, b) => a.add(b), tolerance: SIMPLE },
  'add alpha 2': { fn: (a, b) => a.add(b, { alpha: 2 }), tolerance: SIMPLE },
  sub: { fn: (a, b) => a.sub(b), tolerance: SIMPLE },
  'sub alpha -0.5': { fn: (a, b) => a.sub(b, { alpha: -0.5 }), tolerance: SIMPLE },
  mul: { fn: (a, b) => a.mul(b), tolerance: SIMPLE },
  div: { fn: (a, b) => a.div(b), tolerance: SIMPLE },
  "div roundingMode 'trunc'": {
    fn: (a, b) => a.div(b, { roundingMode: 'trunc' }),
    tolerance: SIMPLE,
  },
  "div roundingMode 'floor'": {
    fn: (a, b) => a.div(b, { roundingMode: 'floor' }),
    tolerance: SIMPLE,
  },
  remainder: { fn: (a, b) => a.remainder(b), tolerance: SIMPLE },
  pow: { fn: (a, b) => a.pow(b), tolerance: TRANSCENDENTAL },
  'pow of negative bases to integer exponents': { fn: (a, b) => a.pow(b), tolerance: SIMPLE },
  maximum: { fn: (a, b) => a.maximum(b), tolerance: SIMPLE },
  minimum: { fn: (a, b) => a.minimum(b), tolerance: SIMPLE },
  atan2: { fn: (a, b) => a.atan2(b), tolerance: TRANSCENDENTAL },
};

type ScalarFn = (a: Tensor, scalar: number) => Tensor;

const scalarOps: Record<ScalarName, ScalarFn> = {
  'add 2.5': (a, s) => a.add(s),
  'add -3 alpha 0.5': (a, s) => a.add(s, { alpha: 0.5 }),
  'sub 0.75': (a, s) => a.sub(s),
  'sub 2 alpha -1.5': (a, s) => a.sub(s, { alpha: -1.5 }),
  'mul -3': (a, s) => a.mul(s),
  'div 4': (a, s) => a.div(s),
  'div -0.3': (a, s) => a.div(s),
  "div -1.5 roundingMode 'trunc'": (a, s) => a.div(s, { roundingMode: 'trunc' }),
  "div -1.5 roundingMode 'floor'": (a, s) => a.div(s, { roundingMode: 'floor' }),
  "div 2 roundingMode 'floor'": (a, s) => a.div(s, { roundingMode: 'floor' }),
  'remainder 1.5': (a, s) => a.remainder(s),
  'remainder -1.5': (a, s) => a.remainder(s),
};

const integerOps: Record<IntegerName, (a: Tensor, b: Tensor | number) => Tensor> = {
  'int32 div int32 (true division gives float32)': (a, b) => a.div(b),
  "int32 div int32 roundingMode 'trunc'": (a, b) => a.div(b, { roundingMode: 'trunc' }),
  "int32 div int32 roundingMode 'floor'": (a, b) => a.div(b, { roundingMode: 'floor' }),
  'int32 remainder int32': (a, b) => a.remainder(b),
  "int32 div -4 roundingMode 'floor'": (a, b) => a.div(b, { roundingMode: 'floor' }),
  "int32 div 3 roundingMode 'trunc'": (a, b) => a.div(b, { roundingMode: 'trunc' }),
  'int32 remainder -3': (a, b) => a.remainder(b),
  'int32 mul 2.5 (float scalar gives float32)': (a, b) => a.mul(b),
  'int32 add 3 (int scalar stays int32)': (a, b) => a.add(b),
  'int32 maximum int32': (a, b) => a.maximum(b as Tensor),
};

/** A float32 tensor of `shape` on `device` holding `values`, requiring grad when asked. */
function input(
  values: readonly number[],
  shape: readonly number[],
  device: Backend,
  requiresGrad = false,
): Tensor {
  return tensor([...values], { device, dtype: 'float32' })
    .reshape(shape)
    .requiresGrad_(requiresGrad);
}

/** Back-propagates (y * weights).sum(), as the reference script does. */
function backwardWeighted(y: Tensor, device: Backend): void {
  y.mul(input(weights(y.numel()), y.shape, device))
    .sum()
    .backward();
}

function unaryCases(): Record<string, (device: Backend) => Promise<void>> {
  const cases: Record<string, (device: Backend) => Promise<void>> = {};
  for (const [name, { fn, tolerance }] of Object.entries(unaryOps) as [
    UnaryName,
    (typeof unaryOps)[UnaryName],
  ][]) {
    const ref = unaryReference[name];
    cases[`${name} matches PyTorch (values and gradient)`] = async (device) => {
      const x = input(ref.input, ref.shape, device, true);
      const y = fn(x);
      expectDType(y, 'float32', name);
      await expectValues(y, ref.shape, ref.output, tolerance, `${name} values`);
      backwardWeighted(y, device);
      await expectValues(x.grad!, ref.shape, ref.grad, tolerance, `${name} gradient`);
    };
    cases[`${name} gradient matches finite differences`] = async (device) => {
      await checkGradients(device, fn, [{ values: ref.smooth, shape: ref.shape }]);
    };
  }
  return cases;
}

function binaryCases(): Record<string, (device: Backend) => Promise<void>> {
  const cases: Record<string, (device: Backend) => Promise<void>> = {};
  for (const [name, { fn, tolerance }] of Object.entries(binaryOps) as [
    BinaryName,
    (typeof binaryOps)[BinaryName],
  ][]) {
    const ref = binaryReference[name];
    cases[`${name} of tensors matches PyTorch (values and gradients)`] = async (device) => {
      const a = input(ref.a, ref.shape, device, true);
      const b = input(ref.b, ref.shape, device, ref.gradB !== null);
      const y = fn(a, b);
      expectDType(y, 'float32', name);
      await expectValues(y, ref.shape, ref.output, tolerance, `${name} values`);
      backwardWeighted(y, device);
      await expectValues(a.grad!, ref.shape, ref.gradA, tolerance, `${name} gradient of a`);
      if (ref.gradB)
        await expectValues(b.grad!, ref.shape, ref.gradB, tolerance, `${name} gradient of b`);
    };
    cases[`${name} of tensors: gradients match finite differences`] = async (device) => {
      await checkGradients(device, fn, [
        { values: ref.smoothA, shape: ref.shape },
        { values: ref.smoothB, shape: ref.shape, grad: ref.gradB !== null },
      ]);
    };
  }
  for (const [name, fn] of Object.entries(scalarOps) as [ScalarName, ScalarFn][]) {
    const ref = scalarReference[name];
    cases[`${name} (tensor and scalar) matches PyTorch (values and gradient)`] = async (device) => {
      const a = input(ref.a, ref.shape, device, true);
      const y = fn(a, ref.scalar);
      expectDType(y, 'float32', name);
      await expectValues(y, ref.shape, ref.output, SIMPLE, `${name} values`);
      backwardWeighted(y, device);
      await expectValues(a.grad!, ref.shape, ref.gradA, SIMPLE, `${name} gradient`);
      await checkGradients(device, (t) => fn(t, ref.scalar), [
        { values: ref.smoothA, shape: ref.shape },
      ]);
    };
  }
  for (const [name, fn] of Object.entries(integerOps) as [
    IntegerName,
    (typeof integerOps)[IntegerName],
  ][]) {
    const ref = integerReference[name];
    cases[`${name} matches PyTorch`] = async (device) => {
      const a = tensor([...ref.a], { device, dtype: 'int32' });
      const b = typeof ref.b === 'number' ? ref.b : tensor([...ref.b], { device, dtype: 'int32' });
      const y = fn(a, b);
      expectDType(y, ref.dtype, name);
      await expectValues(y, [ref.a.length], ref.output, SIMPLE, name);
    };
  }
  return cases;
}

const broadcastingCases = {
  'add broadcasts [2, 3] with [3] (gradient of b sums the rows)': async (device: Backend) => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device, dtype: 'float32', requiresGrad: true },
    );
    const b = tensor([10, 20, 30], { device, dtype: 'float32', requiresGrad: true });
    const y = a.add(b);
    await assertClose(y, [
      [11, 22, 33],
      [14, 25, 36],
    ]);
    y.backward(
      tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { device, dtype: 'float32' },
      ),
    );
    await assertClose(a.grad!, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await assertClose(b.grad!, [5, 7, 9]);
  },
  'mul broadcasts [2, 1] with [1, 3] to [2, 3]': async (device: Backend) => {
    const a = tensor([[2], [-3]], { device, dtype: 'float32', requiresGrad: true });
    const b = tensor([[1, 10, 100]], { device, dtype: 'float32', requiresGrad: true });
    const y = a.mul(b);
    await assertClose(y, [
      [2, 20, 200],
      [-3, -30, -300],
    ]);
    y.sum().backward();
    await assertClose(a.grad!, [[111], [111]]);
    await assertClose(b.grad!, [[-1, -1, -1]]);
    await checkGradients(device, (p, q) => p.mul(q), [
      { values: [2, -3], shape: [2, 1] },
      { values: [1.5, -0.5, 2.5], shape: [1, 3] },
    ]);
  },
  'a 0-d tensor broadcasts with [2, 3] on either side': async (device: Backend) => {
    const s = tensor(2, { device, dtype: 'float32', requiresGrad: true });
    const m = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device, dtype: 'float32', requiresGrad: true },
    );
    await assertClose(s.sub(m), [
      [1, 0, -1],
      [-2, -3, -4],
    ]);
    await assertClose(m.div(s), [
      [0.5, 1, 1.5],
      [2, 2.5, 3],
    ]);
    s.sub(m).sum().backward();
    await assertClose(s.grad!, 6);
    await assertClose(m.grad!, [
      [-1, -1, -1],
      [-1, -1, -1],
    ]);
    await checkGradients(device, (p, q) => p.div(q), [
      { values: [1, 2, 3, 4, 5, 6], shape: [2, 3] },
      { values: [2], shape: [] },
    ]);
  },
  'ops on 0-d tensors give 0-d tensors': async (device: Backend) => {
    const a = tensor(3, { device, dtype: 'float32' });
    const b = tensor(-4, { device, dtype: 'float32' });
    const y = a.mul(b).add(1);
    if (y.ndim !== 0) throw new Error(`0-d * 0-d: shape [${y.shape.join(', ')}], expected []`);
    await assertClose(y, -11);
    await assertClose(a.exp(), Math.exp(3), TRANSCENDENTAL);
    await assertClose(a.gt(b), true);
  },
  'broadcasting over a size-0 dim gives size-0 results': async (device: Backend) => {
    const empty = tensor([], { device, dtype: 'float32' }).reshape(0, 3);
    const y = empty.add(tensor([1, 2, 3], { device, dtype: 'float32' }));
    await assertClose(y, Float32Array.from([]));
    if (y.shape.join(',') !== '0,3')
      throw new Error(`shape [${y.shape.join(', ')}], expected [0, 3]`);
    const z = empty.exp().mul(2).gt(0);
    if (z.shape.join(',') !== '0,3' || z.dtype !== 'bool') {
      throw new Error(`exp of [0, 3]: got ${z.dtype} [${z.shape.join(', ')}]`);
    }
  },
  'incompatible shapes throw, naming both shapes': async (device: Backend) => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    const b = tensor([1, 2], { device });
    assertThrows(() => a.add(b), /\[2, 3\].*\[2\]/, 'add of [2, 3] and [2]');
    assertThrows(() => a.where(b.gt(0), 0), /size of tensor/, 'where with mismatched shapes');
  },
};

const stridedCases = {
  'transposed inputs (x.t()) are read through their strides': async (device: Backend) => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device, dtype: 'float32', requiresGrad: true },
    );
    const y = tensor(
      [
        [10, 20],
        [30, 40],
        [50, 60],
      ],
      { device, dtype: 'float32' },
    );
    const z = x.t().mul(y).add(x.t());
    await assertClose(z, [
      [11, 84],
      [62, 205],
      [153, 366],
    ]);
    z.backward(
      tensor(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        { device, dtype: 'float32' },
      ),
    );
    // dz/dx.t() = y + 1, weighted and transposed back.
    await assertClose(x.grad!, [
      [11, 93, 255],
      [42, 164, 366],
    ]);
    await checkGradients(device, (p) => p.t().exp().mul(p.t()), [
      { values: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6], shape: [2, 3] },
    ]);
  },
  "sliced inputs (x.index('::2')) and offset views": async (device: Backend) => {
    const x = tensor(
      [
        [1, -2],
        [3, -4],
        [5, -6],
        [7, -8],
        [9, -10],
      ],
      {
        device,
        dtype: 'float32',
        requiresGrad: true,
      },
    );
    const even = x.index('::2');
    await assertClose(even.abs().add(x.index('1:4')), [
      [4, -2],
      [10, 0],
      [16, 2],
    ]);
    const column = x.index(':, 1');
    await assertClose(
      column.neg().sqrt(),
      [1, 2, 3, 4, 5].map((k) => Math.sqrt(2 * k)),
      SIMPLE,
    );
    even.square().sum().backward();
    await assertClose(x.grad!, [
      [2, -4],
      [0, 0],
      [10, -12],
      [0, 0],
      [18, -20],
    ]);
    await checkGradients(device, (p) => p.index('::2').mul(p.index('1::2').index(':2').sum(0)), [
      { values: [0.5, -1, 1.5, -2, 2.5, -3, 3.5, -4, 4.5, -5], shape: [5, 2] },
    ]);
  },
  'expanded inputs (stride 0) and permuted 3-d inputs': async (device: Backend) => {
    const row = tensor([[1, 2, 3]], { device, dtype: 'float32' }).expand(2, 3);
    const cube = tensor(
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      { device, dtype: 'float32' },
    );
    await assertClose(row.mul(tensor([[1], [-1]], { device, dtype: 'float32' })), [
      [1, 2, 3],
      [-1, -2, -3],
    ]);
    // permute(2, 0, 1)[i][j][k] = cube[j][k][i]
    await assertClose(cube.permute(2, 0, 1).sub(cube), [
      [
        [0, 1],
        [2, 3],
      ],
      [
        [-3, -2],
        [-1, 0],
      ],
    ]);
  },
};

const comparisonCases = {
  'eq ne lt le gt ge of tensors broadcast and give bool': async (device: Backend) => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device, dtype: 'float32' },
    );
    const b = tensor([2, 2, 7], { device, dtype: 'float32' });
    const expected: Record<string, boolean[][]> = {
      eq: [
        [false, true, false],
        [false, false, false],
      ],
      ne: [
        [true, false, true],
        [true, true, true],
      ],
      lt: [
        [true, false, true],
        [false, false, true],
      ],
      le: [
        [true, true, true],
        [false, false, true],
      ],
      gt: [
        [false, false, false],
        [true, true, false],
      ],
      ge: [
        [false, true, false],
        [true, true, false],
      ],
    };
    const ops: Record<string, (x: Tensor, y: Tensor | number) => Tensor> = {
      eq: (x, y) => x.eq(y),
      ne: (x, y) => x.ne(y),
      lt: (x, y) => x.lt(y),
      le: (x, y) => x.le(y),
      gt: (x, y) => x.gt(y),
      ge: (x, y) => x.ge(y),
    };
    for (const [name, op] of Object.entries(ops)) {
      const y = op(a, b);
      expectDType(y, 'bool', name);
      await assertClose(y, expected[name]!, SIMPLE, name);
    }
  },
  'comparisons with scalars, and of int32 with float scalars': async (device: Backend) => {
    const a = tensor([-1.5, 0, 2, 2.5], { device, dtype: 'float32' });
    await assertClose(a.eq(2), [false, false, true, false]);
    await assertClose(a.ne(0), [true, false, true, true]);
    await assertClose(a.lt(0), [true, false, false, false]);
    await assertClose(a.le(2), [true, true, true, false]);
    await assertClose(a.gt(-1.5), [false, true, true, true]);
    await assertClose(a.ge(2.5), [false, false, false, true]);
    const i = tensor([1, 2, 3], { device, dtype: 'int32' });
    await assertClose(i.lt(2.5), [true, true, false]);
    // The scalar becomes float32 (2.0000001 rounds to 2), as in PyTorch.
    await assertClose(i.eq(2.0000001), [false, true, false]);
    expectDType(i.ge(2), 'bool', 'int32 ge 2');
  },
  'a float32 tensor compares with a scalar rounded to float32, as PyTorch': async (
    device: Backend,
  ) => {
    const a = tensor([0.1, 0.2, 0.3], { device, dtype: 'float32' });
    await assertClose(a.eq(0.1), [true, false, false]);
    await assertClose(a.le(0.2), [true, true, false]);
    await assertClose(a.gt(0.3), [false, false, false]);
  },
  'comparisons with NaN are false except ne': async (device: Backend) => {
    const a = tensor([NaN, 1, NaN], { device, dtype: 'float32' });
    const b = tensor([NaN, NaN, 1], { device, dtype: 'float32' });
    await assertClose(a.eq(b), [false, false, false]);
    await assertClose(a.ne(b), [true, true, true]);
    await assertClose(a.lt(b), [false, false, false]);
    await assertClose(a.ge(b), [false, false, false]);
    await assertClose(a.eq(a), [false, true, false]);
  },
  'comparisons do not require grad': async (device: Backend) => {
    const a = tensor([1, 2], { device, dtype: 'float32', requiresGrad: true });
    if (a.gt(1).requiresGrad) throw new Error('gt of a tensor that requires grad requires grad');
  },
  'logicalAnd, logicalOr, logicalXor and logicalNot': async (device: Backend) => {
    const p = tensor([true, true, false, false], { device });
    const q = tensor([true, false, true, false], { device });
    await assertClose(p.logicalAnd(q), [true, false, false, false]);
    await assertClose(p.logicalOr(q), [true, true, true, false]);
    await assertClose(p.logicalXor(q), [false, true, true, false]);
    await assertClose(p.logicalNot(), [false, false, true, true]);
    // Any nonzero value (NaN included) is true; the result is bool.
    const x = tensor([0, -2, NaN, 0.5], { device, dtype: 'float32' });
    const y = x.logicalAnd(tensor([3, 0, 1, 1], { device, dtype: 'int32' }));
    expectDType(y, 'bool', 'logicalAnd of float32 and int32');
    await assertClose(y, [false, false, true, true]);
    await assertClose(x.logicalNot(), [true, false, false, false]);
    await assertClose(x.logicalOr(0), [false, true, true, true]);
    await assertClose(x.logicalXor(true), [true, false, false, false]);
    // Broadcast: [2, 1] with [2].
    const col = tensor([[true], [false]], { device });
    await assertClose(col.logicalOr(tensor([false, true], { device })), [
      [true, true],
      [false, true],
    ]);
  },
};

const whereCases = {
  'where picks from tensors, broadcasting all three, with gradients': async (device: Backend) => {
    const condition = tensor(
      [
        [true, false, true],
        [false, false, true],
      ],
      { device },
    );
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device, dtype: 'float32', requiresGrad: true },
    );
    const b = tensor([-1, -2, -3], { device, dtype: 'float32', requiresGrad: true });
    const y = where(condition, a, b);
    await assertClose(y, [
      [1, -2, 3],
      [-1, -2, 6],
    ]);
    y.backward(
      tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { device, dtype: 'float32' },
      ),
    );
    await assertClose(a.grad!, [
      [1, 0, 3],
      [0, 0, 6],
    ]);
    await assertClose(b.grad!, [4, 7, 0]);
    // x.where(condition, y) is torch's method form.
    await assertClose(a.where(condition, 0), [
      [1, 0, 3],
      [0, 0, 6],
    ]);
    // checkGradients also runs fn on the CPU: the mask is made on the inputs' device.
    const mask = [
      [true, false, true],
      [false, false, true],
    ];
    await checkGradients(device, (p, q) => where(tensor(mask, { device: p.device }), p, q), [
      { values: [1, 2, 3, 4, 5, 6], shape: [2, 3] },
      { values: [-1, -2, -3], shape: [3] },
    ]);
  },
  'where with scalar branches, a 0-d condition, and dtype promotion': async (device: Backend) => {
    const x = tensor([-2, 0.5, 3], { device, dtype: 'float32' });
    await assertClose(where(x.gt(0), x, 0), [0, 0.5, 3]);
    await assertClose(where(x.gt(0), 1, -1), [-1, 1, 1]);
    const i = tensor([1, 2, 3], { device, dtype: 'int32' });
    const mixed = where(tensor([true, false, true], { device }), i, 0.5);
    expectDType(mixed, 'float32', 'where(int32, 0.5)');
    await assertClose(mixed, [1, 0.5, 3]);
    expectDType(where(tensor([true, false, true], { device }), i, 7), 'int32', 'where(int32, 7)');
    await assertClose(where(tensor(false, { device }), x, x.neg()), [2, -0.5, -3]);
  },
};

const promotionCases = {
  'int32 with a float scalar gives float32; with an int scalar stays int32': async (
    device: Backend,
  ) => {
    const i = tensor([1, 2, 3], { device, dtype: 'int32' });
    const f = i.add(0.5);
    expectDType(f, 'float32', 'int32 + 0.5');
    await assertClose(f, [1.5, 2.5, 3.5]);
    const n = i.mul(-2);
    expectDType(n, 'int32', 'int32 * -2');
    await assertClose(n, [-2, -4, -6]);
    expectDType(i.add(true), 'int32', 'int32 + true');
    expectDType(i.sub(i), 'int32', 'int32 - int32');
  },
  'int32 / int32 gives float32': async (device: Backend) => {
    const y = tensor([1, 2, 7], { device, dtype: 'int32' }).div(
      tensor([2, 2, -2], { device, dtype: 'int32' }),
    );
    expectDType(y, 'float32', 'int32 / int32');
    await assertClose(y, [0.5, 1, -3.5]);
    expectDType(tensor([3], { device, dtype: 'int32' }).div(2), 'float32', 'int32 / 2');
  },
  'bool + bool stays bool (logical or), bool * bool is and, bool + 1 is int32': async (
    device: Backend,
  ) => {
    const p = tensor([true, true, false, false], { device });
    const q = tensor([true, false, true, false], { device });
    const sum = p.add(q);
    expectDType(sum, 'bool', 'bool + bool');
    await assertClose(sum, [true, true, true, false]);
    await assertClose(p.add(true), [true, true, true, true]);
    const product = p.mul(q);
    expectDType(product, 'bool', 'bool * bool');
    await assertClose(product, [true, false, false, false]);
    const count = p.add(1);
    expectDType(count, 'int32', 'bool + 1');
    await assertClose(count, [2, 2, 1, 1]);
    expectDType(p.add(0.5), 'float32', 'bool + 0.5');
    assertThrows(() => p.sub(q), /Subtraction.*bool/, 'bool - bool');
    assertThrows(() => p.neg(), /Negation.*bool/, 'neg of bool');
  },
  'tensors of different dtypes promote: bool < int32 < float32': async (device: Backend) => {
    const b = tensor([true, false], { device });
    const i = tensor([2, 3], { device, dtype: 'int32' });
    const f = tensor([0.5, 0.25], { device, dtype: 'float32' });
    expectDType(b.add(i), 'int32', 'bool + int32');
    expectDType(i.mul(f), 'float32', 'int32 * float32');
    await assertClose(i.mul(f), [1, 0.75]);
    expectDType(b.mul(f), 'float32', 'bool * float32');
  },
  'a 0-d tensor promotes like a scalar: it raises the category, not the width': async (
    device: Backend,
  ) => {
    const i = tensor([1, 2], { device, dtype: 'int32' });
    const f = tensor([1, 2], { device, dtype: 'float32' });
    const y = i.add(tensor(1.5, { device, dtype: 'float32' }));
    expectDType(y, 'float32', 'int32 [2] + float32 0-d');
    await assertClose(y, [2.5, 3.5]);
    expectDType(i.mul(tensor(true, { device })), 'int32', 'int32 [2] * bool 0-d');
    expectDType(f.mul(tensor(3, { device, dtype: 'int32' })), 'float32', 'float32 [2] * int32 0-d');
    expectDType(
      tensor(true, { device }).add(tensor(2, { device, dtype: 'int32' })),
      'int32',
      'bool 0-d + int32 0-d',
    );
  },
  // float64 lives on the CPU only (WGSL has no f64): these run there whatever the device.
  'float64 wins promotion and stays float64 through ops and scalars (CPU)': async () => {
    const device = FLOAT64_DEVICE;
    const i = tensor([2, 3], { device, dtype: 'int32' });
    const f = tensor([1, 2], { device, dtype: 'float32' });
    const d = tensor([0.1, 2], { device, dtype: 'float64' });
    expectDType(f.add(d), 'float64', 'float32 + float64');
    expectDType(i.sub(d), 'float64', 'int32 - float64');
    for (const [name, y] of [
      ['float64 * 2.5', d.mul(2.5)],
      ['exp of float64', d.exp()],
      ['float64 / 3', d.div(3)],
      ['sigmoid of float64', d.sigmoid()],
      ['float64 pow 2', d.pow(2)],
      ['where of float64', where(d.gt(1), d, 0.5)],
    ] as const) {
      expectDType(y, 'float64', name);
    }
    // 0.1 / 3 keeps float64 precision, and a scalar next to float64 stays exact.
    await assertClose(d.div(3), [0.1 / 3, 2 / 3], { rtol: 1e-15, atol: 0 });
    await assertClose(tensor([0.1], { device, dtype: 'float32' }).double().eq(0.1), [false]);
    await assertClose(d.eq(0.1), [true, false]);
    // A float64 0-d tensor raises int32 to float64 but leaves float32 as it is.
    expectDType(
      f.add(tensor(1.5, { device, dtype: 'float64' })),
      'float32',
      'float32 [2] + float64 0-d',
    );
    expectDType(
      i.add(tensor(1.5, { device, dtype: 'float64' })),
      'float64',
      'int32 [2] + float64 0-d',
    );
    const both = tensor(1, { device, dtype: 'float32' }).add(
      tensor(2, { device, dtype: 'float64' }),
    );
    expectDType(both, 'float64', 'float32 0-d + float64 0-d');
  },
  'float64 functions are accurate to float64, as PyTorch computes them (CPU)': async () => {
    for (const [name, ref] of Object.entries(float64Reference) as [
      UnaryName,
      NonNullable<(typeof float64Reference)[UnaryName]>,
    ][]) {
      const x = tensor([...ref.input], { device: FLOAT64_DEVICE, dtype: 'float64' });
      const y = unaryOps[name].fn(x);
      expectDType(y, 'float64', name);
      await expectValues(y, [ref.input.length], ref.output, FLOAT64, `${name} of float64`);
    }
  },
  'unary ops on integers: float functions give float32, the rest stay int32': async (
    device: Backend,
  ) => {
    const i = tensor([-4, 0, 9], { device, dtype: 'int32' });
    expectDType(i.exp(), 'float32', 'exp of int32');
    await assertClose(i.abs().sqrt(), [2, 0, 3]);
    expectDType(i.sigmoid(), 'float32', 'sigmoid of int32');
    for (const [name, y] of [
      ['neg', i.neg()],
      ['abs', i.abs()],
      ['square', i.square()],
      ['relu', i.relu()],
      ['sign', i.sign()],
      ['pow 2', i.pow(2)],
      ['clamp 0 5', i.clamp(0, 5)],
    ] as const) {
      expectDType(y, 'int32', `${name} of int32`);
    }
    await assertClose(i.pow(2), [16, 0, 81]);
    await assertClose(i.clamp(0, 5), [0, 0, 5]);
    await assertClose(i.relu(), [0, 0, 9]);
  },
  'int32 pow a float exponent gives float32; to a negative integer power throws': async (
    device: Backend,
  ) => {
    const i = tensor([4, 9], { device, dtype: 'int32' });
    const root = i.pow(0.5);
    expectDType(root, 'float32', 'int32 pow 0.5');
    await assertClose(root, [2, 3]);
    assertThrows(
      () => i.pow(-1),
      'Integers to negative integer powers are not allowed',
      'int32 pow -1',
    );
    const clamped = i.clamp(4.5);
    expectDType(clamped, 'float32', 'int32 clamp 4.5');
    await assertClose(clamped, [4.5, 9]);
  },
};

const specialValueCases = {
  'pow with a tensor exponent: 0 ** 0 is 1, and gradients at a zero base are 0': async (
    device: Backend,
  ) => {
    const a = tensor([0, 0, 2, -2], { device, dtype: 'float32', requiresGrad: true });
    const b = tensor([0, 2, -1, 3], { device, dtype: 'float32', requiresGrad: true });
    const y = a.pow(b);
    await assertClose(y, [1, 0, 0.5, -8]);
    y.sum().backward();
    await assertClose(a.grad!, [0, 0, -0.25, 12]);
    // d/db a^b = a^b log(a): 0 at a = 0 (b >= 0), NaN for a negative base.
    await assertClose(b.grad!, [0, 0, 0.5 * Math.log(2), NaN], TRANSCENDENTAL);
  },
  'maximum and minimum propagate NaN from either side': async (device: Backend) => {
    const a = tensor([NaN, 1, NaN, 2], { device, dtype: 'float32' });
    const b = tensor([1, NaN, NaN, -Infinity], { device, dtype: 'float32' });
    await assertClose(a.maximum(b), [NaN, NaN, NaN, 2]);
    await assertClose(a.minimum(b), [NaN, NaN, NaN, -Infinity]);
  },
  'isnan, isinf and isfinite': async (device: Backend) => {
    const x = tensor([NaN, Infinity, -Infinity, 0, -1.5, 3e38], { device, dtype: 'float32' });
    expectDType(x.isnan(), 'bool', 'isnan');
    await assertClose(x.isnan(), [true, false, false, false, false, false]);
    await assertClose(x.isinf(), [false, true, true, false, false, false]);
    await assertClose(x.isfinite(), [false, false, false, true, true, true]);
    const i = tensor([0, -7], { device, dtype: 'int32' });
    await assertClose(i.isnan(), [false, false]);
    await assertClose(i.isfinite(), [true, true]);
  },
  'division by zero and logs of zero and negatives give IEEE results': async (device: Backend) => {
    const num = tensor([1, -1, 0], { device, dtype: 'float32' });
    await assertClose(num.div(tensor([0, 0, 0], { device, dtype: 'float32' })), [
      Infinity,
      -Infinity,
      NaN,
    ]);
    await assertClose(num.reciprocal(), [1, -1, Infinity]);
    const x = tensor([0, -1], { device, dtype: 'float32' });
    await assertClose(x.log(), [-Infinity, NaN]);
    await assertClose(x.sqrt(), [0, NaN]);
    await assertClose(x.rsqrt(), [Infinity, NaN]);
    await assertClose(tensor([-8], { device, dtype: 'float32' }).pow(1 / 3), [NaN]);
  },
  'saturating functions at infinities': async (device: Backend) => {
    const x = tensor([-Infinity, Infinity], { device, dtype: 'float32' });
    await assertClose(x.exp(), [0, Infinity]);
    await assertClose(x.sigmoid(), [0, 1]);
    await assertClose(x.tanh(), [-1, 1]);
    await assertClose(x.relu(), [0, Infinity]);
    await assertClose(x.softplus(), [0, Infinity]);
    await assertClose(x.clamp(-1, 1), [-1, 1]);
    await assertClose(x.erf(), [-1, 1]);
  },
  'NaN passes through relu, clamp and round; sign(NaN) is 0': async (device: Backend) => {
    const x = tensor([NaN], { device, dtype: 'float32' });
    await assertClose(x.relu(), [NaN]);
    await assertClose(x.clamp(0, 1), [NaN]);
    await assertClose(x.round(), [NaN]);
    await assertClose(x.abs(), [NaN]);
    await assertClose(x.sign(), [0]);
  },
  'round halves to even, keeping the sign of -0.5': async (device: Backend) => {
    const x = tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 4194304.5, 4194305.5, 8388609], {
      device,
      dtype: 'float32',
    });
    await assertClose(x.round(), [0, 2, 2, -0, -2, -2, 4194304, 4194306, 8388609]);
    const negativeZero = (await x.round().data())[3]!;
    if (!Object.is(negativeZero, -0))
      throw new Error(`round(-0.5) is ${negativeZero}, expected -0`);
  },
  'clamp needs a bound; min above max gives max': async (device: Backend) => {
    const x = tensor([-2, 0, 2], { device, dtype: 'float32' });
    assertThrows(() => x.clamp(), /at least one of 'min' or 'max'/, 'clamp()');
    await assertClose(x.clamp(1, -1), [-1, -1, -1]);
  },
};

export const elementwiseCases: ConformanceCase[] = defineCases('elementwise', {
  ...unaryCases(),
  ...binaryCases(),
  ...broadcastingCases,
  ...stridedCases,
  ...comparisonCases,
  ...whereCases,
  ...promotionCases,
  ...specialValueCases,
  'pow with whole exponents is exact wherever the result is (5 ** 2 is 25, as C pow)': async (
    device,
  ) => {
    const x = tensor([5, -3, 1.5, 2, 0.5, -2], { device });
    // Every result below is a float32 value, computed by hand.
    await assertClose(x.pow(2), [25, 9, 2.25, 4, 0.25, 4], { atol: 0, rtol: 0 }, 'pow 2');
    await assertClose(x.pow(3), [125, -27, 3.375, 8, 0.125, -8], { atol: 0, rtol: 0 }, 'pow 3');
    // A negative exponent divides once: within WGSL's 2.5 ulp for division.
    await assertClose(x.pow(-2), [0.04, 1 / 9, 1 / 2.25, 0.25, 4, 0.25], { atol: 0, rtol: 3e-7 });
    await assertClose(tensor([1.5], { device }).pow(10), [57.6650390625], { atol: 0, rtol: 0 });
    await assertClose(
      x.pow(tensor([2, 3, 2, 10, 1, 5], { device })),
      [25, -27, 2.25, 1024, 0.5, -32],
      { atol: 0, rtol: 0 },
      'pow by a tensor of whole exponents',
    );
  },
});
