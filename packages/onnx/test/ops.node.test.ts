// Each exported Tensor method and layer, run in ONNX Runtime and compared with dl's own CPU
// result on the same random input: small modules, one per group of ops, at several opsets.

import * as nn from '@dl/nn';
import { manualSeed, noGrad, randn, type Tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

/** A module from one tensor to one tensor. */
type TensorModule = nn.Module & { forward(x: Tensor): Tensor };

import { decodeModel, exportOnnx } from '../src/index.ts';
import { maxAbsDiff, runOrt } from './helpers.ts';

/** A module whose forward is the given function (fields that are functions are not submodules). */
class Fn extends nn.Module {
  constructor(readonly fn: (x: Tensor, self: Fn) => Tensor) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return this.fn(x, this);
  }
}

class WithWeight extends nn.Module {
  weight = new nn.Parameter(randn([5, 6]));
  override forward(x: Tensor): Tensor {
    return x.matmul(this.weight).add(x.sum(-1, true)).relu_();
  }
}

const F = nn.F;
const cases: [string, () => TensorModule, number[], string[]][] = [
  [
    'arithmetic with scalars and alpha',
    () => new Fn((x) => x.mul(2).add(x, { alpha: 0.5 }).sub(1).div(x.abs().add(1)).pow(2).neg()),
    [2, 3, 4, 5],
    ['Mul', 'Add', 'Sub', 'Div', 'Pow', 'Neg', 'Abs'],
  ],
  [
    'activations',
    () =>
      new Fn((x) =>
        F.gelu(x)
          .add(F.gelu(x, { approximate: 'tanh' }))
          .add(F.silu(x))
          .add(F.mish(x))
          .add(F.leakyRelu(x, 0.2))
          .add(F.elu(x, 0.7))
          .add(F.hardtanh(x, -0.5, 0.5))
          .add(F.softplus(x, 2))
          .add(F.sigmoid(x))
          .add(F.tanh(x))
          .add(x.clamp(-1, 0.3))
          .add(F.relu6(x.mul(4)))
          .add(x.abs().add(0.1).log().exp().sqrt().rsqrt().square()),
      ),
    [2, 3, 4, 5],
    ['LeakyRelu', 'Elu', 'Clip', 'Softplus', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Reciprocal'],
  ],
  [
    'clamp with tensor bounds',
    () =>
      new Fn((x) => x.clamp(x.mean(-1, true), x.amax(1, true).mul(0.5)).add(x.clamp(null, 0.2))),
    [2, 3, 4, 5],
    ['Max', 'Min', 'Clip'],
  ],
  [
    'reductions',
    () =>
      new Fn((x) =>
        x
          .sum(1, true)
          .add(x.mean([2, 3], true))
          .add(x.amax(-1, true))
          .sub(x.amin(2, true))
          .add(x.sum().mul(0.01)),
      ),
    [2, 3, 4, 5],
    ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin'],
  ],
  [
    'reshapes',
    () =>
      new Fn((x) =>
        x.permute(0, 2, 1, 3).reshape(2, 4, -1).transpose(1, 2).unsqueeze(1).squeeze(1).flatten(1),
      ),
    [2, 3, 4, 5],
    ['Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten'],
  ],
  [
    'softmax functions and methods',
    () => new Fn((x) => F.softmax(x, -1).add(x.logSoftmax(1)).add(F.logSoftmax(x, 2))),
    [2, 3, 4, 5],
    ['Softmax', 'LogSoftmax'],
  ],
  [
    'softmax and logSoftmax written out with Tensor methods fold into one node each',
    () =>
      new Fn((x) => {
        const e = x.sub(x.amax(-1, true)).exp();
        const shifted = x.sub(x.amax(1, true));
        return e.div(e.sum(-1, true)).add(shifted.sub(shifted.exp().sum(1, true).log()));
      }),
    [2, 3, 4, 5],
    ['Softmax', 'LogSoftmax'],
  ],
  [
    'matmul with a parameter, in-place relu',
    () => new WithWeight(),
    [2, 3, 4, 5],
    ['MatMul', 'Relu'],
  ],
  [
    'convolution and pooling layers',
    () =>
      new nn.Sequential(
        new nn.Conv2d(3, 4, 3, { padding: 'same' }),
        new nn.BatchNorm2d(4, { affine: false }),
        new nn.AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }),
        new nn.Conv2d(4, 6, 3, { stride: 2, dilation: 2, groups: 2, bias: false }),
        new nn.MaxPool2d(2, { stride: 1, padding: 1 }),
        new nn.AdaptiveMaxPool2d(2),
        new nn.AdaptiveAvgPool2d(1),
        new nn.Dropout(0.3),
        new nn.Flatten(),
        new nn.Softmax(1),
      ),
    [2, 3, 9, 9],
    [
      'Conv',
      'BatchNormalization',
      'AveragePool',
      'MaxPool',
      'GlobalAveragePool',
      'Flatten',
      'Softmax',
    ],
  ],
  [
    'Conv1d, BatchNorm1d, Linear on 3-d input, LogSoftmax layer',
    () =>
      new nn.Sequential(
        new nn.Conv1d(3, 4, 3, { padding: 1 }),
        new nn.BatchNorm1d(4),
        new nn.Linear(5, 7),
        new nn.LogSoftmax(-1),
      ),
    [2, 3, 5],
    ['Conv', 'BatchNormalization', 'Transpose', 'MatMul', 'Add', 'LogSoftmax'],
  ],
];

describe.each([13, 17, 21])('opset %i', (opset) => {
  it.each(cases)('%s', async (_name, make, shape, ops) => {
    manualSeed(opset);
    const model = make();
    noGrad(() => {
      model.train();
      model.call(randn(shape));
    });
    model.eval();
    const x = randn(shape);
    const bytes = await exportOnnx(model, x, { opset });
    const model_ = decodeModel(bytes);
    expect(model_.opsetImport).toEqual([{ domain: '', version: opset }]);
    const used = new Set(model_.graph.node.map((n) => n.opType));
    for (const op of ops) expect(used).toContain(op);
    const expected = noGrad(() => model.call(x));
    const got = await runOrt(bytes, { input: x });
    expect(got.dims).toEqual(expected.shape);
    expect(maxAbsDiff(got.data, expected.dataSync())).toBeLessThan(2e-5);
  });
});
