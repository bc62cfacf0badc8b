// Conformance cases: tensor lifetimes. A disposed tensor's memory may already hold another
// tensor's values (GPU buffers are pooled), so every op that uses one must refuse it, naming
// the op; and ops that make tensors of their own for a step dispose them, so memory() counts
// only what the caller holds.

import type { Backend } from '../../index.js';
import { full, memory, ones, type Tensor, tensor } from '../../index.js';
import { assertClose, assertThrows } from '../assert.js';
import { defineCases } from '../conformance.js';

/** A float32 [3] tensor of 7s on `device`, disposed, after which pooled memory is reused. */
function disposedSevens(device: Backend): Tensor {
  const x = full([3], 7, { device });
  x.dispose();
  // Enough new tensors that a pooled buffer of the same size would be handed out again.
  for (let k = 0; k < 50; k++) full([3], 1000, { device }).realize();
  return x;
}

const disposedMessage = (op: string) =>
  `${op}: a tensor of shape [3] (float32) was disposed: its memory has been released`;

export const lifetimeCases = defineCases('lifetime', {
  'an op on a disposed tensor raises, naming the op': async (device) => {
    const x = disposedSevens(device);
    const other = ones([3], { device });
    assertThrows(() => x.add(0), disposedMessage('add'));
    assertThrows(() => other.mul(x), disposedMessage('mul'));
    assertThrows(() => x.sum(), disposedMessage('sum'));
    assertThrows(() => x.reshape([3, 1]), disposedMessage('reshape'));
    assertThrows(() => x.unsqueeze(0), disposedMessage('unsqueeze'));
    assertThrows(() => x.expand([2, 3]), disposedMessage('expand'));
    assertThrows(() => x.index([1]), disposedMessage('index'));
    assertThrows(() => x.detach(), disposedMessage('detach'));
    assertThrows(() => x.to('cpu'), disposedMessage('to'));
    assertThrows(() => x.matmul(ones([3, 1], { device })), disposedMessage('matmul'));
    assertThrows(() => ones([2, 3], { device }).matmul(x), disposedMessage('matmul'));
    // Disposed after they were made: a matrix, and an index.
    const matrix = ones([3, 2], { device });
    matrix.dispose();
    assertThrows(
      () => ones([2, 3], { device }).matmul(matrix),
      'matmul: a tensor of shape [3, 2] (float32) was disposed',
    );
    const indices = tensor([[0], [2]], { device, dtype: 'int32' });
    indices.dispose();
    assertThrows(
      () => ones([2, 3], { device }).gather(1, indices),
      'gather: a tensor of shape [2, 1] (int32) was disposed',
    );
    let threw = false;
    try {
      await x.data();
    } catch (error) {
      threw = String(error).includes(disposedMessage('data'));
    }
    if (!threw) throw new Error('data() of a disposed tensor did not raise the disposed error');
    // Nothing was changed by the refused calls.
    await assertClose(other, [1, 1, 1], { atol: 0, rtol: 0 }, 'the other operand');
  },

  'in-place ops refuse a disposed source or target and leave the other untouched': async (
    device,
  ) => {
    const source = disposedSevens(device);
    const target = tensor([1, 2, 3], { device });
    assertThrows(() => target.copy_(source), disposedMessage('copy_'));
    assertThrows(() => target.add_(source), disposedMessage('add'));
    await assertClose(target, [1, 2, 3], { atol: 0, rtol: 0 }, 'the target after refused writes');
    const gone = disposedSevens(device);
    assertThrows(() => gone.add_(1), disposedMessage('add_'));
    assertThrows(() => gone.zero_(), disposedMessage('zero_'));
    assertThrows(() => gone.copy_(target), disposedMessage('copy_'));
  },

  'a pending elementwise result, disposed, is refused by the op that would fold it': async (
    device,
  ) => {
    const a = tensor([1, 2, 3], { device });
    const pending = a.mul(2); // computed lazily on devices that fuse elementwise chains
    pending.dispose();
    assertThrows(() => pending.add(1), disposedMessage('add'));
    assertThrows(() => pending.relu(), disposedMessage('relu'));
    await assertClose(a.mul(2).add(1), [3, 5, 7], { atol: 0, rtol: 0 }, 'the same chain, alive');
  },

  'views of a disposed tensor keep working; the disposed tensor itself does not': async (
    device,
  ) => {
    const x = tensor([1, 2, 3, 4], { device });
    const view = x.reshape([2, 2]);
    x.dispose();
    await assertClose(
      view.sum(1),
      [3, 7],
      { atol: 0, rtol: 0 },
      'a view after its base is disposed',
    );
    assertThrows(() => x.reshape([4, 1]), 'reshape: a tensor of shape [4] (float32) was disposed');
  },

  'backward through a disposed output, and with a disposed saved input, raises': async (device) => {
    const w = tensor([1, 2, 3], { device, requiresGrad: true });
    const y = w.mul(2).sum();
    y.dispose();
    assertThrows(() => y.backward(), 'backward: a tensor of shape [] (float32) was disposed');
    const x = tensor([4, 5, 6], { device });
    const z = w.mul(x).sum(); // mul's backward reads x
    x.dispose();
    assertThrows(() => z.backward(), 'was disposed');
    if (w.grad !== null) throw new Error('a refused backward accumulated a gradient');
  },

  '100 index([i, j]) calls, each result disposed, leave no live tensors': async (device) => {
    const t = full([3, 4], 2, { device });
    const positions = tensor([2, -1, 0], { device, dtype: 'int32' });
    // Counted synchronously: no collector callback can run in between.
    const before = memory().tensors;
    for (let k = 0; k < 100; k++) {
      t.index([1, 2]).dispose();
      t.index([1]).dispose();
      t.index([null, 1, '...']).dispose();
      t.index('1:, ::2').dispose();
      t.index([positions]).dispose();
      t.index([1, positions]).dispose();
    }
    const after = memory().tensors;
    if (after !== before) {
      throw new Error(`indexing left ${after - before} live tensors after 600 disposed results`);
    }
    await assertClose(t.index([1, positions]), [2, 2, 2], { atol: 0, rtol: 0 }, 'the values');
  },
});
