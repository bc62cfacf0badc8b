// The models against PyTorch (scripts/reference/models.py defines them the same way): printed
// form, state-dict keys, parameter count, and for fixed weights the eval-mode outputs on every
// device and one train-mode step of the CIFAR ResNet (loss, gradients, running statistics).

import * as nn from '@dl/nn';
import { type Backend, type Tensor, tensor, zeros } from '@dl/tensor';
import { compareValues } from '@dl/tensor/testing';
import { describe, expect, it } from 'vitest';
import { models } from '../src/index.ts';
import { testDevices } from './device.ts';
import { reference } from './models.reference.ts';

const devices = await testDevices();

/** fround(scale · sin(0.7 i + phase)) over the flat index i, as the script's `wave`. */
function wave(shape: readonly number[], phase: number, scale = 1): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + phase) * scale);
}

/** The script's `fixed_state`: the k-th state-dict entry is a wave of phase k, by kind. */
function fixedState(model: nn.Module): nn.StateDict {
  const state: nn.StateDict = new Map();
  let k = 0;
  for (const [name, t] of model.stateDict()) {
    const shape = t.shape;
    let values: Float32Array;
    if (name.endsWith('num_batches_tracked')) {
      state.set(name, zeros([], { dtype: 'int32' }));
      k++;
      continue;
    } else if (name.endsWith('running_mean')) values = wave(shape, k, 0.1);
    else if (name.endsWith('running_var')) values = wave(shape, k, 1).map((v) => 3 + v);
    else if (name.endsWith('bias')) values = wave(shape, k, 0.1);
    else if (shape.length === 1) values = wave(shape, k, 0.2).map((v) => 1 + v);
    else values = wave(shape, k, 1 / Math.sqrt(shape.slice(1).reduce((a, b) => a * b, 1)));
    state.set(name, tensor(values).reshape([...shape]));
    k++;
  }
  return state;
}

function input(shape: readonly number[], device: Backend | 'cpu'): Tensor {
  return tensor(wave(shape, 0.5), { device }).reshape([...shape]);
}

interface Summary {
  readonly shape: readonly number[];
  readonly sum: number;
  readonly sumSquares: number;
  readonly weighted: number;
  readonly indices: readonly number[];
  readonly samples: readonly number[];
}

/** Sum, sum of squares, a wave-weighted sum and sampled entries against the script's. */
async function expectSummary(actual: Tensor | null, expected: Summary, what: string) {
  if (!actual) throw new Error(`${what}: no tensor`);
  expect(actual.shape, what).toEqual(expected.shape);
  const values = await actual.data();
  const weights = wave([values.length], 0.11);
  let sum = 0;
  let sumSquares = 0;
  let weighted = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    sumSquares += values[i]! ** 2;
    weighted += values[i]! * weights[i]!;
  }
  // Sums of gradients can cancel to nothing (fc.bias's sums to 0), so the absolute tolerance
  // scales with the tensor's norm.
  const atol = 1e-4 * Math.sqrt(expected.sumSquares);
  const problems = [
    compareValues([sum, weighted], [expected.sum, expected.weighted], { rtol: 1e-3, atol }),
    compareValues([sumSquares], [expected.sumSquares], { rtol: 2e-3, atol: 0 }),
    compareValues(
      expected.indices.map((i) => values[i]!),
      expected.samples,
      { rtol: 1e-3, atol },
    ),
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new Error(`${what}: ${problems.join('; ')}`);
}

/** All of a small output against the script's, with an absolute tolerance scaled to its size. */
async function expectOutput(
  actual: Tensor,
  expected: { readonly shape: readonly number[]; readonly values: readonly number[] },
  what: string,
) {
  expect(actual.shape, what).toEqual(expected.shape);
  const rms = Math.sqrt(expected.values.reduce((a, v) => a + v * v, 0) / expected.values.length);
  const problem = compareValues(await actual.data(), expected.values, {
    rtol: 1e-3,
    atol: 1e-4 * rms,
  });
  if (problem !== undefined) throw new Error(`${what}: ${problem}`);
}

