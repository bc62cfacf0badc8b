// Trains the checkpoint the playground ships (public/checkpoints/<model>.safetensors) on the
// CPU backend in Node, on a subset of MNIST's training set, and prints its test accuracy:
//
//   pnpm --filter @dl/app-playground train-checkpoint [--model digit-recognizer|small-cnn]
//        [--limit 8000] [--epochs 1] [--seed 0]

import { parseArgs } from 'node:util';
import { DataLoader, Subset } from '@dl/data';
import { accuracy } from '@dl/data/metrics';
import { F } from '@dl/nn';
import { save } from '@dl/nn/node';
import { Adam } from '@dl/optim';
import { cat, manualSeed, noGrad, type Tensor, tidy } from '@dl/tensor';
import { MNIST, transforms } from '@dl/vision';
import { createModel, isModelName } from '../src/models.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'digit-recognizer' },
    limit: { type: 'string', default: '8000' },
    epochs: { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    lr: { type: 'string', default: '0.001' },
  },
});
const modelName = values.model;
if (!isModelName(modelName)) {
  throw new Error(`--model must be digit-recognizer or small-cnn, got ${modelName}`);
}
const limit = Number(values.limit);
const epochs = Number(values.epochs);
const lr = Number(values.lr);
manualSeed(Number(values.seed));

const tf = transforms.compose([transforms.toTensor(), transforms.normalize([0.1307], [0.3081])]);
const trainSet = new MNIST({ train: true, transform: tf });
const testSet = new MNIST({ train: false, transform: tf });
const indices = Array.from({ length: Math.min(limit, trainSet.length) }, (_, i) => i);
const loader = new DataLoader(new Subset(trainSet, indices), { batchSize: 64, shuffle: true });

const model = createModel(modelName);
const optimizer = new Adam(model.parameters(), { lr });
const started = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  model.train();
  let step = 0;
  for await (const [x, y] of loader) {
    optimizer.zeroGrad();
    const loss = tidy(() => F.nllLoss(model.forward(x), y));
    loss.backward();
    optimizer.step();
    step++;
    if (step % 10 === 0 || step === loader.length) {
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `epoch ${epoch} step ${step}/${loader.length} loss ${(await loss.item()).toFixed(4)} (${seconds.toFixed(0)} s)`,
      );
    }
    loss.dispose();
  }
}

model.eval();
const predictions: Tensor[] = [];
const targets: Tensor[] = [];
for await (const [x, y] of new DataLoader(testSet, { batchSize: 500 })) {
  predictions.push(noGrad(() => model.forward(x).argmax(1)));
  targets.push(y);
}
const acc = await accuracy(cat(targets), cat(predictions));
const out = new URL(`../public/checkpoints/${modelName}.safetensors`, import.meta.url).pathname;
await save(model.stateDict(), out);
console.log(
  `${modelName}: ${indices.length} images x ${epochs} epoch(s), test accuracy ${(acc * 100).toFixed(2)}% on ${testSet.length} images; saved ${out}`,
);
