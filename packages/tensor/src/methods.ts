// Tensor methods as functions, as PyTorch's torch namespace has them: `torch.sigmoid(x)` is
// `sigmoid(x)` here as well as `x.sigmoid()`. Each checks that its input is a Tensor and calls
// the method, so the two forms cannot differ. Also isclose, allclose and equal.

import type { ReduceArgs, VarianceArgs } from './args.js';
import { checkTensor } from './internal.js';
import type { ClampArgs } from './ops/clamp.js';
import type { Scalar } from './ops/elementwise.js';
import { type Dims, maxOrMin, type ValuesIndices } from './ops/reduce.js';
import type { Tensor } from './tensor.js';

function input(op: string, x: Tensor): Tensor {
  checkTensor(op, x, 'input');
  return x;
}

// ---- elementwise ----

/** {@inheritDoc Tensor.abs} */
export const abs = (x: Tensor): Tensor => input('abs', x).abs();
/** {@inheritDoc Tensor.neg} */
export const neg = (x: Tensor): Tensor => input('neg', x).neg();
/** {@inheritDoc Tensor.exp} */
export const exp = (x: Tensor): Tensor => input('exp', x).exp();
/** {@inheritDoc Tensor.log} */
export const log = (x: Tensor): Tensor => input('log', x).log();
/** {@inheritDoc Tensor.log1p} */
export const log1p = (x: Tensor): Tensor => input('log1p', x).log1p();
/** {@inheritDoc Tensor.expm1} */
export const expm1 = (x: Tensor): Tensor => input('expm1', x).expm1();
/** {@inheritDoc Tensor.sqrt} */
export const sqrt = (x: Tensor): Tensor => input('sqrt', x).sqrt();
/** {@inheritDoc Tensor.rsqrt} */
export const rsqrt = (x: Tensor): Tensor => input('rsqrt', x).rsqrt();
/** {@inheritDoc Tensor.sin} */
export const sin = (x: Tensor): Tensor => input('sin', x).sin();
/** {@inheritDoc Tensor.cos} */
export const cos = (x: Tensor): Tensor => input('cos', x).cos();
/** {@inheritDoc Tensor.tan} */
export const tan = (x: Tensor): Tensor => input('tan', x).tan();
/** {@inheritDoc Tensor.tanh} */
export const tanh = (x: Tensor): Tensor => input('tanh', x).tanh();
/** {@inheritDoc Tensor.sigmoid} */
export const sigmoid = (x: Tensor): Tensor => input('sigmoid', x).sigmoid();
/** {@inheritDoc Tensor.relu} */
export const relu = (x: Tensor): Tensor => input('relu', x).relu();
/** {@inheritDoc Tensor.erf} */
export const erf = (x: Tensor): Tensor => input('erf', x).erf();
/** {@inheritDoc Tensor.sign} */
export const sign = (x: Tensor): Tensor => input('sign', x).sign();
/** {@inheritDoc Tensor.floor} */
export const floor = (x: Tensor): Tensor => input('floor', x).floor();
/** {@inheritDoc Tensor.ceil} */
export const ceil = (x: Tensor): Tensor => input('ceil', x).ceil();
/** {@inheritDoc Tensor.round} */
export const round = (x: Tensor): Tensor => input('round', x).round();
/** {@inheritDoc Tensor.trunc} */
export const trunc = (x: Tensor): Tensor => input('trunc', x).trunc();
/** {@inheritDoc Tensor.reciprocal} */
export const reciprocal = (x: Tensor): Tensor => input('reciprocal', x).reciprocal();
/** {@inheritDoc Tensor.square} */
export const square = (x: Tensor): Tensor => input('square', x).square();
/** {@inheritDoc Tensor.isnan} */
export const isnan = (x: Tensor): Tensor => input('isnan', x).isnan();
/** {@inheritDoc Tensor.isinf} */
export const isinf = (x: Tensor): Tensor => input('isinf', x).isinf();
/** {@inheritDoc Tensor.isfinite} */
export const isfinite = (x: Tensor): Tensor => input('isfinite', x).isfinite();
/** {@inheritDoc Tensor.logicalNot} */
export const logicalNot = (x: Tensor): Tensor => input('logicalNot', x).logicalNot();

