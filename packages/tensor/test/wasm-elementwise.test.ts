// The WebAssembly elementwise kernels against the JavaScript reference kernel
// (cpu/elementwise.ts): every unary and binary fn, cast and select over every dtype
// combination, special values, every layout class, fused outputs aliasing inputs, and ranges
// run piecewise as a thread pool runs them. Results must be identical (Object.is per element
// of every storage, so a write outside the view is caught too).

import { describe, expect, it } from 'vitest';
import type { DType } from '../src/dtype.js';
import { type BinaryFn, E, type Expr, type UnaryFn } from '../src/expr.js';
import { WasmElementwise } from '../src/wasm/elementwise.js';
import { WasmRuntime } from '../src/wasm/runtime.js';
import {
  elementwiseDifferences,
  filled,
  flat,
  randomView,
  type StorageSpec,
  Storages,
  seeded,
  specials,
  type ViewSpec,
} from './wasm-harness.js';

const runtime = new WasmRuntime({ maximumBytes: 2 ** 28 });

const dtypes: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

const unaryFns: readonly UnaryFn[] = [
  'neg',
  'abs',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'sin',
  'cos',
  'tan',
  'tanh',
  'erf',
  'floor',
  'ceil',
  'trunc',
  'roundHalfEven',
  'sign',
  'not',
  'isnan',
  'isinf',
];

const binaryFns: readonly BinaryFn[] = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'max',
  'min',
  'atan2',
  'mod',
  'divTrunc',
  'divFloor',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'and',
  'or',
  'xor',
];

const differences = (
  kernels: WasmElementwise,
  exprs: readonly Expr[],
  storages: readonly StorageSpec[],
  inputs: readonly ViewSpec[],
  outs: readonly ViewSpec[],
  params: readonly number[] = [],
  cuts?: readonly number[],
) => elementwiseDifferences(runtime, kernels, exprs, storages, inputs, outs, params, cuts);

