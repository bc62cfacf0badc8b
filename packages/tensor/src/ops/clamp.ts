// clamp (torch.clamp): number bounds go to the unary op of the elementwise table; tensor bounds
// broadcast with the input in one kernel, with PyTorch 1.13's derivatives for the input and
// for each bound, its choices at ties included.

import { isGradEnabled } from '@dl/autograd';
import { checkOptionKeys, describeValue, isOptionsObject } from '../args.js';
import { checkInt32Scalar, isFloating, promoteWithScalar } from '../dtype.js';
import { E, type Expr } from '../expr.js';
import { record } from '../internal.js';
import { broadcastShapes, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { elementwise, resultType, toDType, unary, where } from './elementwise.js';
import * as inplace from './inplace.js';
import { sumToShape } from './reduce.js';

/** A bound of clamp: a tensor (broadcast with the input), a number, or none (null or undefined). */
export type ClampBound = Tensor | number | null | undefined;

/** clamp's arguments: `(min, max)` or PyTorch's keywords, `({ min: 0 })`, `({ min, max })`. */
export type ClampArgs =
  | [min?: ClampBound, max?: ClampBound]
  | [options: { min?: ClampBound; max?: ClampBound }];

/** The [min, max] of ClampArgs. */
export function clampBounds(op: string, args: ClampArgs): [ClampBound, ClampBound] {
  const [first, second] = args;
  if (isOptionsObject(first) && second === undefined) {
    checkOptionKeys(op, first, ['min', 'max']);
    // Checked by clamp's checkBound, which names a bound of the wrong kind.
    return [first['min'] as ClampBound, first['max'] as ClampBound];
  }
  return [first as ClampBound, second];
}

function checkBound(bound: unknown, name: string): void {
  if (bound === null || bound === undefined || typeof bound === 'number') return;
  if (bound instanceof Tensor) return;
  throw new TypeError(
    `clamp: ${name} must be a number, a tensor, null or undefined, got ${describeValue(bound)}`,
  );
}

/**
 * x clamped into [min, max]. Where min > max the result is max; a NaN in x or in a bound gives
 * NaN. With tensor bounds the dtype is that of x and the bounds together, a number bound
 * counting as a scalar (PyTorch 1.13 takes a number beside a tensor bound only when the tensor
 * is 0-d; dl takes the number as a 0-d bound).
 */
export function clamp(x: Tensor, min: ClampBound, max: ClampBound): Tensor {
  checkBound(min, 'min');
  checkBound(max, 'max');
  if ((min === undefined || min === null) && (max === undefined || max === null))
    throw new Error("clamp: at least one of 'min' or 'max' must not be None");
  if (!(min instanceof Tensor) && !(max instanceof Tensor))
    return unary('clamp', x, [min ?? -Infinity, max ?? Infinity]);
  return clampByTensors(x, min ?? null, max ?? null);
}

function clampByTensors(
  x: Tensor,
  min: Tensor | number | null,
  max: Tensor | number | null,
): Tensor {
  const operands: Tensor[] = [x];
  const params: number[] = [];
  // Each bound is an input of the kernel (a tensor), a parameter (a number), or nothing.
  const boundExpr = (bound: Tensor | number | null): Expr | null => {
    if (bound === null) return null;
    if (typeof bound === 'number') {
      params.push(bound);
      return E.param(params.length - 1);
    }
    operands.push(bound);
    return E.input(operands.length - 1);
  };
  const lo = boundExpr(min);
  const hi = boundExpr(max);
  let dtype = resultType(operands);
  for (const p of params) dtype = promoteWithScalar(dtype, p);
  if (dtype === 'float32') for (const [i, p] of params.entries()) params[i] = Math.fround(p);
  // A number bound past int32's range would wrap (as the number-only clamp refuses it too).
  if (dtype === 'int32') for (const p of params) checkInt32Scalar('clamp', p);
  let shape: Shape = x.shape;
  for (const t of operands.slice(1)) shape = broadcastShapes(shape, t.shape, 'clamp');
  // Operands of another dtype are converted first, so the kernel computes in the result's
  // type (an int32 x with a bound of 2.5 compares as float32, as PyTorch does).
  const asResult = (e: Expr | null): Expr | null => {
    if (e?.kind !== 'input' || operands[e.index]!.dtype === dtype) return e;
    return E.cast(dtype, e);
  };
  const build = () => {
    let y = asResult(E.input(0))!;
    const [low, high] = [asResult(lo), asResult(hi)];
    if (low) y = E.max(y, low);
    if (high) y = E.min(y, high);
    return y;
  };
  const y = elementwise('clamp', operands, build, dtype, params, shape);
  if (!isFloating(dtype)) return y;
  // PyTorch 1.13's clamp_backward and clamp_backward_min_max: x gets the gradient where
  // min <= x <= max; min where x < min < max; max where x > max or max < min. So at a tie
  // x = min the gradient goes to x, and where min = max and x lies outside, to neither bound.
  const derivative = (g: Tensor): (Tensor | null)[] => {
    const gradTo = (t: Tensor, mask: Tensor) =>
      toDType(sumToShape(where(mask, g, 0), t.shape), t.dtype);
    const grads: (Tensor | null)[] = [];
    if (x.requiresGrad) {
      let inside: Tensor | null = null;
      if (min !== null) inside = x.ge(min);
      if (max !== null) inside = inside ? inside.logicalAnd(x.le(max)) : x.le(max);
      grads.push(gradTo(x, inside!));
    } else grads.push(null);
    if (min instanceof Tensor)
      grads.push(
        min.requiresGrad
          ? gradTo(min, max === null ? x.lt(min) : x.lt(min).logicalAnd(min.lt(max)))
          : null,
      );
    if (max instanceof Tensor)
      grads.push(
        max.requiresGrad
          ? gradTo(max, min === null ? x.gt(max) : x.gt(max).logicalOr(max.lt(min)))
          : null,
      );
    return grads;
  };
  return record(y, 'clamp', operands, derivative, operands);
}

/**
 * x.clamp_(min, max). clamp's derivative reads x, which the write overwrites: while autograd
 * records, clamp reads a copy of x instead (PyTorch saves the original x too).
 */
export function clamp_<T extends Tensor>(x: T, min: ClampBound, max: ClampBound): T {
  return inplace.apply(x, 'clamp_', (self) => {
    const recorded =
      isGradEnabled() && [self, min, max].some((t) => t instanceof Tensor && t.requiresGrad);
    return clamp(recorded ? self.clone() : self, min, max);
  });
}
