// Conformance cases (nn): max pooling (with PyTorch's indices), average pooling and adaptive
// pooling.

import type { Backend } from '../../../backend.js';
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  maxPool2d,
  maxPool2dWithIndices,
  tensor,
  zeros,
} from '../../../index.js';
import { assertClose, assertThrows } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import {
  type CaseBody,
  expectReference,
  firstSample,
  fixed,
  fixedValues,
  spec,
} from '../fixed-inputs.js';
import * as ref from '../reference/nn.js';

const maxPoolVariants = [
  {
    kernel: 2,
    options: {},
    values: ref.maxPool2dKernel2,
    indices: ref.maxPool2dKernel2Indices,
    what: 'kernel 2',
  },
  {
    kernel: 3,
    options: { stride: 2, padding: 1 },
    values: ref.maxPool2dStridePadding,
    indices: ref.maxPool2dStridePaddingIndices,
    what: 'stride 2 padding 1',
  },
  {
    kernel: 2,
    options: { stride: 1, dilation: 2 },
    values: ref.maxPool2dDilation,
    indices: ref.maxPool2dDilationIndices,
    what: 'dilation 2',
  },
  {
    kernel: 3,
    options: { stride: 2, ceilMode: true },
    values: ref.maxPool2dCeilMode,
    indices: ref.maxPool2dCeilModeIndices,
    what: 'ceilMode',
  },
  {
    kernel: [2, 3] as const,
    options: { stride: [2, 2] as const, padding: [1, 1] as const, ceilMode: true },
    values: ref.maxPool2dCeilModePadding,
    indices: ref.maxPool2dCeilModePaddingIndices,
    what: 'ceilMode with padding',
  },
];

const avgPoolVariants = [
  {
    kernel: 3,
    options: { stride: 2, padding: 1 },
    expected: ref.avgPool2dPaddingIncluded,
    what: 'padding counted',
  },
  {
    kernel: 3,
    options: { stride: 2, padding: 1, countIncludePad: false },
    expected: ref.avgPool2dPaddingExcluded,
    what: 'padding not counted',
  },
  { kernel: 2, options: { ceilMode: true }, expected: ref.avgPool2dCeilMode, what: 'ceilMode' },
  {
    kernel: 3,
    options: { stride: 2, padding: 1, ceilMode: true },
    expected: ref.avgPool2dCeilModePadding,
    what: 'ceilMode with padding',
  },
  {
    kernel: 3,
    options: { stride: 2, padding: 1, ceilMode: true, countIncludePad: false },
    expected: ref.avgPool2dCeilModePaddingExcluded,
    what: 'ceilMode with padding not counted',
  },
  {
    kernel: [2, 3] as const,
    options: { stride: 1, padding: 1, divisorOverride: 5 },
    expected: ref.avgPool2dDivisorOverride,
    what: 'divisorOverride',
  },
];

