// Conformance cases (nn): embedding lookups, and paddingIdx's row getting no gradient.

import type { Backend } from '../../../backend.js';
import { embedding, type Tensor, tensor, zeros } from '../../../index.js';
import { assertClose, assertThrows } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import { type CaseBody, fixed, fixedValues, spec } from '../fixed-inputs.js';

export const embeddingCases: Record<string, CaseBody> = {
  'embedding picks rows; paddingIdx gets no gradient': async (device: Backend) => {
    const table = fixedValues(15, 1);
    const row = (i: number) => table.slice(i * 3, i * 3 + 3);
    const indices = tensor(
      [
        [0, 2],
        [4, 2],
      ],
      { dtype: 'int32', device },
    );
    const upstream = fixedValues(12, 2);
    const g = (i: number, j: number) => upstream.slice((i * 2 + j) * 3, (i * 2 + j) * 3 + 3);
    for (const paddingIdx of [null, 2, -3]) {
      const weight = fixed([5, 3], 1, device).requiresGrad_(true);
      const out = embedding(indices, weight, paddingIdx);
      await assertClose(out, [
        [row(0), row(2)],
        [row(4), row(2)],
      ]);
      out
        .mul(tensor(Float32Array.from(upstream), { device }).reshape([2, 2, 3]))
        .sum()
        .backward();
      const zero = [0, 0, 0];
      const padRow = paddingIdx === null ? g(0, 1).map((v, k) => v + g(1, 1)[k]!) : zero;
      await assertClose(
        weight.grad!,
        [g(0, 0), zero, padRow, zero, g(1, 0)],
        {},
        `embedding gradient (paddingIdx ${paddingIdx})`,
      );
    }
  },

  'embedding gradients and errors': async (device: Backend) => {
    const lookup = (w: Tensor) =>
      embedding(tensor([3, 1, 3, 0], { dtype: 'int32', device: w.device }), w);
    await checkGradients(device, (w) => lookup(w!), [spec([4, 2], 1)]);
    assertThrows(
      () => embedding(tensor([0.5], { device }), zeros([3, 2], { device })),
      'expected int32 indices',
      'float indices',
    );
    assertThrows(
      () => embedding(tensor([0], { dtype: 'int32', device }), zeros([3], { device })),
      /weight must be 2-d/,
      '1-d weight',
    );
    assertThrows(
      () => embedding(tensor([0], { dtype: 'int32', device }), zeros([3, 2], { device }), 3),
      'paddingIdx must be within num_embeddings (3), got 3',
      'paddingIdx out of range',
    );
  },
};
