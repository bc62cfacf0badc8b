// Conformance cases (nn): softmax and logSoftmax along any dim, stable for large values and
// -Infinity, and their gradients.

import type { Backend } from '../../../backend.js';
import { logSoftmax, softmax, tensor } from '../../../index.js';
import { assertClose } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import { type CaseBody, expectReference, fixed, spec } from '../fixed-inputs.js';
import * as ref from '../reference/nn.js';

export const softmaxCases: Record<string, CaseBody> = {
  'softmax and logSoftmax along any dim match PyTorch': async (device: Backend) => {
    const x = fixed([3, 4], 1, device);
    await expectReference(softmax(x, 0), ref.softmaxDim0, 'softmax dim 0');
    await expectReference(softmax(x, 1), ref.softmaxDim1, 'softmax dim 1');
    await expectReference(softmax(x, -1), ref.softmaxDim1, 'softmax dim -1');
    await expectReference(x.softmax(-2), ref.softmaxDim0, 'Tensor.softmax dim -2');
    await expectReference(logSoftmax(x, 0), ref.logSoftmaxDim0, 'logSoftmax dim 0');
    await expectReference(logSoftmax(x, 1), ref.logSoftmaxDim1, 'logSoftmax dim 1');
    await expectReference(x.logSoftmax(-1), ref.logSoftmaxDim1, 'Tensor.logSoftmax dim -1');
    const x3 = fixed([2, 3, 4], 2, device);
    await expectReference(softmax(x3, 1), ref.softmax3dDim1, 'softmax of 3-d along dim 1');
    await expectReference(logSoftmax(x3, 1), ref.logSoftmax3dDim1, 'logSoftmax of 3-d along dim 1');
  },

  'softmax and logSoftmax are stable for large values and -Infinity': async (device: Backend) => {
    const z = Math.exp(0) + Math.exp(1) + Math.exp(2);
    const probabilities = [1 / z, Math.E / z, Math.exp(2) / z];
    const logs = [-Math.log(z), 1 - Math.log(z), 2 - Math.log(z)];
    const x = tensor(
      [
        [1000, 1001, 1002],
        [-1002, -1001, -1000],
      ],
      { device },
    );
    await assertClose(
      softmax(x, 1),
      [probabilities, probabilities],
      { atol: 1e-6 },
      'softmax of ±1000',
    );
    await assertClose(logSoftmax(x, 1), [logs, logs], { atol: 1e-5 }, 'logSoftmax of ±1000');
    const masked = tensor([[0, -Infinity, 0]], { device });
    await assertClose(softmax(masked, 1), [[0.5, 0, 0.5]], {}, 'softmax with -Infinity');
    await assertClose(
      logSoftmax(masked, 1),
      [[-Math.LN2, -Infinity, -Math.LN2]],
      {},
      'logSoftmax with -Infinity',
    );
  },

  'softmax and logSoftmax gradients': async (device: Backend) => {
    for (const dim of [0, 1, -1]) {
      await checkGradients(device, (x) => softmax(x!, dim), [spec([3, 4], 1)]);
      await checkGradients(device, (x) => logSoftmax(x!, dim), [spec([3, 4], 1)]);
    }
    await checkGradients(device, (x) => softmax(x!, 1), [spec([2, 3, 4], 2)]);
    await checkGradients(device, (x) => logSoftmax(x!, 1), [spec([2, 3, 4], 2)]);
  },
};
