// What WebGPU kernels cannot index with 32-bit integers is refused before any work, with the
// op, the shape and the limit named: views of more than 2^31 - 1 elements (broadcast ones,
// whose storage is small) outside reductions, which split them instead.

import { full, ones } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)(`views past 2^31 - 1 elements on WebGPU in ${runtime}`, () => {
  afterAll(() => device?.destroy());

  it('refuses a matmul over one, naming it', () => {
    const a = ones([1, 1], { device: device! }).expand([65536, 32768]);
    const b = ones([32768, 1], { device: device! });
    expect(() => a.matmul(b)).toThrow(
      'matmul [65536, 32768] @ [32768, 1]: a view of shape [65536, 32768] has 2147483648 elements, more than the 2147483647 (2^31 - 1)',
    );
  });

  it('refuses an elementwise result that large', async () => {
    const x = full([1, 1], 2, { device: device!, dtype: 'int32' }).expand([65536, 32768]);
    // Its 2^31 elements do not fit one buffer here; where they would, no kernel indexes them.
    await expect(x.add(1).data()).rejects.toThrow(/2147483648|8589934592/);
  });
});
