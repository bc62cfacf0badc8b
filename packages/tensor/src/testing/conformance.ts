// The conformance suite: cases written once, run by every backend's tests. Each case builds
// its tensors on the device it is given and compares the results with expectations computed
// independently (by hand, or PyTorch-derived constants), and its gradients with finite
// differences (on the CPU, in float64) or with the CPU backend's (on other devices).

import type { Backend } from '../backend.js';
import { cpu } from '../cpu/backend.js';
import { fromValues } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { compareValues } from './assert.js';
import { gradcheck } from './gradcheck.js';

/** One check of the conformance suite, run on each backend's device. */
export interface ConformanceCase {
  /** `group: what is checked`, e.g. `elementwise: add broadcasts [2, 3] with [3]`. */
  readonly name: string;
  /** Runs the case on `device`; rejects with a description of the first mismatch. */
  run(device: Backend): Promise<void>;
}

/** Cases of one group, from a record of names to bodies. */
export function defineCases(
  group: string,
  cases: Record<string, (device: Backend) => Promise<void> | void>,
): ConformanceCase[] {
  return Object.entries(cases).map(([name, body]) => ({
    name: `${group}: ${name}`,
    run: async (device: Backend) => {
      await body(device);
    },
  }));
}

/** Input data for gradient checks: values and shape, turned into tensors per device. */
export interface InputSpec {
  values: readonly number[];
  shape: readonly number[];
  /** Whether the gradient with respect to this input is checked (default true). */
  grad?: boolean;
}

function makeInputs(
  specs: readonly InputSpec[],
  dtype: 'float32' | 'float64',
  device: Backend,
): Tensor[] {
  return specs.map((spec) => {
    const t = fromValues(
      Float64Array.from(spec.values),
      spec.shape,
      dtype === 'float64' ? 'float64' : 'float32',
      { device },
    );
    return spec.grad === false ? t : t.requiresGrad_(true);
  });
}

/**
 * Checks the gradients of `fn`. On the CPU: finite differences in float64 (gradcheck). On
 * any other device: the device's float32 gradients against the CPU's float64 ones, along
 * the same projection of the outputs.
 */
export async function checkGradients(
  device: Backend,
  fn: (...inputs: Tensor[]) => Tensor,
  specs: readonly InputSpec[],
  tolerance: { atol?: number; rtol?: number } = {},
): Promise<void> {
  if (device === cpu) {
    gradcheck(fn, makeInputs(specs, 'float64', cpu), tolerance);
    return;
  }
  const reference = makeInputs(specs, 'float64', cpu);
  const onDevice = makeInputs(specs, 'float32', device);
  const refOut = fn(...reference);
  const devOut = fn(...onDevice);
  // A fixed, deterministic projection so both sides weigh the outputs identically.
  const weights = Float64Array.from({ length: refOut.numel() }, (_, i) => Math.cos(i * 0.7) + 0.1);
  refOut
    .mul(fromValues(weights, refOut.shape, 'float64', { device: cpu }))
    .sum()
    .backward();
  devOut
    .mul(fromValues(Float32Array.from(weights), devOut.shape, 'float32', { device }))
    .sum()
    .backward();
  for (const [i, spec] of specs.entries()) {
    if (spec.grad === false) continue;
    const expected = reference[i]!.grad
      ? Array.from(reference[i]!.grad!.dataSync())
      : new Array<number>(spec.values.length).fill(0);
    const actual = onDevice[i]!.grad
      ? Array.from(await onDevice[i]!.grad!.data())
      : new Array<number>(spec.values.length).fill(0);
    const problem = compareValues(actual, expected, {
      atol: tolerance.atol ?? 1e-4,
      rtol: tolerance.rtol ?? 1e-3,
    });
    if (problem)
      throw new Error(`gradient of input ${i} on ${device} differs from the CPU's: ${problem}`);
  }
}
