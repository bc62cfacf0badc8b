// Conformance cases (nn): softmax and logSoftmax along any dim, stable for large values and
// -Infinity, and their gradients.

import type { Backend } from '../../../backend.js';
import { logSoftmax, softmax, tensor } from '../../../index.js';
import { assertClose } from '../../assert.js';
import { checkGradients } from '../../conformance.js';
import { type CaseBody, expectReference, fixed, fixedValues, spec } from '../fixed-inputs.js';
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

  'softmax and logSoftmax over short, long and few very long rows, any dim, NaN and -Infinity rows':
    async (device: Backend) => {
      // Expected values in float64 from the definition, row by row.
      const expected = (values: number[], n: number, log: boolean): number[] => {
        const result: number[] = [];
        for (let start = 0; start < values.length; start += n) {
          const row = values.slice(start, start + n);
          const max = row.some(Number.isNaN) ? Number.NaN : Math.max(...row);
          const sum = row.reduce((acc, v) => acc + Math.exp(v - max), 0);
          for (const v of row) result.push(log ? v - max - Math.log(sum) : Math.exp(v - max) / sum);
        }
        return result;
      };
      for (const [rows, n] of [
        [70, 20],
        [3, 300],
        [2, 5000],
      ] as const) {
        const values = fixedValues(rows * n, 3).map((v) => v * 4);
        const x = tensor(Float32Array.from(values), { device }).reshape([rows, n]);
        for (const log of [false, true]) {
          const actual = log ? logSoftmax(x, 1) : softmax(x, -1);
          await assertClose(
            actual,
            Float64Array.from(expected(values, n, log)),
            { rtol: 1e-5, atol: 1e-6 },
            `${log ? 'logSoftmax' : 'softmax'} of [${rows}, ${n}]`,
          );
        }
        // Along dim 0 of the transpose: the same rows.
        const moved = softmax(x.t().contiguous(), 0).t();
        await assertClose(
          moved,
          Float64Array.from(expected(values, n, false)),
          { rtol: 1e-5, atol: 1e-6 },
          `softmax along dim 0 of [${n}, ${rows}]`,
        );
      }
      // A NaN makes its row NaN; a row of -Infinity is NaN (0 / 0), as in PyTorch.
      const special = tensor(
        [
          [1, Number.NaN, 2],
          [-Infinity, -Infinity, -Infinity],
          [0, 1, 2],
        ],
        { device },
      );
      const z = 1 + Math.E + Math.exp(2);
      await assertClose(
        softmax(special, 1),
        [
          [Number.NaN, Number.NaN, Number.NaN],
          [Number.NaN, Number.NaN, Number.NaN],
          [1 / z, Math.E / z, Math.exp(2) / z],
        ],
        { atol: 1e-6 },
        'softmax of rows with NaN and -Infinity',
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
