// A reduction over a view of more than 2^31 - 1 elements on WebGPU is split into parts that
// 32-bit indices reach. In Node only: SwiftShader takes ten seconds over 2^31 elements in
// Chromium (the conformance suite sums such a view on every device already).

import { ones } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)('a reduction over 2^31 elements on WebGPU in Node', () => {
  afterAll(() => device?.destroy());

  it('sums one along a dim, each output within reach', async () => {
    const x = ones([1, 1], { device: device!, dtype: 'int32' }).expand([65536, 32768]);
    const rows = x.sum(1);
    expect(Array.from(await rows.narrow(0, 65530, 6).data())).toEqual(new Array(6).fill(32768));
  });
});
