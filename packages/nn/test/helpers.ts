// Shared helpers for the tests: tensors from recorded references, and reading values back.

import { type DeviceLike, type DType, type Tensor, tensor } from '@dl/tensor';
import { assertClose, type Tolerance } from '@dl/tensor/testing';
import type { StateDict } from '../src/index.js';
import type { Recorded } from './reference/types.js';

/** A tensor holding a recorded reference (float32 unless told), on `device`. */
export function fromRecorded(
  recorded: Recorded,
  device: DeviceLike,
  dtype: DType = 'float32',
): Tensor {
  return tensor(recorded.values.length === 0 ? [] : [...recorded.values], {
    dtype,
    device,
  }).reshape([...recorded.shape]);
}

/** Checks a tensor's shape and values against a recorded reference. */
export async function expectRecorded(
  actual: Tensor | null | undefined,
  expected: Recorded,
  what: string,
  tolerance: Tolerance = { rtol: 1e-4, atol: 1e-5 },
): Promise<void> {
  if (!actual)
    throw new Error(`${what}: no tensor (expected shape [${expected.shape.join(', ')}])`);
  if (
    actual.ndim !== expected.shape.length ||
    actual.shape.some((d, i) => d !== expected.shape[i])
  ) {
    throw new Error(
      `${what}: shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`,
    );
  }
  await assertClose(actual, Float64Array.from(expected.values), tolerance, what);
}

/** scale · sin(0.7 i + phase) over the flat index, as the reference script's `wave`. */
export function wave(shape: readonly number[], phase: number, scale = 1): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.7 + phase) * scale;
  return out;
}

const integerKeys = /num_batches_tracked$/;

/** A state dict of CPU tensors from a recorded one. */
export function recordedState(
  state: Readonly<Record<string, { shape: readonly number[]; values: readonly number[] }>>,
  dtype: 'float32' | 'float64' = 'float32',
): StateDict {
  const out: StateDict = new Map();
  for (const [key, recorded] of Object.entries(state)) {
    out.set(key, fromRecorded(recorded, 'cpu', integerKeys.test(key) ? 'int32' : dtype));
  }
  return out;
}
