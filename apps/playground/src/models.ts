// The models the playground trains: the MNIST CNN from @dl/vision and a smaller CNN that
// trains several times faster on software WebGPU, selectable in the page.

import * as nn from '@dl/nn';
import type { Tensor } from '@dl/tensor';
import { models } from '@dl/vision';

/** LeNet-like: two 5x5 convolutions with 8 and 16 channels, one linear layer (~5k weights). */
export class SmallCNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 5);
  conv2 = new nn.Conv2d(8, 16, 5);
  pool = new nn.MaxPool2d(2);
  fc = new nn.Linear(16 * 4 * 4, 10);

  override forward(x: Tensor): Tensor {
    x = this.pool.call(nn.F.relu(this.conv1.call(x)));
    x = this.pool.call(nn.F.relu(this.conv2.call(x)));
    return nn.F.logSoftmax(this.fc.call(x.flatten(1)), 1);
  }
}

export type ModelName = 'digit-recognizer' | 'small-cnn';

export const modelNames: readonly ModelName[] = ['digit-recognizer', 'small-cnn'];

export const modelLabels: Record<ModelName, string> = {
  'digit-recognizer': 'DigitRecognizer (1.2M parameters)',
  'small-cnn': 'Small CNN (5k parameters, faster)',
};

/** A classifier of [N, 1, 28, 28] images returning [N, 10] log-probabilities. */
export type DigitModel = { forward(x: Tensor): Tensor } & nn.Module;

export function createModel(name: ModelName): DigitModel {
  return name === 'digit-recognizer' ? new models.DigitRecognizer() : new SmallCNN();
}

export function isModelName(value: string): value is ModelName {
  return (modelNames as readonly string[]).includes(value);
}
