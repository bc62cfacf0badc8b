// A model that lives on WebGPU exports as it is (parameters are read asynchronously), and
// the exported model gives in ONNX Runtime what dl computes on that device.

import { manualSeed, noGrad } from '@dl/tensor';
import { models } from '@dl/vision';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../src/index.ts';
import { devices } from './devices.ts';
import { maxAbsDiff, mnistBatch, runOrt } from './helpers.ts';

describe.each(devices)('LeNet5 on %s', (_name, device) => {
  it('exports from the device and matches ONNX Runtime on MNIST test images', async () => {
    manualSeed(3);
    const model = new models.LeNet5().to(device);
    const x = mnistBatch(8, 4);
    const bytes = await exportOnnx(model, x.to(device), {
      dynamicAxes: { input: [0], output: [0] },
    });
    model.eval();
    const expected = await noGrad(() => model.call(x.to(device))).data();
    const got = await runOrt(bytes, { input: x });
    expect(got.dims).toEqual([4, 10]);
    expect(maxAbsDiff(got.data, expected)).toBeLessThan(1e-4);
  });
});
