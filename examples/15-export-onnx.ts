// Exporting for deployment: a trained model exported to ONNX with a dynamic batch size,
// written to a file, and run in ONNX Runtime (onnxruntime-node), whose output must match
// dl's. Ports PyTorch's "Exporting a Model from PyTorch to ONNX and Running it using ONNX
// Runtime" tutorial: torch.onnx.export(..., input_names, output_names, dynamic_axes), then
// onnxruntime.InferenceSession and np.testing.assert_allclose(torch_out, ort_outs[0]).
//
//   pnpm example 15-export-onnx [--device cpu|webgpu]

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nn from '@dl/nn';
import { decodeModel } from '@dl/onnx';
import { saveOnnx } from '@dl/onnx/node';
import { Adam } from '@dl/optim';
import { manualSeed, noGrad, randint, randn, type Tensor } from '@dl/tensor';
import * as ort from 'onnxruntime-node';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

class Classifier extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1),
  );
  dropout = new nn.Dropout(0.2);
  fc = new nn.Linear(16, 4);
  override forward(x: Tensor): Tensor {
    const features = this.features.call(x).flatten(1);
    return nn.F.softmax(this.fc.call(this.dropout.call(features)), 1);
  }
}

// A few training steps, so that BatchNorm's running statistics and the weights move.
const model = new Classifier().to(device);
const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
const images = randn([32, 1, 16, 16], { device });
const labels = randint(0, 4, [32], { device });
for (let step = 0; step < 5; step++) {
  const loss = nn.F.nllLoss(model.call(images).log(), labels);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
}

// Export: forward runs once in eval mode on an example input and is recorded. The batch
// axis is dynamic, so the exported model takes any batch size.
model.eval();
const x = randn([4, 1, 16, 16], { device });
const folder = await mkdtemp(join(tmpdir(), 'dl-example-'));
try {
  const path = join(folder, 'classifier.onnx');
  await saveOnnx(model, x, path, {
    opset: 17,
    inputNames: ['input'],
    outputNames: ['output'],
    dynamicAxes: { input: { 0: 'batch_size' }, output: { 0: 'batch_size' } },
  });
  const bytes = await readFile(path);
  console.log(`wrote ${path} (${bytes.length} bytes)`);

  // What the file holds (onnx.load + a look at the graph).
  const onnxModel = decodeModel(bytes);
  const graph = onnxModel.graph!;
  const ops = graph.node!.map((node) => node.opType);
  console.log(`opset ${onnxModel.opsetImport![0]!.version}, ops: ${ops.join(', ')}`);
  assert.deepEqual(ops, [
    'Conv',
    'BatchNormalization',
    'Relu',
    'MaxPool',
    'Conv',
    'Relu',
    'GlobalAveragePool',
    'Flatten',
    'Gemm',
    'Softmax',
  ]);
  assert.deepEqual(
    graph.input!.map((value) => value.name),
    ['input'],
  );

  // Run it in ONNX Runtime on a batch of another size, and compare with dl's output.
  const batch = randn([3, 1, 16, 16], { device });
  const expected = await noGrad(() => model.call(batch)).data();
  const session = await ort.InferenceSession.create(bytes);
  const input = new ort.Tensor('float32', Float32Array.from(await batch.data()), [3, 1, 16, 16]);
  const { output } = await session.run({ input });
  assert.deepEqual(output!.dims, [3, 4]);
  const got = output!.data as Float32Array; // a float32 output's data is a Float32Array
  const maxDifference = Math.max(...got.map((value, i) => Math.abs(value - expected[i]!)));
  console.log(
    `ONNX Runtime output for a batch of 3, max |ort - dl| = ${maxDifference.toExponential(2)}`,
  );
  assert.ok(maxDifference < 1e-5, 'ONNX Runtime computes what dl computes');
} finally {
  await rm(folder, { recursive: true, force: true });
}
