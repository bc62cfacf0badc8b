// A full training loop: train and validation splits, a train_loop and a test_loop per
// epoch, and the best model (lowest validation loss) saved as safetensors and loaded back.
// Ports PyTorch's "Optimizing Model Parameters" tutorial (train_loop, test_loop, the
// epochs loop) and "Save and Load the Model" (torch.save(model.state_dict()), load_state_dict),
// on MNIST digits instead of FashionMNIST, since MNIST ships with @dl/vision.
//
//   pnpm example 09-training-loop [--device cpu|webgpu]

import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataLoader, randomSplit, Subset } from '@dl/data';
import * as nn from '@dl/nn';
import { load, save } from '@dl/nn/node';
import { SGD } from '@dl/optim';
import { manualSeed, noGrad, type Tensor } from '@dl/tensor';
import { MNIST, transforms } from '@dl/vision';
import { type Device, deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

// Hyperparameters (small, so that the example runs in seconds).
const learningRate = 0.1;
const batchSize = 64;
const epochs = 4;

// The data: 3,000 training digits split into 2,560 to train on and 440 to validate on, and
// 500 test digits for the end. 2,560 is 40 full batches: a last batch of a few samples
// would take as large a step as a full one at this learning rate, from a noisy gradient.
const transform = transforms.compose([
  transforms.toTensor(),
  transforms.normalize([0.1307], [0.3081]),
]);
// Subset(dataset, range(n)): the first n samples.
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const [trainData, validationData] = randomSplit(
  new Subset(new MNIST({ train: true, transform }), range(3000)),
  [2560, 440],
);
const testData = new Subset(new MNIST({ train: false, transform }), range(500));
const trainDataloader = new DataLoader(trainData!, { batchSize, shuffle: true });
const validationDataloader = new DataLoader(validationData!, { batchSize: 250 });
const testDataloader = new DataLoader(testData, { batchSize: 250 });

class NeuralNetwork extends nn.Module {
  flatten = new nn.Flatten();
  linearReluStack = new nn.Sequential(
    new nn.Linear(28 * 28, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
  override forward(x: Tensor): Tensor {
    return this.linearReluStack.call(this.flatten.call(x));
  }
}

async function trainLoop(
  dataloader: DataLoader<[Tensor, number]>,
  model: NeuralNetwork,
  lossFn: nn.CrossEntropyLoss,
  optimizer: SGD,
  device: Device,
): Promise<number> {
  // len(dataloader.dataset) is not available here: dataloader.dataset may be an
  // IterableDataset, which has no length. Samples are counted as they come instead.
  model.train(); // training mode (matters for dropout and batch norm)
  let total = 0;
  let seen = 0;
  let batch = 0;
  for await (const [X, y] of dataloader) {
    // Compute prediction and loss.
    const pred = model.call(X.to(device));
    const loss = lossFn.call(pred, y.to(device));
    // Backpropagation.
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
    // Reading the loss waits for the device, so it is read once per batch, here.
    const value = await loss.item();
    total += value * X.shape[0]!;
    seen += X.shape[0]!;
    if (batch % 10 === 0) {
      console.log(
        `loss: ${value.toFixed(6).padStart(9)}  [batch ${batch + 1}/${dataloader.length}]`,
      );
    }
    batch++;
  }
  return total / seen;
}

async function testLoop(
  dataloader: DataLoader<[Tensor, number]>,
  model: NeuralNetwork,
  lossFn: nn.CrossEntropyLoss,
  device: Device,
): Promise<{ loss: number; accuracy: number }> {
  model.eval();
  let testLoss = 0;
  let correct = 0;
  let size = 0;
  // noGrad over the whole async loop, as `with torch.no_grad():`.
  await noGrad(async () => {
    for await (const [X, y] of dataloader) {
      const pred = model.call(X.to(device));
      const target = y.to(device);
      testLoss += (await lossFn.call(pred, target).item()) * X.shape[0]!;
      correct += await pred.argmax(1).eq(target).sum().item();
      size += X.shape[0]!;
    }
  });
  return { loss: testLoss / size, accuracy: correct / size };
}

const model = new NeuralNetwork().to(device);
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new SGD(model.parameters(), { lr: learningRate });

const folder = await mkdtemp(join(tmpdir(), 'dl-example-'));
const bestPath = join(folder, 'best.safetensors');
try {
  let best = { epoch: 0, loss: Number.POSITIVE_INFINITY, accuracy: 0 };
  const trainLosses: number[] = [];
  for (let t = 1; t <= epochs; t++) {
    console.log(`Epoch ${t}\n-------------------------------`);
    trainLosses.push(await trainLoop(trainDataloader, model, lossFn, optimizer, device));
    const validation = await testLoop(validationDataloader, model, lossFn, device);
    console.log(
      `Validation: Accuracy: ${(100 * validation.accuracy).toFixed(1)}%, Avg loss: ${validation.loss.toFixed(6)}`,
    );
    if (validation.loss < best.loss) {
      best = { epoch: t, ...validation };
      // torch.save(model.state_dict(), path): the tensors are read from the device and
      // written to a temporary file, renamed over the target once complete.
      await save(model.stateDict(), bestPath, { epoch: String(t) });
      console.log(`saved the best model so far to ${bestPath}`);
    }
  }
  console.log('Done!');
  assert.ok(trainLosses.at(-1)! < trainLosses[0]!, 'the training loss falls');
  assert.ok(best.accuracy > 0.85, `validation accuracy ${best.accuracy} above 85%`);
  assert.ok((await stat(bestPath)).size > 4 * (784 * 128 + 128 + 128 * 10 + 10));

  // Load the best model into a new instance, as model.load_state_dict(torch.load(path)).
  const restored = new NeuralNetwork();
  restored.loadStateDict(await load(bestPath));
  restored.to(device);
  const again = await testLoop(validationDataloader, restored, lossFn, device);
  assert.ok(Math.abs(again.loss - best.loss) < 1e-5, 'the saved model is the best one');
  const test = await testLoop(testDataloader, restored, lossFn, device);
  console.log(
    `Best epoch ${best.epoch}; test: Accuracy: ${(100 * test.accuracy).toFixed(1)}%, Avg loss: ${test.loss.toFixed(6)}`,
  );
  assert.ok(test.accuracy > 0.8, `test accuracy ${test.accuracy} above 80%`);
} finally {
  await rm(folder, { recursive: true, force: true });
}
