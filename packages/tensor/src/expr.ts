// Elementwise computations as expression trees. Each elementwise op of the op table is
// written once as an Expr over its inputs; a backend turns the tree into a kernel (the CPU
// backend into a JavaScript loop, WebGPU into WGSL), so chains of them can be fused later
// without touching their definitions. Whether each node computes on integers or floats is
// decided once for all backends by the type pass (expr-types.ts).

import type { DType } from './dtype.js';

/** The functions of one operand an Expr may apply. */
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

/** The functions of two operands an Expr may apply. */
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

/**
 * An elementwise computation as a tree over numbered inputs, constants and run-time params: what
 * Backend.elementwise compiles into one kernel. Build them with E.
 */
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

/** An operand of E's builders: an expression, or a number (a constant). */
export type Operand = Expr | number;

const lift = (x: Operand): Expr => (typeof x === 'number' ? { kind: 'const', value: x } : x);
const unary =
  (fn: UnaryFn) =>
  (x: Operand): Expr => ({ kind: 'unary', fn, x: lift(x) });
const binary =
  (fn: BinaryFn) =>
  (a: Operand, b: Operand): Expr => ({ kind: 'binary', fn, a: lift(a), b: lift(b) });

/** Builders for expressions; numbers become constants. */
export const E = {
  /** Input `index` of the kernel, read at the element being computed. */
  input: (index: number): Expr => ({ kind: 'input', index }),
  /** A constant. */
  const: (value: number): Expr => ({ kind: 'const', value }),
  /** Run-time scalar `index` (the kernel's params), so one compiled kernel serves every value. */
  param: (index: number): Expr => ({ kind: 'param', index }),
  /** `a` where `cond` is nonzero, else `b`. */
  select: (cond: Operand, a: Operand, b: Operand): Expr => ({
    kind: 'select',
    cond: lift(cond),
    a: lift(a),
    b: lift(b),
  }),
  /** `x` converted to `to`'s values: truncated toward zero for int32, x != 0 for bool. */
  cast: (to: DType, x: Operand): Expr => ({ kind: 'cast', to, x: lift(x) }),
  /** -x. */
  neg: unary('neg'),
  /** |x|. */
  abs: unary('abs'),
  /** e^x. */
  exp: unary('exp'),
  /** The natural logarithm. */
  log: unary('log'),
  /** log(1 + x). */
  log1p: unary('log1p'),
  /** e^x - 1. */
  expm1: unary('expm1'),
  /** The square root. */
  sqrt: unary('sqrt'),
  /** The sine (radians). */
  sin: unary('sin'),
  /** The cosine (radians). */
  cos: unary('cos'),
  /** The tangent (radians). */
  tan: unary('tan'),
  /** The hyperbolic tangent. */
  tanh: unary('tanh'),
  /** The error function. */
  erf: unary('erf'),
  /** Rounds down. */
  floor: unary('floor'),
  /** Rounds up. */
  ceil: unary('ceil'),
  /** Rounds toward zero. */
  trunc: unary('trunc'),
  /** Rounds to the nearest integer, halves to even. */
  roundHalfEven: unary('roundHalfEven'),
  /** -1, 0 or 1. */
  sign: unary('sign'),
  /** 1 where x is 0, else 0. */
  not: unary('not'),
  /** 1 where x is NaN, else 0. */
  isnan: unary('isnan'),
  /** 1 where x is infinite, else 0. */
  isinf: unary('isinf'),
  /** a + b. */
  add: binary('add'),
  /** a - b. */
  sub: binary('sub'),
  /** a · b. */
  mul: binary('mul'),
  /** a / b, as floats. */
  div: binary('div'),
  /** a raised to b. */
  pow: binary('pow'),
  /** The larger of a and b (NaN if either is). */
  max: binary('max'),
  /** The smaller of a and b (NaN if either is). */
  min: binary('min'),
  /** atan2(a, b), in radians. */
  atan2: binary('atan2'),
  /** The floor modulo, with the sign of b (Python's %). */
  mod: binary('mod'),
  /** a / b rounded toward zero (exact on integers). */
  divTrunc: binary('divTrunc'),
  /** a / b rounded down (exact on integers). */
  divFloor: binary('divFloor'),
  /** 1 where a == b, else 0. */
  eq: binary('eq'),
  /** 1 where a != b, else 0. */
  ne: binary('ne'),
  /** 1 where a < b, else 0. */
  lt: binary('lt'),
  /** 1 where a <= b, else 0. */
  le: binary('le'),
  /** 1 where a > b, else 0. */
  gt: binary('gt'),
  /** 1 where a >= b, else 0. */
  ge: binary('ge'),
  /** 1 where both are nonzero, else 0. */
  and: binary('and'),
  /** 1 where either is nonzero, else 0. */
  or: binary('or'),
  /** 1 where exactly one is nonzero, else 0. */
  xor: binary('xor'),
};

// Most ops pass the same expression object with every call: the op table builds one per op
// and dtypes and keeps it (see ops/elementwise.ts), and marks it so. A backend may then find
// its compiled kernel by the object, which costs far less than rendering the text key below
// (more than a small op's kernel itself). Expressions built per call (fused chains, where,
// clamp) are not marked: caching them by object would only fill the cache.
const reused = new WeakSet<Expr>();

/** Marks `expr` as kept and passed again with every call of its op; returns it. */
export function markReused(expr: Expr): Expr {
  reused.add(expr);
  return expr;
}

/** Whether `expr` is kept and passed again (markReused): worth caching a kernel by the object. */
export function isReused(expr: Expr): boolean {
  return reused.has(expr);
}

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
