// Conformance cases (nn): batch norm (training, running statistics, eval), layer norm and
// group norm.

import type { Backend } from '../../../backend.js';
import {
  batchNorm,
  groupNorm,
  layerNorm,
  ones,
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
  fixed,
  fixedValues,
  spec,
} from '../fixed-inputs.js';
import * as ref from '../reference/nn.js';

export const normCases: Record<string, CaseBody> = {
  'batchNorm in training: batch statistics, then running statistics updated with momentum': async (
    device: Backend,
  ) => {
    const x = fixed([4, 3, 2, 2], 1, device);
    const runningMean = zeros([3], { device });
    const runningVar = ones([3], { device });
    const y = batchNorm(x, runningMean, runningVar, {
      weight: fixed([3], 2, device),
      bias: fixed([3], 3, device),
      training: true,
      momentum: 0.1,
    });
    await expectReference(y, ref.batchNormTraining, 'batchNorm output');
    await expectReference(runningMean, ref.batchNormRunningMean, 'running mean');
    await expectReference(runningVar, ref.batchNormRunningVar, 'running variance (unbiased)');
    batchNorm(x.mul(2), runningMean, runningVar, { training: true, momentum: 0.5 });
    await expectReference(
      runningMean,
      ref.batchNormRunningMean2,
      'running mean after a second step',
    );
    await expectReference(
      runningVar,
      ref.batchNormRunningVar2,
      'running variance after a second step',
    );
    await expectReference(
      batchNorm(fixed([5, 3], 6, device), null, null, { training: true, eps: 1e-3 }),
      ref.batchNorm2d,
      'batchNorm of [N, C]',
    );
  },

  'batchNorm in eval mode uses the running statistics and leaves them alone': async (
    device: Backend,
  ) => {
    const x = fixed([4, 3, 2, 2], 1, device);
    const runningMean = fixed([3], 4, device);
    const runningVar = fixed([3], 5, device).abs().add(0.5);
    const y = batchNorm(x, runningMean, runningVar, {
      weight: fixed([3], 2, device),
      bias: fixed([3], 3, device),
      training: false,
    });
    await expectReference(y, ref.batchNormEval, 'batchNorm eval');
    await assertClose(
      runningMean,
      Float64Array.from(fixedValues(3, 4)),
      {},
      'running mean unchanged',
    );
  },

  'batchNorm gradients, training and eval': async (device: Backend) => {
    const inputs = [spec([3, 2, 2, 2], 1), spec([2], 2), spec([2], 3)];
    await checkGradients(
      device,
      (x, w, b) => batchNorm(x!, null, null, { weight: w!, bias: b!, training: true }),
      inputs,
    );
    await checkGradients(
      device,
      (x, w, b) =>
        batchNorm(
          x!,
          tensor([0.5, -0.25], { device: x!.device }),
          tensor([2, 0.5], { device: x!.device }),
          { weight: w!, bias: b!, training: false },
        ),
      inputs,
    );
    await checkGradients(device, (x) => batchNorm(x!, null, null, { training: true }), [
      spec([4, 3], 6),
    ]);
  },

  'layerNorm and groupNorm match PyTorch': async (device: Backend) => {
    const x = fixed([2, 3, 4], 1, device);
    await expectReference(
      layerNorm(x, [4], fixed([4], 2, device), fixed([4], 3, device)),
      ref.layerNormAffine,
      'layerNorm over [4]',
    );
    await expectReference(
      layerNorm(x, [3, 4], null, null, 1e-2),
      ref.layerNormTwoDims,
      'layerNorm over [3, 4]',
    );
    await expectReference(
      groupNorm(fixed([2, 6, 2, 2], 1, device), 3, fixed([6], 2, device), fixed([6], 3, device)),
      ref.groupNorm,
      'groupNorm 3 groups',
    );
  },

  'layerNorm and groupNorm gradients': async (device: Backend) => {
    await checkGradients(device, (x, w, b) => layerNorm(x!, [4], w!, b!), [
      spec([2, 3, 4], 1),
      spec([4], 2),
      spec([4], 3),
    ]);
    await checkGradients(device, (x) => layerNorm(x!, [3, 4]), [spec([2, 3, 4], 1)]);
    await checkGradients(device, (x, w, b) => groupNorm(x!, 2, w!, b!), [
      spec([2, 4, 2, 2], 1),
      spec([4], 2),
      spec([4], 3),
    ]);
  },

  'norms of an empty batch [0, 4, 3]: an empty result of its shape, zero gradients, running statistics untouched':
    async (device: Backend) => {
      const empty = () => zeros([0, 4, 3], { device }).requiresGrad_(true);
      const affine = (size: number): [Tensor, Tensor] => [
        fixed([size], 2, device).requiresGrad_(true),
        fixed([size], 3, device).requiresGrad_(true),
      ];
      const norms = [
        {
          name: 'groupNorm',
          size: 4,
          run: (x: Tensor, w: Tensor, b: Tensor) => groupNorm(x, 2, w, b),
          expected: [ref.groupNormEmpty, ref.groupNormEmptyWeightGrad, ref.groupNormEmptyBiasGrad],
        },
        {
          name: 'layerNorm',
          size: 3,
          run: (x: Tensor, w: Tensor, b: Tensor) => layerNorm(x, [3], w, b),
          expected: [ref.layerNormEmpty, ref.layerNormEmptyWeightGrad, ref.layerNormEmptyBiasGrad],
        },
        {
          name: 'batchNorm (eval)',
          size: 4,
          run: (x: Tensor, w: Tensor, b: Tensor) =>
            batchNorm(x, fixed([4], 4, device), fixed([4], 5, device).abs().add(0.5), {
              weight: w,
              bias: b,
              training: false,
            }),
          expected: [
            ref.batchNormEvalEmpty,
            ref.batchNormEvalEmptyWeightGrad,
            ref.batchNormEvalEmptyBiasGrad,
          ],
        },
      ];
      for (const { name, size, run, expected } of norms) {
        const x = empty();
        const [w, b] = affine(size);
        const y = run(x, w, b);
        await expectReference(y, expected[0]!, name);
        y.sum().backward();
        expectShape(x.grad!, [0, 4, 3], `${name} input gradient`);
        await expectReference(w.grad!, expected[1]!, `${name} weight gradient`);
        await expectReference(b.grad!, expected[2]!, `${name} bias gradient`);
      }
      const runningMean = fixed([4], 4, device);
      const runningVar = fixed([4], 5, device).abs().add(0.5);
      const y = batchNorm(empty(), runningMean, runningVar, {
        weight: fixed([4], 2, device),
        bias: fixed([4], 3, device),
        training: true,
      });
      await expectReference(y, ref.batchNormTrainingEmpty, 'batchNorm (training)');
      await expectReference(runningMean, ref.batchNormTrainingEmptyRunningMean, 'running mean');
      await expectReference(runningVar, ref.batchNormTrainingEmptyRunningVar, 'running variance');
    },

  'normalisation errors': (device: Backend) => {
    assertThrows(
      () => batchNorm(zeros([1, 3], { device }), null, null, { training: true }),
      'expected more than 1 value per channel when training',
      'batchNorm of one sample',
    );
    assertThrows(
      () => batchNorm(zeros([2, 3], { device }), zeros([4], { device }), ones([4], { device })),
      /runningMean should have 3 elements/,
      'batchNorm running stats',
    );
    assertThrows(
      () => batchNorm(zeros([2, 3], { device }), null, null, { training: false }),
      /running statistics are required/,
      'batchNorm eval without stats',
    );
    assertThrows(
      () => layerNorm(zeros([2, 3], { device }), [4]),
      'expected input with shape [*, 4], but got input of size [2, 3]',
      'layerNorm shape',
    );
    assertThrows(
      () => layerNorm(zeros([2, 4], { device }), [4], zeros([3], { device })),
      'expected weight to be of same shape as normalized_shape, but got weight of shape [3] and normalized_shape = [4]',
      'layerNorm weight',
    );
    assertThrows(
      () => groupNorm(zeros([2, 6, 2], { device }), 3, null, zeros([3], { device })),
      'expected bias to be a vector of size equal to the number of channels in input, but got bias of shape [3] and input of shape [2, 6, 2]',
      'groupNorm bias',
    );
    assertThrows(
      () => groupNorm(zeros([2, 6, 2], { device }), 4),
      'expected number of channels in input (6) to be divisible by num_groups (4)',
      'groupNorm groups',
    );
  },
};