describe.each([
  ['SIMD', true],
  ['scalar', false],
])('wasm elementwise kernels (%s) match the JavaScript kernels', (_, simd) => {
  const kernels = new WasmElementwise(runtime, { simd });

  it('every unary fn, input dtype and output dtype, on special values', () => {
    const found: string[] = [];
    for (const fn of unaryFns) {
      for (const input of dtypes) {
        for (const out of dtypes) {
          const values = specials[input];
          const n = values.length;
          const expr: Expr = { kind: 'unary', fn, x: E.input(0) };
          found.push(
            ...differences(
              kernels,
              [expr],
              [{ dtype: input, values }, filled(out, n)],
              [flat(0, n)],
              [flat(1, n)],
            ),
          );
          // Strided input and output: every other element of longer storages.
          const spread = Array.from({ length: 2 * n }, (_, i) => values[i >> 1]!);
          found.push(
            ...differences(
              kernels,
              [expr],
              [{ dtype: input, values: spread }, filled(out, 2 * n + 1)],
              [{ storage: 0, shape: [n], strides: [2], offset: 1 }],
              [{ storage: 1, shape: [n], strides: [2], offset: 1 }],
            ),
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('every binary fn and dtype combination, on all pairs of special values', () => {
    const found: string[] = [];
    for (const fn of binaryFns) {
      for (const a of dtypes) {
        for (const b of dtypes) {
          for (const out of dtypes) {
            const [va, vb] = [specials[a], specials[b]];
            const [m, n] = [va.length, vb.length];
            const expr: Expr = { kind: 'binary', fn, a: E.input(0), b: E.input(1) };
            const storages = [
              { dtype: a, values: va },
              { dtype: b, values: vb },
              filled(out, m * n),
            ];
            // a down the rows (broadcast along the row), b along them (contiguous)...
            found.push(
              ...differences(
                kernels,
                [expr],
                storages,
                [
                  { storage: 0, shape: [m, n], strides: [1, 0], offset: 0 },
                  { storage: 1, shape: [m, n], strides: [0, 1], offset: 0 },
                ],
                [{ storage: 2, shape: [m, n], strides: [n, 1], offset: 0 }],
              ),
            );
            // ...and the other way round, written transposed (a strided output).
            found.push(
              ...differences(
                kernels,
                [expr],
                storages,
                [
                  { storage: 0, shape: [n, m], strides: [0, 1], offset: 0 },
                  { storage: 1, shape: [n, m], strides: [1, 0], offset: 0 },
                ],
                [{ storage: 2, shape: [n, m], strides: [1, n], offset: 0 }],
              ),
            );
          }
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('casts between every pair of dtypes, stored as every dtype', () => {
    const found: string[] = [];
    for (const from of dtypes) {
      for (const to of dtypes) {
        for (const out of dtypes) {
          const values = specials[from];
          const n = values.length;
          found.push(
            ...differences(
              kernels,
              [E.cast(to, E.input(0))],
              [{ dtype: from, values }, filled(out, n)],
              [flat(0, n)],
              [flat(1, n)],
            ),
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('select over every condition dtype and branch dtypes', () => {
    const found: string[] = [];
    for (const cond of dtypes) {
      for (const a of dtypes) {
        for (const b of dtypes) {
          const out = a === 'float64' || b === 'float64' ? 'float64' : a;
          const vc = specials[cond];
          const [va, vb] = [specials[a], specials[b]];
          const n = 23;
          const pick = (values: readonly number[], k: number) =>
            Array.from({ length: n }, (_, i) => values[(i * k) % values.length]!);
          found.push(
            ...differences(
              kernels,
              [E.select(E.input(0), E.input(1), E.input(2))],
              [
                { dtype: cond, values: pick(vc, 1) },
                { dtype: a, values: pick(va, 3) },
                { dtype: b, values: pick(vb, 5) },
                filled(out, n),
              ],
              [flat(0, n), flat(1, n), flat(2, n)],
              [flat(3, n)],
            ),
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('constants and params, in integer and float contexts', () => {
    const found: string[] = [];
    const x = E.input(0);
    const exprs: Expr[] = [
      E.add(x, 0.1),
      E.mul(x, 3),
      E.sub(2, x),
      E.pow(x, 2),
      E.pow(x, 0.5),
      E.pow(2, x),
      E.max(x, 0),
      E.min(x, -0),
      E.mod(x, 3),
      E.mod(-7, x),
      E.divFloor(x, 2),
      E.divTrunc(x, -3),
      E.div(x, 7),
      E.mul(x, E.param(0)),
      E.add(E.mul(x, E.param(0)), E.param(1)),
      E.select(E.gt(x, E.param(1)), E.param(0), x),
      E.cast('int32', E.param(0)),
      E.add(E.cast('int32', E.param(0)), E.mul(E.param(0), 0.5)),
      E.lt(x, 2147483648),
      E.add(x, NaN),
      E.mul(x, -Infinity),
    ];
    const paramSets = [
      [2.5, -1],
      [3, 4],
      [2 ** 31 + 5, -(2 ** 33) - 1.5],
      [Number.NaN, Infinity],
      [-0, 1e-310],
    ];
    for (const expr of exprs) {
      for (const input of dtypes) {
        for (const out of dtypes) {
          for (const params of paramSets) {
            const values = specials[input];
            const n = values.length;
            found.push(
              ...differences(
                kernels,
                [expr],
                [{ dtype: input, values }, filled(out, n)],
                [flat(0, n)],
                [flat(1, n)],
                params,
              ),
            );
          }
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('rank 0 to 5 over contiguous, broadcast, strided, transposed and offset views', () => {
    const random = seeded(5);
    const found: string[] = [];
    const int = (n: number) => Math.floor(random() * n);
    // A mixed expression: float math, an integer path and a comparison.
    const exprsFor = (types: readonly DType[]): Expr[] => {
      const [a, b, c] = [E.input(0), E.input(1), E.input(2)];
      return [
        E.add(E.mul(a, b), E.select(E.gt(c, 0), E.sqrt(E.abs(c)), E.neg(a))),
        E.max(E.sub(a, c), b),
        types[0] === 'int32' ? E.add(a, E.mul(b, 3)) : E.exp(E.mul(a, 0.01)),
      ];
    };
    for (let trial = 0; trial < 300; trial++) {
      const rank = trial % 6;
      const shape = Array.from({ length: rank }, () => 1 + int(rank > 3 ? 4 : 9));
      const total = shape.reduce((x, y) => x * y, 1);
      const types = [0, 1, 2].map(() => dtypes[int(4)]!);
      const out = dtypes[int(4)]!;
      const storages: StorageSpec[] = [];
      const views: ViewSpec[] = [];
      for (const dtype of [...types, out]) {
        const { storage, view } = randomView(shape, dtype, random, views.length < 3);
        views.push({ ...view, storage: storages.length });
        storages.push(storage);
      }
      const exprs = exprsFor(types);
      const expr = exprs[trial % exprs.length]!;
      const cuts =
        trial % 3 === 0 ? [int(total + 1), int(total + 1)].sort((x, y) => x - y) : undefined;
      found.push(
        ...differences(kernels, [expr], storages, views.slice(0, 3), [views[3]!], [], cuts),
      );
    }
    expect(found).toEqual([]);
  });

  it('long rows: vector bodies and tails over contiguous and strided float32 data', () => {
    const random = seeded(9);
    const found: string[] = [];
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100, 1001]) {
      const values = Array.from({ length: 2 * n + 3 }, () => random() * 20 - 10);
      for (const expr of [
        E.add(E.input(0), E.input(1)),
        E.mul(E.input(0), E.input(1)),
        E.exp(E.input(0)),
        E.max(E.input(0), 0),
        E.div(E.sub(E.input(0), E.input(1)), E.sqrt(E.abs(E.input(1)))),
      ]) {
        found.push(
          ...differences(
            kernels,
            [expr],
            [
              { dtype: 'float32', values },
              { dtype: 'float32', values: values.slice().reverse() },
              filled('float32', 2 * n + 3),
            ],
            [
              { storage: 0, shape: [n], strides: [1], offset: 2 },
              { storage: 1, shape: [n], strides: [2], offset: 1 },
            ],
            [{ storage: 2, shape: [n], strides: [1], offset: 3 }],
          ),
        );
      }
    }
    expect(found).toEqual([]);
  });

  it('fused outputs where an output is also an input, with params', () => {
    // An Adam-like update: m, v and the parameter written in place, read as inputs 0..2.
    const [p, g, m, v] = [0, 1, 2, 3].map(E.input) as [Expr, Expr, Expr, Expr];
    const m2 = E.add(E.mul(m, E.param(0)), E.mul(g, E.sub(1, E.param(0))));
    const v2 = E.add(E.mul(v, E.param(1)), E.mul(E.mul(g, g), E.sub(1, E.param(1))));
    const p2 = E.sub(p, E.div(E.mul(E.param(2), m2), E.add(E.sqrt(v2), 1e-8)));
    const random = seeded(3);
    const found: string[] = [];
    for (const dtype of ['float32', 'float64'] as const) {
      for (const n of [1, 5, 64, 67]) {
        const data = () => Array.from({ length: n }, () => random() * 2 - 1);
        found.push(
          ...differences(
            kernels,
            [p2, m2, v2],
            [
              { dtype, values: data() },
              { dtype, values: data() },
              { dtype, values: data() },
              { dtype, values: data().map(Math.abs) },
            ],
            [flat(0, n), flat(1, n), flat(2, n), flat(3, n)],
            [flat(0, n), flat(2, n), flat(3, n)],
            [0.9, 0.999, 1e-3],
          ),
        );
      }
    }
    expect(found).toEqual([]);
  });

  it('an input overlapping an output unevenly is read in the reference order', () => {
    // y[i] = x[i] + x[i + 1] written into x itself, shifted: each write feeds the next read.
    const n = 37;
    const values = Array.from({ length: n + 1 }, (_, i) => i * 1.5 - 7);
    const storages: StorageSpec[] = [{ dtype: 'float32', values }];
    const found = differences(
      kernels,
      [E.add(E.input(0), E.input(1))],
      storages,
      [
        { storage: 0, shape: [n], strides: [1], offset: 0 },
        { storage: 0, shape: [n], strides: [1], offset: 1 },
      ],
      [{ storage: 0, shape: [n], strides: [1], offset: 1 }],
    );
    expect(found).toEqual([]);
    const s = new Storages(runtime, storages);
    const call = kernels.prepare(
      [E.add(E.input(0), E.input(1))],
      [
        s.operand({ storage: 0, shape: [n], strides: [1], offset: 0 }),
        s.operand({ storage: 0, shape: [n], strides: [1], offset: 1 }),
      ],
      [s.operand({ storage: 0, shape: [n], strides: [1], offset: 1 })],
    );
    s.free();
    expect(call.parallel).toBe(false);
  });

  it('compiles one kernel per expression, dtypes and layout class, reused across shapes', () => {
    const local = new WasmElementwise(runtime, { simd });
    const expr = E.mul(E.input(0), 2);
    for (const n of [3, 50, 1000]) {
      const s = new Storages(runtime, [filled('float32', n, 1), filled('float32', n)]);
      local.run([expr], [s.operand(flat(0, n))], [s.operand(flat(1, n))]);
      expect(Array.from(s.wasm(1))).toEqual(new Array(n).fill(2));
      s.free();
    }
    expect(local.kernelCount).toBe(1);
  });
});
