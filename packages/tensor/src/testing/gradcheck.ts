// gradcheck: compares autograd's gradient with central finite differences, in float64 on
// the CPU, like torch.autograd.gradcheck (checked along a fixed random output projection,
// which tests the whole vector-Jacobian product at the cost of one backward pass).

import { noGrad } from '@dl/autograd';
import { fromValues, randn } from '../ops/creation.js';
import { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { compareValues } from './assert.js';

/**
 * Options of gradcheck: the finite-difference step and the tolerances (atol 1e-5, rtol 1e-3 by
 * default).
 */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random projection of the outputs (default 0). */
  seed?: number;
}

/**
 * Throws unless the gradient of `fn` with respect to each input that requires grad matches
 * finite differences. Inputs should be float64 CPU tensors; `fn` may return one tensor or
 * several (they are all projected).
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor | readonly Tensor[],
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): void {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  for (const [i, input] of inputs.entries()) {
    if (input.requiresGrad && input.dtype !== 'float64') {
      throw new Error(
        `gradcheck: input ${i} is ${input.dtype}; use float64 inputs for finite differences`,
      );
    }
  }
  const outputsOf = (xs: readonly Tensor[]) => {
    const out = fn(...xs);
    return Array.isArray(out) ? (out as Tensor[]) : [out as Tensor];
  };
  const probe = noGrad(() => outputsOf(inputs));
  const generator = new Generator(options.seed ?? 0);
  const projections = probe.map((o) => randn(o.shape, { dtype: 'float64', generator }));
  const project = (outs: readonly Tensor[]) =>
    outs.reduce<Tensor | number>((acc, o, k) => {
      const term = o.to('float64').mul(projections[k]!).sum();
      return typeof acc === 'number' ? term : acc.add(term);
    }, 0);
  // Analytical: one backward pass of the projection.
  const leaves = inputs.map((x) => (x.requiresGrad ? x.detach().requiresGrad_(true) : x));
  const total = project(outputsOf(leaves));
  if (typeof total === 'number') throw new Error('gradcheck: fn returned no outputs');
  if (!total.requiresGrad)
    throw new Error('gradcheck: the output does not depend on any input that requires grad');
  total.backward();
  // Numerical: central differences of the projection, one element at a time.
  for (const [i, leaf] of leaves.entries()) {
    if (!inputs[i]!.requiresGrad) continue;
    const base = Float64Array.from(leaf.dataSync());
    const numerical = new Float64Array(base.length);
    const evaluate = (values: Float64Array) =>
      noGrad(() => {
        const perturbed = leaves.map((x, k) => (k === i ? fromFloat64(values, x) : x.detach()));
        const value = project(outputsOf(perturbed));
        return typeof value === 'number' ? value : value.itemSync();
      });
    for (let k = 0; k < base.length; k++) {
      const plus = Float64Array.from(base);
      const minus = Float64Array.from(base);
      plus[k] = base[k]! + eps;
      minus[k] = base[k]! - eps;
      numerical[k] = (evaluate(plus) - evaluate(minus)) / (2 * eps);
    }
    const analytical = leaf.grad
      ? Array.from(leaf.grad.dataSync())
      : new Array<number>(base.length).fill(0);
    const problem = compareValues(analytical, numerical, { atol, rtol });
    if (problem)
      throw new Error(
        `gradcheck: the gradient of input ${i} (shape [${leaf.shape.join(', ')}]) disagrees with finite differences: ${problem}`,
      );
  }
}

function fromFloat64(values: Float64Array, like: Tensor): Tensor {
  return fromValues(Float64Array.from(values), like.shape, 'float64', { device: like.device });
}
