// The inputs of the linalg and nn conformance cases, and how their results are compared
// with PyTorch's: scripts/reference/{linalg,nn}.py build the same inputs (fixed_values)
// and record PyTorch's results in reference/{linalg,nn}.ts.

import type { Backend } from '../../backend.js';
import { type Tensor, tensor } from '../../index.js';
import { assertClose, type Tolerance } from '../assert.js';
import type { InputSpec } from '../conformance.js';

/** A case body: runs on the device it is given. */
export type CaseBody = (device: Backend) => Promise<void> | void;

/** A result recorded from PyTorch. */
export interface Reference {
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * n values in [-1.95, 1.95], multiples of 1/64 (exact in float32), varied by salt; no value
 * repeats within 251 consecutive ones, so windows of max pooling have no ties.
 */
export function fixedValues(n: number, salt = 0): number[] {
  return Array.from({ length: n }, (_, i) => (((i * 97 + salt * 31) % 251) - 125) / 64);
}

/** fixedValues as a float32 tensor of `shape` on `device`: `fixed(shape, salt)` in the scripts. */
export function fixed(shape: readonly number[], salt: number, device: Backend): Tensor {
  return tensor(Float32Array.from(fixedValues(numel(shape), salt)), { device }).reshape(shape);
}

/** fixedValues as a gradient-check input. */
export function spec(shape: readonly number[], salt: number): InputSpec {
  return { values: fixedValues(numel(shape), salt), shape };
}

/** float32 sums of a few dozen products against PyTorch's float64. */
const defaultTolerance: Tolerance = { rtol: 1e-4, atol: 1e-5 };

/** Checks `actual`'s shape and values against PyTorch's. */
export async function expectReference(
  actual: Tensor,
  expected: Reference,
  what: string,
  tolerance: Tolerance = defaultTolerance,
): Promise<void> {
  expectShape(actual, expected.shape, what);
  // A typed array, not an array: assertClose would take a plain array for a 1-d shape.
  await assertClose(actual, Float64Array.from(expected.values), tolerance, what);
}

export function expectShape(t: Tensor, shape: readonly number[], what: string): void {
  if (t.shape.join() !== shape.join()) {
    throw new Error(
      `${what}: shape [${t.shape.join(', ')}] differs from the expected [${shape.join(', ')}]`,
    );
  }
}

/** The first sample of a batched reference: the expected result for an unbatched input. */
export function firstSample(expected: Reference): Reference {
  const shape = expected.shape.slice(1);
  return { shape, values: expected.values.slice(0, numel(shape)) };
}
