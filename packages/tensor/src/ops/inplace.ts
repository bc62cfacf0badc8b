// In-place ops (add_, mul_, zero_, copy_, ...): compute out of place, then write the result
// into the tensor's own storage and bump its version so autograd notices the change.

import { isGradEnabled } from '@dl/autograd';
import { checkInt32Scalar, type DType } from '../dtype.js';
import { E } from '../expr.js';
import { checkAlive, record, viewDescriptor, viewOf } from '../internal.js';
import { broadcastStrides } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { transfer } from '../transfer.js';
import { computeInto } from './elementwise.js';

const category: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

function checkLeaf(t: Tensor, op: string): void {
  if (t.isLeaf && t.requiresGrad && isGradEnabled()) {
    throw new Error(
      `${op}: a leaf tensor that requires grad is being used in an in-place operation. ` +
        'Wrap the update in noGrad(() => ...) (as optimizers do), or work on a clone().',
    );
  }
  checkAlive(op, [t]);
}

/** Writes `source` (broadcast to t's shape, converted to t's dtype) into t's storage. */
function writeInto(t: Tensor, source: Tensor, op: string): void {
  if (category[source.dtype] > category[t.dtype]) {
    throw new TypeError(
      `${op}: result type ${source.dtype} can't be cast to the desired output type ${t.dtype}`,
    );
  }
  const from = source.device === t.device ? source : transfer(source.detach(), t.device);
  const view = viewDescriptor(from, op);
  const input = {
    ...view,
    shape: t.shape,
    strides: broadcastStrides(from.shape, from.stride(), t.shape),
  };
  const expr = from.dtype === t.dtype ? E.input(0) : E.cast(t.dtype, E.input(0));
  t.storageRef.beforeWrite();
  t.device.elementwise(expr, [input], viewDescriptor(t, op));
  t.storageRef.version++;
}

/**
 * Runs `compute` on (an alias of) `t` and writes the result back into `t`. With autograd
 * recording, the alias carries t's previous graph, and t takes the result's graph.
 */
export function apply<T extends Tensor>(
  t: T,
  op: string,
  compute: (self: Tensor) => Tensor,
  /**
   * True when `compute` is one elementwise op on self (add, relu, ...): it then writes into
   * t directly where it can (computeInto), sparing a temporary the size of t.
   */
  elementwiseOp = false,
): T {
  checkLeaf(t, op);
  const recording = isGradEnabled();
  const self = recording && t.requiresGrad ? alias(t, op) : t;
  const result = elementwiseOp && self === t ? computeInto(t, () => compute(t)) : compute(self);
  if (result === t) {
    // Written in place already (or a copy of t into itself).
    t.storageRef.version++;
    return t;
  }
  if (recording && result.requiresGrad && t.isView) {
    // Writing through a view would have to rewrite the graph of the tensor it views
    // (PyTorch's CopySlices); refuse rather than give that tensor a wrong gradient.
    throw new Error(
      `${op}: in-place operations on a view (reshape, slice, transpose, ...) are not supported when autograd records them; use the out-of-place op, or clone() the view first`,
    );
  }
  writeInto(t, result, op);
  if (recording && result.requiresGrad && result.gradFn) t.attachGradFn(result.gradFn);
  return t;
}

/** Fills `t` with `value`. */
export function fill<T extends Tensor>(t: T, op: string, value: number): T {
  checkLeaf(t, op);
  if (t.dtype === 'int32') checkInt32Scalar(op, value);
  t.storageRef.beforeWrite();
  t.device.elementwise(E.cast(t.dtype, E.param(0)), [], viewDescriptor(t, op), [value]);
  t.storageRef.version++;
  if (isGradEnabled() && t.requiresGrad && !t.isLeaf) {
    // The new value does not depend on the old one: its gradient stops here.
    const previous = alias(t, op);
    const cut = record(
      viewOf(op, t, t.shape, t.stride(), t.storageOffset),
      'Fill',
      [previous],
      (g) => [g.mul(0)],
      [],
    );
    t.attachGradFn(cut.gradFn!);
  }
  return t;
}

/** Overwrites `t` with `values` (random initialisation). */
export function overwrite<T extends Tensor>(t: T, op: string, values: Tensor): T {
  checkLeaf(t, op);
  writeInto(t, values.detach(), op);
  return t;
}

/** `source` broadcast to `target`'s shape, for copy_ (differentiable in source). */
export function broadcastTo(source: Tensor, target: Tensor): Tensor {
  const moved = source.device === target.device ? source : source.to(target.device);
  const shaped =
    moved.shape.length === target.shape.length && moved.shape.every((d, i) => d === target.shape[i])
      ? moved
      : moved.expand(target.shape);
  return shaped.dtype === target.dtype ? shaped : shaped.to(target.dtype);
}

/**
 * A new tensor object standing for t's current value in the graph (it takes over t's
 * gradFn), so the in-place result can be recorded on top of it while t itself moves on
 * to the result's gradFn. Pointing at t instead would make the graph a cycle.
 */
function alias(t: Tensor, op: string): Tensor {
  const y = viewOf(op, t, t.shape, t.stride(), t.storageOffset);
  if (t.gradFn) y.attachGradFn(t.gradFn);
  return y;
}
