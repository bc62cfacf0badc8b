// Conformance cases (nn): scaledDotProductAttention with bool, float and causal masks.

import type { Backend } from '../../../backend.js';
import { scaledDotProductAttention, tensor, zeros } from '../../../index.js';
import { assertThrows } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import { type CaseBody, expectReference, fixed, spec } from '../fixed-inputs.js';
import * as ref from '../reference/nn.js';

const boolMask = [
  [true, false, true, true, false],
  [false, true, true, false, true],
  [true, true, false, true, true],
];

export const attentionCases: Record<string, CaseBody> = {
  'scaledDotProductAttention without a mask, with bool and float masks, and causal': async (
    device: Backend,
  ) => {
    const q = fixed([2, 3, 4], 1, device);
    const k = fixed([2, 5, 4], 2, device);
    const v = fixed([2, 5, 2], 3, device);
    await expectReference(scaledDotProductAttention(q, k, v), ref.attention, 'attention');
    const mask = tensor(boolMask, { dtype: 'bool', device });
    await expectReference(
      scaledDotProductAttention(q, k, v, { attnMask: mask }),
      ref.attentionBoolMask,
      'attention with a bool mask',
    );
    await expectReference(
      scaledDotProductAttention(q, k, v, { attnMask: fixed([3, 5], 4, device) }),
      ref.attentionFloatMask,
      'attention with a float mask',
    );
    await expectReference(
      scaledDotProductAttention(q, k, v, { isCausal: true }),
      ref.attentionCausal,
      'causal attention',
    );
    // A custom scale: scale 1 / sqrt(E) is the default, so passing it changes nothing.
    await expectReference(
      scaledDotProductAttention(q, k, v, { scale: 0.5 }),
      ref.attention,
      'attention with scale 0.5',
    );
    // Dropout on the weights is off outside training.
    await expectReference(
      scaledDotProductAttention(q, k, v, { dropoutP: 0.5, training: false }),
      ref.attention,
      'attention with dropout off',
    );
  },

  'scaledDotProductAttention gradients and errors': async (device: Backend) => {
    const inputs = [spec([2, 3, 4], 1), spec([2, 5, 4], 2), spec([2, 5, 2], 3)];
    await checkGradients(device, (q, k, v) => scaledDotProductAttention(q!, k!, v!), inputs);
    await checkGradients(
      device,
      (q, k, v) =>
        scaledDotProductAttention(q!, k!, v!, {
          attnMask: tensor(boolMask, { dtype: 'bool', device: q!.device }),
        }),
      inputs,
    );
    await checkGradients(
      device,
      (q, k, v, m) => scaledDotProductAttention(q!, k!, v!, { attnMask: m! }),
      [...inputs, spec([3, 5], 4)],
    );
    await checkGradients(
      device,
      (q, k, v) => scaledDotProductAttention(q!, k!, v!, { isCausal: true }),
      inputs,
    );
    const q = zeros([3, 4], { device });
    assertThrows(
      () => scaledDotProductAttention(q, zeros([5, 3], { device }), zeros([5, 2], { device })),
      'query and key embedding sizes differ (4 and 3)',
      'embedding sizes',
    );
    assertThrows(
      () =>
        scaledDotProductAttention(q, zeros([5, 4], { device }), zeros([5, 2], { device }), {
          isCausal: true,
          attnMask: zeros([3, 5], { device }),
        }),
      'pass either attnMask or isCausal, not both',
      'mask and isCausal',
    );
  },
};
