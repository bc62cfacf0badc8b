// Autograd through tensors, checked against derivatives worked out by hand.
import { enableGrad, grad, isGradEnabled, noGrad, ones, tensor, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

const values = (t: { dataSync(): ArrayLike<number> } | null) =>
  t ? Array.from(t.dataSync()) : null;

describe('backward', () => {
  it('accumulates gradients into .grad and zero_() clears them', () => {
    const w = tensor([1, -2, 3], { dtype: 'float32', requiresGrad: true });
    const x = tensor([0.5, 4, -1]);
    w.mul(x).sum().backward();
    expect(values(w.grad)).toEqual([0.5, 4, -1]);
    w.mul(x).sum().backward();
    expect(values(w.grad)).toEqual([1, 8, -2]);
    w.grad!.zero_();
    expect(values(w.grad)).toEqual([0, 0, 0]);
  });

  it('differentiates through broadcasting: d/db sum((x @ W + b)^2)', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32' },
    );
    const W = tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { dtype: 'float32', requiresGrad: true },
    );
    const b = tensor([1, -1], { dtype: 'float32', requiresGrad: true });
    const y = x.matmul(W).add(b); // [[2, 1], [4, 3]]
    y.square().sum().backward();
    // dL/dy = 2y; dL/db = column sums of 2y; dL/dW = xᵀ 2y.
    expect(values(b.grad)).toEqual([12, 8]);
    expect(values(W.grad)).toEqual([
      2 * (1 * 2 + 3 * 4),
      2 * (1 * 1 + 3 * 3),
      2 * (2 * 2 + 4 * 4),
      2 * (2 * 1 + 4 * 3),
    ]);
  });

  it('needs a gradient for non-scalar outputs, and checks its shape', () => {
    const x = tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/grad can be implicitly created only for scalar outputs/);
    expect(() => y.backward(ones([2]))).toThrow(
      /mismatch in shape: grad_output has a shape of \[2\] and output has a shape of \[3\]/,
    );
    y.backward(tensor([1, 0, -1], { dtype: 'float32' }));
    expect(values(x.grad)).toEqual([2, 0, -2]);
  });

  it('frees the graph after backward unless retainGraph is set', () => {
    const x = tensor([2], { dtype: 'float32', requiresGrad: true });
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(values(x.grad)![0]).toBeCloseTo(2 * Math.exp(2), 4);
    expect(() => y.backward()).toThrow(/backward through the graph a second time/);
  });

  it('noGrad stops recording and enableGrad resumes it', () => {
    const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = noGrad(() => enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(isGradEnabled()).toBe(true);
  });

  it('detach cuts the graph but shares the data', () => {
    const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.storageRef).toBe(x.storageRef);
  });

  it('retainGrad keeps a non-leaf gradient; hooks can rewrite gradients', () => {
    const x = tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    const h = x.mul(3).retainGrad();
    const handle = x.registerHook((g) => g.mul(10));
    h.square().sum().backward();
    expect(values(h.grad)).toEqual([6, 12, 18]); // 2h
    expect(values(x.grad)).toEqual([180, 360, 540]); // 3 * 2h * 10
    handle.remove();
    x.grad = null;
    x.mul(1).sum().backward();
    expect(values(x.grad)).toEqual([1, 1, 1]);
  });

  it('computes second derivatives with grad(..., { createGraph })', () => {
    const x = tensor([0.5, -1, 2], { dtype: 'float64', requiresGrad: true });
    const y = x.pow(3).sum();
    const [dy] = grad(y, x, { createGraph: true });
    expect(values(dy!)).toEqual([0.75, 3, 12]); // 3x²
    const [d2y] = grad(dy!.sum(), x);
    expect(values(d2y!)).toEqual([3, -6, 12]); // 6x
    expect(x.grad).toBeNull();
  });

  it('refuses requiresGrad on integer tensors and on non-leaves', () => {
    expect(() => tensor([1, 2], { dtype: 'int32' }).requiresGrad_()).toThrow(
      /only tensors of floating point dtype can require gradients/,
    );
    const x = tensor([1.5], { requiresGrad: true });
    // torch.tensor([2.0], requires_grad=True), ported as written.
    const y = tensor([2.0], { requiresGrad: true });
    y.mul(y).sum().backward();
    expect(Array.from(y.grad!.dataSync())).toEqual([4]);
    expect(() => x.mul(2).requiresGrad_(false)).toThrow(
      /only change requiresGrad flags of leaf tensors/,
    );
  });
});

