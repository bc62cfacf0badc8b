// Conformance cases (nn): max pooling (with PyTorch's indices), average pooling and adaptive
// pooling.

import type { Backend } from '../../../backend.js';
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  grad,
  maxPool2d,
  maxPool2dWithIndices,
  type Tensor,
  tensor,
  zeros,
} from '../../../index.js';
import { assertClose, assertThrows } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import {
  type CaseBody,
  expectReference,
  expectShape,
  firstSample,
  fixed,
  fixedValues,
  type Reference,
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

  'maxPool2d gradients of windows that hold only padding go nowhere, not into the next plane':
    async (device: Backend) => {
      // Rows -1 and 1 of a one-row input: every window is padding, its value -Infinity and
      // its index a position past its plane (as PyTorch's). No input element is in a
      // window, so by hand every gradient is 0. (PyTorch 1.13's CPU backward writes at those
      // indices, outside the plane: no reference to derive from it.)
      for (const [kernel, options, what] of [
        [[2, 3], { stride: 2, padding: 1, dilation: [2, 1], ceilMode: true }, 'overlapping'],
        [[2, 2], { stride: [3, 2], padding: 1, dilation: [2, 1] }, 'apart'],
      ] as const) {
        const x = fixed([1, 2, 1, 5], 1, device).requiresGrad_(true);
        const values = maxPool2d(x, kernel, options);
        values
          .mul(fixed(values.shape, 2, device))
          .sum()
          .backward();
        await expectReference(
          x.grad!,
          { shape: [1, 2, 1, 5], values: new Array(10).fill(0) },
          `maxPool2d gradient, windows of padding only (${what})`,
          { rtol: 0, atol: 0 },
        );
        // Differentiated again, through the gradient's dependence on the output gradient w:
        // dx does not depend on w at all, so its gradient is 0 too (not an index error).
        const input = fixed([1, 2, 1, 5], 1, device).requiresGrad_(true);
        const y = maxPool2d(input, kernel, options);
        const w = fixed(y.shape, 2, device).requiresGrad_(true);
        const [dx] = grad(y, input, { gradOutputs: [w], createGraph: true });
        const [dw] = grad(dx!.mul(fixed(dx!.shape, 3, device)).sum(), w, { allowUnused: true });
        await expectReference(
          dw ?? zeros(w.shape, { device }),
          { shape: [...y.shape], values: new Array(y.numel()).fill(0) },
          `maxPool2d gradient of the gradient, windows of padding only (${what})`,
          { rtol: 0, atol: 0 },
        );
      }
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

  'adaptiveMaxPool2d with returnIndices: [values, indices], int32 indices into each input plane, as PyTorch':
    async (device: Backend) => {
      const expectIndices = async (indices: Tensor, expected: Reference, what: string) => {
        if (indices.dtype !== 'int32')
          throw new Error(`${what}: indices should be int32, got ${indices.dtype}`);
        await expectReference(indices, expected, what, { rtol: 0, atol: 0 });
      };
      const x = fixed([1, 2, 5, 7], 1, device);
      for (const [size, values, indices, what] of [
        [3, ref.adaptiveMaxPool2d3, ref.adaptiveMaxPool2d3Indices, '3'],
        [[2, 4], ref.adaptiveMaxPool2dPair, ref.adaptiveMaxPool2dPairIndices, '[2, 4]'],
        [[3, null], undefined, ref.adaptiveMaxPool2dNoneIndices, '[3, null]'],
      ] as const) {
        const [v, i] = adaptiveMaxPool2d(x, size, { returnIndices: true });
        if (values) await expectReference(v, values, `adaptiveMaxPool2d ${what} values`);
        await expectIndices(i, indices, `adaptiveMaxPool2d ${what} indices`);
      }
      const [even, evenIndices] = adaptiveMaxPool2d(fixed([1, 2, 4, 6], 1, device), [2, 3], {
        returnIndices: true,
      });
      await expectReference(even, ref.adaptiveMaxPool2dEven, 'windows of one size');
      await expectIndices(evenIndices, ref.adaptiveMaxPool2dEvenIndices, 'windows of one size');
      const [unbatched, unbatchedIndices] = adaptiveMaxPool2d(fixed([2, 5, 7], 1, device), 3, {
        returnIndices: true,
      });
      await expectReference(unbatched, firstSample(ref.adaptiveMaxPool2d3), 'unbatched values');
      await expectIndices(
        unbatchedIndices,
        firstSample(ref.adaptiveMaxPool2d3Indices),
        'unbatched indices',
      );
      const nanInput = fixedValues(20, 1);
      for (const [r, q] of [
        [0, 0],
        [1, 1],
        [0, 3],
        [2, 2],
        [3, 2],
      ])
        nanInput[r! * 5 + q!] = Number.NaN;
      const [nan, nanIndices] = adaptiveMaxPool2d(
        tensor(Float32Array.from(nanInput), { device }).reshape([1, 1, 4, 5]),
        [2, 2],
        { returnIndices: true },
      );
      await expectReference(nan, ref.adaptiveMaxPool2dNaN, 'NaN windows');
      await expectIndices(nanIndices, ref.adaptiveMaxPool2dNaNIndices, 'NaN windows: the last NaN');
      const [empty, emptyIndices] = adaptiveMaxPool2d(zeros([0, 2, 5, 7], { device }), 3, {
        returnIndices: true,
      });
      expectShape(empty, [0, 2, 3, 3], 'an empty batch');
      expectShape(emptyIndices, [0, 2, 3, 3], 'the indices of an empty batch');
      assertThrows(
        () => adaptiveMaxPool2d(zeros([1, 2, 0, 7], { device }), 3),
        'expected input to have non-zero size for non-batch dimensions, but input has sizes [1, 2, 0, 7]',
        'an empty plane',
      );
    },

  'adaptiveMaxPool2d gradients go to the one position of each maximum (ties, overlapping windows)':
    async (device: Backend) => {
      const x = fixed([1, 2, 5, 7], 1, device).mul(2).round().requiresGrad_(true);
      const values = adaptiveMaxPool2d(x, 3);
      values
        .mul(fixed(values.shape, 2, device))
        .sum()
        .backward();
      await expectReference(x.grad!, ref.adaptiveMaxPool2dTiesGrad, 'gradient with ties');
      await expectReference(
        adaptiveMaxPool2d(x, 3, { returnIndices: true })[1],
        ref.adaptiveMaxPool2dTiesIndices,
        'tied maxima: the first',
        { rtol: 0, atol: 0 },
      );
      const row = tensor([[[[0, 5, 0, 0, 1]]]], { device, dtype: 'float32', requiresGrad: true });
      adaptiveMaxPool2d(row, [1, 3]).sum().backward();
      await expectReference(row.grad!, ref.adaptiveMaxPool2dOverlapGrad, 'overlapping windows');
      await expectReference(
        adaptiveMaxPool2d(row, [1, 3], { returnIndices: true })[1],
        ref.adaptiveMaxPool2dOverlapIndices,
        'overlapping windows: indices',
        { rtol: 0, atol: 0 },
      );
    },

  'adaptive pooling gradients': async (device: Backend) => {
    await checkGradients(device, (x) => adaptiveAvgPool2d(x!, 3), [spec([1, 2, 5, 7], 1)]);
    await checkGradients(device, (x) => adaptiveMaxPool2d(x!, 3), [spec([1, 2, 5, 7], 1)]);
    await checkGradients(device, (x) => adaptiveMaxPool2d(x!, [2, 2]), [spec([1, 1, 4, 6], 1)]);
    await checkGradients(device, (x) => adaptiveMaxPool2d(x!, [3, 4], { returnIndices: true })[0], [
      spec([2, 1, 5, 7], 1),
    ]);
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
