// Renders a typed elementwise expression (see expr-types.ts) as a JavaScript expression over
// local variables a0, a1, ... and params c0, c1, ... Float values are JavaScript numbers
// (doubles; storing into a float32 array rounds them); integer values are int32 values held
// in numbers, kept in range by `| 0` and Math.imul after every operation, so they wrap
// exactly as int32 arithmetic does, and as the WebGPU backend's i32 arithmetic does.

import type { DType } from '../dtype.js';
import type { BinaryFn, UnaryFn } from '../expr.js';
import {
  binaryRule,
  isTest,
  type NumberKind,
  type Typed,
  unaryRule,
  variant,
} from '../expr-types.js';

type Render1 = (x: string) => string;
type Render2 = (a: string, b: string) => string;

/** Each fn on floats and, where it computes on integers, on int32 values. */
const unaryJs: Record<UnaryFn, { float: Render1; int?: Render1 }> = {
  neg: { float: (x) => `(-${x})`, int: (x) => `((-${x}) | 0)` },
  abs: { float: (x) => `Math.abs(${x})`, int: (x) => `(Math.abs(${x}) | 0)` },
  exp: { float: (x) => `Math.exp(${x})` },
  log: { float: (x) => `Math.log(${x})` },
  log1p: { float: (x) => `Math.log1p(${x})` },
  expm1: { float: (x) => `Math.expm1(${x})` },
  sqrt: { float: (x) => `Math.sqrt(${x})` },
  sin: { float: (x) => `Math.sin(${x})` },
  cos: { float: (x) => `Math.cos(${x})` },
  tan: { float: (x) => `Math.tan(${x})` },
  tanh: { float: (x) => `Math.tanh(${x})` },
  erf: { float: (x) => `h.erf(${x})` },
  // Integers are their own floor, ceiling, truncation and rounding.
  floor: { float: (x) => `Math.floor(${x})`, int: (x) => x },
  ceil: { float: (x) => `Math.ceil(${x})`, int: (x) => x },
  trunc: { float: (x) => `Math.trunc(${x})`, int: (x) => x },
  roundHalfEven: { float: (x) => `h.roundHalfEven(${x})`, int: (x) => x },
  sign: { float: (x) => `h.sign(${x})`, int: (x) => `h.sign(${x})` },
  // Tests: by the operand's kind.
  not: { float: (x) => `(${x} === 0 ? 1 : 0)`, int: (x) => `(${x} === 0 ? 1 : 0)` },
  isnan: { float: (x) => `(${x} !== ${x} ? 1 : 0)`, int: () => '0' },
  isinf: { float: (x) => `(${x} === Infinity || ${x} === -Infinity ? 1 : 0)`, int: () => '0' },
};

const binaryJs: Record<BinaryFn, { float: Render2; int?: Render2 }> = {
  // The sum or difference of two int32 values is exact in a double; `| 0` wraps it.
  add: { float: (a, b) => `(${a} + ${b})`, int: (a, b) => `((${a} + ${b}) | 0)` },
  sub: { float: (a, b) => `(${a} - ${b})`, int: (a, b) => `((${a} - ${b}) | 0)` },
  // A product can pass 2^53 and lose its low bits in a double: Math.imul keeps them.
  mul: { float: (a, b) => `(${a} * ${b})`, int: (a, b) => `Math.imul(${a}, ${b})` },
  div: { float: (a, b) => `(${a} / ${b})` },
  pow: { float: (a, b) => `Math.pow(${a}, ${b})`, int: (a, b) => `h.ipow(${a}, ${b})` },
  // NaN propagates through maximum/minimum, as in PyTorch.
  max: { float: (a, b) => `h.maximum(${a}, ${b})`, int: (a, b) => `Math.max(${a}, ${b})` },
  min: { float: (a, b) => `h.minimum(${a}, ${b})`, int: (a, b) => `Math.min(${a}, ${b})` },
  atan2: { float: (a, b) => `Math.atan2(${a}, ${b})` },
  mod: { float: (a, b) => `h.mod(${a}, ${b})`, int: (a, b) => `h.imod(${a}, ${b})` },
  // The double quotient of two int32 values truncates or floors to the exact integer
  // quotient (it cannot round across an integer); `| 0` turns a division by zero (±Infinity,
  // NaN) into 0, and wraps -2^31 / -1 to -2^31, as WebGPU does.
  divTrunc: { float: (a, b) => `Math.trunc(${a} / ${b})`, int: (a, b) => `((${a} / ${b}) | 0)` },
  divFloor: {
    float: (a, b) => `Math.floor(${a} / ${b})`,
    int: (a, b) => `(Math.floor(${a} / ${b}) | 0)`,
  },
  // Comparisons and logical ops read both kinds alike (an int32 is exact in a double).
  eq: { float: (a, b) => `(${a} === ${b} ? 1 : 0)` },
  ne: { float: (a, b) => `(${a} !== ${b} ? 1 : 0)` },
  lt: { float: (a, b) => `(${a} < ${b} ? 1 : 0)` },
  le: { float: (a, b) => `(${a} <= ${b} ? 1 : 0)` },
  gt: { float: (a, b) => `(${a} > ${b} ? 1 : 0)` },
  ge: { float: (a, b) => `(${a} >= ${b} ? 1 : 0)` },
  and: { float: (a, b) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)` },
  or: { float: (a, b) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)` },
  xor: { float: (a, b) => `((${a} !== 0) !== (${b} !== 0) ? 1 : 0)` },
};

