// Both ways elementwise kernels walk their elements ('rows' runs along the innermost dim,
// 'interleaved' neighbouring invocations on neighbouring elements) give the CPU's values,
// over contiguous, broadcast, strided and offset views of ranks 1 to 7, with runs shorter
// and longer than one invocation's chunk.

import { randn, type Tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const rows = await openTestDevice({ elementwiseOrder: 'rows' });
const interleaved = rows && (await openTestDevice({ elementwiseOrder: 'interleaved' }));

/** Each case builds its operands from CPU tensors on a device and computes one result. */
const cases: [string, (to: (t: Tensor) => Tensor) => Tensor][] = [
  [
    'rank 1, 1000 elements',
    (to) =>
      to(randn([1000]))
        .mul(3)
        .add(1),
  ],
  ['broadcast bias over [6, 5, 130]', (to) => to(randn([6, 5, 130])).add(to(randn([5, 1])))],
  [
    'relu of a broadcast sum [3, 4, 67]',
    (to) =>
      to(randn([3, 1, 67]))
        .add(to(randn([4, 1])))
        .relu(),
  ],
  [
    'transposed [70, 9] view',
    (to) =>
      to(randn([9, 70]))
        .t()
        .mul(to(randn([70, 9]))),
  ],
  [
    'offset slice [:, 3:60] of [5, 64]',
    (to) =>
      to(randn([5, 64]))
        .narrow(1, 3, 57)
        .exp(),
  ],
  [
    'rank 6 permuted view',
    (to) =>
      to(randn([2, 3, 2, 3, 2, 65]))
        .permute([5, 1, 0, 3, 2, 4])
        .sub(0.5),
  ],
  [
    'rank 7 (the general loop)',
    (to) =>
      to(randn([2, 3, 2, 3, 2, 3, 2]))
        .permute([6, 5, 4, 3, 2, 1, 0])
        .mul(2),
  ],
  ['innermost dim of 1 after broadcast', (to) => to(randn([40, 1])).add(to(randn([1, 1])))],
];

describe.skipIf(!rows)(`elementwise orders in ${runtime}`, () => {
  afterAll(() => {
    rows?.destroy();
    interleaved?.destroy();
  });

  it('each device reports the order it was opened with', () => {
    expect(rows!.elementwiseOrder).toBe('rows');
    expect(interleaved!.elementwiseOrder).toBe('interleaved');
  });

  for (const [what, build] of cases) {
    it(`${what}: both orders give the same values, the CPU's`, async () => {
      // One set of CPU operands, used again on each device in the same order.
      const inputs: Tensor[] = [];
      const expected = build((t) => {
        inputs.push(t);
        return t;
      });
      const results: Tensor[] = [];
      for (const device of [rows!, interleaved!]) {
        let k = 0;
        results.push(build(() => inputs[k++]!.to(device)));
      }
      const [a, b] = results as [Tensor, Tensor];
      expect(await a.toArray(), `${what}: rows and interleaved`).toEqual(await b.toArray());
      await assertClose(a, expected, { rtol: 1e-6, atol: 1e-6 }, what);
    });
  }
});
