// What the elementwise kernel compiler decides about typed expressions before emitting code:
// which functions they import (Math's, and render.ts's helpers, so calls give the JavaScript
// kernels' values exactly), and whether float32 lanes compute exactly what doubles compute.

import { helpers } from '../cpu/render.js';
import type { UnaryFn } from '../expr.js';
import { isTest, type Typed } from '../expr-types.js';
import type { ValType } from './encoder.js';

/** Functions a kernel imports: module `m` (Math's) and `h` (render.ts's helpers). */
export const importTable = {
  exp: { module: 'm', params: ['f64'], results: ['f64'] },
  log: { module: 'm', params: ['f64'], results: ['f64'] },
  log1p: { module: 'm', params: ['f64'], results: ['f64'] },
  expm1: { module: 'm', params: ['f64'], results: ['f64'] },
  sin: { module: 'm', params: ['f64'], results: ['f64'] },
  cos: { module: 'm', params: ['f64'], results: ['f64'] },
  tan: { module: 'm', params: ['f64'], results: ['f64'] },
  tanh: { module: 'm', params: ['f64'], results: ['f64'] },
  pow: { module: 'm', params: ['f64', 'f64'], results: ['f64'] },
  atan2: { module: 'm', params: ['f64', 'f64'], results: ['f64'] },
  erf: { module: 'h', params: ['f64'], results: ['f64'] },
  mod: { module: 'h', params: ['f64', 'f64'], results: ['f64'] },
  ipow: { module: 'h', params: ['i32', 'i32'], results: ['i32'] },
} as const satisfies Record<
  string,
  { module: 'm' | 'h'; params: readonly ValType[]; results: readonly ValType[] }
>;

/** A function a kernel may import. */
export type ImportName = keyof typeof importTable;

/**
 * The import object every elementwise kernel instantiates with (a worker instantiating a
 * kernel's bytes passes the same): Math's functions and render.ts's helpers, so calls give the
 * JavaScript kernels' values exactly.
 */
export function kernelImports(): Record<'m' | 'h', Record<string, unknown>> {
  return {
    m: {
      exp: Math.exp,
      log: Math.log,
      log1p: Math.log1p,
      expm1: Math.expm1,
      sin: Math.sin,
      cos: Math.cos,
      tan: Math.tan,
      tanh: Math.tanh,
      pow: Math.pow,
      atan2: Math.atan2,
    },
    h: { erf: helpers.erf, mod: helpers.mod, ipow: helpers.ipow },
  };
}

/** The imported function of each transcendental unary fn. */
export const unaryImport: Partial<Record<UnaryFn, ImportName>> = {
  exp: 'exp',
  log: 'log',
  log1p: 'log1p',
  expm1: 'expm1',
  sin: 'sin',
  cos: 'cos',
  tan: 'tan',
  tanh: 'tanh',
  erf: 'erf',
};

/** The imported function a node calls, if any. */
export function importOf(e: Typed): ImportName | undefined {
  if (e.kind === 'unary' && e.type === 'float') return unaryImport[e.fn];
  if (e.kind !== 'binary') return undefined;
  if (e.fn === 'pow') return e.type === 'float' ? 'pow' : 'ipow';
  if (e.fn === 'atan2') return 'atan2';
  if (e.fn === 'mod' && e.type === 'float') return 'mod';
  return undefined;
}

/** The operands of a node, in the order they are pushed. */
export function children(e: Typed): readonly Typed[] {
  switch (e.kind) {
    case 'input':
    case 'const':
    case 'param':
      return [];
    case 'unary':
    case 'cast':
    case 'convert':
      return [e.x];
    case 'binary':
      return [e.a, e.b];
    case 'select':
      // Branches first: wasm's select takes (a, b, cond).
      return [e.a, e.b, e.cond];
    default:
      return e satisfies never;
  }
}

/** How vector code holds float values: two f64 lanes, or four f32 lanes (see f32Exact). */
export type VectorMode = 'f64x2' | 'f32x4';

