// Conformance cases (nn): conv1d, conv2d and convTranspose2d in all their options, and the
// MNIST CNN's layers on one image.

import type { Backend } from '../../../backend.js';
import { conv1d, conv2d, convTranspose2d, maxPool2d, zeros } from '../../../index.js';
import { assertThrows } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import {
  type CaseBody,
  expectReference,
  expectShape,
  firstSample,
  fixed,
  spec,
} from '../fixed-inputs.js';
import * as ref from '../reference/nn.js';

export const convCases: Record<string, CaseBody> = {
  'conv1d with bias, stride, padding, dilation and groups': async (device: Backend) => {
    const x = fixed([2, 3, 7], 1, device);
    const w = fixed([4, 3, 3], 2, device);
    await expectReference(conv1d(x, w, fixed([4], 3, device)), ref.conv1dBias, 'conv1d');
    await expectReference(
      conv1d(x, w, null, { stride: 2, padding: 1, dilation: 2 }),
      ref.conv1dStridePaddingDilation,
      'conv1d stride 2 padding 1 dilation 2',
    );
    await expectReference(
      conv1d(x, w, fixed([4], 3, device), { padding: 'valid' }),
      ref.conv1dBias,
      "conv1d padding 'valid'",
    );
    await expectReference(
      conv1d(fixed([1, 4, 6], 1, device), fixed([4, 2, 3], 2, device), fixed([4], 3, device), {
        groups: 2,
      }),
      ref.conv1dGroups,
      'conv1d groups 2',
    );
    await expectReference(
      conv1d(fixed([3, 7], 1, device), w, fixed([4], 3, device)),
      firstSample(ref.conv1dBias),
      'conv1d unbatched',
    );
  },

  "conv1d padding 'same' with even kernels and dilation": async (device: Backend) => {
    const x = fixed([1, 2, 7], 1, device);
    await expectReference(
      conv1d(x, fixed([3, 2, 4], 2, device), null, { padding: 'same' }),
      ref.conv1dSameEven,
      "conv1d 'same', kernel 4",
    );
    await expectReference(
      conv1d(x, fixed([3, 2, 3], 2, device), null, { padding: 'same', dilation: 2 }),
      ref.conv1dSameDilated,
      "conv1d 'same', dilation 2",
    );
  },

  'conv1d gradients': async (device: Backend) => {
    await checkGradients(device, (x, w, b) => conv1d(x!, w!, b!), [
      spec([2, 3, 7], 1),
      spec([4, 3, 3], 2),
      spec([4], 3),
    ]);
    await checkGradients(
      device,
      (x, w) => conv1d(x!, w!, null, { stride: 2, padding: 1, dilation: 2 }),
      [spec([2, 3, 7], 1), spec([4, 3, 3], 2)],
    );
    await checkGradients(device, (x, w) => conv1d(x!, w!, null, { padding: 'same' }), [
      spec([1, 2, 7], 1),
      spec([3, 2, 4], 2),
    ]);
    await checkGradients(device, (x, w) => conv1d(x!, w!, null, { groups: 2 }), [
      spec([1, 4, 6], 1),
      spec([4, 2, 3], 2),
    ]);
  },

  'conv2d with bias, stride and padding pairs, dilation': async (device: Backend) => {
    const x = fixed([2, 3, 5, 5], 1, device);
    const w = fixed([4, 3, 3, 3], 2, device);
    await expectReference(conv2d(x, w, fixed([4], 3, device)), ref.conv2dBias, 'conv2d');
    await expectReference(
      conv2d(x, w, fixed([4], 3, device), { padding: 'valid', stride: 1 }),
      ref.conv2dBias,
      "conv2d padding 'valid'",
    );
    await expectReference(
      conv2d(fixed([3, 5, 5], 1, device), w, fixed([4], 3, device)),
      firstSample(ref.conv2dBias),
      'conv2d unbatched',
    );
    await expectReference(
      conv2d(fixed([1, 2, 5, 6], 1, device), fixed([3, 2, 3, 2], 2, device), null, {
        stride: [2, 1],
        padding: [1, 2],
      }),
      ref.conv2dStridePaddingPairs,
      'conv2d stride [2, 1] padding [1, 2]',
    );
    await expectReference(
      conv2d(
        fixed([1, 2, 6, 6], 1, device),
        fixed([3, 2, 3, 3], 2, device),
        fixed([3], 3, device),
        { padding: 1, dilation: 2 },
      ),
      ref.conv2dDilation,
      'conv2d dilation 2',
    );
  },

  "conv2d padding 'same' with odd, even and dilated kernels": async (device: Backend) => {
    const x = fixed([1, 2, 5, 6], 1, device);
    await expectReference(
      conv2d(x, fixed([3, 2, 3, 3], 2, device), null, { padding: 'same' }),
      ref.conv2dSameOdd,
      "conv2d 'same' 3x3",
    );
    await expectReference(
      conv2d(x, fixed([3, 2, 2, 4], 2, device), null, { padding: 'same' }),
      ref.conv2dSameEven,
      "conv2d 'same' 2x4",
    );
    await expectReference(
      conv2d(x, fixed([3, 2, 3, 2], 2, device), null, { padding: 'same', dilation: [2, 3] }),
      ref.conv2dSameDilated,
      "conv2d 'same' dilation [2, 3]",
    );
  },

  'conv2d groups and depthwise': async (device: Backend) => {
    await expectReference(
      conv2d(
        fixed([1, 4, 5, 5], 1, device),
        fixed([6, 2, 3, 3], 2, device),
        fixed([6], 3, device),
        { groups: 2 },
      ),
      ref.conv2dGroups,
      'conv2d groups 2',
    );
    await expectReference(
      conv2d(fixed([2, 3, 5, 5], 1, device), fixed([6, 1, 3, 3], 2, device), null, {
        padding: 1,
        groups: 3,
      }),
      ref.conv2dDepthwise,
      'depthwise conv2d',
    );
  },

  'conv2d gradients': async (device: Backend) => {
    await checkGradients(device, (x, w, b) => conv2d(x!, w!, b!), [
      spec([1, 2, 4, 4], 1),
      spec([3, 2, 3, 3], 2),
      spec([3], 3),
    ]);
    await checkGradients(
      device,
      (x, w) => conv2d(x!, w!, null, { stride: [2, 1], padding: [1, 2] }),
      [spec([1, 2, 5, 4], 1), spec([2, 2, 3, 2], 2)],
    );
    await checkGradients(device, (x, w) => conv2d(x!, w!, null, { padding: 1, dilation: 2 }), [
      spec([1, 1, 5, 5], 1),
      spec([2, 1, 3, 3], 2),
    ]);
    await checkGradients(device, (x, w) => conv2d(x!, w!, null, { padding: 'same' }), [
      spec([1, 2, 4, 5], 1),
      spec([2, 2, 2, 4], 2),
    ]);
    await checkGradients(device, (x, w, b) => conv2d(x!, w!, b!, { groups: 2 }), [
      spec([1, 4, 4, 4], 1),
      spec([4, 2, 3, 3], 2),
      spec([4], 3),
    ]);
    await checkGradients(device, (x, w) => conv2d(x!, w!, null, { padding: 1, groups: 3 }), [
      spec([1, 3, 4, 4], 1),
      spec([3, 1, 3, 3], 2),
    ]);
    await checkGradients(device, (x, w) => conv2d(x!, w!), [
      spec([2, 4, 4], 1),
      spec([2, 2, 3, 3], 2),
    ]);
  },

  'convTranspose2d with bias, stride, padding, outputPadding, groups and dilation': async (
    device: Backend,
  ) => {
    const x = fixed([2, 2, 3, 3], 1, device);
    const w = fixed([2, 3, 3, 3], 2, device);
    await expectReference(
      convTranspose2d(x, w, fixed([3], 3, device)),
      ref.convTranspose2dBias,
      'convTranspose2d',
    );
    await expectReference(
      convTranspose2d(fixed([2, 3, 3], 1, device), w, fixed([3], 3, device)),
      firstSample(ref.convTranspose2dBias),
      'convTranspose2d unbatched',
    );
    const y = fixed([1, 2, 3, 4], 1, device);
    await expectReference(
      convTranspose2d(y, w, null, { stride: 2, padding: 1, outputPadding: 1 }),
      ref.convTranspose2dStride,
      'convTranspose2d stride 2',
    );
    await expectReference(
      convTranspose2d(y, fixed([2, 3, 2, 3], 2, device), null, {
        stride: [2, 3],
        padding: [0, 1],
        outputPadding: [1, 2],
      }),
      ref.convTranspose2dPairs,
      'convTranspose2d with pairs',
    );
    await expectReference(
      convTranspose2d(
        fixed([1, 4, 3, 3], 1, device),
        fixed([4, 2, 2, 2], 2, device),
        fixed([4], 3, device),
        { stride: 2, groups: 2 },
      ),
      ref.convTranspose2dGroups,
      'convTranspose2d groups 2',
    );
    const z = fixed([1, 2, 3, 3], 1, device);
    await expectReference(
      convTranspose2d(z, w, null, { dilation: 2, padding: 1 }),
      ref.convTranspose2dDilation,
      'convTranspose2d dilation 2',
    );
    await expectReference(
      convTranspose2d(z, w, fixed([3], 3, device), { dilation: 2, outputPadding: 1 }),
      ref.convTranspose2dDilationOutputPadding,
      'convTranspose2d outputPadding below the dilation, at stride 1',
    );
  },

  'convTranspose2d gradients': async (device: Backend) => {
    await checkGradients(device, (x, w, b) => convTranspose2d(x!, w!, b!), [
      spec([1, 2, 3, 3], 1),
      spec([2, 3, 3, 3], 2),
      spec([3], 3),
    ]);
    await checkGradients(
      device,
      (x, w) => convTranspose2d(x!, w!, null, { stride: 2, padding: 1, outputPadding: 1 }),
      [spec([1, 2, 2, 3], 1), spec([2, 2, 3, 3], 2)],
    );
    await checkGradients(
      device,
      (x, w) => convTranspose2d(x!, w!, null, { stride: 2, groups: 2 }),
      [spec([1, 4, 2, 2], 1), spec([4, 1, 2, 2], 2)],
    );
    await checkGradients(
      device,
      (x, w) => convTranspose2d(x!, w!, null, { dilation: 2, outputPadding: 1 }),
      [spec([1, 1, 3, 3], 1), spec([1, 2, 2, 2], 2)],
    );
  },

  'conv errors name the shapes as PyTorch does': (device: Backend) => {
    assertThrows(
      () => conv2d(zeros([1, 3, 28, 28], { device }), zeros([32, 1, 3, 3], { device })),
      'weight of size [32, 1, 3, 3], expected input[1, 3, 28, 28] to have 1 channels, but got 3 channels instead',
      'conv2d channels',
    );
    assertThrows(
      () => conv2d(zeros([1, 1, 2, 2], { device }), zeros([4, 1, 3, 3], { device })),
      /too small for input 2x2 with kernel 3x3/,
      'conv2d kernel larger than input',
    );
    assertThrows(
      () =>
        conv2d(zeros([1, 4, 5, 5], { device }), zeros([6, 2, 3, 3], { device }), null, {
          groups: 3,
        }),
      /groups \(3\) must divide/,
      'conv2d groups',
    );
    assertThrows(
      () =>
        conv2d(
          zeros([1, 5, 5], { device }).unsqueeze(0).unsqueeze(0),
          zeros([1, 1, 3, 3], { device }),
        ),
      /expected 3-d \(unbatched\) or 4-d/,
      'conv2d 5-d input',
    );
    assertThrows(
      () =>
        conv2d(zeros([1, 1, 5, 5], { device }), zeros([1, 1, 3, 3], { device }), null, {
          padding: 'same',
          stride: 2,
        }),
      "padding='same' is not supported for strided convolutions",
      "conv2d 'same' with stride",
    );
    assertThrows(
      () =>
        conv2d(
          zeros([1, 1, 5, 5], { device }),
          zeros([2, 1, 3, 3], { device }),
          zeros([3], { device }),
        ),
      /expected bias of shape \[2\]/,
      'conv2d bias',
    );
    assertThrows(
      () =>
        convTranspose2d(zeros([1, 2, 3, 3], { device }), zeros([2, 1, 3, 3], { device }), null, {
          stride: 2,
          outputPadding: 2,
        }),
      'output padding must be smaller than either stride or dilation',
      'convTranspose2d outputPadding',
    );
  },
};

