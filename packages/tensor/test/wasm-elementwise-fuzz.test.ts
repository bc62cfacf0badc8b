// Random expression trees (seeded fast-check) on random layouts and dtypes: the WebAssembly
// elementwise kernels must store exactly what the JavaScript reference kernel stores.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../src/dtype.js';
import type { BinaryFn, Expr, UnaryFn } from '../src/expr.js';
import { WasmElementwise } from '../src/wasm/elementwise.js';
import { WasmRuntime } from '../src/wasm/runtime.js';
import {
  elementwiseDifferences,
  randomView,
  type StorageSpec,
  seeded,
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

const inputCount = 3;
const paramCount = 2;

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(inputCount - 1).map((index): Expr => ({ kind: 'input', index })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(0, 1, -1, 2, 3, 0.5, -2.5, 1e-3, 7, 2 ** 31, Number.NaN, Infinity, -0)
      .map((value): Expr => ({ kind: 'const', value })),
  },
  { weight: 1, arbitrary: fc.nat(paramCount - 1).map((index): Expr => ({ kind: 'param', index })) },
);

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    leaf,
    fc
      .tuple(fc.constantFrom(...unaryFns), tie('expr'))
      .map(([fn, x]): Expr => ({ kind: 'unary', fn, x })),
    fc
      .tuple(fc.constantFrom(...binaryFns), tie('expr'), tie('expr'))
      .map(([fn, a, b]): Expr => ({ kind: 'binary', fn, a, b })),
    fc
      .tuple(tie('expr'), tie('expr'), tie('expr'))
      .map(([cond, a, b]): Expr => ({ kind: 'select', cond, a, b })),
    fc
      .tuple(fc.constantFrom(...dtypes), tie('expr'))
      .map(([to, x]): Expr => ({ kind: 'cast', to, x })),
  ),
}));

const dtype = fc.constantFrom(...dtypes);
const param = fc.oneof(
  fc.constantFrom(0, -1, 2.5, 3, 2 ** 31 + 7, Number.NaN, -Infinity),
  fc.double({ noNaN: true, min: -100, max: 100 }),
);

describe.each([
  ['SIMD', true],
  ['scalar', false],
])('random expressions (%s)', (_, simd) => {
  const kernels = new WasmElementwise(runtime, { simd });

  it('store what the JavaScript kernel stores, on random layouts', () => {
    fc.assert(
      fc.property(
        fc.array(expr, { minLength: 1, maxLength: 3 }),
        fc.array(dtype, { minLength: inputCount, maxLength: inputCount }),
        fc.array(dtype, { minLength: 3, maxLength: 3 }),
        fc.array(param, { minLength: paramCount, maxLength: paramCount }),
        fc.nat(),
        (exprs, inputTypes, outTypes, params, seed) => {
          const random = seeded(seed);
          const rank = Math.floor(random() * 5);
          const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 6));
          const storages: StorageSpec[] = [];
          const views: ViewSpec[] = [];
          const types = [...inputTypes, ...outTypes.slice(0, exprs.length)];
          for (const [k, type] of types.entries()) {
            const { storage, view } = randomView(shape, type, random, k < inputCount);
            views.push({ ...view, storage: storages.length });
            storages.push(storage);
          }
          const found = elementwiseDifferences(
            runtime,
            kernels,
            exprs,
            storages,
            views.slice(0, inputCount),
            views.slice(inputCount),
            params,
          );
          expect(found).toEqual([]);
        },
      ),
      { seed: simd ? 2024 : 2025, numRuns: 400 },
    );
  });
});
