// dl's side of the training benchmark: the app's model (DigitRecognizer), nllLoss and Adam
// on the CPU backend or on WebGPU, exactly as `dl-mnist train` runs a step.

import * as nn from '@dl/nn';
import { Adam } from '@dl/optim';
import { type Backend, type Tensor, tensor } from '@dl/tensor';
import { models } from '@dl/vision';
import type { WebGPUBackend } from '@dl/webgpu';
import { batchSize, lr, type SideOptions, type TrainingSide } from './side.ts';

export function dlSide(device: Backend | 'cpu', options: SideOptions): TrainingSide {
  const { weights, batch, dropout } = options;
  const model = new models.DigitRecognizer();
  const state = new Map<string, Tensor>();
  for (const [name, { shape, data }] of weights) state.set(name, tensor(data).reshape(shape));
  model.loadStateDict(state);
  model.to(device);
  model.train(dropout);
  const optimizer = new Adam(model.parameters(), { lr });
  const x = tensor(batch.images, { device }).reshape([batchSize, 1, 28, 28]);
  const y = tensor(batch.labels, { device });
  // Reading the loss waits for it; Adam's updates are queued after it, so wait for those too.
  // The WebGPU backend is the only non-CPU device this bench opens.
  const gpu = device === 'cpu' || device.type === 'cpu' ? undefined : (device as WebGPUBackend);
  return {
    async step() {
      optimizer.zeroGrad();
      const loss = nn.F.nllLoss(model.forward(x), y);
      loss.backward();
      optimizer.step();
      const value = await loss.item();
      await gpu?.synchronize();
      loss.dispose();
      return value;
    },
    dispose() {
      x.dispose();
      y.dispose();
      for (const p of model.parameters()) p.dispose();
    },
  };
}
