// Conformance cases: int32 arithmetic is exact and wraps as two's complement on every
// backend, as PyTorch's int32 does, and float ops convert int32 values to float32 first.
// Expected values are PyTorch's (reference/int32.ts; INT32_INPUTS repeats the inputs of
// scripts/reference/int32.py), exact integer arithmetic with BigInt, or worked out by hand
// where PyTorch raises or has no such op. Values sit past 2^24, where float32 stops holding
// every integer, and near int32's limits, where sums and products wrap.

import type { Backend } from '../../backend.js';
import type { DType } from '../../dtype.js';
import {
  cat,
  full,
  maxPool2d,
  ones,
  pad,
  type Tensor,
  tensor,
  unfold,
  where,
  zeros,
} from '../../index.js';
import { assertClose, assertThrows, expectDType, expectValues, type Tolerance } from '../assert.js';
import { defineCases } from '../conformance.js';
import { int32Reference } from './reference/int32.js';

const EXACT: Tolerance = { rtol: 0, atol: 0 };
/** float32 results of a float op a GPU may compute within an ulp (pow through exp2 and log2). */
const ULP: Tolerance = { rtol: 2.4e-7, atol: 0 };

/** The inputs of scripts/reference/int32.py. */
const INT32_INPUTS = {
  A: [
    2147483647, -2147483648, 46341, -46341, 16777217, 16777216, 65536, -1, 0, 123456789, -987654321,
    7,
  ],
  B: [1, -1, 46341, 46341, 1, -1, 65536, 2147483647, -2147483648, 987654321, 3, -2],
  D: [2, -3, 46341, 7, 1, -1, 65536, 2147483647, -5, 1000, 3, -2],
  BASES: [2, -2, 3, 46341, -1, 1, 0, 7, 16777217, -3, 2, 0, -2],
  EXPONENTS: [31, 31, 40, 2, -3, -5, 0, 11, 2, 21, -1, -1, -2],
  C1: [16777217, 16777217, 2147483647, -2147483648, 5, 16777219],
  C2: [16777216, 16777217, 2147483646, -2147483647, 5, 16777220],
  X: [16777217, -16777217, 2147483647, -2147483648, 46341, 0, 99999999],
  F: [16777217, 2147483647, 7, -16777219, 3],
  FD: [1, 1, 2, 1, 4],
  ROOTS: [16777217, 4, 9, 2147483647, 0],
};

function int32(values: readonly number[], device: Backend): Tensor {
  return tensor([...values], { device, dtype: 'int32' });
}

/** Checks `t` against PyTorch's result `name` in reference/int32.ts. */
async function expectReference(
  t: Tensor,
  name: string,
  dtype: DType,
  tolerance: Tolerance = EXACT,
): Promise<void> {
  const reference = int32Reference[name];
  if (!reference) throw new Error(`no PyTorch reference named '${name}'`);
  expectDType(t, dtype, name);
  await expectValues(t, reference.shape, reference.values, tolerance, name);
}

/** An int32 value wrapped from exact integer arithmetic. */
const wrap = (value: bigint): number => Number(BigInt.asIntN(32, value));

/** n int32 values spread over the whole range (a linear congruential sequence, in BigInt). */
function spread(n: number, seed: number): number[] {
  let state = BigInt(seed);
  return Array.from({ length: n }, () => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return wrap(state >> 32n);
  });
}

const sumOf = (values: readonly number[]): number =>
  wrap(values.reduce((acc, v) => acc + BigInt(v), 0n));
const prodOf = (values: readonly number[]): number =>
  wrap(values.reduce((acc, v) => acc * BigInt(v), 1n));

