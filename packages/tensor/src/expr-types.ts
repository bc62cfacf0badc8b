// The type pass over elementwise expressions, shared by every backend's code generation:
// each node computes on integers (int32, wrapping as two's complement, as PyTorch's int32
// does) or on floats. Both renderers follow it, so the CPU and WebGPU agree bit for bit on
// integer results, which no longer pass through a float.
//
// Rules, as PyTorch's: inputs have their dtype's kind (bool is an integer 0/1); integer
// operands stay integers in add, sub, mul, pow, max, min, remainder and the rounding
// divisions; div, atan2 and the transcendental functions are float ops; comparisons and
// logical ops give an integer 0/1. Constants and params adopt the kind their context asks
// for (ops cast an int32 tensor to float32 before meeting a float scalar, so a float scalar
// never lands in an integer context); a whole-number constant inside int32's range does the
// same, any other constant is a float. An integer operand of a float computation is
// converted ('convert' nodes); a param used in both kinds is passed as a float.

import { type DType, INT32_MAX, INT32_MIN } from './dtype.js';
import type { BinaryFn, Expr, UnaryFn } from './expr.js';

/** Whether an expression node computes on int32 values or on floats. */
export type NumberKind = 'int' | 'float';

/** An Expr node with the kind of value it computes, and its children typed. */
export type Typed = { readonly type: NumberKind } & (
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'param'; readonly index: number }
  | { readonly kind: 'unary'; readonly fn: UnaryFn; readonly x: Typed }
  | { readonly kind: 'binary'; readonly fn: BinaryFn; readonly a: Typed; readonly b: Typed }
  | { readonly kind: 'select'; readonly cond: Typed; readonly a: Typed; readonly b: Typed }
  | { readonly kind: 'cast'; readonly to: DType; readonly x: Typed }
  /** A conversion the rules imply: an integer operand of a float computation. */
  | { readonly kind: 'convert'; readonly x: Typed }
);

/** Expressions after the type pass, as backends compile them: each node with its NumberKind. */
export interface TypedExprs {
  readonly exprs: readonly Typed[];
  /** The kind each param is passed as (unused ones: float). */
  readonly params: readonly NumberKind[];
}

/** What kind a unary fn computes in: floats only, its operand's kind, or a 0/1 test. */
export const unaryRule: Record<UnaryFn, 'float' | 'same' | 'test'> = {
  neg: 'same',
  abs: 'same',
  exp: 'float',
  log: 'float',
  log1p: 'float',
  expm1: 'float',
  sqrt: 'float',
  sin: 'float',
  cos: 'float',
  tan: 'float',
  tanh: 'float',
  erf: 'float',
  floor: 'same',
  ceil: 'same',
  trunc: 'same',
  roundHalfEven: 'same',
  sign: 'same',
  not: 'test',
  isnan: 'test',
  isinf: 'test',
};

/**
 * What kind a binary fn computes in: floats only; its operands' common kind; a comparison
 * (operands in their common kind, the result 0/1); or a logical op (operands as they are).
 */
export const binaryRule: Record<BinaryFn, 'float' | 'same' | 'compare' | 'logical'> = {
  add: 'same',
  sub: 'same',
  mul: 'same',
  div: 'float',
  pow: 'same',
  max: 'same',
  min: 'same',
  atan2: 'float',
  mod: 'same',
  divTrunc: 'same',
  divFloor: 'same',
  eq: 'compare',
  ne: 'compare',
  lt: 'compare',
  le: 'compare',
  gt: 'compare',
  ge: 'compare',
  and: 'logical',
  or: 'logical',
  xor: 'logical',
};

/**
 * The form of a renderer's table entry for a node's kind: its float form, or its int form,
 * which every op the type pass keeps in int32 has (it converts the operands of the others).
 */
export function variant<R>(forms: { float: R; int?: R }, kind: NumberKind, what: string): R {
  if (kind === 'float') return forms.float;
  if (!forms.int)
    throw new Error(`${what} has no integer form (the type pass converts its operands)`);
  return forms.int;
}

/**
 * The kind a dtype's values compute in: 'int' for int32 and bool, 'float' for the floating dtypes.
 */
export function kindOf(dtype: DType): NumberKind {
  switch (dtype) {
    case 'int32':
    case 'bool':
      return 'int';
    case 'float32':
    case 'float64':
      return 'float';
    default:
      return dtype satisfies never;
  }
}

/**
 * The kind an otherwise undetermined value takes when it becomes `dtype`: an integer for
 * int32 (a param of 2.7 is truncated exactly, not rounded to float32 first), a float for
 * bool (0.5 is true, as PyTorch's bool(0.5)).
 */
function kindStoredAs(dtype: DType): NumberKind {
  return dtype === 'int32' ? 'int' : 'float';
}

/** Whether `value` can be an integer constant: a whole number within int32's range. */
function fitsInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

function join(a: NumberKind | undefined, b: NumberKind | undefined): NumberKind | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a === 'float' || b === 'float' ? 'float' : 'int';
}

/** Whether a node's value is always 0 or 1 (a comparison, a logical op, a cast to bool). */
export function isTest(e: Typed): boolean {
  switch (e.kind) {
    case 'unary':
      return unaryRule[e.fn] === 'test';
    case 'binary': {
      const rule = binaryRule[e.fn];
      return rule === 'compare' || rule === 'logical';
    }
    case 'cast':
      return e.to === 'bool';
    default:
      return false;
  }
}

