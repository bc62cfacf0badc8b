// Elementwise computations as expression trees. Each elementwise op of the op table is
// written once as an Expr over its inputs; a backend turns the tree into a kernel (the CPU
// backend into a JavaScript loop, WebGPU into WGSL), so chains of them can be fused later
// without touching their definitions. Whether each node computes on integers or floats is
// decided once for all backends by the type pass (expr-types.ts).

import type { DType } from './dtype.js';

export type UnaryFn =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'log1p'
  | 'expm1'
  | 'sqrt'
  | 'sin'
  | 'cos'
  | 'tan'
  | 'tanh'
  | 'erf'
  | 'floor'
  | 'ceil'
  | 'trunc'
  | 'roundHalfEven'
  | 'sign'
  | 'not'
  | 'isnan'
  | 'isinf';

export type BinaryFn =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'max'
  | 'min'
  | 'atan2'
  | 'mod' // floor modulo, the sign of the divisor (Python's %)
  | 'divTrunc' // a / b rounded toward zero (exact integer division on integers)
  | 'divFloor' // a / b rounded toward -infinity (exact integer division on integers)
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'and'
  | 'or'
  | 'xor';

export type Expr =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'const'; readonly value: number }
  /** A scalar argument supplied at run time (a uniform on the GPU), so one kernel serves all values. */
  | { readonly kind: 'param'; readonly index: number }
  | { readonly kind: 'unary'; readonly fn: UnaryFn; readonly x: Expr }
  | { readonly kind: 'binary'; readonly fn: BinaryFn; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'select'; readonly cond: Expr; readonly a: Expr; readonly b: Expr }
  /**
   * Converts to `to`'s value set: truncation toward zero for int32 (NaN, infinities and
   * values past int32's range give -2^31, as PyTorch on x86), x != 0 for bool, rounding to
   * nearest for float32.
   */
  | { readonly kind: 'cast'; readonly to: DType; readonly x: Expr };

type Operand = Expr | number;

const lift = (x: Operand): Expr => (typeof x === 'number' ? { kind: 'const', value: x } : x);
const unary =
  (fn: UnaryFn) =>
  (x: Operand): Expr => ({ kind: 'unary', fn, x: lift(x) });
const binary =
  (fn: BinaryFn) =>
  (a: Operand, b: Operand): Expr => ({ kind: 'binary', fn, a: lift(a), b: lift(b) });

/** Builders for expressions; numbers become constants. */
export const E = {
  input: (index: number): Expr => ({ kind: 'input', index }),
  const: (value: number): Expr => ({ kind: 'const', value }),
  param: (index: number): Expr => ({ kind: 'param', index }),
  select: (cond: Operand, a: Operand, b: Operand): Expr => ({
    kind: 'select',
    cond: lift(cond),
    a: lift(a),
    b: lift(b),
  }),
  cast: (to: DType, x: Operand): Expr => ({ kind: 'cast', to, x: lift(x) }),
  neg: unary('neg'),
  abs: unary('abs'),
  exp: unary('exp'),
  log: unary('log'),
  log1p: unary('log1p'),
  expm1: unary('expm1'),
  sqrt: unary('sqrt'),
  sin: unary('sin'),
  cos: unary('cos'),
  tan: unary('tan'),
  tanh: unary('tanh'),
  erf: unary('erf'),
  floor: unary('floor'),
  ceil: unary('ceil'),
  trunc: unary('trunc'),
  roundHalfEven: unary('roundHalfEven'),
  sign: unary('sign'),
  not: unary('not'),
  isnan: unary('isnan'),
  isinf: unary('isinf'),
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  pow: binary('pow'),
  max: binary('max'),
  min: binary('min'),
  atan2: binary('atan2'),
  mod: binary('mod'),
  divTrunc: binary('divTrunc'),
  divFloor: binary('divFloor'),
  eq: binary('eq'),
  ne: binary('ne'),
  lt: binary('lt'),
  le: binary('le'),
  gt: binary('gt'),
  ge: binary('ge'),
  and: binary('and'),
  or: binary('or'),
  xor: binary('xor'),
};

/** A stable text form, used as a cache key for generated kernels. */
export function exprKey(expr: Expr): string {
  switch (expr.kind) {
    case 'input':
      return `$${expr.index}`;
    case 'const':
      return Object.is(expr.value, -0) ? '-0' : String(expr.value);
    case 'param':
      return `#${expr.index}`;
    case 'unary':
      return `${expr.fn}(${exprKey(expr.x)})`;
    case 'binary':
      return `${expr.fn}(${exprKey(expr.a)},${exprKey(expr.b)})`;
    case 'select':
      return `select(${exprKey(expr.cond)},${exprKey(expr.a)},${exprKey(expr.b)})`;
    case 'cast':
      return `${expr.to}(${exprKey(expr.x)})`;
    default:
      return expr satisfies never;
  }
}

/** Replaces the inputs of `expr` by the given expressions (for composing and fusing). */
export function substitute(expr: Expr, inputs: readonly Expr[]): Expr {
  switch (expr.kind) {
    case 'input': {
      const replacement = inputs[expr.index];
      if (!replacement) throw new Error(`expression input ${expr.index} has no replacement`);
      return replacement;
    }
    case 'const':
    case 'param':
      return expr;
    case 'unary':
      return { ...expr, x: substitute(expr.x, inputs) };
    case 'binary':
      return { ...expr, a: substitute(expr.a, inputs), b: substitute(expr.b, inputs) };
    case 'select':
      return {
        ...expr,
        cond: substitute(expr.cond, inputs),
        a: substitute(expr.a, inputs),
        b: substitute(expr.b, inputs),
      };
    case 'cast':
      return { ...expr, x: substitute(expr.x, inputs) };
    default:
      return expr satisfies never;
  }
}