const cases = [
  {
    name: 'DigitRecognizer',
    build: () => new models.DigitRecognizer(),
    inputShape: [2, 1, 28, 28],
    reference: reference.digitRecognizer,
  },
  {
    name: 'LeNet5 (28x28, one channel)',
    build: () => new models.LeNet5(),
    inputShape: [2, 1, 28, 28],
    reference: reference.lenet5,
  },
  {
    name: 'LeNet5 (32x32, three channels)',
    build: () => new models.LeNet5({ inChannels: 3, inputSize: 32 }),
    inputShape: [2, 3, 32, 32],
    reference: reference.lenet5Cifar,
  },
  {
    name: 'resnetMnist',
    build: () => models.resnetMnist(),
    inputShape: [2, 1, 28, 28],
    reference: reference.resnetMnist,
  },
  {
    name: 'resnetCifar',
    build: () => models.resnetCifar(),
    inputShape: [2, 3, 32, 32],
    reference: reference.resnetCifar,
  },
];

describe.each(cases)('$name', ({ build, reference }) => {
  it("prints as PyTorch prints it, with PyTorch's state-dict keys and parameter count", () => {
    const model = build();
    expect(model.toString()).toBe(reference.repr);
    expect([...model.stateDict().keys()]).toEqual(reference.keys);
    expect([...model.stateDict().values()].map((t) => t.shape)).toEqual(reference.shapes);
    expect(model.numParameters()).toBe(reference.numParameters);
  });
});

describe('resnet18', () => {
  it("has torchvision's layout: printed form, keys and 11,689,512 parameters", () => {
    const model = models.resnet18();
    expect(model.toString()).toBe(reference.resnet18.repr);
    expect([...model.stateDict().keys()]).toEqual(reference.resnet18.keys);
    expect([...model.stateDict().values()].map((t) => t.shape)).toEqual(reference.resnet18.shapes);
    expect(model.numParameters()).toBe(reference.resnet18.numParameters);
    expect(reference.resnet18.numParameters).toBe(11689512);
  });
});

describe.each(devices)('eval-mode outputs on %s', (_name, device) => {
  it.each(cases)(
    '$name: batch 2 gives PyTorch’s output for fixed weights',
    async ({ build, inputShape, reference }) => {
      const model = build();
      model.loadStateDict(fixedState(model));
      model.to(device).eval();
      const out = model.forward(input(inputShape, device));
      expect(out.shape).toEqual([2, 10]);
      await expectOutput(out, reference.output, 'output');
    },
  );
});

describe('resnetCifar, one train-mode step on cpu', () => {
  it('loss, every gradient and the updated running statistics match PyTorch', async () => {
    const expected = reference.resnetCifar.train;
    const model = models.resnetCifar();
    model.loadStateDict(fixedState(model));
    model.train();
    const out = model.forward(input([2, 3, 32, 32], 'cpu'));
    await expectOutput(out, expected.output, 'train-mode output');
    const loss = nn.F.crossEntropy(out, tensor(expected.target, { dtype: 'int32' }));
    expect(await loss.item()).toBeCloseTo(expected.loss, 4);
    loss.backward();
    const params = new Map(model.namedParameters());
    expect([...params.keys()]).toEqual(Object.keys(expected.grads));
    for (const [name, summary] of Object.entries(expected.grads))
      await expectSummary(params.get(name)!.grad, summary, `grad of ${name}`);
    const buffers = new Map(model.namedBuffers());
    for (const [name, summary] of Object.entries(expected.buffers))
      await expectSummary(buffers.get(name) ?? null, summary, name);
    expect(await buffers.get('layer3.2.bn2.num_batches_tracked')!.item()).toBe(1);
  });
});