/** Lanes per vector in each mode (int values are i32x4; in f64x2 mode lanes 0 and 1 count). */
export const lanesOf: Record<VectorMode, 2 | 4> = { f64x2: 2, f32x4: 4 };

/**
 * Whether float32 vector code computes exactly what the JavaScript kernel computes in doubles.
 * Every float value is classed as 'exact' (a float32 value computed without rounding, equal in
 * both precisions) or 'rounded' (one rounding of exact operands by +, -, *, / or sqrt, or an
 * int32 converted: float32 gives fround of the double's result, as binary64 holds more than
 * twice float32's precision), and neg, abs, max, min and select carry those classes (they
 * commute with fround). A rounded value may only reach a float32 output; anything else (a
 * comparison, a second rounding, a transcendental function, a float param or a float64 value)
 * needs double precision.
 */
export function f32Exact(
  exprs: readonly Typed[],
  inputTypes: readonly string[],
  outTypes: readonly string[],
): boolean {
  if (inputTypes.includes('float64') || outTypes.includes('float64')) return false;
  const memo = new Map<Typed, 'exact' | 'rounded' | 'int' | undefined>();
  // An int value that is 0 or 1 converts to float32 exactly.
  const zeroOrOne = (e: Typed) =>
    isTest(e) || (e.kind === 'input' && inputTypes[e.index] === 'bool');
  const classify = (e: Typed): 'exact' | 'rounded' | 'int' | undefined => {
    if (memo.has(e)) return memo.get(e);
    const result = classOf(e);
    memo.set(e, result);
    return result;
  };
  // An int node is 'int' when its float operands (if any) are exact.
  const exactOperands = (...xs: Typed[]) =>
    xs.every((x) => {
      const c = classify(x);
      return c === 'exact' || c === 'int';
    });
  const carry = (...xs: Typed[]): 'exact' | 'rounded' | undefined => {
    const classes = xs.map(classify);
    if (classes.some((c) => c === undefined || c === 'int')) return undefined;
    return classes.every((c) => c === 'exact') ? 'exact' : 'rounded';
  };
  const classOf = (e: Typed): 'exact' | 'rounded' | 'int' | undefined => {
    if (e.type === 'int') {
      if (e.kind === 'select') return exactOperands(e.cond, e.a, e.b) ? 'int' : undefined;
      return children(e).every((x) => exactOperands(x)) ? 'int' : undefined;
    }
    switch (e.kind) {
      case 'input':
        return 'exact';
      case 'const':
        return Number.isNaN(e.value) || Math.fround(e.value) === e.value ? 'exact' : undefined;
      case 'param':
        return undefined;
      case 'convert':
        if (classify(e.x) !== 'int') return undefined;
        return zeroOrOne(e.x) ? 'exact' : 'rounded';
      case 'cast': {
        if (e.to !== 'float32') return undefined;
        const c = classify(e.x);
        if (c === undefined) return undefined;
        return c === 'int' && !zeroOrOne(e.x) ? 'rounded' : 'exact';
      }
      case 'unary':
        switch (e.fn) {
          case 'neg':
          case 'abs':
            return carry(e.x);
          case 'floor':
          case 'ceil':
          case 'trunc':
          case 'roundHalfEven':
          case 'sign':
            return classify(e.x) === 'exact' ? 'exact' : undefined;
          case 'sqrt':
            return classify(e.x) === 'exact' ? 'rounded' : undefined;
          default:
            return undefined;
        }
      case 'binary':
        switch (e.fn) {
          case 'add':
          case 'sub':
          case 'mul':
          case 'div':
            return carry(e.a, e.b) === 'exact' ? 'rounded' : undefined;
          case 'max':
          case 'min':
            return carry(e.a, e.b);
          default:
            return undefined;
        }
      case 'select':
        return exactOperands(e.cond) ? carry(e.a, e.b) : undefined;
      default:
        return e satisfies never;
    }
  };
  return exprs.every((e, k) => {
    const c = classify(e);
    if (c === undefined) return false;
    return outTypes[k] === 'float32' || c !== 'rounded';
  });
}