function literal(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '(-Infinity)';
  if (Object.is(value, -0)) return '(-0)';
  return value < 0 ? `(${value})` : String(value);
}

/** `value` of kind `from` as an int32 (float to int32 as a cast does), or as a float. */
function convert(value: string, from: NumberKind, to: NumberKind): string {
  if (from === to || to === 'float') return value; // an int32 is exact in a double
  return `h.toInt32(${value})`;
}

export function renderJs(expr: Typed): string {
  switch (expr.kind) {
    case 'input':
      return `a${expr.index}`;
    case 'const':
      return literal(expr.value);
    case 'param':
      return `c${expr.index}`;
    case 'unary': {
      const kind = unaryRule[expr.fn] === 'test' ? expr.x.type : expr.type;
      return variant(unaryJs[expr.fn], kind, expr.fn)(renderJs(expr.x));
    }
    case 'binary': {
      const rule = binaryRule[expr.fn];
      const kind = rule === 'compare' || rule === 'logical' ? 'float' : expr.type;
      return variant(binaryJs[expr.fn], kind, expr.fn)(renderJs(expr.a), renderJs(expr.b));
    }
    case 'select':
      return `(${renderJs(expr.cond)} !== 0 ? ${renderJs(expr.a)} : ${renderJs(expr.b)})`;
    case 'cast': {
      const x = renderJs(expr.x);
      switch (expr.to) {
        case 'int32':
          return convert(x, expr.x.type, 'int');
        case 'bool':
          return isTest(expr.x) ? x : `(${x} !== 0 ? 1 : 0)`;
        case 'float32':
          return `Math.fround(${x})`;
        case 'float64':
          return x;
        default:
          return expr.to satisfies never;
      }
    }
    case 'convert':
      return convert(renderJs(expr.x), expr.x.type, expr.type);
    default:
      return expr satisfies never;
  }
}

/** `expr` rendered as the value stored into an array of `dtype`. */
export function renderStored(expr: Typed, dtype: DType): string {
  const value = renderJs(expr);
  switch (dtype) {
    case 'int32':
      return convert(value, expr.type, 'int');
    case 'bool':
      return isTest(expr) ? value : `(${value} !== 0 ? 1 : 0)`;
    case 'float32':
    case 'float64':
      return value;
    default:
      return dtype satisfies never;
  }
}

/** Scalar helpers the generated code calls as `h.name`. */
export const helpers = {
  // Math.max and Math.min propagate NaN, as PyTorch's maximum and minimum do.
  maximum: (a: number, b: number): number => Math.max(a, b),
  minimum: (a: number, b: number): number => Math.min(a, b),
  // 0 for ±0 and NaN, as PyTorch's (0 < x) - (x < 0).
  sign: (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0),
  mod: (a: number, b: number): number => {
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  },
  /**
   * int32 remainder with the sign of the divisor. By zero: 0, the CPU's result before integer
   * arithmetic was exact (PyTorch raises ZeroDivisionError; a GPU kernel cannot raise, and
   * both backends must agree).
   */
  imod: (a: number, b: number): number => {
    if (b === 0) return 0;
    const r = a % b;
    return (r !== 0 && r < 0 !== b < 0 ? r + b : r) | 0;
  },
  /**
   * int32 power by repeated squaring, wrapping as PyTorch's integer pow does. Negative
   * exponents give 1 / a^-b truncated: 1 for a = 1, ±1 for a = -1, else 0.
   */
  ipow: (a: number, b: number): number => {
    if (b < 0) return a === 1 ? 1 : a === -1 ? (b & 1 ? -1 : 1) : 0;
    let result = 1;
    let base = a;
    for (let e = b; e !== 0; e >>>= 1) {
      if (e & 1) result = Math.imul(result, base);
      base = Math.imul(base, base);
    }
    return result;
  },
  /**
   * Float to int32, truncating toward zero. NaN, ±Infinity and values outside int32's range
   * give -2^31, PyTorch's result on x86 (C++ leaves the conversion undefined there).
   */
  toInt32: (x: number): number => {
    const t = Math.trunc(x);
    return t >= -2147483648 && t <= 2147483647 ? t | 0 : -2147483648;
  },
  roundHalfEven: (x: number): number => {
    const r = Math.round(x);
    // Math.round rounds .5 up; move exact halves that went to an odd number back down.
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  /**
   * erf to double precision (within a few ulps), so float64 tensors get float64 accuracy:
   * its Maclaurin series below |x| = 1.7, where the terms cancel little, and beyond, 1 - erfc
   * with erfc from its continued fraction
   *   erfc(x) = exp(-x²) / √π · 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))),
   * evaluated by Lentz's method (it converges in under 90 steps there).
   */
  erf: (x: number): number => {
    const ax = Math.abs(x);
    if (ax < 1.7) {
      const x2 = x * x;
      let term = x;
      let sum = x;
      for (let n = 1; n < 60; n++) {
        term *= -x2 / n;
        const add = term / (2 * n + 1);
        sum += add;
        if (Math.abs(add) <= 1e-17 * Math.abs(sum)) break;
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    }
    if (Number.isNaN(ax)) return Number.NaN;
    if (ax >= 6) return Math.sign(x); // erfc(6) < 2e-17: 1 in double precision
    let fraction = ax;
    let c = ax;
    let d = 0;
    for (let k = 1; k < 200; k++) {
      d = 1 / (ax + (k / 2) * d);
      c = ax + k / 2 / c;
      const delta = c * d;
      fraction *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * fraction);
    return x > 0 ? 1 - erfc : erfc - 1;
  },
};
