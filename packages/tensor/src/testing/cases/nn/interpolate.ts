// Conformance cases (nn): interpolate, nearest, nearest-exact and (bi)linear, by size or scale
// factor, and its refusals of unknown modes, options and sizes.

import type { Backend } from '../../../backend.js';
import {
  type InterpolateMode,
  type InterpolateOptions,
  interpolate,
  tensor,
  zeros,
} from '../../../index.js';
import { assertClose, assertThrows } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import { type CaseBody, expectReference, fixed, spec } from '../fixed-inputs.js';
import * as ref from '../reference/nn.js';

export const interpolateCases: Record<string, CaseBody> = {
  'interpolate nearest: size, scaleFactor, downsampling': async (device: Backend) => {
    const x = fixed([1, 2, 3, 4], 1, device);
    await expectReference(
      interpolate(x, { size: [5, 7], mode: 'nearest' }),
      ref.interpolateNearestSize,
      'nearest to 5x7',
    );
    await expectReference(
      interpolate(x, { scaleFactor: 1.5 }),
      ref.interpolateNearestScale,
      'nearest scaleFactor 1.5',
    );
    await expectReference(
      interpolate(x, { size: [2, 3] }),
      ref.interpolateNearestDown,
      'nearest to 2x3',
    );
    const small = tensor(
      [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      { device },
    );
    await assertClose(interpolate(small, { scaleFactor: 2 }), [
      [
        [
          [1, 1, 2, 2],
          [1, 1, 2, 2],
          [3, 3, 4, 4],
          [3, 3, 4, 4],
        ],
      ],
    ]);
  },

  'interpolate bilinear with alignCorners false and true, size and scaleFactor': async (
    device: Backend,
  ) => {
    const x = fixed([1, 2, 3, 4], 1, device);
    await expectReference(
      interpolate(x, { size: [5, 7], mode: 'bilinear' }),
      ref.interpolateBilinear,
      'bilinear',
    );
    await expectReference(
      interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: true }),
      ref.interpolateBilinearAligned,
      'bilinear alignCorners',
    );
    await expectReference(
      interpolate(x, { scaleFactor: [2, 1.5], mode: 'bilinear' }),
      ref.interpolateBilinearScale,
      'bilinear scaleFactor [2, 1.5]',
    );
    await expectReference(
      interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }),
      ref.interpolateBilinearScaleAligned,
      'bilinear scaleFactor 2 alignCorners',
    );
    await expectReference(
      interpolate(x, { size: [2, 3], mode: 'bilinear' }),
      ref.interpolateBilinearDown,
      'bilinear down to 2x3',
    );
    await expectReference(
      interpolate(fixed([1, 2, 5], 1, device), { size: 8, mode: 'linear' }),
      ref.interpolateLinear,
      'linear',
    );
    await expectReference(
      interpolate(fixed([1, 2, 2, 6], 1, device), { scaleFactor: [1.3, 1.5], mode: 'bilinear' }),
      ref.interpolateBilinearKeptDim,
      'bilinear, a dim whose size does not change',
    );
    await expectReference(
      interpolate(fixed([1, 2, 2, 40], 1, device), { scaleFactor: [1, 0.3] }),
      ref.interpolateNearestFloat32Scale,
      'nearest scaleFactor 0.3 (float32 index rounding)',
    );
  },

  'interpolate nearest-exact: 1-d, 2-d and 3-d, size and scaleFactor': async (device: Backend) => {
    const x = fixed([1, 2, 3, 4], 1, device);
    const mode = 'nearest-exact';
    await expectReference(
      interpolate(x, { size: [5, 7], mode }),
      ref.interpolateNearestExactSize,
      'nearest-exact to 5x7',
    );
    await expectReference(
      interpolate(x, { scaleFactor: 1.5, mode }),
      ref.interpolateNearestExactScale,
      'nearest-exact scaleFactor 1.5',
    );
    await expectReference(
      interpolate(x, { size: [2, 3], mode }),
      ref.interpolateNearestExactDown,
      'nearest-exact to 2x3',
    );
    await expectReference(
      interpolate(fixed([1, 2, 5], 1, device), { size: 8, mode }),
      ref.interpolateNearestExact1d,
      'nearest-exact 1-d',
    );
    await expectReference(
      interpolate(fixed([1, 2, 2, 3, 4], 1, device), { scaleFactor: [1.5, 2, 0.5], mode }),
      ref.interpolateNearestExact3d,
      'nearest-exact 3-d',
    );
    await expectReference(
      interpolate(fixed([1, 2, 2, 40], 1, device), { scaleFactor: [1, 0.3], mode }),
      ref.interpolateNearestExactFloat32Scale,
      'nearest-exact scaleFactor 0.3 (float32 index rounding)',
    );
    const input = [spec([1, 1, 3, 4], 1)];
    await checkGradients(device, (t) => interpolate(t!, { size: [5, 7], mode }), input);
    await checkGradients(device, (t) => interpolate(t!, { scaleFactor: 0.6, mode }), input);
  },

  'interpolate refuses unknown modes and options, and sizes it cannot give': (device: Backend) => {
    const x = zeros([1, 1, 3, 4], { device });
    assertThrows(
      () => interpolate(x, { size: [5, 7], mode: 'bogus' as InterpolateMode }),
      "interpolate: unknown mode 'bogus' (modes: 'nearest', 'nearest-exact', 'linear', 'bilinear')",
      "mode 'bogus'",
    );
    assertThrows(
      () => interpolate(x, { size: [5, 7], mode: 'bicubic' as InterpolateMode }),
      "unknown mode 'bicubic'",
      "mode 'bicubic'",
    );
    assertThrows(
      () => interpolate(x, { scaleFactor: 2, antialias: true } as InterpolateOptions),
      "interpolate: unknown option 'antialias' (options: size, scaleFactor, mode, alignCorners)",
      'antialias',
    );
    assertThrows(
      () => interpolate(x, { size: 5, mode: 'nearest-exact', alignCorners: false }),
      'alignCorners option can only be set with the interpolating modes',
      'nearest-exact with alignCorners',
    );
    assertThrows(
      () => interpolate(x, { scaleFactor: [2] }),
      'expected 2 scale factors for input [1, 1, 3, 4], got 1',
      'one scale factor for two dims',
    );
    assertThrows(
      () => interpolate(x, { size: [5, 6, 7] }),
      'expected 2 output sizes for input [1, 1, 3, 4], got 3',
      'three sizes for two dims',
    );
    assertThrows(
      () => interpolate(x, { size: [0, 7] }),
      'input and output sizes should be positive integers, but got input [3, 4] and output [0, 7]',
      'size 0',
    );
    assertThrows(() => interpolate(x, { size: [2.5, 7] }), 'output [2.5, 7]', 'size 2.5');
    assertThrows(
      () => interpolate(x, { scaleFactor: 0.1 }),
      'but got input [3, 4] and output [0, 0]',
      'scaleFactor 0.1',
    );
    for (const scaleFactor of [0, -2, Number.NaN, Infinity])
      assertThrows(
        () => interpolate(x, { scaleFactor }),
        'scale factors must be positive and finite',
        `scaleFactor ${scaleFactor}`,
      );
  },

  'interpolate gradients and errors': async (device: Backend) => {
    const input = [spec([1, 1, 3, 4], 1)];
    await checkGradients(device, (x) => interpolate(x!, { size: [5, 7] }), input);
    await checkGradients(device, (x) => interpolate(x!, { size: [5, 7], mode: 'bilinear' }), input);
    await checkGradients(
      device,
      (x) => interpolate(x!, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }),
      input,
    );
    const x = zeros([1, 1, 3, 4], { device });
    assertThrows(
      () => interpolate(x, {}),
      'either size or scaleFactor should be defined',
      'no size',
    );
    assertThrows(
      () => interpolate(x, { size: 4, scaleFactor: 2 }),
      'only one of size or scaleFactor should be defined',
      'both size and scaleFactor',
    );
    assertThrows(
      () => interpolate(x, { size: 5, mode: 'linear' }),
      "mode 'linear' expects 3-d input",
      'linear on 4-d',
    );
    assertThrows(
      () => interpolate(x, { size: 5, alignCorners: true }),
      'alignCorners option can only be set with the interpolating modes',
      'nearest with alignCorners',
    );
  },
};