/** {@inheritDoc Tensor.add} */
export const add = (x: Tensor, other: Tensor | Scalar, options: { alpha?: number } = {}): Tensor =>
  input('add', x).add(other, options);
/** {@inheritDoc Tensor.sub} */
export const sub = (x: Tensor, other: Tensor | Scalar, options: { alpha?: number } = {}): Tensor =>
  input('sub', x).sub(other, options);
/** {@inheritDoc Tensor.mul} */
export const mul = (x: Tensor, other: Tensor | Scalar): Tensor => input('mul', x).mul(other);
/** {@inheritDoc Tensor.div} */
export const div = (
  x: Tensor,
  other: Tensor | Scalar,
  options: { roundingMode?: 'trunc' | 'floor' } = {},
): Tensor => input('div', x).div(other, options);
/** {@inheritDoc Tensor.remainder} */
export const remainder = (x: Tensor, other: Tensor | Scalar): Tensor =>
  input('remainder', x).remainder(other);
/** {@inheritDoc Tensor.pow} */
export const pow = (x: Tensor, exponent: Tensor | number): Tensor => input('pow', x).pow(exponent);
/** {@inheritDoc Tensor.maximum} */
export const maximum = (x: Tensor, other: Tensor): Tensor => input('maximum', x).maximum(other);
/** {@inheritDoc Tensor.minimum} */
export const minimum = (x: Tensor, other: Tensor): Tensor => input('minimum', x).minimum(other);
/** {@inheritDoc Tensor.atan2} */
export const atan2 = (x: Tensor, other: Tensor): Tensor => input('atan2', x).atan2(other);
/** {@inheritDoc Tensor.eq} */
export const eq = (x: Tensor, other: Tensor | Scalar): Tensor => input('eq', x).eq(other);
/** {@inheritDoc Tensor.ne} */
export const ne = (x: Tensor, other: Tensor | Scalar): Tensor => input('ne', x).ne(other);
/** {@inheritDoc Tensor.lt} */
export const lt = (x: Tensor, other: Tensor | Scalar): Tensor => input('lt', x).lt(other);
/** {@inheritDoc Tensor.le} */
export const le = (x: Tensor, other: Tensor | Scalar): Tensor => input('le', x).le(other);
/** {@inheritDoc Tensor.gt} */
export const gt = (x: Tensor, other: Tensor | Scalar): Tensor => input('gt', x).gt(other);
/** {@inheritDoc Tensor.ge} */
export const ge = (x: Tensor, other: Tensor | Scalar): Tensor => input('ge', x).ge(other);
/** {@inheritDoc Tensor.logicalAnd} */
export const logicalAnd = (x: Tensor, other: Tensor | Scalar): Tensor =>
  input('logicalAnd', x).logicalAnd(other);
/** {@inheritDoc Tensor.logicalOr} */
export const logicalOr = (x: Tensor, other: Tensor | Scalar): Tensor =>
  input('logicalOr', x).logicalOr(other);
/** {@inheritDoc Tensor.logicalXor} */
export const logicalXor = (x: Tensor, other: Tensor | Scalar): Tensor =>
  input('logicalXor', x).logicalXor(other);
/** {@inheritDoc Tensor.clamp} */
export const clamp = (x: Tensor, ...args: ClampArgs): Tensor => input('clamp', x).clamp(...args);
/** {@inheritDoc Tensor.clip} */
export const clip = (x: Tensor, ...args: ClampArgs): Tensor => input('clip', x).clip(...args);

// ---- reductions ----

