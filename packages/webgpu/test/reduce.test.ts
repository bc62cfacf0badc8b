// Reductions in each of the kernel shapes the backend picks, against float64 results of the
// CPU backend: rows of contiguous elements four at a time and one at a time, in one pass and
// in parts with a second pass; batch-and-pixel rows (a convolution's bias gradient);
// offset views; NaN in every lane of a vector; outputs along contiguous memory (one
// invocation each); the workgroup and split shapes that remain for the rest; softmax over
// many long rows and over few.

import { randn, type Tensor, tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { afterAll, describe, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

type Reduce = (t: Tensor) => Tensor;

/** The reduction of `x` on the device, against the CPU's in float64 rounded to float32. */
async function agree(what: string, x: Tensor, reduce: Reduce, atol = 1e-5): Promise<void> {
  const expected = reduce(x.to('float64')).to('float32');
  await assertClose(reduce(x.to(device!)), expected, { rtol: 1e-5, atol }, what);
}

/** Values near 1, so products of thousands stay finite and meaningful. */
const nearOne = (shape: number[]): Tensor => randn(shape).mul(0.01).add(1);

const sums: Reduce = (t) => t.sum(-1);
const kinds: [string, Reduce][] = [
  ['sum', sums],
  ['max', (t) => t.amax(-1)],
  ['min', (t) => t.amin(-1)],
];

describe.skipIf(!device)(`reductions in ${runtime}`, () => {
  afterAll(() => device?.destroy());

  it('a sum of 70,000 contiguous floats (parts, then one pass over them)', async () => {
    await agree('sum of [70000]', randn([70000]), (t) => t.sum(), 1e-3);
    await agree('sum of [70001]', randn([70001]), (t) => t.sum(), 1e-3);
    await agree('mean of [300, 250]', randn([300, 250]), (t) => t.mean());
  });

  it('rows a multiple of 4 long (four at a time) and not, in one pass and in parts', async () => {
    for (const shape of [
      [3, 5000],
      [3, 5001],
      [5000, 12],
      [2000, 7],
      [9, 300],
    ]) {
      const x = randn(shape);
      for (const [kind, reduce] of kinds) {
        await agree(`${kind} along the last dim of [${shape}]`, x, reduce, 1e-4);
      }
    }
    await agree('prod of [2, 3000]', nearOne([2, 3000]), (t) => t.prod(-1), 1e-4);
    await agree('prod of [5, 301]', nearOne([5, 301]), (t) => t.prod(-1), 1e-4);
  });

  it('offset and strided rows', async () => {
    const x = randn([4, 2000]);
    // Starting at element 1 (one at a time) and at element 4 (four at a time).
    await agree('sum of x[:, 1:1997]', x, (t) => t.narrow(1, 1, 1996).sum(1), 1e-4);
    await agree('max of x[:, 4:2000]', x, (t) => t.narrow(1, 4, 1996).amax(1));
    await agree('sum of x[1:3] whole', x, (t) => t.narrow(0, 1, 2).sum(), 1e-4);
    // Rows of 6 with a stride of 8: reduced dims [rows, 6] that do not collapse.
    const y = randn([5, 40, 8]);
    await agree('sum of y[:, :, :6] over dims 1, 2', y, (t) => t.narrow(2, 0, 6).sum([1, 2]));
  });

  it('a convolution bias gradient: batch and pixels for each channel', async () => {
    for (const shape of [
      [6, 5, 12, 12],
      [6, 5, 7, 7],
      [64, 3, 4, 4],
    ]) {
      const x = randn(shape);
      await agree(`sum over [0, 2, 3] of [${shape}]`, x, (t) => t.sum([0, 2, 3]), 1e-4);
      await agree(`max over [0, 2, 3] of [${shape}]`, x, (t) => t.amax([0, 2, 3]));
    }
  });

  it('NaN in every lane of a vector wins max and min; all -Infinity stays -Infinity', async () => {
    const rows = 6;
    const values = randn([rows, 1024]).dataSync() as Float32Array;
    // Rows 0-3: one NaN at lane 0, 1, 2, 3 of a group of four; row 4: NaN as the last element.
    for (let r = 0; r < 4; r++) values[r * 1024 + 500 + r] = Number.NaN;
    values[4 * 1024 + 1023] = Number.NaN;
    values.fill(Number.NEGATIVE_INFINITY, 5 * 1024, 6 * 1024);
    const x = tensor(values).reshape([rows, 1024]);
    for (const [kind, reduce] of kinds) await agree(`${kind} with NaN`, x, reduce);
  });

  it('outputs along contiguous memory, and the remaining shapes', async () => {
    const x = randn([700, 300]);
    await agree('sum(0) of [700, 300]', x, (t) => t.sum(0), 1e-4);
    await agree('amin(0) of [700, 300]', x, (t) => t.amin(0));
    await agree('sum over dim 0 of [20000, 3]', randn([20000, 3]), (t) => t.sum(0), 1e-3);
    await agree(
      'sum over dims 0, 2 of [50, 4, 300]',
      randn([50, 4, 300]),
      (t) => t.sum([0, 2]),
      1e-3,
    );
  });

  it('softmax and logSoftmax over many long rows, and over few', async () => {
    // Software adapters give each of 64 or more rows one invocation; fewer, a workgroup each.
    for (const shape of [
      [64, 300],
      [80, 1000],
      [5, 1000],
    ]) {
      const x = randn(shape).mul(4);
      await agree(`softmax over [${shape}]`, x, (t) => t.softmax(-1), 1e-6);
      await agree(`logSoftmax over [${shape}]`, x, (t) => t.logSoftmax(-1), 1e-5);
    }
  });

  it('int32 sums', async () => {
    const x = randn([3, 1000]).mul(100).to('int32');
    const expected = x.sum(1);
    await assertClose(x.to(device!).sum(1), expected, { rtol: 0, atol: 0 }, 'int32 sum');
  });
});
