// randomSplit: disjoint random subsets of given lengths (or fractions), like
// torch.utils.data.random_split, drawn from a Generator so a seed repeats the split.

import { type Generator, globalGenerator } from '@dl/tensor';
import { type Dataset, Subset } from './dataset.js';
import { permutation } from './sampler.js';

/**
 * Splits `dataset` into subsets of `lengths` samples. Fractions summing to 1 are turned
 * into counts (floor, then the remainder handed out one by one from the first), as PyTorch does.
 */
export function randomSplit<T>(
  dataset: Dataset<T>,
  lengths: readonly number[],
  options: { generator?: Generator } = {},
): Subset<T>[] {
  const n = dataset.length;
  let counts = [...lengths];
  const total = lengths.reduce((a, b) => a + b, 0);
  if (lengths.every((l) => l >= 0 && l <= 1) && Math.abs(total - 1) < 1e-9 && total !== n) {
    counts = lengths.map((f) => Math.floor(n * f));
    let remainder = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; remainder > 0; i = (i + 1) % counts.length, remainder--) counts[i]! += 1;
  }
  counts.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0)
      throw new RangeError(
        `randomSplit: length ${i} is ${lengths[i]}; lengths must be non-negative integers or fractions summing to 1`,
      );
  });
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum !== n) {
    throw new RangeError(
      `randomSplit: sum of input lengths (${sum}) does not equal the length of the input dataset (${n})`,
    );
  }
  const order = permutation(n, options.generator ?? globalGenerator());
  let offset = 0;
  return counts.map((c) => {
    const part = new Subset(dataset, order.slice(offset, offset + c));
    offset += c;
    return part;
  });
}
