// Conformance cases (nn): dropout and dropout2d with seeded generators.

import type { Backend } from '../../../backend.js';
import { dropout, dropout2d, Generator, ones, type Tensor, tensor, zeros } from '../../../index.js';
import { assertClose, assertThrows } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import { type CaseBody, fixed, numel, spec } from '../fixed-inputs.js';

async function fractionKept(t: Tensor): Promise<number> {
  const values = Array.from(await t.data());
  return values.filter((v) => v !== 0).length / values.length;
}

export const dropoutCases: Record<string, CaseBody> = {
  'dropout with a seeded Generator keeps about 1 - p and scales by 1 / (1 - p)': async (
    device: Backend,
  ) => {
    const x = ones([64, 64], { device }).requiresGrad_(true);
    const y = dropout(x, 0.25, { generator: new Generator(7) });
    const kept = await fractionKept(y);
    if (Math.abs(kept - 0.75) > 0.03)
      throw new Error(`dropout(p=0.25) kept ${kept} of the elements, expected about 0.75`);
    for (const v of await y.data())
      if (v !== 0 && Math.abs(v - 4 / 3) > 1e-6)
        throw new Error(`dropout(p=0.25) kept value ${v}, expected 4/3`);
    const again = dropout(x, 0.25, { generator: new Generator(7) });
    await assertClose(again, y, { atol: 0, rtol: 0 }, 'the same seed gives the same mask');
    y.sum().backward();
    await assertClose(x.grad!, y, {}, 'the gradient is the mask times 1 / (1 - p)');
  },

  'dropout: training false and p = 0 are the identity, p = 1 zeroes': async (device: Backend) => {
    const x = fixed([3, 4], 1, device);
    await assertClose(
      dropout(x, 0.5, { training: false }),
      x,
      { atol: 0, rtol: 0 },
      'training false',
    );
    await assertClose(dropout(x, 0), x, { atol: 0, rtol: 0 }, 'p = 0');
    await assertClose(
      dropout(x, 1, { generator: new Generator(1) }),
      new Float64Array(12),
      { atol: 0 },
      'p = 1',
    );
    await assertClose(
      dropout2d(fixed([2, 3, 2, 2], 1, device), 0.5, { training: false }),
      fixed([2, 3, 2, 2], 1, device),
      { atol: 0, rtol: 0 },
      'dropout2d training false',
    );
    assertThrows(
      () => dropout(x, 1.5),
      'dropout probability has to be between 0 and 1, but got 1.5',
      'p = 1.5',
    );
    assertThrows(
      () => dropout2d(x, -0.1),
      'dropout probability has to be between 0 and 1, but got -0.1',
      'dropout2d p = -0.1',
    );
    assertThrows(
      () => dropout2d(zeros([2, 3, 2, 2, 2], { device })),
      'dropout2d: expected a 3-d (unbatched [C, H, W]) or 4-d ([N, C, H, W]) input',
      'dropout2d of 5-d',
    );
    // Dropped or not, NaN stays NaN: the mask multiplies, as in PyTorch.
    const nan = dropout(tensor([Number.NaN, Number.NaN, Number.NaN, Number.NaN], { device }), 0.5, {
      generator: new Generator(2),
    });
    await assertClose(nan, [Number.NaN, Number.NaN, Number.NaN, Number.NaN], {}, 'dropout of NaN');
  },

  'dropout2d zeroes whole channels': async (device: Backend) => {
    for (const shape of [
      [4, 8, 3, 3],
      [8, 3, 3],
    ]) {
      const y = dropout2d(ones(shape, { device }), 0.5, { generator: new Generator(3) });
      const values = await y.data();
      const planes = numel(shape.slice(0, -2));
      let zeroed = 0;
      for (let p = 0; p < planes; p++) {
        const plane = Array.from(values.slice(p * 9, p * 9 + 9));
        if (plane.every((v) => v === 0)) zeroed++;
        else if (!plane.every((v) => v === 2))
          throw new Error(
            `dropout2d: plane ${p} of [${shape.join(', ')}] is partly dropped: ${plane.join(', ')}`,
          );
      }
      if (zeroed === 0 || zeroed === planes)
        throw new Error(`dropout2d(p=0.5) zeroed ${zeroed} of ${planes} channels`);
    }
    await checkGradients(device, (x) => dropout2d(x!, 0.5, { generator: new Generator(3) }), [
      spec([2, 3, 2, 2], 1),
    ]);
  },
};
