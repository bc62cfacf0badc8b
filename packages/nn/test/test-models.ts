// The models several test files build: DESIGN.md's MNIST CNN (PyTorch's examples/mnist
// network), with its channel widths as arguments, and a small MLP with BatchNorm1d and Dropout.

import type { Tensor } from '@dl/tensor';
import * as nn from '../src/index.js';

/** The MNIST CNN; the defaults are PyTorch's widths (32 and 64 channels, 128 hidden units). */
export class DigitRecognizer extends nn.Module {
  declare conv1: nn.Conv2d;
  declare conv2: nn.Conv2d;
  declare pool: nn.MaxPool2d;
  declare dropout1: nn.Dropout2d;
  declare fc1: nn.Linear;
  declare dropout2: nn.Dropout;
  declare fc2: nn.Linear;
  constructor(channels1 = 32, channels2 = 64, hidden = 128) {
    super();
    // Assigned in PyTorch's order, which is the order of the state dict and the printed form.
    this.conv1 = new nn.Conv2d(1, channels1, 3);
    this.conv2 = new nn.Conv2d(channels1, channels2, 3);
    this.pool = new nn.MaxPool2d(2);
    this.dropout1 = new nn.Dropout2d(0.25);
    this.fc1 = new nn.Linear(channels2 * 12 * 12, hidden);
    this.dropout2 = new nn.Dropout(0.5);
    this.fc2 = new nn.Linear(hidden, 10);
  }
  override forward(x: Tensor): Tensor {
    x = nn.F.relu(this.conv1.forward(x));
    x = this.pool.forward(nn.F.relu(this.conv2.forward(x)));
    x = this.dropout1.forward(x).flatten(1);
    x = this.dropout2.forward(nn.F.relu(this.fc1.forward(x)));
    return nn.F.logSoftmax(this.fc2.forward(x), 1);
  }
}

/** Linear(6, 8), BatchNorm1d(8), ReLU, Dropout(0.5), Linear(8, 3). */
export const mlp = () =>
  new nn.Sequential(
    new nn.Linear(6, 8),
    new nn.BatchNorm1d(8),
    new nn.ReLU(),
    new nn.Dropout(0.5),
    new nn.Linear(8, 3),
  );
