// Printing matches PyTorch's layout (expected strings written from PyTorch 1.13's output).
import { arange, tensor, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

describe('toString', () => {
  it('prints integral floats with a trailing dot and aligns columns', () => {
    expect(
      String(
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: 'float32' },
        ),
      ),
    ).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    expect(
      String(
        tensor(
          [
            [-1, 20],
            [3, 4],
          ],
          { dtype: 'float32' },
        ),
      ),
    ).toBe('tensor([[-1., 20.],\n        [ 3.,  4.]])');
  });

  it('uses 4 decimals, or scientific notation for wide ranges', () => {
    expect(String(tensor([0.1, 0.25, 3]))).toBe('tensor([0.1000, 0.2500, 3.0000])');
    expect(String(tensor([1e-5, 1]))).toBe('tensor([1.0000e-05, 1.0000e+00])');
    expect(String(tensor([Number.NaN, Number.POSITIVE_INFINITY, 1.5]))).toBe(
      'tensor([   nan,    inf, 1.5000])',
    );
  });

  it('prints ints, bools, scalars, empties and 3-d tensors', () => {
    expect(String(tensor([1, 2, 3], { dtype: 'int32' }))).toBe('tensor([1, 2, 3])');
    expect(String(tensor([1, 2, 3]))).toBe('tensor([1., 2., 3.])');
    expect(String(tensor([true, false]))).toBe('tensor([ True, False])');
    expect(String(tensor(2.5))).toBe('tensor(2.5000)');
    expect(String(zeros([0]))).toBe('tensor([])');
    expect(String(zeros([2, 0]))).toBe('tensor([], size=[2, 0])');
    expect(String(arange(8).reshape(2, 2, 2))).toBe(
      'tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])',
    );
  });

  it('shows autograd state and non-default dtypes', () => {
    const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    expect(String(x)).toBe('tensor([1., 2.], requiresGrad=true)');
    expect(String(x.mul(2))).toBe('tensor([2., 4.], gradFn=<MulBackward>)');
    expect(String(tensor([1, 2], { dtype: 'float64' }))).toBe('tensor([1., 2.], dtype=float64)');
  });

  it('summarises large tensors with an ellipsis', () => {
    expect(String(arange(2000))).toBe('tensor([   0,    1,    2, ..., 1997, 1998, 1999])');
  });

  it('prints a tensor of any rank, as PyTorch does', () => {
    const rank = 100_000;
    const deep = tensor([1.5]).reshape(Array(rank).fill(1));
    expect(String(deep)).toBe(`tensor(${'['.repeat(rank)}1.5000${']'.repeat(rank)})`);
    // Two items along dim 0: a comma, a line per dim below it, and the indent between them.
    const two = zeros([2, ...Array(rank - 2).fill(1), 3], { dtype: 'int32' });
    const item = (closing: number) => `${'['.repeat(rank - 1)}0, 0, 0${']'.repeat(closing)}`;
    expect(String(two)).toBe(
      `tensor([${item(rank - 1)},${'\n'.repeat(rank - 1)}${' '.repeat(8)}${item(rank - 1)}])`,
    );
  });

  it('summarises a tensor whose summary shows more elements than a call can take', () => {
    // 7^7 elements in 7 dims: 6^7 = 279,936 of them printed.
    const wide = arange(7 ** 7)
      .reshape(Array(7).fill(7))
      .float();
    const text = String(wide);
    expect(text.startsWith(`tensor(${'['.repeat(7)}     0.,      1.,      2., ...,      4.,`)).toBe(
      true,
    );
    expect(text.endsWith(`823540., 823541., 823542.${']'.repeat(7)})`)).toBe(true);
    expect(text.match(/\d\./g)?.length).toBe(6 ** 7);
  });
});
