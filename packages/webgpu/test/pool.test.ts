// Max pooling against the CPU backend where the window's first row or column inside the
// input depends on padding and dilation together, over enough planes and rows that each
// invocation walks its own output row.

import { maxPool2dWithIndices, randn } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { afterAll, describe, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)(`maxPool2d rows in ${runtime}`, () => {
  afterAll(() => device?.destroy());

  const cases = [
    { kernel: 3, options: { stride: 1, padding: 1, dilation: 2 }, what: 'padding 1, dilation 2' },
    { kernel: 3, options: { stride: 2, padding: 1, dilation: 3 }, what: 'padding 1, dilation 3' },
    { kernel: 2, options: { stride: 2 }, what: 'kernel 2 stride 2' },
    { kernel: 3, options: { stride: 2, padding: 1, ceilMode: true }, what: 'ceilMode' },
  ] as const;
  for (const c of cases) {
    it(`${c.what}: values and indices as the CPU's`, async () => {
      const x = randn([3, 5, 11, 13]);
      const expected = maxPool2dWithIndices(x, c.kernel, c.options);
      const actual = maxPool2dWithIndices(x.to(device!), c.kernel, c.options);
      await assertClose(actual.values, expected.values, { rtol: 0, atol: 0 }, `${c.what} values`);
      await assertClose(
        actual.indices,
        expected.indices,
        { rtol: 0, atol: 0 },
        `${c.what} indices`,
      );
    });
  }
});
