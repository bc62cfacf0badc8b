// What the exporter refuses, with errors naming the op, and that a failed export leaves the
// module, its parameters and Tensor's methods as they were.

import * as nn from '@dl/nn';
import { cat, manualSeed, randn, Tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../src/index.ts';

class Fn extends nn.Module {
  conv = new nn.Conv2d(1, 2, 3);
  constructor(readonly fn: (x: Tensor, self: Fn) => Tensor) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return this.fn(x, this);
  }
}

const x = () => randn([2, 1, 6, 6]);

describe('exportOnnx errors', () => {
  it('names a Tensor method that has no ONNX mapping', async () => {
    manualSeed(0);
    const model = new Fn((input, self) => self.conv.call(input).cumsum(1).relu());
    await expect(exportOnnx(model, x())).rejects.toThrow(
      /cannot export op 'Tensor\.cumsum'.*no ONNX mapping/,
    );
  });

  it('names a function of @dl/tensor the tracer cannot see', async () => {
    const model = new Fn((input) => cat([input, input], 1).relu());
    await expect(exportOnnx(model, x())).rejects.toThrow(/cannot export op 'cat'/);
  });

  it('names the layer and module path of a layer it cannot export', async () => {
    const model = new nn.Sequential(new nn.ConvTranspose2d(1, 2, 3), new nn.ReLU());
    await expect(exportOnnx(model, x())).rejects.toThrow(
      /cannot export op 'ConvTranspose2d' in module '0': this layer has no ONNX mapping/,
    );
    const reflect = new nn.Sequential(
      new nn.Conv2d(1, 2, 3, { padding: 1, paddingMode: 'reflect' }),
    );
    await expect(exportOnnx(reflect, x())).rejects.toThrow(
      /cannot export op 'Conv2d' in module '0': paddingMode 'reflect'/,
    );
    const noStats = new nn.Sequential(new nn.BatchNorm2d(1, { trackRunningStats: false }));
    await expect(exportOnnx(noStats, x())).rejects.toThrow(/'BatchNorm2d'.*running statistics/);
    const divisor = new nn.Sequential(new nn.AvgPool2d(2, { divisorOverride: 3 }));
    await expect(exportOnnx(divisor, x())).rejects.toThrow(/'AvgPool2d'.*divisorOverride/);
  });

  it('names a pooling layer that returns its indices', async () => {
    class Pooled extends nn.Module {
      pool = new nn.MaxPool2d(2, { returnIndices: true });
      override forward(input: Tensor): Tensor {
        const [values] = this.pool.call(input);
        return values.relu();
      }
    }
    await expect(exportOnnx(new Pooled(), x())).rejects.toThrow(
      /cannot export op 'MaxPool2d' in module 'pool': its forward returns more than one tensor \(returnIndices\)/,
    );
  });

  it('refuses a bad opset, names, dynamic axes and an output that ignores the input', async () => {
    const model = new Fn((input, self) => self.conv.call(input));
    await expect(exportOnnx(model, x(), { opset: 12 })).rejects.toThrow(
      'exportOnnx: opset must be an integer from 13 to 21, got 12',
    );
    await expect(exportOnnx(model, x(), { inputNames: ['a', 'b'] })).rejects.toThrow(
      /1 input\(s\) but 2 inputNames \[a, b\]/,
    );
    await expect(exportOnnx(model, x(), { dynamicAxes: { images: [0] } })).rejects.toThrow(
      /dynamicAxes names 'images', which is not an input or output \(input, output\)/,
    );
    await expect(exportOnnx(model, x(), { dynamicAxes: { input: [4] } })).rejects.toThrow(
      /'input' names axis 4, but it has 4 dims \[2, 1, 6, 6\]/,
    );
    const constant = new Fn((_input, self) => self.conv.weight.detach().mul(2));
    await expect(exportOnnx(constant, x())).rejects.toThrow(
      /output 0 does not depend on the input/,
    );
  });

  it('leaves the module, its parameters and Tensor.prototype as they were after a failure', async () => {
    const model = new Fn((input, self) => self.conv.call(input).cumsum(1));
    model.train();
    model.conv.bias?.requiresGrad_(false);
    const addBefore = Object.getOwnPropertyDescriptor(Tensor.prototype, 'add')?.value;
    await expect(exportOnnx(model, x())).rejects.toThrow(/cumsum/);
    expect(Object.getOwnPropertyDescriptor(Tensor.prototype, 'add')?.value).toBe(addBefore);
    expect(Object.hasOwn(model, 'forward')).toBe(false);
    expect(Object.hasOwn(model.conv, 'forward')).toBe(false);
    expect(model.training).toBe(true);
    expect(model.conv.training).toBe(true);
    expect(model.conv.weight.requiresGrad).toBe(true);
    expect(model.conv.bias?.requiresGrad).toBe(false);
  });
});
