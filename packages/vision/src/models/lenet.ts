// LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, as PyTorch's tutorial writes it:
// two 5x5 convolutions and three linear layers, returning logits for [N, C, 28|32, 28|32].

import * as nn from '@dl/nn';
import type { Tensor } from '@dl/tensor';

/** Options of LeNet5. */
export interface LeNet5Options {
  /** Channels of the input images (default 1). */
  inChannels?: number;
  /** Number of classes, the length of each output row (default 10). */
  numClasses?: number;
  /** Height and width of the input: 28 (MNIST; conv1 pads by 2) or 32 (default 28). */
  inputSize?: 28 | 32;
}

function checkPositiveInt(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new RangeError(`LeNet5: ${name} must be a positive integer, got ${String(value)}`);
}

/**
 * LeNet-5 (LeCun et al. 1998) with ReLU and max pooling: two 5x5 convolutions and three linear
 * layers. Takes [N, inChannels, 28, 28] (or 32x32), returns logits [N, numClasses].
 */
export class LeNet5 extends nn.Module {
  readonly inChannels: number;
  readonly inputSize: 28 | 32;
  conv1: nn.Conv2d;
  pool1 = new nn.MaxPool2d(2);
  conv2: nn.Conv2d;
  pool2 = new nn.MaxPool2d(2);
  fc1: nn.Linear;
  fc2: nn.Linear;
  fc3: nn.Linear;

  constructor(options: LeNet5Options = {}) {
    super();
    const { inChannels = 1, numClasses = 10, inputSize = 28 } = options;
    checkPositiveInt(inChannels, 'inChannels');
    checkPositiveInt(numClasses, 'numClasses');
    if (inputSize !== 28 && inputSize !== 32)
      throw new RangeError(`LeNet5: inputSize must be 28 or 32, got ${String(inputSize)}`);
    this.inChannels = inChannels;
    this.inputSize = inputSize;
    // A 28x28 image padded by 2 is the 32x32 input of the original network.
    this.conv1 = new nn.Conv2d(inChannels, 6, 5, { padding: (32 - inputSize) / 2 });
    this.conv2 = new nn.Conv2d(6, 16, 5);
    this.fc1 = new nn.Linear(16 * 5 * 5, 120);
    this.fc2 = new nn.Linear(120, 84);
    this.fc3 = new nn.Linear(84, numClasses);
  }

  override forward(x: Tensor): Tensor {
    const [, channels, height, width] = x.shape;
    if (
      x.ndim !== 4 ||
      channels !== this.inChannels ||
      height !== this.inputSize ||
      width !== this.inputSize
    ) {
      throw new Error(
        `LeNet5: expected input of shape [N, ${this.inChannels}, ${this.inputSize}, ${this.inputSize}], got [${x.shape.join(', ')}]`,
      );
    }
    x = this.pool1.call(nn.F.relu(this.conv1.call(x)));
    x = this.pool2.call(nn.F.relu(this.conv2.call(x))).flatten(1);
    x = nn.F.relu(this.fc1.call(x));
    x = nn.F.relu(this.fc2.call(x));
    return this.fc3.call(x);
  }
}
