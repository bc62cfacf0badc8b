// Softmax and logSoftmax along the last dim on the CPU, row by row: the max, the sum of
// exp(x - max) (in float64), then each element, rounded once as it is stored.

import type { View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { numelOf } from '../shape.js';

/** As Backend.softmax: contiguous input and out [rows, n]. */
export function runSoftmax(
  input: View,
  x: TypedArray,
  log: boolean,
  out: View,
  y: TypedArray,
): void {
  const n = input.shape[input.shape.length - 1] ?? 1;
  const rows = n === 0 ? 0 : numelOf(input.shape) / n;
  for (let r = 0; r < rows; r++) {
    const from = input.offset + r * n;
    const to = out.offset + r * n;
    let max = -Infinity;
    for (let i = 0; i < n && !Number.isNaN(max); i++) {
      const v = x[from + i] as number;
      // NaN wins, as in amax.
      if (Number.isNaN(v) || v > max) max = v;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp((x[from + i] as number) - max);
    const logSum = Math.log(sum);
    for (let i = 0; i < n; i++) {
      const shifted = (x[from + i] as number) - max;
      y[to + i] = log ? shifted - logSum : Math.exp(shifted) / sum;
    }
  }
}
