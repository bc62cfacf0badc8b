// Elementwise ops: each is an expression (for the kernel), a dtype rule and a derivative
// written in tensor ops, declared once in the tables below.

import { isGradEnabled } from '@dl/autograd';
import { describeValue } from '../args.js';
import type { Backend } from '../backend.js';
import {
  checkInt32Scalar,
  type DType,
  int32Operand,
  isFloating,
  promoteTypes,
  promoteWithScalar,
  scalarsDType,
} from '../dtype.js';
import { E, type Expr, markReused } from '../expr.js';
import { commonDevice, emptyTensor, record, viewDescriptor } from '../internal.js';
import { broadcastShapes, broadcastStrides, numelOf, type Shape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { lazyElementwise } from './fusion.js';
import { sumToShape } from './reduce.js';

/** What an elementwise op's output dtype is. */
type DTypeRule =
  | 'same' // the (promoted) input dtype
  | 'float' // float32 for bool/int inputs, else the input's float type
  | 'bool' // comparisons and logical ops
  | 'withParams'; // the input dtype promoted with the finite scalar parameters (int32.pow(0.5) is float32)

/**
 * A number or boolean operand, broadcast like a 0-d tensor; it raises the result's dtype only in
 * category (an int32 tensor + 2.5 is float32).
 */
export type Scalar = number | boolean;

interface UnaryDef {
  expr: (x: Expr, params: readonly Expr[]) => Expr;
  dtype: DTypeRule;
  /** Throws for inputs PyTorch refuses, before anything runs. */
  check?: (dtype: DType, params: readonly number[]) => void;
  /** Derivative given the output gradient, input, output and scalar parameters. */
  grad?: (g: Tensor, x: Tensor, y: Tensor, params: readonly number[]) => Tensor;
  /**
   * What the derivative reads (default both): only those are checked for in-place changes,
   * so `y.add_(1)` or `y.sqrt_()` on a non-leaf y keeps its gradient, as in PyTorch.
   */
  saves?: 'none' | 'input' | 'output' | 'both';
}

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const sigmoidExpr = (x: Expr) => E.div(1, E.add(1, E.exp(E.neg(x))));
const softplusExpr = (x: Expr) => E.add(E.max(x, 0), E.log1p(E.exp(E.neg(E.abs(x)))));
const geluTanhInner = (x: Expr) =>
  E.mul(SQRT_2_OVER_PI, E.add(x, E.mul(0.044715, E.mul(x, E.mul(x, x)))));

export const unaryOps = {
  neg: {
    expr: E.neg,
    dtype: 'same',
    saves: 'none',
    check: (dtype) => {
      if (dtype === 'bool') {
        throw new TypeError(
          'Negation, the `-` operator, on a bool tensor is not supported. If you are trying ' +
            'to invert a mask, use the `~` or `logical_not()` operator instead.',
        );
      }
    },
    grad: (g) => g.neg(),
  },
  abs: { expr: E.abs, dtype: 'same', saves: 'input', grad: (g, x) => g.mul(x.sign()) },
  exp: { expr: E.exp, dtype: 'float', saves: 'output', grad: (g, _x, y) => g.mul(y) },
  log: { expr: E.log, dtype: 'float', saves: 'input', grad: (g, x) => g.div(x) },
  log1p: { expr: E.log1p, dtype: 'float', saves: 'input', grad: (g, x) => g.div(x.add(1)) },
  expm1: { expr: E.expm1, dtype: 'float', saves: 'output', grad: (g, _x, y) => g.mul(y.add(1)) },
  sqrt: { expr: E.sqrt, dtype: 'float', saves: 'output', grad: (g, _x, y) => g.div(y.mul(2)) },
  rsqrt: {
    expr: (x) => E.div(1, E.sqrt(x)),
    dtype: 'float',
    saves: 'output',
    grad: (g, _x, y) => g.mul(y.pow(3)).mul(-0.5),
  },
  sin: { expr: E.sin, dtype: 'float', saves: 'input', grad: (g, x) => g.mul(x.cos()) },
  cos: { expr: E.cos, dtype: 'float', saves: 'input', grad: (g, x) => g.mul(x.sin()).neg() },
  tan: {
    expr: E.tan,
    dtype: 'float',
    saves: 'output',
    grad: (g, _x, y) => g.mul(y.square().add(1)),
  },
  tanh: {
    expr: E.tanh,
    dtype: 'float',
    saves: 'output',
    grad: (g, _x, y) => g.mul(y.square().neg().add(1)),
  },
  sigmoid: {
    expr: sigmoidExpr,
    dtype: 'float',
    saves: 'output',
    grad: (g, _x, y) => g.mul(y.mul(y.neg().add(1))),
  },
  // Written as x < 0 ? 0 : x so that NaN passes through, as in PyTorch. The derivative at 0
  // is taken as 0, as PyTorch does (relu's subgradient choice).
  relu: {
    expr: (x) => E.select(E.lt(x, 0), 0, x),
    dtype: 'same',
    saves: 'output',
    grad: (g, _x, y) => g.mul(y.gt(0)),
  },
  gelu: {
    expr: (x) => E.mul(E.mul(0.5, x), E.add(1, E.erf(E.mul(x, SQRT1_2)))),
    dtype: 'float',
    saves: 'input',
    grad: (g, x) => {
      const cdf = x.mul(SQRT1_2).erf().add(1).mul(0.5);
      const pdf = x
        .square()
        .mul(-0.5)
        .exp()
        .mul(1 / Math.sqrt(2 * Math.PI));
      return g.mul(cdf.add(x.mul(pdf)));
    },
  },
  geluTanh: {
    expr: (x) => E.mul(E.mul(0.5, x), E.add(1, E.tanh(geluTanhInner(x)))),
    dtype: 'float',
    saves: 'input',
    grad: (g, x) => {
      const t = elementwise('geluTanhInner', [x], (v) => geluTanhInner(v), 'float').tanh();
      const dInner = x
        .square()
        .mul(3 * 0.044715)
        .add(1)
        .mul(SQRT_2_OVER_PI);
      const sech2 = t.square().neg().add(1);
      return g.mul(t.add(1).mul(0.5).add(x.mul(0.5).mul(sech2).mul(dInner)));
    },
  },
  silu: {
    expr: (x) => E.mul(x, sigmoidExpr(x)),
    dtype: 'float',
    saves: 'input',
    grad: (g, x) => {
      const s = x.sigmoid();
      return g.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
    },
  },
  mish: {
    expr: (x) => E.mul(x, E.tanh(softplusExpr(x))),
    dtype: 'float',
    saves: 'input',
    grad: (g, x) => {
      const t = x.softplus().tanh();
      return g.mul(t.add(x.mul(x.sigmoid()).mul(t.square().neg().add(1))));
    },
  },
  erf: {
    expr: E.erf,
    dtype: 'float',
    saves: 'input',
    grad: (g, x) =>
      g.mul(
        x
          .square()
          .neg()
          .exp()
          .mul(2 / Math.sqrt(Math.PI)),
      ),
  },
  sign: { expr: E.sign, dtype: 'same', saves: 'none', grad: (g) => g.mul(0) },
  floor: { expr: E.floor, dtype: 'same', saves: 'none', grad: (g) => g.mul(0) },
  ceil: { expr: E.ceil, dtype: 'same', saves: 'none', grad: (g) => g.mul(0) },
  trunc: { expr: E.trunc, dtype: 'same', saves: 'none', grad: (g) => g.mul(0) },
  round: { expr: E.roundHalfEven, dtype: 'same', saves: 'none', grad: (g) => g.mul(0) },
  reciprocal: {
    expr: (x) => E.div(1, x),
    dtype: 'float',
    saves: 'output',
    grad: (g, _x, y) => g.mul(y.square()).neg(),
  },
  square: {
    expr: (x) => E.mul(x, x),
    dtype: 'same',
    saves: 'input',
    grad: (g, x) => g.mul(x).mul(2),
  },
  isnan: { expr: E.isnan, dtype: 'bool' },
  isinf: { expr: E.isinf, dtype: 'bool' },
  isfinite: { expr: (x) => E.not(E.or(E.isnan(x), E.isinf(x))), dtype: 'bool' },
  logicalNot: { expr: E.not, dtype: 'bool' },
  // With parameters:
  powScalar: {
    expr: (x, [p]) => E.pow(x, p!),
    dtype: 'withParams',
    saves: 'input',
    check: (dtype, [p]) => {
      if (!isFloating(dtype) && Number.isInteger(p) && p! < 0) {
        throw new RangeError('Integers to negative integer powers are not allowed.');
      }
    },
    grad: (g, x, _y, [p]) => (p === 0 ? g.mul(0) : g.mul(x.pow(p! - 1)).mul(p!)),
  },
  leakyRelu: {
    expr: (x, [slope]) => E.select(E.gt(x, 0), x, E.mul(x, slope!)),
    dtype: 'float',
    saves: 'input',
    grad: (g, x, _y, [slope]) => g.mul(where(x.gt(0), 1, slope!)),
  },
  elu: {
    expr: (x, [alpha]) => E.select(E.gt(x, 0), x, E.mul(alpha!, E.expm1(x))),
    dtype: 'float',
    saves: 'both',
    grad: (g, x, y, [alpha]) => g.mul(where(x.gt(0), 1, y.add(alpha!))),
  },
  softplus: {
    // (1/beta) log(1 + exp(beta x)), linear above the threshold, as torch.nn.functional.softplus.
    expr: (x, [beta, threshold]) =>
      E.select(E.gt(E.mul(x, beta!), threshold!), x, E.div(softplusExpr(E.mul(x, beta!)), beta!)),
    dtype: 'float',
    saves: 'input',
    grad: (g, x, _y, [beta, threshold]) => {
      const bx = x.mul(beta!);
      return g.mul(where(bx.gt(threshold!), 1, bx.sigmoid()));
    },
  },
  clamp: {
    // Bounds are params (±Infinity where absent); NaN in x propagates. min > max gives max,
    // as in PyTorch; so does the dtype (int32.clamp(0.5) is float32).
    expr: (x, [lo, hi]) => E.min(E.max(x, lo!), hi!),
    dtype: 'withParams',
    saves: 'input',
    grad: (g, x, _y, [lo, hi]) => g.mul(x.ge(lo!).logicalAnd(x.le(hi!))),
  },
  hardtanh: {
    expr: (x, [lo, hi]) => E.min(E.max(x, lo!), hi!),
    dtype: 'withParams',
    saves: 'input',
    // Unlike clamp's, the gradient is 0 at the bounds themselves (PyTorch's hardtanh_backward).
    grad: (g, x, _y, [lo, hi]) => g.mul(x.gt(lo!).logicalAnd(x.lt(hi!))),
  },
} satisfies Record<string, UnaryDef>;

export type UnaryOpName = keyof typeof unaryOps;

interface BinaryDef {
  expr: (a: Expr, b: Expr) => Expr;
  dtype: DTypeRule;
  /** Throws for operand dtypes PyTorch refuses (a scalar counts as bool, int32 or float32). */
  check?: (a: DType, b: DType) => void;
  /** Gradients for a and b, each at the broadcast shape (reduced to the inputs' shapes after). */
  grad?: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => readonly [Tensor | null, Tensor | null];
  /** What the derivative reads (default all), as for unary ops. */
  saves?: 'none' | 'inputs' | 'all';
}

export const binaryOps = {
  add: { expr: E.add, dtype: 'same', saves: 'none', grad: (g) => [g, g] },
  sub: {
    expr: E.sub,
    dtype: 'same',
    saves: 'none',
    check: (a, b) => {
      if (a === 'bool' && b === 'bool') {
        throw new TypeError(
          'Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` ' +
            'or `logical_xor()` operator instead.',
        );
      }
      if (a === 'bool' || b === 'bool') {
        throw new TypeError(
          'Subtraction, the `-` operator, with a bool tensor is not supported. If you are ' +
            'trying to invert a mask, use the `~` or `logical_not()` operator instead.',
        );
      }
    },
    grad: (g) => [g, g.neg()],
  },
  mul: { expr: E.mul, dtype: 'same', saves: 'inputs', grad: (g, a, b) => [g.mul(b), g.mul(a)] },
  div: {
    expr: E.div,
    dtype: 'float',
    saves: 'inputs',
    grad: (g, a, b) => [g.div(b), g.mul(a).div(b.square()).neg()],
  },
  divTrunc: {
    expr: E.divTrunc,
    dtype: 'same',
    saves: 'none',
    grad: (g) => [g.mul(0), g.mul(0)],
  },
  divFloor: {
    expr: E.divFloor,
    dtype: 'same',
    saves: 'none',
    grad: (g) => [g.mul(0), g.mul(0)],
  },
  remainder: {
    expr: E.mod,
    dtype: 'same',
    saves: 'inputs',
    grad: (g, a, b) => [g, g.mul(a.div(b, { roundingMode: 'floor' })).neg()],
  },
  pow: {
    expr: E.pow,
    dtype: 'same',
    saves: 'all',
    grad: (g, a, b, y) => [
      // b a^(b-1), taken as 0 where b = 0 (where 0 * 0^-1 would be NaN), as PyTorch does.
      g.mul(where(b.eq(0), 0, b.mul(a.pow(b.sub(1))))),
      // d/db a^b = a^b log a, taken as 0 where a = 0 and b >= 0, as PyTorch does.
      g.mul(where(a.eq(0).logicalAnd(b.ge(0)), 0, y.mul(a.log()))),
    ],
  },
  maximum: {
    expr: E.max,
    dtype: 'same',
    saves: 'inputs',
    // Ties split the gradient evenly, as PyTorch does.
    grad: (g, a, b) => {
      const share = where(a.gt(b), 1, where(a.eq(b), 0.5, 0));
      return [g.mul(share), g.mul(share.neg().add(1))];
    },
  },
  minimum: {
    expr: E.min,
    dtype: 'same',
    saves: 'inputs',
    grad: (g, a, b) => {
      const share = where(a.lt(b), 1, where(a.eq(b), 0.5, 0));
      return [g.mul(share), g.mul(share.neg().add(1))];
    },
  },
  atan2: {
    expr: E.atan2,
    dtype: 'float',
    saves: 'inputs',
    grad: (g, a, b) => {
      const denominator = a.square().add(b.square());
      return [g.mul(b).div(denominator), g.mul(a).neg().div(denominator)];
    },
  },
  eq: { expr: E.eq, dtype: 'bool' },
  ne: { expr: E.ne, dtype: 'bool' },
  lt: { expr: E.lt, dtype: 'bool' },
  le: { expr: E.le, dtype: 'bool' },
  gt: { expr: E.gt, dtype: 'bool' },
  ge: { expr: E.ge, dtype: 'bool' },
  logicalAnd: { expr: E.and, dtype: 'bool' },
  logicalOr: { expr: E.or, dtype: 'bool' },
  logicalXor: { expr: E.xor, dtype: 'bool' },
} satisfies Record<string, BinaryDef>;

export type BinaryOpName = keyof typeof binaryOps;

function resultDType(rule: DTypeRule, dtype: DType, params: readonly number[] = []): DType {
  if (rule === 'bool') return 'bool';
  if (rule === 'float') return isFloating(dtype) ? dtype : 'float32';
  if (rule === 'withParams') {
    // ±Infinity stands for an absent clamp bound, which must not make the result float.
    return params
      .filter((p) => p !== Infinity && p !== -Infinity)
      .reduce<DType>((d, p) => promoteWithScalar(d, p), dtype);
  }
  return dtype;
}

const category: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

/**
 * The dtype of an op over tensors, as torch.result_type: tensors with dims promote among
 * themselves, and 0-d tensors, like scalars, only raise the category (bool < int < float),
 * never the width (float32 [n] + float64 0-d is float32; int32 [n] + float64 0-d is float64).
 */
export function resultType(tensors: readonly Tensor[]): DType {
  let withDims: DType | undefined;
  let zeroDim: DType | undefined;
  for (const t of tensors) {
    if (t.ndim > 0) withDims = withDims ? promoteTypes(withDims, t.dtype) : t.dtype;
    else zeroDim = zeroDim ? promoteTypes(zeroDim, t.dtype) : t.dtype;
  }
  if (withDims === undefined || zeroDim === undefined) return (withDims ?? zeroDim)!;
  return category[zeroDim] > category[withDims] ? promoteTypes(withDims, zeroDim) : withDims;
}

/**
 * Runs an elementwise expression over tensors broadcast together, into a new tensor of
 * `dtype`. The building block of every op in this file (no autograd here).
 */
export function elementwise(
  name: string,
  inputs: readonly Tensor[],
  build: (...xs: Expr[]) => Expr,
  rule: DTypeRule | DType,
  params: readonly number[] = [],
  outShape?: Shape,
): Tensor {
  const outDType = isRule(rule) ? resultDType(rule, resultType(inputs), params) : rule;
  const expr = build(...inputs.map((_, i) => E.input(i)));
  return runExpr(name, inputs, expr, outDType, params, outShape);
}

/** The tensor an in-place op offers its elementwise op to write into (see computeInto). */
let inPlaceTarget: Tensor | undefined;

/**
 * Runs `compute` (an in-place op's out-of-place form, such as `self.add(other)`) letting the
 * first elementwise op it runs write its result straight into `target` instead of a new
 * tensor, when that op reads `target` as its first operand, element for element, and nothing
 * records a graph: x.add_(b) then costs no temporary the size of x (a convolution's bias on a
 * batch of 1000 images). The caller writes the result back when it is not `target`.
 */
export function computeInto(target: Tensor, compute: () => Tensor): Tensor {
  inPlaceTarget = target;
  try {
    return compute();
  } finally {
    inPlaceTarget = undefined;
  }
}

/**
 * Whether an op may write into `target`: it reads target as its first input in the result's
 * shape and dtype, every element of target is its own memory (contiguous, so no two elements
 * share bytes), other inputs reading target's storage read it as target (each element is read
 * before it is written, as elementwiseMulti allows), no graph is recorded, and the device
 * computes now (a fusing device's elementwise results are pending expressions).
 */
function canWriteInto(
  target: Tensor,
  device: Backend,
  inputs: readonly Tensor[],
  shape: Shape,
  dtype: DType,
): boolean {
  return (
    inputs[0] === target &&
    !device.fusesElementwise &&
    target.dtype === dtype &&
    sameShape(target.shape, shape) &&
    target.isContiguous() &&
    !(isGradEnabled() && inputs.some((t) => t.requiresGrad)) &&
    inputs.every((t) => t === target || t.storageRef !== target.storageRef)
  );
}

/** elementwise() with the expression built and the dtype decided (unary and binary cache both). */
function runExpr(
  name: string,
  inputs: readonly Tensor[],
  expr: Expr,
  outDType: DType,
  params: readonly number[],
  outShape?: Shape,
): Tensor {
  const target = inPlaceTarget;
  // Only the first op an in-place op runs may take its target: a later one could overwrite
  // values an earlier result still reads.
  inPlaceTarget = undefined;
  const device = commonDevice(name, inputs);
  let shape: Shape = outShape ?? inputs[0]!.shape;
  if (!outShape)
    for (let i = 1; i < inputs.length; i++) shape = broadcastShapes(shape, inputs[i]!.shape, name);
  if (device.fusesElementwise && numelOf(shape) > 0) {
    return lazyElementwise(device, inputs, expr, params, shape, outDType);
  }
  const views = inputs.map((t) => {
    const view = viewDescriptor(t, name);
    return sameShape(t.shape, shape)
      ? view
      : { ...view, shape, strides: broadcastStrides(t.shape, t.stride(), shape) };
  });
  if (target && canWriteInto(target, device, inputs, shape, outDType)) {
    target.storageRef.beforeWrite();
    device.elementwiseMulti([expr], views, [viewDescriptor(target, name)], params);
    return target;
  }
  const out = emptyTensor(shape, outDType, device);
  device.elementwise(expr, views, viewDescriptor(out, name), params);
  return out;
}

/** Numbers naming the dtypes in cache keys. */
const dtypeCode: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/**
 * Each op's expression, built once per op and dtypes (`key`, a number) and then passed as
 * the same object, which backends find their compiled kernel by.
 */
class ExprCache<Name extends string> {
  readonly #byOp = new Map<Name, Map<number, Expr>>();

  get(name: Name, key: number): Expr | undefined {
    return this.#byOp.get(name)?.get(key);
  }

  set(name: Name, key: number, expr: Expr): Expr {
    let exprs = this.#byOp.get(name);
    if (!exprs) {
      exprs = new Map();
      this.#byOp.set(name, exprs);
    }
    exprs.set(key, markReused(expr));
    return expr;
  }
}

const unaryExprs = new ExprCache<UnaryOpName>();
const binaryExprs = new ExprCache<BinaryOpName>();
const noParams: readonly number[] = [];

const whereExprs = new ExprCache<'where'>();
/** toDType's expressions, by the dtype converted to (the same for every input dtype). */
const castExprs = new ExprCache<DType>();

function isRule(rule: DTypeRule | DType): rule is DTypeRule {
  return rule === 'same' || rule === 'float' || rule === 'bool' || rule === 'withParams';
}

export function unary(name: UnaryOpName, x: Tensor, params: readonly number[] = []): Tensor {
  const def: UnaryDef = unaryOps[name];
  def.check?.(x.dtype, params);
  const outDType = resultDType(def.dtype, x.dtype, params);
  // A float result computes on the input as a float (int32.clamp(0.5) and int32.exp() convert
  // the integers first, as PyTorch does); an integer result keeps integer arithmetic, with
  // its params as integers.
  const float = isFloating(outDType);
  // Errors name the op as a user calls it (powScalar is x.pow(number)).
  const op = name === 'powScalar' ? 'pow' : name;
  const kernelParams = float ? params : params.map((p) => int32Operand(op, p));
  // The expression depends on the dtypes and the number of params only.
  const key = (dtypeCode[x.dtype] * 4 + dtypeCode[outDType]) * 8 + params.length;
  const expr =
    unaryExprs.get(name, key) ??
    unaryExprs.set(
      name,
      key,
      def.expr(
        float ? maybeCast(E.input(0), x.dtype, outDType) : E.input(0),
        params.map((_, i) => E.param(i)),
      ),
    );
  const y = runExpr(name, [x], expr, outDType, kernelParams);
  if (def.grad && isFloating(y.dtype) && x.requiresGrad) {
    const grad = def.grad;
    const saves = def.saves ?? 'both';
    const saved = [
      ...(saves === 'input' || saves === 'both' ? [x] : []),
      ...(saves === 'output' || saves === 'both' ? [y] : []),
    ];
    record(y, name, [x], (g) => [grad(g, x, y, params)], saved);
  }
  return y;
}

/** The dtype a scalar operand takes next to a tensor of `dtype`. */
function scalarOperand(op: string, dtype: DType, scalar: Scalar): { dtype: DType; value: number } {
  if (typeof scalar !== 'number' && typeof scalar !== 'boolean') {
    throw new TypeError(`${op}: expected a tensor or a number, got ${typeof scalar}`);
  }
  return { dtype: promoteWithScalar(dtype, scalar), value: Number(scalar) };
}

/**
 * An arithmetic op on bools must give 0 or 1 (True + True is True in PyTorch), which a
 * kernel storing 2 would not; comparisons and logical ops give 0 or 1 already.
 */
function asBoolIfNeeded(def: BinaryDef, outDType: DType, expr: Expr): Expr {
  return outDType === 'bool' && def.dtype !== 'bool' ? E.cast('bool', expr) : expr;
}

/** Ops whose result depends on how the operands order, not only on their bits mod 2^32. */
const comparesValues: ReadonlySet<BinaryOpName> = new Set([
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'maximum',
  'minimum',
]);

export function binary(name: BinaryOpName, a: Tensor, b: Tensor | Scalar): Tensor {
  const def: BinaryDef = binaryOps[name];
  if (typeof b === 'number' || typeof b === 'boolean') {
    def.check?.(a.dtype, scalarsDType([b]));
    // A scalar is a kernel parameter, not a tensor: one kernel serves every value. It takes
    // the type the op computes in: next to a float32 tensor a float32 value, as in PyTorch
    // (x.eq(0.1) holds where x is 0.1); next to an int32 tensor an int32 (wrapped past
    // int32's range in arithmetic, as PyTorch wraps it), unless the op is a float op
    // (int32.div(3)).
    const { dtype, value: exact } = scalarOperand(name, a.dtype, b);
    const outDType = resultDType(def.dtype, dtype);
    const operandDType = def.dtype === 'float' ? outDType : dtype;
    // A comparison or an extreme with a wrapped value answers another question (PyTorch's
    // int32 tensor == 2**32 holds for zeros): refuse the value instead.
    if (operandDType === 'int32' && comparesValues.has(name)) checkInt32Scalar(name, exact);
    const value = operandDType === 'float32' ? Math.fround(exact) : exact;
    const key = binaryKey(a.dtype, undefined, operandDType, outDType);
    const expr =
      binaryExprs.get(name, key) ??
      binaryExprs.set(
        name,
        key,
        asBoolIfNeeded(
          def,
          outDType,
          def.expr(maybeCast(E.input(0), a.dtype, operandDType), E.param(0)),
        ),
      );
    const y = runExpr(name, [a], expr, outDType, [value]);
    if (def.grad && isFloating(y.dtype) && a.requiresGrad) {
      const grad = def.grad;
      record(
        y,
        name,
        [a],
        (g) => {
          const bTensor = constantLike(a, value, dtype);
          return [reduceGrad(grad(g, a, bTensor, y)[0], a.shape)];
        },
        savedOperands(def, [a], y),
      );
    }
    return y;
  }
  if (!(b instanceof Tensor)) {
    throw new TypeError(
      `${name}: expected the other operand to be a Tensor, a number or a boolean, got ${describeValue(b)}`,
    );
  }
  def.check?.(a.dtype, b.dtype);
  // Both operands in the type the op computes in, as PyTorch converts them first
  // (int32 + float32 adds float32 values; int32 / int32 divides float32 values).
  const common = a.dtype === b.dtype ? a.dtype : resultType([a, b]);
  const outDType = resultDType(def.dtype, common);
  const operandDType = def.dtype === 'float' ? outDType : common;
  const key = binaryKey(a.dtype, b.dtype, operandDType, outDType);
  const expr =
    binaryExprs.get(name, key) ??
    binaryExprs.set(
      name,
      key,
      asBoolIfNeeded(
        def,
        outDType,
        def.expr(
          maybeCast(E.input(0), a.dtype, operandDType),
          maybeCast(E.input(1), b.dtype, operandDType),
        ),
      ),
    );
  const y = runExpr(name, [a, b], expr, outDType, noParams);
  if (def.grad && isFloating(y.dtype) && (a.requiresGrad || b.requiresGrad)) {
    const grad = def.grad;
    record(
      y,
      name,
      [a, b],
      (g) => {
        const [ga, gb] = grad(g, a, b, y);
        return [
          a.requiresGrad ? reduceGrad(ga, a.shape) : null,
          b.requiresGrad ? reduceGrad(gb, b.shape) : null,
        ];
      },
      savedOperands(def, [a, b], y),
    );
  }
  return y;
}

/**
 * The cache key of a binary op's expression: the operands' dtypes (the second undefined for
 * a scalar param), the dtype they compute in and the result's.
 */
function binaryKey(a: DType, b: DType | undefined, operand: DType, out: DType): number {
  const second = b === undefined ? 4 : dtypeCode[b];
  return ((dtypeCode[a] * 5 + second) * 4 + dtypeCode[operand]) * 4 + dtypeCode[out];
}

/** The tensors a binary op's derivative reads, which must not change in place before backward. */
function savedOperands(def: BinaryDef, operands: readonly Tensor[], y: Tensor): Tensor[] {
  const saves = def.saves ?? 'all';
  return saves === 'none' ? [] : saves === 'inputs' ? [...operands] : [...operands, y];
}

/** A tensor's value as `dtype` in an expression, so int / float scalars divide as floats. */
function maybeCast(x: Expr, from: DType, to: DType): Expr {
  return from === to ? x : E.cast(to, x);
}

function reduceGrad(g: Tensor | null, shape: Shape): Tensor | null {
  return g && sumToShape(g, shape);
}

/** A 0-d tensor holding `value`, on `like`'s device. */
export function constantLike(like: Tensor, value: number, dtype: DType = like.dtype): Tensor {
  const out = emptyTensor([], dtype, like.device);
  out.device.elementwise(E.param(0), [], viewDescriptor(out, 'constantLike'), [value]);
  return out;
}

/** condition ? a : b, broadcasting all three (torch.where). */
export function where(condition: Tensor, a: Tensor | Scalar, b: Tensor | Scalar): Tensor {
  const branches = [a, b];
  const operands: Tensor[] = [condition];
  const params: number[] = [];
  const tensorBranch: number[] = []; // which branch (0: a, 1: b) each tensor operand is
  // Each branch is an input of the kernel (a tensor) or a parameter (a scalar).
  const branchOperand = branches.map((value, branch) => {
    if (typeof value === 'number' || typeof value === 'boolean') {
      params.push(Number(value));
      return { param: params.length - 1 };
    }
    operands.push(value);
    tensorBranch.push(branch);
    return { input: operands.length - 1, dtype: value.dtype };
  });
  const tensors = operands.slice(1);
  const scalars = branches.filter((v): v is Scalar => typeof v !== 'object');
  let dtype: DType = tensors.length > 0 ? resultType(tensors) : scalarsDType(scalars);
  if (tensors.length > 0) for (const s of scalars) dtype = promoteWithScalar(dtype, s);
  if (dtype === 'float32') for (const [i, p] of params.entries()) params[i] = Math.fround(p);
  if (dtype === 'int32') for (const p of params) checkInt32Scalar('where', p);
  // The expression depends on what each branch is (a param, or a tensor of some dtype) and
  // on the result's dtype only.
  const kind = (operand: (typeof branchOperand)[number]) =>
    'param' in operand ? 4 : dtypeCode[operand.dtype];
  const key = (kind(branchOperand[0]!) * 5 + kind(branchOperand[1]!)) * 4 + dtypeCode[dtype];
  let expr = whereExprs.get('where', key);
  if (!expr) {
    // Tensor branches in the result's dtype, as PyTorch converts them (where(c, int32, 0.5)).
    const [whenTrue, whenFalse] = branchOperand.map(
      (operand): Expr =>
        'param' in operand
          ? E.param(operand.param)
          : maybeCast(E.input(operand.input), operand.dtype, dtype),
    );
    expr = whereExprs.set('where', key, E.select(E.input(0), whenTrue!, whenFalse!));
  }
  let shape: Shape = condition.shape;
  for (const t of tensors) shape = broadcastShapes(shape, t.shape, 'where');
  const y = runExpr('where', operands, expr, dtype, params, shape);
  if (isFloating(y.dtype)) {
    record(
      y,
      'where',
      tensors,
      (g) =>
        tensors.map((t, k) => {
          if (!t.requiresGrad) return null;
          const selected = tensorBranch[k] === 0 ? where(condition, g, 0) : where(condition, 0, g);
          return sumToShape(selected, t.shape);
        }),
      [condition],
    );
  }
  return y;
}

/** Converts to `dtype` (float → int truncates toward zero; anything → bool is x != 0). */
export function toDType(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const expr = castExprs.get(dtype, 0) ?? castExprs.set(dtype, 0, E.cast(dtype, E.input(0)));
  const y = runExpr('to', [x], expr, dtype, noParams);
  if (isFloating(dtype) && isFloating(x.dtype)) {
    record(y, 'to', [x], (g) => [toDType(g, x.dtype)], []);
  }
  return y;
}