export const poolCases: Record<string, CaseBody> = {
  'maxPool2d and maxPool2dWithIndices: stride, padding, dilation, ceilMode': async (
    device: Backend,
  ) => {
    const x = fixed([1, 2, 6, 7], 1, device);
    for (const v of maxPoolVariants) {
      await expectReference(maxPool2d(x, v.kernel, v.options), v.values, `maxPool2d ${v.what}`);
      const { values, indices } = maxPool2dWithIndices(x, v.kernel, v.options);
      await expectReference(values, v.values, `maxPool2dWithIndices ${v.what} values`);
      if (indices.dtype !== 'int32')
        throw new Error(`maxPool2dWithIndices: indices should be int32, got ${indices.dtype}`);
      await expectReference(indices, v.indices, `maxPool2dWithIndices ${v.what} indices`, {
        rtol: 0,
        atol: 0,
      });
    }
    const paddingOnly = maxPool2dWithIndices(fixed([1, 2, 1, 5], 1, device), [2, 3], {
      stride: 2,
      padding: 1,
      dilation: [2, 1],
      ceilMode: true,
    });
    await expectReference(
      paddingOnly.values,
      ref.maxPool2dPaddingOnlyWindow,
      'maxPool2d windows that hold only padding',
    );
    await expectReference(
      paddingOnly.indices,
      ref.maxPool2dPaddingOnlyWindowIndices,
      'maxPool2d indices of windows that hold only padding',
      { rtol: 0, atol: 0 },
    );
    const unbatched = maxPool2dWithIndices(fixed([2, 6, 7], 1, device), 3, {
      stride: 2,
      padding: 1,
    });
    await expectReference(
      unbatched.values,
      firstSample(ref.maxPool2dStridePadding),
      'maxPool2d unbatched',
    );
    await expectReference(
      unbatched.indices,
      firstSample(ref.maxPool2dStridePaddingIndices),
      'maxPool2d unbatched indices',
      { rtol: 0, atol: 0 },
    );
  },

  'maxPool2d gradients go to the maximum of each window': async (device: Backend) => {
    await checkGradients(device, (x) => maxPool2d(x!, 2), [spec([1, 2, 4, 5], 1)]);
    await checkGradients(device, (x) => maxPool2d(x!, 3, { stride: 2, padding: 1 }), [
      spec([1, 1, 5, 6], 1),
    ]);
    await checkGradients(device, (x) => maxPool2d(x!, 2, { stride: 1, dilation: 2 }), [
      spec([1, 1, 5, 5], 1),
    ]);
    await checkGradients(device, (x) => maxPool2d(x!, 3, { stride: 2, ceilMode: true }), [
      spec([1, 1, 6, 7], 1),
    ]);
    await checkGradients(device, (x) => maxPool2dWithIndices(x!, 2, { padding: 1 }).values, [
      spec([1, 2, 4, 4], 1),
    ]);
  },

  'maxPool2d ties and NaN as PyTorch: the first of equal values, the last NaN, the gradient to that position':
    async (device: Backend) => {
      const x = fixed([1, 2, 6, 7], 1, device).relu().requiresGrad_(true);
      const { values, indices } = maxPool2dWithIndices(x, 3, { stride: 2, padding: 1 });
      await expectReference(indices, ref.maxPool2dTiesIndices, 'maxPool2d indices with ties', {
        rtol: 0,
        atol: 0,
      });
      values
        .mul(fixed(values.shape, 2, device))
        .sum()
        .backward();
      await expectReference(x.grad!, ref.maxPool2dTiesGrad, 'maxPool2d gradient with ties', {
        rtol: 0,
        atol: 0,
      });
      const x2 = fixed([1, 2, 6, 7], 1, device).relu().requiresGrad_(true);
      const pooled2 = maxPool2d(x2, 2);
      pooled2
        .mul(fixed(pooled2.shape, 2, device))
        .sum()
        .backward();
      await expectReference(
        x2.grad!,
        ref.maxPool2dTiesKernel2Grad,
        'maxPool2d(x, 2) gradient with ties',
        {
          rtol: 0,
          atol: 0,
        },
      );
      const withNaN = fixedValues(16, 1);
      withNaN[1] = Number.NaN;
      withNaN[4] = Number.NaN;
      const nan = tensor(Float32Array.from(withNaN), { device }).reshape([1, 1, 4, 4]);
      const pooled = maxPool2dWithIndices(nan, 2);
      await expectReference(pooled.values, ref.maxPool2dNaN, 'maxPool2d with NaN');
      await expectReference(pooled.indices, ref.maxPool2dNaNIndices, 'maxPool2d indices with NaN', {
        rtol: 0,
        atol: 0,
      });
    },

  'avgPool2d: countIncludePad both ways, ceilMode, divisorOverride': async (device: Backend) => {
    const x = fixed([1, 2, 5, 6], 1, device);
    for (const v of avgPoolVariants)
      await expectReference(avgPool2d(x, v.kernel, v.options), v.expected, `avgPool2d ${v.what}`);
    await expectReference(
      avgPool2d(fixed([2, 5, 6], 1, device), 3, { stride: 2, padding: 1 }),
      firstSample(ref.avgPool2dPaddingIncluded),
      'avgPool2d unbatched',
    );
    const gradientInput = spec([1, 1, 5, 6], 1);
    for (const v of avgPoolVariants)
      await checkGradients(device, (t) => avgPool2d(t!, v.kernel, v.options), [gradientInput]);
  },

  'adaptiveAvgPool2d and adaptiveMaxPool2d with sizes that do not divide (5x7 -> 3x3)': async (
    device: Backend,
  ) => {
    const x = fixed([1, 2, 5, 7], 1, device);
    await expectReference(adaptiveAvgPool2d(x, 3), ref.adaptiveAvgPool2d3, 'adaptiveAvgPool2d 3');
    await expectReference(
      adaptiveAvgPool2d(x, [2, 4]),
      ref.adaptiveAvgPool2dPair,
      'adaptiveAvgPool2d [2, 4]',
    );
    await expectReference(
      adaptiveAvgPool2d(x, [3, null]),
      ref.adaptiveAvgPool2dNone,
      'adaptiveAvgPool2d [3, null]',
    );
    await expectReference(adaptiveMaxPool2d(x, 3), ref.adaptiveMaxPool2d3, 'adaptiveMaxPool2d 3');
    await expectReference(
      adaptiveMaxPool2d(x, [2, 4]),
      ref.adaptiveMaxPool2dPair,
      'adaptiveMaxPool2d [2, 4]',
    );
    await expectReference(
      adaptiveAvgPool2d(fixed([2, 5, 7], 1, device), 3),
      firstSample(ref.adaptiveAvgPool2d3),
      'adaptiveAvgPool2d unbatched',
    );
    await expectReference(
      adaptiveMaxPool2d(fixed([2, 5, 7], 1, device), 3),
      firstSample(ref.adaptiveMaxPool2d3),
      'adaptiveMaxPool2d unbatched',
    );
    // Output size 1 is global pooling.
    await assertClose(
      adaptiveAvgPool2d(x, 1),
      x.mean([2, 3], true),
      { atol: 1e-6 },
      'adaptiveAvgPool2d 1',
    );
    await assertClose(adaptiveMaxPool2d(x, 1), x.amax([2, 3], true), {}, 'adaptiveMaxPool2d 1');
  },

  'adaptive pooling gradients': async (device: Backend) => {
    await checkGradients(device, (x) => adaptiveAvgPool2d(x!, 3), [spec([1, 2, 5, 7], 1)]);
    await checkGradients(device, (x) => adaptiveMaxPool2d(x!, 3), [spec([1, 2, 5, 7], 1)]);
    await checkGradients(device, (x) => adaptiveMaxPool2d(x!, [2, 2]), [spec([1, 1, 4, 6], 1)]);
  },

  'pooling errors': (device: Backend) => {
    const x = zeros([1, 1, 9, 9], { device });
    assertThrows(
      () => maxPool2d(x, 3, { padding: 2 }),
      /pad should be at most half/,
      'maxPool2d padding',
    );
    assertThrows(
      () => avgPool2d(x, 2, { padding: 2 }),
      /pad should be at most half/,
      'avgPool2d padding',
    );
    assertThrows(
      () => maxPool2d(zeros([9, 9], { device }), 3),
      /expected 3-d or 4-d input/,
      'maxPool2d 2-d input',
    );
    assertThrows(
      () => adaptiveAvgPool2d(x, 0),
      /output size must be positive/,
      'adaptiveAvgPool2d 0',
    );
    assertThrows(
      () => avgPool2d(x, 2, { divisorOverride: 0 }),
      'divisorOverride must not be zero',
      'avgPool2d divisorOverride 0',
    );
  },
};