export const mnistCases: Record<string, CaseBody> = {
  "the MNIST CNN's layers (conv 1->32 3x3, conv 32->64 3x3, maxPool 2) on one 28x28 image": async (
    device: Backend,
  ) => {
    const image = fixed([1, 1, 28, 28], 5, device);
    const w1 = fixed([32, 1, 3, 3], 6, device).mul(0.25);
    const b1 = fixed([32], 7, device).mul(0.25);
    const w2 = fixed([64, 32, 3, 3], 8, device).mul(0.0625);
    const b2 = fixed([64], 9, device).mul(0.0625);
    const h1 = conv2d(image, w1, b1).relu();
    expectShape(h1, [1, 32, 26, 26], 'conv1');
    const out = maxPool2d(conv2d(h1, w2, b2).relu(), 2);
    expectShape(out, [1, 64, 12, 12], 'conv2 + maxPool');
    expectShape(out.flatten(1), [1, 9216], 'flattened features (fc1 takes 64 * 12 * 12)');
    const sums = { rtol: 1e-4, atol: 1e-3 };
    await expectReference(h1.sum([0, 2, 3]), ref.mnistConv1ChannelSums, 'conv1 channel sums', sums);
    await expectReference(
      out.sum([0, 2, 3]),
      ref.mnistOutputChannelSums,
      'output channel sums',
      sums,
    );
    await expectReference(out.index('0, 0'), ref.mnistOutputChannel0, 'output channel 0');
    await expectReference(out.index('0, 63'), ref.mnistOutputChannel63, 'output channel 63');
  },
};
