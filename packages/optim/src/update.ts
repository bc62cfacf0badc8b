// One parameter's update, described as data: the tensors it overwrites (the parameter and its
// state), one elementwise expression per overwritten tensor, the tensors those expressions
// read, and runtime scalars (learning rate, bias corrections). The device runs it as one kernel
// (fusedUpdate_); a parameter that is a non-contiguous view is updated with tensor ops instead.

import { type Expr, fusedUpdate_, noGrad, type Tensor } from '@dl/tensor';

/**
 * One parameter's update as data, which an optimizer's `update` returns: the device runs it as one
 * kernel (fusedUpdate_).
 */
export interface Update {
  /** The tensors written: outs[i] becomes exprs[i]. */
  readonly outs: readonly Tensor[];
  readonly exprs: readonly Expr[];
  /** What E.input(j) reads; every input is read before any out is written. */
  readonly inputs: readonly Tensor[];
  /** What E.param(k) reads: scalars that change from step to step without a new kernel. */
  readonly params: readonly number[];
}

/** Runs `update`: every expression from the old values, then every write. */
export function applyUpdate(update: Update): void {
  if (update.outs.every((out) => out.isContiguous())) {
    noGrad(() => fusedUpdate_(update.outs, update.exprs, update.inputs, update.params));
    return;
  }
  evaluateWithTensorOps(update);
}

/**
 * The same update as a chain of tensor ops (one small kernel per node), for outputs that
 * fusedUpdate_ cannot write: a parameter that is a strided view of a larger tensor.
 */
function evaluateWithTensorOps(update: Update): void {
  noGrad(() => {
    const results = update.exprs.map((expr) => evaluate(expr, update));
    update.outs.forEach((out, i) => {
      const value = results[i]!;
      if (typeof value === 'number') out.fill_(value);
      else out.copy_(value);
    });
  });
}

type Value = Tensor | number;

/** Evaluates an update expression with tensor ops (one small kernel per node). */
function evaluate(expr: Expr, update: Update): Value {
  switch (expr.kind) {
    case 'input': {
      const input = update.inputs[expr.index];
      if (!input) throw new Error(`update expression reads input ${expr.index}, which is missing`);
      return input;
    }
    case 'const':
      return expr.value;
    case 'param': {
      const param = update.params[expr.index];
      if (param === undefined)
        throw new Error(`update expression reads param ${expr.index}, which is missing`);
      return param;
    }
    case 'unary': {
      const x = evaluate(expr.x, update);
      switch (expr.fn) {
        case 'neg':
          return typeof x === 'number' ? -x : x.neg();
        case 'sqrt':
          return typeof x === 'number' ? Math.sqrt(x) : x.sqrt();
        case 'abs':
          return typeof x === 'number' ? Math.abs(x) : x.abs();
        case 'sign':
          return typeof x === 'number' ? Math.sign(x) : x.sign();
        default:
          throw new Error(`update expressions do not support ${expr.fn}`);
      }
    }
    case 'binary': {
      const a = evaluate(expr.a, update);
      const b = evaluate(expr.b, update);
      if (typeof a === 'number') {
        return typeof b === 'number'
          ? binaryNumbers(expr.fn, a, b)
          : numberWithTensor(expr.fn, a, b);
      }
      switch (expr.fn) {
        case 'add':
          return a.add(b);
        case 'sub':
          return a.sub(b);
        case 'mul':
          return a.mul(b);
        case 'div':
          return a.div(b);
        case 'max':
          return typeof b === 'number' ? a.clamp(b, null) : a.maximum(b);
        case 'min':
          return typeof b === 'number' ? a.clamp(null, b) : a.minimum(b);
        default:
          throw new Error(`update expressions do not support ${expr.fn}`);
      }
    }
    default:
      throw new Error(`update expressions do not support ${expr.kind}`);
  }
}

function binaryNumbers(fn: string, a: number, b: number): number {
  switch (fn) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    default:
      throw new Error(`update expressions do not support ${fn}`);
  }
}

/** `a fn b` for a number a and a tensor b. */
function numberWithTensor(fn: string, a: number, b: Tensor): Tensor {
  switch (fn) {
    case 'add':
      return b.add(a);
    case 'sub':
      return b.neg().add(a);
    case 'mul':
      return b.mul(a);
    case 'div':
      return b.reciprocal().mul(a);
    case 'max':
      return b.clamp(a, null);
    case 'min':
      return b.clamp(null, a);
    default:
      throw new Error(`update expressions do not support ${fn}`);
  }
}
