// Assertions for tensor tests that any test runner can use: they throw an Error with the
// worst mismatch spelled out.

import type { NestedArray, Tensor } from '../tensor.js';

/** How close values must be for the assertions: |actual - expected| <= atol + rtol · |expected|. */
export interface Tolerance {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Treat NaN == NaN (default true). */
  equalNan?: boolean;
}

/** Expected values: nested arrays, a flat array-like, or a tensor. */
export type Expected = NestedArray | ArrayLike<number> | Tensor;

function flatten(value: NestedArray | ArrayLike<number>, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (typeof value === 'boolean') out.push(value ? 1 : 0);
  else for (let i = 0; i < value.length; i++) flatten((value as ArrayLike<NestedArray>)[i]!, out);
  return out;
}

function shapeOf(value: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0] as NestedArray;
    if (v === undefined) break;
  }
  return shape;
}

/** Compares values elementwise: |a - e| <= atol + rtol * |e| (numpy.allclose). */
export function compareValues(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance = {},
): string | undefined {
  const rtol = tolerance.rtol ?? 1e-5;
  const atol = tolerance.atol ?? 1e-6;
  const equalNan = tolerance.equalNan ?? true;
  if (actual.length !== expected.length)
    return `expected ${expected.length} values, got ${actual.length}`;
  let worst = -1;
  let worstExcess = 0;
  let failures = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(a) && Number.isNaN(e) && equalNan) continue;
      failures++;
      if (worst < 0) worst = i;
      worstExcess = Infinity;
      continue;
    }
    if (a === e) continue; // covers equal infinities
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > 0) {
      failures++;
      if (excess > worstExcess || worst < 0) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (failures === 0) return undefined;
  return `${failures} of ${actual.length} values differ (rtol ${rtol}, atol ${atol}); worst at flat index ${worst}: got ${actual[worst]}, expected ${expected[worst]}`;
}

/** Reads `actual` and checks it against `expected` (values, and shape when expected has one). */
export async function assertClose(
  actual: Tensor,
  expected: Expected,
  tolerance: Tolerance = {},
  what = 'tensor',
): Promise<void> {
  let expectedValues: number[];
  let expectedShape: readonly number[] | undefined;
  if (isTensor(expected)) {
    expectedValues = Array.from(await expected.data(), Number);
    expectedShape = expected.shape;
  } else if (
    typeof expected === 'number' ||
    typeof expected === 'boolean' ||
    Array.isArray(expected)
  ) {
    expectedValues = flatten(expected as NestedArray);
    expectedShape = shapeOf(expected as NestedArray);
  } else {
    expectedValues = Array.from(expected as ArrayLike<number>);
  }
  if (
    expectedShape &&
    (actual.shape.length !== expectedShape.length ||
      actual.shape.some((d, i) => d !== expectedShape![i]))
  ) {
    throw new Error(
      `${what}: shape [${actual.shape.join(', ')}] differs from the expected [${expectedShape.join(', ')}]`,
    );
  }
  const problem = compareValues(Array.from(await actual.data(), Number), expectedValues, tolerance);
  if (problem) throw new Error(`${what}: ${problem}`);
}

/** Checks that `fn` throws an error whose message matches `pattern`. */
export function assertThrows(fn: () => unknown, pattern: RegExp | string, what = 'call'): Error {
  try {
    fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const matches = typeof pattern === 'string' ? message.includes(pattern) : pattern.test(message);
    if (!matches)
      throw new Error(`${what} threw "${message}", which does not match ${String(pattern)}`);
    return error as Error;
  }
  throw new Error(`${what} did not throw (expected ${String(pattern)})`);
}

/**
 * Checks that `fn` raises an error matching `pattern`: at the op, or, on a device that
 * computes later and checks on the device (WebGPU's index checks), when its result is read.
 * Returns the error.
 */
export async function assertRaises(
  fn: () => Tensor,
  pattern: RegExp | string,
  what = 'call',
): Promise<Error> {
  let failure: unknown;
  try {
    await fn().data();
  } catch (error) {
    failure = error;
  }
  if (failure === undefined)
    throw new Error(`${what} did not raise at the op or at the read (expected ${String(pattern)})`);
  const message = failure instanceof Error ? failure.message : String(failure);
  const matches = typeof pattern === 'string' ? message.includes(pattern) : pattern.test(message);
  if (!matches)
    throw new Error(`${what} raised "${message}", which does not match ${String(pattern)}`);
  return failure as Error;
}

/**
 * Whether `value` is a Tensor (duck-typed, so tensors of another copy of the package count too).
 */
export function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'storageRef' in value && 'shape' in value;
}

/** Checks the shape of `actual` and its values against a flat list of expected values. */
export async function expectValues(
  actual: Tensor,
  shape: readonly number[],
  values: readonly number[],
  tolerance: Tolerance,
  what: string,
): Promise<void> {
  if (actual.shape.length !== shape.length || actual.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${what}: shape [${actual.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  await assertClose(actual, Float64Array.from(values), tolerance, what);
}

export function expectDType(t: Tensor, dtype: string, what: string): void {
  if (t.dtype !== dtype) throw new Error(`${what}: dtype ${t.dtype}, expected ${dtype}`);
}