export const int32Cases = defineCases('int32', {
  'add, sub, mul, neg, abs, square, sign, maximum and minimum wrap as PyTorch int32': async (
    device: Backend,
  ) => {
    const a = int32(INT32_INPUTS.A, device);
    const b = int32(INT32_INPUTS.B, device);
    await expectReference(a.add(b), 'add', 'int32');
    await expectReference(a.sub(b), 'sub', 'int32');
    await expectReference(a.mul(b), 'mul', 'int32');
    await expectReference(a.neg(), 'neg', 'int32');
    await expectReference(a.abs(), 'abs', 'int32');
    await expectReference(a.square(), 'square', 'int32');
    await expectReference(a.sign(), 'sign', 'int32');
    await expectReference(a.maximum(b), 'maximum', 'int32');
    await expectReference(a.minimum(b), 'minimum', 'int32');
  },
  'integer pow, floor and trunc division and remainder match PyTorch': async (device: Backend) => {
    const a = int32(INT32_INPUTS.A, device);
    const d = int32(INT32_INPUTS.D, device);
    await expectReference(a.div(d, { roundingMode: 'trunc' }), 'div trunc', 'int32');
    await expectReference(a.div(d, { roundingMode: 'floor' }), 'div floor', 'int32');
    await expectReference(a.remainder(d), 'remainder', 'int32');
    const bases = int32(INT32_INPUTS.BASES, device);
    await expectReference(bases.pow(int32(INT32_INPUTS.EXPONENTS, device)), 'pow', 'int32');
  },
  'comparisons of int32 values are exact past 2^24': async (device: Backend) => {
    const c1 = int32(INT32_INPUTS.C1, device);
    const c2 = int32(INT32_INPUTS.C2, device);
    await expectReference(c1.eq(c2), 'eq', 'bool');
    await expectReference(c1.ne(c2), 'ne', 'bool');
    await expectReference(c1.lt(c2), 'lt', 'bool');
    await expectReference(c1.le(c2), 'le', 'bool');
    await expectReference(c1.gt(c2), 'gt', 'bool');
    await expectReference(c1.ge(c2), 'ge', 'bool');
  },
  'integer scalars are exact int32 operands, fill values and bounds': async (device: Backend) => {
    const x = int32(INT32_INPUTS.X, device);
    await expectReference(x.add(16777217), 'add 16777217', 'int32');
    await expectReference(x.sub(-2147483648), 'sub -2147483648', 'int32');
    await expectReference(x.mul(46341), 'mul 46341', 'int32');
    await expectReference(x.remainder(1000000007), 'remainder 1000000007', 'int32');
    await expectReference(x.div(7, { roundingMode: 'trunc' }), 'div 7 trunc', 'int32');
    await expectReference(x.div(-7, { roundingMode: 'floor' }), 'div -7 floor', 'int32');
    await expectReference(x.pow(3), 'pow 3', 'int32');
    await expectReference(x.eq(16777217), 'eq 16777217', 'bool');
    await expectReference(x.gt(16777216), 'gt 16777216', 'bool');
    await expectReference(x.clamp(-16777216, 16777218), 'clamp -16777216 16777218', 'int32');
    await expectReference(x.clamp(16777218), 'clamp min 16777218', 'int32');
    await expectReference(where(x.gt(0), x, 16777219), 'where x > 0, x, 16777219', 'int32');
    await expectReference(
      full([2], 16777217, { device, dtype: 'int32' }),
      'full 16777217',
      'int32',
    );
    // PyTorch wraps an integer scalar past int32's range in arithmetic (1 + 2^40 is 1) and
    // refuses it as a fill value, clamp bound, where branch or exponent. It also wraps it in
    // comparisons (x == 2^32 holds where x is 0), which answers another question: dl refuses.
    await assertClose(x.add(2 ** 40), INT32_INPUTS.X, EXACT, 'x + 2^40');
    const overflow = 'value cannot be converted to type int32 without overflow';
    assertThrows(() => x.eq(2 ** 32), `eq: ${overflow}`, 'eq');
    assertThrows(
      () => x.maximum(full([1], 0, { device, dtype: 'int32' })).lt(-(2 ** 31) - 1),
      overflow,
      'lt',
    );
    assertThrows(() => full([2], 2 ** 40, { device, dtype: 'int32' }), overflow, 'full');
    assertThrows(() => x.clone().fill_(2 ** 31), overflow, 'fill_');
    assertThrows(() => x.clamp(0, 2 ** 40), overflow, 'clamp');
    assertThrows(() => where(x.gt(0), x, 2 ** 32 + 3), overflow, 'where');
    assertThrows(() => x.pow(2 ** 32 + 2), overflow, 'pow');
  },
  'float ops and float operands convert int32 to float32 first, as PyTorch': async (
    device: Backend,
  ) => {
    const f = int32(INT32_INPUTS.F, device);
    await expectReference(f.div(int32(INT32_INPUTS.FD, device)), 'div (true division)', 'float32');
    await expectReference(f.div(3), 'div 3', 'float32');
    await expectReference(f.add(0.5), 'add 0.5', 'float32');
    await expectReference(f.mul(2.5), 'mul 2.5', 'float32');
    await expectReference(
      f.add(zeros([5], { device, dtype: 'float32' })),
      'add float32 tensor',
      'float32',
    );
    await expectReference(f.clamp(0.5), 'clamp 0.5', 'float32');
    await expectReference(f.eq(16777216.5), 'eq 16777216.5', 'bool');
    const roots = int32(INT32_INPUTS.ROOTS, device);
    await expectReference(roots.pow(0.5), 'pow 0.5', 'float32', ULP);
    await expectReference(roots.sqrt(), 'sqrt', 'float32', ULP);
    // PyTorch has no leaky_relu for integers; dl's is float32(x) * 0.01 below 0. Computed
    // in the integers the product would truncate to 0.
    const leaky = int32([-3, 16777217, -100], device).leakyRelu();
    expectDType(leaky, 'float32', 'leakyRelu of int32');
    const slope = Math.fround(0.01);
    await assertClose(leaky, [-3 * slope, 16777216, -100 * slope], { rtol: 1e-6 }, 'leakyRelu');
  },
  'casts between int32, bool and float32': async (device: Backend) => {
    await expectReference(
      int32([16777217, 16777219, 2147483647, -2147483647, 123456789, 16777221], device).to(
        'float32',
      ),
      'int32 to float32',
      'float32',
    );
    const floats = tensor(
      [2.9, -2.9, 3e9, -3e9, 2147483520, -2147483648, Number.NaN, Infinity, -Infinity, 16777218],
      { device, dtype: 'float32' },
    );
    await expectReference(floats.to('int32'), 'float32 to int32', 'int32');
    await expectReference(
      int32([0, 1, -1, 2147483647, -2147483648], device).to('bool'),
      'int32 to bool',
      'bool',
    );
    await expectReference(
      tensor([true, false, true], { device }).to('int32'),
      'bool to int32',
      'int32',
    );
  },
  'bools are 0 and 1 in integer arithmetic': async (device: Backend) => {
    const p = tensor([true, false, true, false], { device });
    const q = tensor([true, true, false, false], { device });
    await expectReference(p.add(q), 'bool + bool', 'bool');
    await expectReference(
      tensor([true, false], { device }).add(int32([2147483647, 2147483647], device)),
      'bool + 2147483647',
      'int32',
    );
    await expectReference(
      tensor([true, false, true], { device }).mul(int32([16777217, 5, -2147483648], device)),
      'bool * int32',
      'int32',
    );
    await expectReference(tensor([true, true, false, true], { device }).sum(), 'bool sum', 'int32');
  },
  'fused chains of int32, bool and float32 ops stay exact': async (device: Backend) => {
    const n = 1000;
    const xs = spread(n, 1);
    const ys = spread(n, 2);
    const x = int32(xs, device);
    const y = int32(ys, device);
    // Integer ops only: (x * y + 16777217 - x^2) mod 1000003, with the sign of the divisor.
    const integer = x.mul(y).add(16777217).sub(x.square()).remainder(1000003);
    await assertClose(
      integer,
      xs.map((v, i) => {
        const a = BigInt(v);
        const sum = wrap(BigInt(wrap(a * BigInt(ys[i]!))) + 16777217n);
        const difference = BigInt(wrap(BigInt(sum) - BigInt(wrap(a * a))));
        const r = difference % 1000003n;
        return Number(r < 0n ? r + 1000003n : r);
      }),
      EXACT,
      'integer chain',
    );
    // Across dtypes: bool + int32, to float32, times 0.5, back to int32, plus 2^31 - 1.
    const mixed = x.gt(0).add(x).to('float32').mul(0.5).to('int32').add(2147483647);
    await assertClose(
      mixed,
      xs.map((v) => {
        const asFloat = Math.fround(wrap(BigInt(v > 0 ? 1 : 0) + BigInt(v)));
        return wrap(BigInt(Math.trunc(Math.fround(asFloat * 0.5))) + 2147483647n);
      }),
      EXACT,
      'chain across dtypes',
    );
    // Sixty steps of a linear congruential generator in int32: a chain of 120 ops.
    let state = x;
    let expected = xs.map((v) => BigInt(v));
    for (let step = 0; step < 60; step++) {
      state = state.mul(1103515245).add(12345);
      expected = expected.map((v) => BigInt(wrap(BigInt(wrap(v * 1103515245n)) + 12345n)));
    }
    await assertClose(state, expected.map(Number), EXACT, 'sixty int32 LCG steps');
    // A comparison past 2^24 inside a chain, selecting int32 values.
    const picked = where(x.add(16777217).eq(x.add(16777216)), x, y.add(1));
    await assertClose(
      picked,
      ys.map((v) => wrap(BigInt(v) + 1n)),
      EXACT,
      'where of an eq past 2^24',
    );
  },
  'sum, prod, amax, amin, argmax, argmin and cumsum of int32 match PyTorch': async (
    device: Backend,
  ) => {
    await expectReference(int32([2147483647, 1, 5, 16777217, -3], device).sum(), 'sum', 'int32');
    await expectReference(int32([65536, 65536, 3], device).prod(), 'prod', 'int32');
    await expectReference(
      int32([46341, 46341, 3], device).prod(),
      'prod 46341 squared times 3',
      'int32',
    );
    const m = int32(
      [16777217, 16777216, 16777218, 16777218, -2147483648, 2147483647, 2147483647],
      device,
    );
    await expectReference(m.amax(), 'amax', 'int32');
    await expectReference(m.amin(), 'amin', 'int32');
    await expectReference(m.argmax(), 'argmax', 'int32');
    await expectReference(m.argmin(), 'argmin', 'int32');
    await expectReference(int32([2147483647, 1, 1, 16777217], device).cumsum(0), 'cumsum', 'int32');
  },
  'int32 reductions are exact in every layout and size': async (device: Backend) => {
    // Sizes and layouts that take each of a backend's ways to reduce: a few elements, rows
    // of contiguous elements, columns, many elements split into parts, strided dims.
    for (const [rows, cols] of [
      [1, 7],
      [1, 300],
      [1, 70001],
      [64, 4096],
      [4096, 64],
      [3, 1000],
    ] as const) {
      const values = spread(rows * cols, rows + cols);
      const x = int32(values, device).reshape([rows, cols]);
      const row = (r: number) => values.slice(r * cols, (r + 1) * cols);
      const column = (c: number) => Array.from({ length: rows }, (_, r) => values[r * cols + c]!);
      const what = `[${rows}, ${cols}]`;
      await assertClose(x.sum(), sumOf(values), EXACT, `sum of ${what}`);
      await assertClose(
        x.sum(1),
        Array.from({ length: rows }, (_, r) => sumOf(row(r))),
        EXACT,
        `sum(1) of ${what}`,
      );
      await assertClose(
        x.sum(0),
        Array.from({ length: cols }, (_, c) => sumOf(column(c))),
        EXACT,
        `sum(0) of ${what}`,
      );
      await assertClose(
        x.t().sum(0),
        Array.from({ length: rows }, (_, r) => sumOf(row(r))),
        EXACT,
        `sum(0) of the transpose of ${what}`,
      );
      // Products of odd values stay odd: they wrap without ever reaching 0.
      const odd = values.map((v) => v | 1);
      await assertClose(
        int32(odd, device).reshape([rows, cols]).prod(1),
        Array.from({ length: rows }, (_, r) => prodOf(odd.slice(r * cols, (r + 1) * cols))),
        EXACT,
        `prod(1) of ${what}`,
      );
      // Extremes a float32 would tie: 2^24 + 1 among 2^24 and below (all 2^24 in float32).
      const peak = Math.floor((values.length * 2) / 3);
      const near = values.map((_, i) => 16777216 - (i % 3));
      near[peak] = 16777217;
      near[values.length - 1] = 16777217; // a later tie: argmax keeps the first
      const y = int32(near, device).reshape([rows, cols]);
      await assertClose(y.amax(), 16777217, EXACT, `amax of ${what}`);
      await assertClose(y.argmax(), peak, EXACT, `argmax of ${what}`);
      await assertClose(y.neg().amin(), -16777217, EXACT, `amin of ${what}`);
      await assertClose(y.neg().argmin(), peak, EXACT, `argmin of ${what}`);
      const rowMax = Array.from({ length: rows }, (_, r) => {
        let best = 0;
        for (let c = 1; c < cols; c++) if (near[r * cols + c]! > near[r * cols + best]!) best = c;
        return best;
      });
      await assertClose(y.argmax(1), rowMax, EXACT, `argmax(1) of ${what}`);
    }
    const counts = tensor([true, false, true], { device }).reshape([3, 1]).expand([3, 50000]);
    await assertClose(counts.sum(1), [50000, 0, 50000], EXACT, 'sum of bools');
  },
  'gather, scatter and scatterAdd move int32 values exactly': async (device: Backend) => {
    const g = int32(
      [16777217, 2147483647, -2147483648, 16777219, -16777217, 123456789],
      device,
    ).reshape([2, 3]);
    const index = int32([2, 0, 1, 1, 1, 0], device).reshape([2, 3]);
    await expectReference(g.gather(1, index), 'gather', 'int32');
    const target = int32([2, 0, 1, 1, 2, 0], device).reshape([2, 3]);
    await expectReference(
      zeros([2, 3], { device, dtype: 'int32' }).scatter(1, target, g),
      'scatter',
      'int32',
    );
    await expectReference(
      zeros([3], { device, dtype: 'int32' }).scatterAdd(
        0,
        int32([0, 0, 1, 1, 2], device),
        int32([2147483647, 1, 16777217, 16777217, -5], device),
      ),
      'scatterAdd',
      'int32',
    );
  },
  'copies, views, padding and concatenation keep int32 values exact': async (device: Backend) => {
    const x = int32([16777217, 16777219, 2147483647, -2147483647], device).reshape([2, 2]);
    await assertClose(
      x.t().contiguous(),
      [
        [16777217, 2147483647],
        [16777219, -2147483647],
      ],
      EXACT,
      'transpose',
    );
    await assertClose(
      cat([x, x.flip(0)]),
      [
        [16777217, 16777219],
        [2147483647, -2147483647],
        [2147483647, -2147483647],
        [16777217, 16777219],
      ],
      EXACT,
      'cat of a flip',
    );
    await assertClose(
      pad(x, [1, 0], 'constant', 16777221),
      [
        [16777221, 16777217, 16777219],
        [16777221, 2147483647, -2147483647],
      ],
      EXACT,
      'pad',
    );
    await assertClose(
      x.narrow(1, 1, 1).expand([2, 3]).contiguous(),
      [
        [16777219, 16777219, 16777219],
        [-2147483647, -2147483647, -2147483647],
      ],
      EXACT,
      'expand',
    );
    await assertClose(
      (await x.toAsync('cpu')).to(device),
      x,
      EXACT,
      'a round trip through the CPU',
    );
    const y = x.clone();
    y.narrow(0, 1, 1).copy_(int32([16777223, -16777223], device).reshape([1, 2]));
    await assertClose(
      y,
      [
        [16777217, 16777219],
        [16777223, -16777223],
      ],
      EXACT,
      'copy_ into a view',
    );
  },
  'unfold and maxPool2d of int32 are exact and pad max pooling with the least int32': async (
    device: Backend,
  ) => {
    const x = int32([-16777217, -16777219, -2147483647, -16777218], device).reshape([1, 1, 2, 2]);
    // Padding of 1 around a 2x2 image, 2x2 windows at stride 1: 3x3 outputs, each the max
    // of the image values its window covers (padding never wins, however negative the image).
    await assertClose(
      maxPool2d(x, 2, { stride: 1, padding: 1 }),
      [
        [
          [
            [-16777217, -16777217, -16777219],
            [-16777217, -16777217, -16777218],
            [-2147483647, -16777218, -16777218],
          ],
        ],
      ],
      EXACT,
      'maxPool2d',
    );
    const columns = unfold(x, 2, { padding: 1 });
    expectDType(columns, 'int32', 'unfold of int32');
    // Column l of window (i, j) = the value under tap (i, j) of output l, 0 in the padding.
    await assertClose(
      columns,
      [
        [
          [0, 0, 0, 0, -16777217, -16777219, 0, -2147483647, -16777218],
          [0, 0, 0, -16777217, -16777219, 0, -2147483647, -16777218, 0],
          [0, -16777217, -16777219, 0, -2147483647, -16777218, 0, 0, 0],
          [-16777217, -16777219, 0, -2147483647, -16777218, 0, 0, 0, 0],
        ],
      ],
      EXACT,
      'unfold',
    );
  },
  'matmul of int32 wraps as PyTorch int32': async (device: Backend) => {
    const a = int32([2147483647, 3, 16777217, 46341], device).reshape([2, 2]);
    const b = int32([2147483647, 1, 5, 46341], device).reshape([2, 2]);
    await expectReference(a.matmul(b), 'matmul', 'int32');
    // Batched, with a broadcast operand and a transposed one, against BigInt.
    const [m, k, n] = [5, 37, 3];
    const as = spread(2 * m * k, 7);
    const bs = spread(k * n, 8);
    const left = int32(as, device).reshape([2, m, k]);
    const right = int32(bs, device).reshape([n, k]).t();
    const expected: number[] = [];
    for (let batch = 0; batch < 2; batch++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0n;
          for (let p = 0; p < k; p++)
            acc += BigInt(as[batch * m * k + i * k + p]!) * BigInt(bs[j * k + p]!);
          expected.push(wrap(acc));
        }
      }
    }
    const product = left.matmul(right);
    expectDType(product, 'int32', 'matmul');
    await assertClose(product.reshape([-1]), expected, EXACT, 'batched matmul');
  },
  'integer division and remainder by zero give 0 on every backend (PyTorch raises)': async (
    device: Backend,
  ) => {
    // PyTorch raises ZeroDivisionError on the CPU; a GPU kernel cannot raise, so dl defines
    // these as 0 everywhere. -2^31 / -1 wraps to -2^31, and its remainder is 0.
    const a = int32([7, -7, 0, -2147483648, -2147483648], device);
    const b = int32([0, 0, 0, -1, 0], device);
    await assertClose(
      a.div(b, { roundingMode: 'trunc' }),
      [0, 0, 0, -2147483648, 0],
      EXACT,
      'trunc',
    );
    await assertClose(
      a.div(b, { roundingMode: 'floor' }),
      [0, 0, 0, -2147483648, 0],
      EXACT,
      'floor',
    );
    await assertClose(a.remainder(b), [0, 0, 0, 0, 0], EXACT, 'remainder');
    await assertClose(a.remainder(0), [0, 0, 0, 0, 0], EXACT, 'remainder by the scalar 0');
    await assertClose(a.div(0, { roundingMode: 'floor' }), [0, 0, 0, 0, 0], EXACT, 'floor by 0');
  },
  'reductions over more than 2^31 - 1 elements of a broadcast view': async (device: Backend) => {
    // 2^31 elements from one: the storage is small, the count is past what int32 indexes.
    const shape = [65536, 32768];
    const ints = ones([1, 1], { device, dtype: 'int32' }).expand(shape);
    await assertClose(ints.sum(), -2147483648, EXACT, 'int32 sum of 2^31 ones (wraps)');
    const floats = full([1, 1], 0.5, { device, dtype: 'float32' }).expand(shape);
    await assertClose(floats.sum(), 2 ** 30, { rtol: 1e-6 }, 'float32 sum of 2^31 halves');
    assertThrows(() => ints.argmax(), 'does not fit the int32 result', 'argmax of 2^31 elements');
  },
});