/**
 * Types `exprs[k]`, whose result is stored as `outs[k]`, over inputs of dtypes `inputs`
 * and `paramCount` params.
 */
export function typeExprs(
  exprs: readonly Expr[],
  inputs: readonly DType[],
  outs: readonly DType[],
  paramCount: number,
): TypedExprs {
  // The kind a node computes in whatever its context, or undefined when its context decides
  // (constants, params, and ops over only those). Memoized: fused chains share subtrees.
  const natural = new Map<Expr, NumberKind | undefined>();
  const naturalOf = (e: Expr): NumberKind | undefined => {
    if (natural.has(e)) return natural.get(e);
    let kind: NumberKind | undefined;
    switch (e.kind) {
      case 'input': {
        const dtype = inputs[e.index];
        if (dtype === undefined) throw new Error(`expression input ${e.index} has no dtype`);
        kind = kindOf(dtype);
        break;
      }
      case 'const':
        kind = fitsInt32(e.value) ? undefined : 'float';
        break;
      case 'param':
        kind = undefined;
        break;
      case 'unary': {
        const rule = unaryRule[e.fn];
        kind = rule === 'float' ? 'float' : rule === 'test' ? 'int' : naturalOf(e.x);
        break;
      }
      case 'binary': {
        const rule = binaryRule[e.fn];
        kind =
          rule === 'float'
            ? 'float'
            : rule === 'same'
              ? join(naturalOf(e.a), naturalOf(e.b))
              : 'int';
        break;
      }
      case 'select':
        kind = join(naturalOf(e.a), naturalOf(e.b));
        break;
      case 'cast':
        kind = kindOf(e.to);
        break;
      default:
        return e satisfies never;
    }
    natural.set(e, kind);
    return kind;
  };

  const paramUses: NumberKind[][] = Array.from({ length: paramCount }, () => []);
  const memo = new Map<Expr, Partial<Record<NumberKind, Typed>>>();

  /** `e` typed where its context asks for `expected` (its own kind wins). */
  const resolve = (e: Expr, expected: NumberKind): Typed => {
    const cached = memo.get(e)?.[expected];
    if (cached) return cached;
    const typed = build(e, naturalOf(e) ?? expected);
    memo.set(e, { ...memo.get(e), [expected]: typed });
    return typed;
  };
  /** `e` as an operand of a computation in `kind`: converted when it is an integer. */
  const operand = (e: Expr, kind: NumberKind): Typed => {
    const typed = resolve(e, kind);
    return typed.type === kind ? typed : { kind: 'convert', type: kind, x: typed };
  };
  /** A test's operand keeps its own kind; an undetermined one is taken as a float. */
  const own = (e: Expr): Typed => resolve(e, naturalOf(e) ?? 'float');

  const build = (e: Expr, type: NumberKind): Typed => {
    switch (e.kind) {
      case 'input':
        return { ...e, type };
      case 'const':
        // An integer constant is an int32 (`| 0` also turns -0 into 0, as int32 holds no -0).
        return { ...e, type, value: type === 'int' ? e.value | 0 : e.value };
      case 'param': {
        const uses = paramUses[e.index];
        if (!uses) throw new Error(`expression param ${e.index} is not among ${paramCount}`);
        uses.push(type);
        return { ...e, type };
      }
      case 'unary': {
        const rule = unaryRule[e.fn];
        if (rule === 'test') return { ...e, type: 'int', x: own(e.x) };
        return { ...e, type, x: operand(e.x, rule === 'float' ? 'float' : type) };
      }
      case 'binary': {
        const rule = binaryRule[e.fn];
        if (rule === 'logical') return { ...e, type: 'int', a: own(e.a), b: own(e.b) };
        if (rule === 'compare') {
          const common = join(naturalOf(e.a), naturalOf(e.b)) ?? 'float';
          return { ...e, type: 'int', a: operand(e.a, common), b: operand(e.b, common) };
        }
        const kind = rule === 'float' ? 'float' : type;
        return { ...e, type: kind, a: operand(e.a, kind), b: operand(e.b, kind) };
      }
      case 'select':
        return { ...e, type, cond: own(e.cond), a: operand(e.a, type), b: operand(e.b, type) };
      case 'cast':
        return { ...e, type, x: resolve(e.x, kindStoredAs(e.to)) };
      default:
        return e satisfies never;
    }
  };

  const typed = exprs.map((expr, k) => {
    const out = outs[k];
    if (out === undefined) throw new Error(`expression ${k} has no output dtype`);
    return resolve(expr, kindStoredAs(out));
  });
  const params = paramUses.map(
    (uses): NumberKind => (uses.length > 0 && uses.every((use) => use === 'int') ? 'int' : 'float'),
  );
  if (paramUses.every((uses, k) => uses.every((use) => use === params[k]))) {
    return { exprs: typed, params };
  }
  // A param used as both: passed as a float, converted where an integer is expected.
  const fix = (e: Typed): Typed => {
    switch (e.kind) {
      case 'input':
      case 'const':
        return e;
      case 'param':
        return params[e.index] === e.type
          ? e
          : { kind: 'convert', type: e.type, x: { ...e, type: params[e.index]! } };
      case 'unary':
      case 'cast':
      case 'convert':
        return { ...e, x: fix(e.x) };
      case 'binary':
        return { ...e, a: fix(e.a), b: fix(e.b) };
      case 'select':
        return { ...e, cond: fix(e.cond), a: fix(e.a), b: fix(e.b) };
      default:
        return e satisfies never;
    }
  };
  return { exprs: typed.map(fix), params };
}
