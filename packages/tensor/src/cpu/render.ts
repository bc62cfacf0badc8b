// Renders an elementwise Expr as a JavaScript expression over local variables a0, a1, ...
// Values are JavaScript numbers (doubles); storing into the output's typed array rounds
// to float32, wraps to int32 or keeps 0/1 for bool, so only casts need explicit code.

import type { BinaryFn, Expr, UnaryFn } from '../expr.js';

const unaryJs: Record<UnaryFn, (x: string) => string> = {
  neg: (x) => `(-${x})`,
  abs: (x) => `Math.abs(${x})`,
  exp: (x) => `Math.exp(${x})`,
  log: (x) => `Math.log(${x})`,
  log1p: (x) => `Math.log1p(${x})`,
  expm1: (x) => `Math.expm1(${x})`,
  sqrt: (x) => `Math.sqrt(${x})`,
  sin: (x) => `Math.sin(${x})`,
  cos: (x) => `Math.cos(${x})`,
  tan: (x) => `Math.tan(${x})`,
  tanh: (x) => `Math.tanh(${x})`,
  erf: (x) => `h.erf(${x})`,
  floor: (x) => `Math.floor(${x})`,
  ceil: (x) => `Math.ceil(${x})`,
  trunc: (x) => `Math.trunc(${x})`,
  roundHalfEven: (x) => `h.roundHalfEven(${x})`,
  sign: (x) => `h.sign(${x})`,
  not: (x) => `(${x} === 0 ? 1 : 0)`,
  isnan: (x) => `(${x} !== ${x} ? 1 : 0)`,
  isinf: (x) => `(${x} === Infinity || ${x} === -Infinity ? 1 : 0)`,
};

const binaryJs: Record<BinaryFn, (a: string, b: string) => string> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  pow: (a, b) => `Math.pow(${a}, ${b})`,
  // NaN propagates through maximum/minimum, as in PyTorch.
  max: (a, b) => `h.maximum(${a}, ${b})`,
  min: (a, b) => `h.minimum(${a}, ${b})`,
  atan2: (a, b) => `Math.atan2(${a}, ${b})`,
  mod: (a, b) => `h.mod(${a}, ${b})`,
  eq: (a, b) => `(${a} === ${b} ? 1 : 0)`,
  ne: (a, b) => `(${a} !== ${b} ? 1 : 0)`,
  lt: (a, b) => `(${a} < ${b} ? 1 : 0)`,
  le: (a, b) => `(${a} <= ${b} ? 1 : 0)`,
  gt: (a, b) => `(${a} > ${b} ? 1 : 0)`,
  ge: (a, b) => `(${a} >= ${b} ? 1 : 0)`,
  and: (a, b) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`,
  or: (a, b) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`,
  xor: (a, b) => `((${a} !== 0) !== (${b} !== 0) ? 1 : 0)`,
};

function literal(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '(-Infinity)';
  if (Object.is(value, -0)) return '(-0)';
  return value < 0 ? `(${value})` : String(value);
}

export function renderJs(expr: Expr): string {
  switch (expr.kind) {
    case 'input':
      return `a${expr.index}`;
    case 'const':
      return literal(expr.value);
    case 'param':
      return `c${expr.index}`;
    case 'unary':
      return unaryJs[expr.fn](renderJs(expr.x));
    case 'binary':
      return binaryJs[expr.fn](renderJs(expr.a), renderJs(expr.b));
    case 'select':
      return `(${renderJs(expr.cond)} !== 0 ? ${renderJs(expr.a)} : ${renderJs(expr.b)})`;
    case 'cast': {
      const x = renderJs(expr.x);
      if (expr.to === 'int32') return `Math.trunc(${x})`;
      if (expr.to === 'bool') return `(${x} !== 0 ? 1 : 0)`;
      if (expr.to === 'float32') return `Math.fround(${x})`;
      return x;
    }
    default:
      return expr satisfies never;
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