/** {@inheritDoc Tensor.sum} */
export const sum = (x: Tensor, ...args: ReduceArgs): Tensor => input('sum', x).sum(...args);
/** {@inheritDoc Tensor.mean} */
export const mean = (x: Tensor, ...args: ReduceArgs): Tensor => input('mean', x).mean(...args);
/** {@inheritDoc Tensor.prod} */
export const prod = (x: Tensor, ...args: ReduceArgs): Tensor => input('prod', x).prod(...args);
/** {@inheritDoc Tensor.amax} */
export const amax = (x: Tensor, ...args: ReduceArgs): Tensor => input('amax', x).amax(...args);
/** {@inheritDoc Tensor.amin} */
export const amin = (x: Tensor, ...args: ReduceArgs): Tensor => input('amin', x).amin(...args);
/** {@inheritDoc Tensor.argmax} */
export const argmax = (x: Tensor, ...args: ReduceArgs<number>): Tensor =>
  input('argmax', x).argmax(...args);
/** {@inheritDoc Tensor.argmin} */
export const argmin = (x: Tensor, ...args: ReduceArgs<number>): Tensor =>
  input('argmin', x).argmin(...args);
/** {@inheritDoc Tensor.all} */
export const all = (x: Tensor, ...args: ReduceArgs): Tensor => input('all', x).all(...args);
/** {@inheritDoc Tensor.any} */
export const any = (x: Tensor, ...args: ReduceArgs): Tensor => input('any', x).any(...args);
/** {@inheritDoc Tensor.std} */
export const std = (x: Tensor, ...args: VarianceArgs): Tensor => input('std', x).std(...args);
/** torch.var; `var` is a reserved word, so `import { variance }` or `torch.var` on a namespace import. */
export const variance = (x: Tensor, ...args: VarianceArgs): Tensor => input('var', x).var(...args);
/** {@inheritDoc Tensor.logsumexp} */
export const logsumexp = (x: Tensor, ...args: ReduceArgs): Tensor =>
  input('logsumexp', x).logsumexp(...args);
/** {@inheritDoc Tensor.cumsum} */
export const cumsum = (x: Tensor, dim: number | { dim: number }): Tensor =>
  input('cumsum', x).cumsum(dim);

/** torch.norm: the p-norm, with the method's arguments. */
export function norm(x: Tensor, p?: number, dim?: Dims, keepdim?: boolean): Tensor;
export function norm(x: Tensor, options: { p?: number; dim?: Dims; keepdim?: boolean }): Tensor;
export function norm(
  x: Tensor,
  p?: number | { p?: number; dim?: Dims; keepdim?: boolean },
  dim?: Dims,
  keepdim?: boolean,
): Tensor {
  input('norm', x);
  return typeof p === 'object' ? x.norm(p) : x.norm(p, dim, keepdim);
}

/** torch.max: of all elements, `{ values, indices }` along a dim, or the elementwise maximum. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim: number, options: { keepdim?: boolean }): ValuesIndices;
export function max(x: Tensor, options: { dim: number; keepdim?: boolean }): ValuesIndices;
export function max(x: Tensor, ...args: unknown[]): Tensor | ValuesIndices {
  return maxOrMin(input('max', x), 'max', args);
}

/** torch.min: of all elements, `{ values, indices }` along a dim, or the elementwise minimum. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, dim: number, options: { keepdim?: boolean }): ValuesIndices;
export function min(x: Tensor, options: { dim: number; keepdim?: boolean }): ValuesIndices;
export function min(x: Tensor, ...args: unknown[]): Tensor | ValuesIndices {
  return maxOrMin(input('min', x), 'min', args);
}

// ---- shape ----

/** {@inheritDoc Tensor.reshape} */
export const reshape = (x: Tensor, ...shape: number[] | [readonly number[]]): Tensor =>
  input('reshape', x).reshape(...shape);
