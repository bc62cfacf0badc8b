// Transfer learning, worked through: train the MNIST CNN's backbone on digits, save it as
// safetensors, load it into a fresh model, freeze the backbone (requiresGrad_(false)),
// replace the classifier head, and fine-tune only the head on Fashion-MNIST, printing the
// accuracy before and after. Run it with `pnpm --filter @dl/app-mnist transfer`.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataLoader, type Dataset, Subset } from '@dl/data';
import * as nn from '@dl/nn';
import { load, save } from '@dl/nn/node';
import { Adam } from '@dl/optim';
import { type Backend, manualSeed, noGrad, type Tensor } from '@dl/tensor';
import { FashionMNIST, MNIST, models, type RawImage, transforms } from '@dl/vision';
import { webgpu } from '@dl/webgpu';

export interface TransferOptions {
  device: Backend | 'cpu';
  /** MNIST images the backbone is trained on. */
  pretrainImages: number;
  /** Fashion-MNIST images the new head is fine-tuned on, and epochs over them. */
  fineTuneImages: number;
  fineTuneEpochs: number;
  /** The head's learning rate (default 1e-2: it starts from scratch on fixed features). */
  headLr?: number;
  /** Fashion-MNIST test images the accuracy is measured on. */
  testImages: number;
  seed: number;
  log: (line: string) => void;
}

export interface TransferResult {
  /** Fashion-MNIST test accuracy with the new, untrained head (chance is about 0.1). */
  before: number;
  /** The same after fine-tuning the head. */
  after: number;
  /** Parameters the optimizer updated, and the backbone's frozen ones. */
  trainable: number;
  frozen: number;
  /** Whether the backbone's weights are bit for bit what was loaded. */
  backboneUnchanged: boolean;
}

type Sample = [Tensor, number];

const first = (dataset: Dataset<Sample>, count: number) =>
  new Subset(
    dataset,
    Array.from({ length: Math.min(count, dataset.length) }, (_, i) => i),
  );

const transformFor = (mean: number, std: number) =>
  transforms.compose([transforms.toTensor(), transforms.normalize([mean], [std])]) as (
    image: RawImage,
  ) => Tensor;

async function train(
  model: nn.Module,
  data: Dataset<Sample>,
  parameters: Iterable<Tensor>,
  epochs: number,
  device: Backend | 'cpu',
  lr: number,
): Promise<void> {
  const optimizer = new Adam(parameters, { lr });
  const loader = new DataLoader(data, { batchSize: 64, shuffle: true });
  model.train();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for await (const [x, y] of loader) {
      const loss = nn.F.nllLoss(model.call(x.to(device)), y.to(device));
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    }
  }
}

async function accuracy(
  model: nn.Module,
  data: Dataset<Sample>,
  device: Backend | 'cpu',
): Promise<number> {
  model.eval();
  let correct = 0;
  for await (const [x, y] of new DataLoader(data, { batchSize: 500 })) {
    const predicted = noGrad(() => model.call(x.to(device)).argmax(1));
    correct += await predicted.eq(y.to(device)).sum().item();
  }
  return correct / data.length;
}

/** Snapshot of every backbone parameter's values, to show fine-tuning left them alone. */
async function backboneValues(model: models.DigitRecognizer): Promise<Float32Array[]> {
  const values: Float32Array[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (!name.startsWith('fc2.')) values.push(Float32Array.from(await p.data()));
  }
  return values;
}

export async function transferLearning(options: TransferOptions): Promise<TransferResult> {
  const { device, log } = options;
  manualSeed(options.seed);
  const folder = mkdtempSync(join(tmpdir(), 'dl-transfer-'));
  try {
    // 1. A backbone trained on digits, saved as safetensors (a PyTorch file works the same).
    const digits = new MNIST({ train: true, transform: transformFor(0.1307, 0.3081) });
    const pretrained = new models.DigitRecognizer().to(device);
    await train(
      pretrained,
      first(digits, options.pretrainImages),
      pretrained.parameters(),
      1,
      device,
      1e-3,
    );
    const checkpoint = join(folder, 'digits.safetensors');
    await save(pretrained.stateDict(), checkpoint);
    log(`pretrained on ${options.pretrainImages} MNIST digits, saved to ${checkpoint}`);

    // 2. Load it into a fresh model, freeze everything, and give it a new head.
    const model = new models.DigitRecognizer();
    model.loadStateDict(await load(checkpoint));
    model.to(device);
    model.requiresGrad_(false);
    model.fc2 = new nn.Linear(128, 10).to(device); // new head, trainable
    const trainable = [...model.parameters()].filter((p) => p.requiresGrad);
    const count = (ps: Tensor[]) => ps.reduce((n, p) => n + p.numel(), 0);
    const all = [...model.parameters()];
    const result = {
      trainable: count(trainable),
      frozen: count(all.filter((p) => !p.requiresGrad)),
    };
    log(`frozen backbone: ${result.frozen} parameters; new head: ${result.trainable}`);

    // 3. Fine-tune the head on Fashion-MNIST and compare.
    const fashion = transformFor(0.286, 0.353);
    const fashionTrain = first(
      new FashionMNIST({ train: true, transform: fashion }),
      options.fineTuneImages,
    );
    const fashionTest = first(
      new FashionMNIST({ train: false, transform: fashion }),
      options.testImages,
    );
    const before = await accuracy(model, fashionTest, device);
    log(`Fashion-MNIST accuracy with the untrained head: ${(100 * before).toFixed(2)}%`);
    const frozenBefore = await backboneValues(model);
    await train(
      model,
      fashionTrain,
      trainable,
      options.fineTuneEpochs,
      device,
      options.headLr ?? 1e-2,
    );
    const after = await accuracy(model, fashionTest, device);
    log(
      `after fine-tuning the head on ${options.fineTuneImages} images: ${(100 * after).toFixed(2)}%`,
    );
    const frozenAfter = await backboneValues(model);
    const backboneUnchanged = frozenBefore.every(
      (values, k) =>
        values.length === frozenAfter[k]!.length &&
        values.every((v, i) => v === frozenAfter[k]![i]),
    );
    return { before, after, backboneUnchanged, ...result };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The command: WebGPU when there is an adapter, else the CPU, with the sizes below. */
async function main(): Promise<void> {
  let device: Backend | 'cpu' = 'cpu';
  try {
    device = await webgpu();
  } catch {
    console.log('notice: no WebGPU adapter, running on the CPU');
  }
  const result = await transferLearning({
    device,
    pretrainImages: 4000,
    fineTuneImages: 2000,
    fineTuneEpochs: 2,
    testImages: 2000,
    seed: 0,
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(result));
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) await main();
