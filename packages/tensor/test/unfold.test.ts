// F.unfold / F.fold with PyTorch's arguments, against values worked out by hand.
import { arange, fold, unfold } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

describe('unfold and fold', () => {
  it('unfold lists every 2x2 block of a 3x3 image as a column', async () => {
    const x = arange(9, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 3, 3);
    const cols = unfold(x, 2);
    expect(cols.shape).toEqual([1, 4, 4]);
    // Rows: block offsets (0,0) (0,1) (1,0) (1,1); columns: block positions in row-major order.
    expect(await cols.toArray()).toEqual([
      [
        [0, 1, 3, 4],
        [1, 2, 4, 5],
        [3, 4, 6, 7],
        [4, 5, 7, 8],
      ],
    ]);
  });

  it('fold sums overlapping blocks back (fold(unfold(ones)) counts the blocks per pixel)', async () => {
    const ones = unfold(
      arange(9, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 3, 3).mul(0).add(1),
      2,
    );
    const counts = fold(ones, 3, 2);
    expect(await counts.toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
  });

  it('honours stride, padding and dilation, and checks sizes', () => {
    const x = arange(2 * 5 * 5, undefined, 1, { dtype: 'float32' }).reshape(1, 2, 5, 5);
    expect(unfold(x, [3, 2], { stride: 2, padding: 1, dilation: [1, 2] }).shape).toEqual([
      1,
      12,
      3 * 3,
    ]);
    expect(() => fold(unfold(x, 2), 4, 2)).toThrow(
      /calculated number of sliding blocks 3 \* 3 = 9, but got input.size\(2\)=16/,
    );
  });
});
