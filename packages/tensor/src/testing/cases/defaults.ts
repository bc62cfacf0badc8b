// Conformance cases: what a PyTorch port gets by default on every device. Numbers become
// float32 (PyTorch's default dtype; JavaScript has no 2.0 apart from 2), so
// `torch.tensor([2.0], requires_grad=True)` ports as written; and an async noGrad callback
// keeps gradients off across its awaits.

import type { Backend } from '../../index.js';
import { full, noGrad, tensor } from '../../index.js';
import { assertClose } from '../assert.js';
import { defineCases } from '../conformance.js';

function expectDType(actual: string, expected: string, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected dtype ${expected}, got ${actual}`);
}

export const defaultsCases = defineCases('defaults', {
  'numbers become float32 tensors; int32 only when asked': async (device: Backend) => {
    expectDType(tensor([2.0], { device }).dtype, 'float32', 'tensor([2.0])');
    expectDType(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { device },
      ).dtype,
      'float32',
      'whole numbers',
    );
    expectDType(tensor(7, { device }).dtype, 'float32', 'a scalar');
    expectDType(full([2], 3, { device }).dtype, 'float32', 'full([2], 3)');
    expectDType(tensor([1, 2], { device, dtype: 'int32' }).dtype, 'int32', 'dtype int32');
    expectDType(tensor(Int32Array.from([1, 2]), { device }).dtype, 'int32', 'an Int32Array');
    expectDType(tensor([true, false], { device }).dtype, 'bool', 'booleans');
    // Whole numbers divide as floats, as in PyTorch: 7 / 2 is 3.5, not 3.
    await assertClose(tensor([7], { device }).div(2), [3.5], { atol: 0, rtol: 0 });
  },

  'tensor([2.0], { requiresGrad: true }) trains as in PyTorch': async (device) => {
    const x = tensor([2.0], { device, requiresGrad: true });
    x.mul(x).mul(3).sum().backward(); // d/dx 3x^2 = 6x
    await assertClose(x.grad!, [12], { atol: 0, rtol: 0 }, 'the gradient');
  },

  'an async noGrad callback records no graph across its awaits': async (device) => {
    const w = tensor([0.5, -1], { device, requiresGrad: true });
    const recorded: boolean[] = [];
    let total = 0;
    await noGrad(async () => {
      for (let batch = 0; batch < 3; batch++) {
        const y = tensor([batch, 1], { device }).mul(w).sum();
        recorded.push(y.requiresGrad);
        total += await y.item(); // a real wait on devices that compute later
        await Promise.resolve();
      }
    });
    if (recorded.some((r) => r)) throw new Error(`graphs were recorded: ${recorded.join(', ')}`);
    if (total !== -1.5) throw new Error(`expected a total of -1.5, got ${total}`);
    if (!tensor([1, 1], { device }).mul(w).sum().requiresGrad)
      throw new Error('gradients stayed off after the callback settled');
  },
});
