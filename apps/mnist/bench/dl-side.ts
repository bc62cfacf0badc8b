// dl's side of the benchmarks: the app's model (DigitRecognizer) and the MLP trained with
// nllLoss / crossEntropy and Adam on the CPU backend or on WebGPU, exactly as `dl-mnist
// train` runs a step, and the CNN's inference in eval mode as `dl-mnist eval` runs it.

import * as nn from '@dl/nn';
import { Adam } from '@dl/optim';
import { type Backend, cpu, noGrad, type Tensor, tensor } from '@dl/tensor';
import { models } from '@dl/vision';
import {
  batchSize,
  type InferenceSide,
  lr,
  mlpSizes,
  type SideOptions,
  type TrainingSide,
  type Weights,
} from './side.ts';

type Device = Backend | 'cpu';

/** The MLP of cpu-peers.bench.ts: Linear(784, 128), ReLU, Linear(128, 10), logits out. */
export class Mlp extends nn.Module {
  fc1 = new nn.Linear(mlpSizes.input, mlpSizes.hidden);
  fc2 = new nn.Linear(mlpSizes.hidden, mlpSizes.classes);
  override forward(x: Tensor): Tensor {
    return this.fc2.call(nn.F.relu(this.fc1.call(x)));
  }
}

function load(model: nn.Module, weights: Weights, device: Device): void {
  const state = new Map<string, Tensor>();
  for (const [name, { shape, data }] of weights) state.set(name, tensor(data).reshape(shape));
  model.loadStateDict(state);
  model.to(device);
}

/**
 * How dl's CPU device runs: its `info` where it has one (issue 21's WebAssembly backend is to
 * say there how many threads it uses and why), else today's JavaScript backend's way.
 */
export function describeDlCpu(): string {
  const info: unknown = Reflect.get(cpu, 'info');
  return info === undefined ? 'JavaScript kernels on the main thread' : JSON.stringify(info);
}

/**
 * Waits for the device's queued work. dl's WebGPU backend has synchronize(); the CPU backend
 * computes each op before it returns, and a CPU backend that computes later would have one
 * too (a Backend need not: hence the look-up by name).
 */
export async function settle(device: Device): Promise<void> {
  const backend = device === 'cpu' ? cpu : device;
  const synchronize: unknown = Reflect.get(backend, 'synchronize');
  if (typeof synchronize === 'function') await synchronize.call(backend);
}

/** Training steps of `model` on the fixed batch `[x, y]`: forward, `loss`, backward, Adam. */
function trainer(
  model: nn.Module,
  device: Device,
  [x, y]: [Tensor, Tensor],
  loss: (output: Tensor, target: Tensor) => Tensor,
): TrainingSide {
  const optimizer = new Adam(model.parameters(), { lr });
  return {
    async step() {
      optimizer.zeroGrad();
      const value = loss(model.forward(x), y);
      value.backward();
      optimizer.step();
      // Reading the loss waits for it; Adam's updates are queued after it, so wait for those too.
      const result = await value.item();
      await settle(device);
      value.dispose();
      return result;
    },
    dispose() {
      x.dispose();
      y.dispose();
      for (const p of model.parameters()) p.dispose();
    },
  };
}

/** The MNIST CNN training on the batch, nllLoss of its log-probabilities. */
export function dlSide(device: Device, options: SideOptions): TrainingSide {
  const { weights, batch, dropout } = options;
  const model = new models.DigitRecognizer();
  load(model, weights, device);
  model.train(dropout);
  const x = tensor(batch.images, { device }).reshape([batchSize, 1, 28, 28]);
  const y = tensor(batch.labels, { device });
  return trainer(model, device, [x, y], nn.F.nllLoss);
}

/** The MLP training on the batch's images, flattened, crossEntropy of its logits. */
export function dlMlpSide(device: Device, options: Omit<SideOptions, 'dropout'>): TrainingSide {
  const { weights, batch } = options;
  const model = new Mlp();
  load(model, weights, device);
  const x = tensor(batch.images, { device }).reshape([batchSize, mlpSizes.input]);
  const y = tensor(batch.labels, { device });
  return trainer(model, device, [x, y], nn.F.crossEntropy);
}

/** The MNIST CNN in eval mode over `images` ([N, 1, 28, 28]), without gradients. */
export function dlInference(device: Device, weights: Weights, images: Float32Array): InferenceSide {
  const model = new models.DigitRecognizer();
  load(model, weights, device);
  model.eval();
  const x = tensor(images, { device }).reshape([images.length / (28 * 28), 1, 28, 28]);
  return {
    async run() {
      const output = noGrad(() => model.forward(x));
      const values = await output.data();
      output.dispose();
      if (!(values instanceof Float32Array)) throw new Error('dl: expected float32 outputs');
      return values;
    },
    dispose() {
      x.dispose();
      for (const p of model.parameters()) p.dispose();
    },
  };
}