describe('options and errors', () => {
  it('ResNet takes torchvision’s arguments and validates them up front', () => {
    const model = new models.ResNet(models.BasicBlock, [1, 1], {
      numClasses: 4,
      inChannels: 2,
      widths: [4, 8],
      stem: 'small',
      zeroInitResidual: true,
    });
    expect([...model.stateDict().keys()].filter((k) => k.endsWith('.weight'))).toEqual([
      'conv1.weight',
      'bn1.weight',
      'layer1.0.conv1.weight',
      'layer1.0.bn1.weight',
      'layer1.0.conv2.weight',
      'layer1.0.bn2.weight',
      'layer2.0.conv1.weight',
      'layer2.0.bn1.weight',
      'layer2.0.conv2.weight',
      'layer2.0.bn2.weight',
      'layer2.0.downsample.0.weight',
      'layer2.0.downsample.1.weight',
      'fc.weight',
    ]);
    // zeroInitResidual zeroes each block's last BatchNorm scale; the others start at 1.
    expect(Array.from(model.getParameter('layer2.0.bn2.weight')!.dataSync())).toEqual(
      new Array(8).fill(0),
    );
    expect(Array.from(model.getParameter('layer2.0.bn1.weight')!.dataSync())).toEqual(
      new Array(8).fill(1),
    );
    expect(
      model.forward(tensor(new Float32Array(2 * 2 * 6 * 6)).reshape([2, 2, 6, 6])).shape,
    ).toEqual([2, 4]);

    expect(() => new models.ResNet(models.BasicBlock, [2, 2], { widths: [16] })).toThrow(
      'ResNet: widths [16] must give one width per stage of layers [2, 2]',
    );
    expect(() => new models.ResNet(models.BasicBlock, [2, 0])).toThrow(
      'ResNet: layers[1] must be a positive integer, got 0',
    );
    expect(() => new models.ResNet(models.BasicBlock, [])).toThrow(
      'ResNet: layers must list at least one stage',
    );
    expect(() => new models.ResNet(models.BasicBlock, [1, 1, 1, 1, 1])).toThrow(
      'ResNet: 5 stages need widths (the defaults cover 4)',
    );
    expect(() => models.resnetCifar({ numClasses: 0 })).toThrow(
      'ResNet: numClasses must be a positive integer, got 0',
    );
    expect(
      () =>
        new models.ResNet(models.BasicBlock, [1], {
          stem: 'tiny' as unknown as 'small', // a caller without types
        }),
    ).toThrow("ResNet: stem must be 'imagenet' or 'small', got tiny");
    expect(() => new models.BasicBlock(16, 32)).toThrow(
      'BasicBlock: mapping 16 channels to 32 with stride 1 changes the shape, so the residual sum needs a downsample module (a 1x1 Conv2d and a BatchNorm2d)',
    );
  });

  it('the models name the input shape they expect', () => {
    const mnist = tensor(new Float32Array(28 * 28)).reshape([1, 1, 28, 28]);
    expect(() => models.resnetCifar().forward(mnist)).toThrow(
      'ResNet: expected input of shape [N, 3, H, W], got [1, 1, 28, 28]',
    );
    expect(() => new models.LeNet5({ inputSize: 32 }).forward(mnist)).toThrow(
      'LeNet5: expected input of shape [N, 1, 32, 32], got [1, 1, 28, 28]',
    );
    expect(() => new models.DigitRecognizer().forward(mnist.reshape([1, 28, 28]))).toThrow(
      'DigitRecognizer: expected input of shape [N, 1, 28, 28], got [1, 28, 28]',
    );
    // A caller without types can pass any number.
    expect(() => new models.LeNet5({ inputSize: 30 as 28 })).toThrow(
      'LeNet5: inputSize must be 28 or 32, got 30',
    );
    expect(() => new models.LeNet5({ numClasses: 2.5 })).toThrow(
      'LeNet5: numClasses must be a positive integer, got 2.5',
    );
  });
});