describe('in-place ops and autograd', () => {
  it('refuses in-place ops on a leaf that requires grad, outside noGrad, and leaves it untouched', () => {
    const w = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    expect(() => w.add_(1)).toThrow(
      /a leaf tensor that requires grad is being used in an in-place operation/,
    );
    expect(values(w)).toEqual([1, 2]);
    noGrad(() => w.sub_(tensor([0.5, 0.5])));
    expect(values(w)).toEqual([0.5, 1.5]);
    expect(w.isLeaf).toBe(true);
  });

  it('differentiates through an in-place op on a non-leaf', () => {
    const x = tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    const y = x.mul(2);
    y.add_(1); // y = 2x + 1
    y.square().sum().backward(); // d/dx = 2(2x + 1) * 2
    expect(values(x.grad)).toEqual([12, 20, 28]);
  });

  it('detects a saved tensor modified in place before backward', () => {
    const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const y = x.exp(); // exp's derivative uses its output
    const z = y.sum();
    noGrad(() => y.mul_(2));
    expect(() => z.backward()).toThrow(
      /modified by an in-place operation.*ExpBackward is at version 1; expected version 0/,
    );
  });

  it('refuses a recorded in-place write through a view rather than give a wrong gradient', () => {
    const x = tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    const y = x.mul(1);
    expect(() => y.narrow(0, 0, 1).mul_(2)).toThrow(
      /in-place operations on a view .* are not supported when autograd records them/,
    );
    expect(values(y)).toEqual([1, 2, 3]);
    noGrad(() => y.narrow(0, 0, 1).mul_(2)); // outside autograd it is an ordinary write
    expect(values(y)).toEqual([2, 2, 3]);
  });

  it('keeps the dtype of the target and refuses lossy casts', () => {
    const i = zeros([2], { dtype: 'int32' });
    expect(() => i.add_(0.5)).toThrow(
      /result type float32 can't be cast to the desired output type int32/,
    );
    expect(values(i)).toEqual([0, 0]);
    i.add_(3);
    expect(i.dtype).toBe('int32');
    expect(values(i)).toEqual([3, 3]);
  });

  it('fill_, zero_, clamp_, copy_ write through views into the base', () => {
    const base = zeros([2, 3]);
    base.select(0, 1).fill_(5);
    base
      .t()
      .select(0, 0)
      .copy_(tensor([7, 8]));
    expect(values(base)).toEqual([7, 0, 0, 8, 5, 5]);
    base.clamp_(0, 6);
    expect(values(base)).toEqual([6, 0, 0, 6, 5, 5]);
    base.zero_();
    expect(values(base)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('noGrad over an async validation loop', () => {
  it('records no graph for any batch, across the awaits between them', async () => {
    // The port of `with torch.no_grad(): for x, y in loader: ...`.
    const w = tensor([[0.5], [-1]], { requiresGrad: true });
    async function* batches() {
      for (let k = 0; k < 3; k++) {
        await new Promise<void>((resolve) => setTimeout(resolve, 1));
        yield tensor([[k, 1]]);
      }
    }
    const recorded: boolean[] = [];
    let total = 0;
    await noGrad(async () => {
      for await (const x of batches()) {
        const y = x.matmul(w);
        recorded.push(y.requiresGrad || y.gradFn !== null);
        total += await y.sum().item();
      }
    });
    expect(recorded).toEqual([false, false, false]);
    expect(total).toBe(-1.5); // (0 + 1 + 2) * 0.5 - 3 * 1
    // Outside the callback the graph is recorded again.
    expect(tensor([[1, 1]]).matmul(w).gradFn).not.toBeNull();
  });
});
