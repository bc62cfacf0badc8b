// Reading metric inputs: tensors on any device (read back with `await t.data()`), typed
// arrays, and plain (nested) arrays all become flat host values with a shape.

import { Tensor } from '@dl/tensor';

/** Labels or scores: a tensor on any device, a typed array, or (nested) number arrays. */
export type MetricInput = Tensor | ArrayLike<number> | readonly (readonly number[])[];

export interface HostValues {
  readonly values: ArrayLike<number>;
  readonly shape: readonly number[];
}

export async function readInput(input: MetricInput, what: string): Promise<HostValues> {
  if (input instanceof Tensor) {
    const values = await input.data();
    return { values, shape: input.shape };
  }
  const first = input.length > 0 ? input[0] : undefined;
  if (Array.isArray(first)) {
    const rows = input as readonly (readonly number[])[];
    const width = first.length;
    const values: number[] = [];
    rows.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== width)
        throw new Error(
          `${what}: row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries, row 0 has ${width}; rows must all be as long`,
        );
      values.push(...row);
    });
    return { values, shape: [rows.length, width] };
  }
  return { values: input as ArrayLike<number>, shape: [input.length] };
}

/**
 * Class labels, one per sample. A 2-D input [N, C] of scores is turned into labels by
 * argmax over the classes (first maximum), so model outputs can be passed as they are.
 */
export async function readLabels(input: MetricInput, what: string): Promise<number[]> {
  const { values, shape } = await readInput(input, what);
  if (shape.length === 1) return Array.from(values, Number);
  if (shape.length === 2) {
    const [n, c] = shape as [number, number];
    if (c === 0) throw new Error(`${what}: scores of shape [${n}, 0] have no classes`);
    const labels = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (values[i * c + j]! > values[i * c + best]!) best = j;
      labels[i] = best;
    }
    return labels;
  }
  throw new Error(
    `${what}: expected labels of shape [N] or scores of shape [N, C], got [${shape.join(', ')}]`,
  );
}

export function checkSameLength(
  yTrue: readonly number[],
  yPred: readonly number[],
  what: string,
): void {
  if (yTrue.length !== yPred.length) {
    throw new Error(
      `${what}: found input variables with inconsistent numbers of samples: yTrue has ${yTrue.length}, yPred has ${yPred.length}`,
    );
  }
}

/** The sorted distinct values of the given label lists. */
export function uniqueLabels(...lists: readonly (readonly number[])[]): number[] {
  const set = new Set<number>();
  for (const list of lists) for (const v of list) set.add(v);
  return [...set].sort((a, b) => a - b);
}
