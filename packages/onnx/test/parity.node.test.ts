// The proof of the exporter: the vision models, exported once with a dynamic batch axis, give
// in ONNX Runtime the outputs dl computes on the CPU, on real MNIST test images at two batch
// sizes. BatchNorm running statistics are made non-trivial by train-mode passes first.

import type * as nn from '@dl/nn';
import { manualSeed, noGrad, type Tensor } from '@dl/tensor';
import { models } from '@dl/vision';
import { describe, expect, it } from 'vitest';

/** A module from one tensor to one tensor. */
type TensorModule = nn.Module & { forward(x: Tensor): Tensor };

import { decodeModel, exportOnnx } from '../src/index.ts';
import { maxAbsDiff, mnistBatch, runOrt } from './helpers.ts';

/** float32 noise: the runtimes sum convolutions in different orders. */
const tolerance = 1e-4;

const cases: [string, () => TensorModule, string[]][] = [
  [
    'DigitRecognizer',
    () => new models.DigitRecognizer(),
    ['Conv', 'Relu', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'LogSoftmax'],
  ],
  [
    'LeNet5',
    () => new models.LeNet5(),
    [
      'Conv',
      'Relu',
      'MaxPool',
      'Conv',
      'Relu',
      'MaxPool',
      'Flatten',
      'Gemm',
      'Relu',
      'Gemm',
      'Relu',
      'Gemm',
    ],
  ],
  ['resnetMnist', () => models.resnetMnist(), []],
];

describe.each(cases)('%s exported to ONNX', (name, make, expectedOps) => {
  it('matches dl in ONNX Runtime on MNIST test images at two batch sizes', async () => {
    manualSeed(7);
    const model = make();
    // Running statistics away from 0 and 1, from a few train-mode passes over other images.
    noGrad(() => {
      model.train();
      for (let i = 0; i < 2; i++) model.call(mnistBatch(100 + 16 * i, 16));
    });
    const example = mnistBatch(0, 4);
    const bytes = await exportOnnx(model, example, {
      dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } },
    });
    // The export left the module in train mode, as it was.
    expect(model.training).toBe(true);
    model.eval();
    for (const [start, count] of [
      [0, 8],
      [50, 3],
    ] as const) {
      const x = mnistBatch(start, count);
      const expected = noGrad(() => model.call(x)).dataSync();
      const got = await runOrt(bytes, { input: x });
      expect(got.dims).toEqual([count, 10]);
      const diff = maxAbsDiff(got.data, expected);
      if (process.env['DL_ONNX_REPORT'])
        console.log(`${name} batch ${count}: max |ORT - dl| = ${diff}`);
      expect(diff).toBeLessThan(tolerance);
    }
    const graph = decodeModel(bytes).graph;
    expect(graph.input[0]?.type.tensorType.shape.dim[0]).toEqual({ dimParam: 'batch' });
    const ops = graph.node.map((n) => n.opType);
    if (expectedOps.length > 0) expect(ops).toEqual(expectedOps);
    else {
      // ResNet-20: 19 convolutions + 2 projections, each followed by BatchNormalization,
      // nine residual Adds, global pooling and one Gemm.
      expect(ops.filter((op) => op === 'Conv')).toHaveLength(21);
      expect(ops.filter((op) => op === 'BatchNormalization')).toHaveLength(21);
      expect(ops.filter((op) => op === 'Add')).toHaveLength(9);
      expect(ops.filter((op) => op === 'GlobalAveragePool')).toHaveLength(1);
      expect(ops.at(-1)).toBe('Gemm');
    }
    // Every parameter the graph uses is an initializer under its state-dict name.
    const initializers = new Set(graph.initializer.map((t) => t.name));
    for (const key of model.stateDict().keys())
      if (!key.endsWith('num_batches_tracked')) expect(initializers.has(key)).toBe(true);
  });
});
