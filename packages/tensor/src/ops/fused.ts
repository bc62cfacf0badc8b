// Fused in-place updates: several elementwise expressions over the same inputs, written into
// several tensors by one kernel. Optimizers use it so that a parameter's whole update (the
// parameter and its state tensors) is one dispatch on the GPU instead of a chain of ops.

import { isGradEnabled } from '@dl/autograd';
import { isFloating } from '../dtype.js';
import { E, type Expr, substitute } from '../expr.js';
import { commonDevice, viewDescriptor } from '../internal.js';
import { broadcastStrides, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** The largest input and param indices an expression reads (-1 when none). */
function reads(expr: Expr): { input: number; param: number } {
  switch (expr.kind) {
    case 'input':
      return { input: expr.index, param: -1 };
    case 'param':
      return { input: -1, param: expr.index };
    case 'const':
      return { input: -1, param: -1 };
    case 'unary':
    case 'cast':
      return reads(expr.x);
    case 'binary': {
      const [a, b] = [reads(expr.a), reads(expr.b)];
      return { input: Math.max(a.input, b.input), param: Math.max(a.param, b.param) };
    }
    case 'select': {
      const all = [reads(expr.cond), reads(expr.a), reads(expr.b)];
      return {
        input: Math.max(...all.map((r) => r.input)),
        param: Math.max(...all.map((r) => r.param)),
      };
    }
  }
}

/**
 * Computes `exprs[k]` elementwise and writes it into `outs[k]`, all in one kernel.
 * `E.input(j)` reads `inputs[j]` (broadcast to the outs' shape; an out may also be an input,
 * and each element's inputs are read before its outputs are written); `E.param(k)` reads
 * `params[k]`, a run-time scalar, so changing a learning rate or a step count reuses the
 * compiled kernel. The outs share one shape, device and floating dtype, are contiguous and
 * distinct; the expressions compute in that dtype (an int32 or bool input is converted to
 * it first, so a float param next to it is not taken as an integer). Not recorded by
 * autograd (call it under `noGrad`, as optimizers do); bumps the outs' versions like any
 * in-place op.
 */
export function fusedUpdate_(
  outs: readonly Tensor[],
  exprs: readonly Expr[],
  inputs: readonly Tensor[],
  params: readonly number[] = [],
): void {
  const op = 'fusedUpdate_';
  if (outs.length === 0) throw new Error(`${op}: expected at least one output tensor`);
  if (exprs.length !== outs.length) {
    throw new Error(`${op}: got ${exprs.length} expressions for ${outs.length} output tensors`);
  }
  const shape = outs[0]!.shape;
  for (const [k, out] of outs.entries()) {
    if (out.isDisposed) throw new Error(`${op}: output ${k} has been disposed`);
    if (!sameShape(out.shape, shape)) {
      throw new Error(
        `${op}: output ${k} has shape [${out.shape.join(', ')}] but output 0 has [${shape.join(', ')}]`,
      );
    }
    if (!isFloating(out.dtype) || out.dtype !== outs[0]!.dtype) {
      throw new TypeError(
        `${op}: outputs must share one floating dtype; output ${k} is ${out.dtype}, output 0 is ${outs[0]!.dtype}`,
      );
    }
    if (!out.isContiguous()) throw new Error(`${op}: output ${k} is not contiguous`);
    if (outs.findIndex((o) => o.storageRef === out.storageRef) !== k) {
      throw new Error(`${op}: output ${k} shares its storage with another output`);
    }
    if (out.requiresGrad && isGradEnabled()) {
      throw new Error(
        `${op}: output ${k} requires grad and grad mode is on; run the update under noGrad(() => ...)`,
      );
    }
  }
  for (const [j, input] of inputs.entries()) {
    if (input.isDisposed) throw new Error(`${op}: input ${j} has been disposed`);
    const shared = outs.find((o) => o.storageRef === input.storageRef);
    if (
      shared &&
      (input.storageOffset !== shared.storageOffset ||
        !sameShape(input.shape, shape) ||
        !input.isContiguous())
    ) {
      throw new Error(`${op}: input ${j} overlaps an output without being that same tensor`);
    }
    const lead = shape.length - input.shape.length;
    if (lead < 0 || input.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
      throw new Error(
        `${op}: input ${j} of shape [${input.shape.join(', ')}] does not broadcast to the outputs' shape [${shape.join(', ')}]`,
      );
    }
  }
  const device = commonDevice(op, [...outs, ...inputs]);
  for (const [k, expr] of exprs.entries()) {
    const used = reads(expr);
    if (used.input >= inputs.length) {
      throw new Error(
        `${op}: expression ${k} reads input ${used.input} but ${inputs.length} were given`,
      );
    }
    if (used.param >= params.length) {
      throw new Error(
        `${op}: expression ${k} reads param ${used.param} but ${params.length} were given`,
      );
    }
  }
  const dtype = outs[0]!.dtype;
  const asFloat = inputs.map((t, j) =>
    isFloating(t.dtype) ? E.input(j) : E.cast(dtype, E.input(j)),
  );
  const floatExprs = asFloat.every((e) => e.kind === 'input')
    ? exprs
    : exprs.map((expr) => substitute(expr, asFloat));
  for (const out of outs) out.storageRef.beforeWrite();
  device.elementwiseMulti(
    floatExprs,
    inputs.map((t) => ({
      ...viewDescriptor(t, op),
      shape,
      strides: broadcastStrides(t.shape, t.stride(), shape),
    })),
    outs.map((out) => viewDescriptor(out, op)),
    params,
  );
  for (const out of outs) out.storageRef.version++;
}