/** {@inheritDoc Tensor.flatten} */
export const flatten = (x: Tensor, startDim = 0, endDim = -1): Tensor =>
  input('flatten', x).flatten(startDim, endDim);
/** {@inheritDoc Tensor.squeeze} */
export const squeeze = (x: Tensor, dim?: number | readonly number[]): Tensor =>
  input('squeeze', x).squeeze(dim);
/** {@inheritDoc Tensor.unsqueeze} */
export const unsqueeze = (x: Tensor, dim: number): Tensor => input('unsqueeze', x).unsqueeze(dim);
/** {@inheritDoc Tensor.transpose} */
export const transpose = (x: Tensor, dim0: number, dim1: number): Tensor =>
  input('transpose', x).transpose(dim0, dim1);
/** {@inheritDoc Tensor.permute} */
export const permute = (x: Tensor, ...dims: number[] | [readonly number[]]): Tensor =>
  input('permute', x).permute(...dims);
/** {@inheritDoc Tensor.movedim} */
export const movedim = (
  x: Tensor,
  source: number | readonly number[],
  destination: number | readonly number[],
): Tensor => input('movedim', x).movedim(source, destination);
/** {@inheritDoc Tensor.flip} */
export const flip = (x: Tensor, dims: number | readonly number[]): Tensor =>
  input('flip', x).flip(dims);
/** {@inheritDoc Tensor.roll} */
export const roll = (
  x: Tensor,
  shifts: number | readonly number[],
  dims?: number | readonly number[],
): Tensor => input('roll', x).roll(shifts, dims);
/** {@inheritDoc Tensor.narrow} */
export const narrow = (x: Tensor, dim: number, start: number, length: number): Tensor =>
  input('narrow', x).narrow(dim, start, length);
/** {@inheritDoc Tensor.select} */
export const select = (x: Tensor, dim: number, index: number): Tensor =>
  input('select', x).select(dim, index);
/** {@inheritDoc Tensor.unbind} */
export const unbind = (x: Tensor, dim = 0): Tensor[] => input('unbind', x).unbind(dim);
/** {@inheritDoc Tensor.clone} */
export const clone = (x: Tensor): Tensor => input('clone', x).clone();
/** {@inheritDoc Tensor.numel} */
export const numel = (x: Tensor): number => input('numel', x).numel();

// ---- comparing tensors ----

/** Tolerances of isclose and allclose, with PyTorch's defaults. */
export interface IsCloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Whether NaNs compare equal (default false). */
  equalNan?: boolean;
}

/** Where |x - other| <= atol + rtol |other| (or both are equal, infinities included): torch.isclose. */
export function isclose(x: Tensor, other: Tensor | number, options: IsCloseOptions = {}): Tensor {
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = options;
  input('isclose', x);
  const tolerance =
    typeof other === 'number' ? atol + rtol * Math.abs(other) : other.abs().mul(rtol).add(atol);
  // Equal elements are close even where the difference is NaN (infinities of one sign).
  let close = x.sub(other).abs().le(tolerance).logicalOr(x.eq(other));
  if (equalNan) {
    const otherNan = typeof other === 'number' ? Number.isNaN(other) : other.isnan();
    close = close.logicalOr(x.isnan().logicalAnd(otherNan));
  }
  return close;
}

/** Whether every element is close (isclose): torch.allclose. Reads a value, so it waits. */
export async function allclose(
  x: Tensor,
  other: Tensor | number,
  options: IsCloseOptions = {},
): Promise<boolean> {
  return (await isclose(x, other, options).all().item()) === 1;
}

/** Whether both tensors have the same shape and elements: torch.equal. Reads a value, so it waits. */
export async function equal(x: Tensor, other: Tensor): Promise<boolean> {
  input('equal', x);
  checkTensor('equal', other, 'other');
  const sameShape = x.ndim === other.ndim && x.shape.every((d, i) => d === other.shape[i]);
  return sameShape && (await x.eq(other).all().item()) === 1;
}
