// The MNIST CNN of the PyTorch examples: two 3x3 convolutions, max pooling, dropout and two
// linear layers, returning log-probabilities for the ten digits of a [N, 1, 28, 28] batch.

import * as nn from '@dl/nn';
import type { Tensor } from '@dl/tensor';

/**
 * The MNIST CNN of the PyTorch examples (examples/mnist): two 3x3 convolutions, max pooling,
 * dropout and two linear layers. Takes [N, 1, 28, 28], returns log-probabilities [N, 10] (train it
 * with F.nllLoss).
 */
export class DigitRecognizer extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3);
  conv2 = new nn.Conv2d(32, 64, 3);
  pool = new nn.MaxPool2d(2);
  dropout1 = new nn.Dropout2d(0.25);
  fc1 = new nn.Linear(64 * 12 * 12, 128);
  dropout2 = new nn.Dropout(0.5);
  fc2 = new nn.Linear(128, 10);

  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== 1 || x.shape[2] !== 28 || x.shape[3] !== 28) {
      throw new Error(
        `DigitRecognizer: expected input of shape [N, 1, 28, 28], got [${x.shape.join(', ')}]`,
      );
    }
    x = nn.F.relu(this.conv1.call(x));
    x = this.pool.call(nn.F.relu(this.conv2.call(x)));
    x = this.dropout1.call(x).flatten(1);
    x = this.dropout2.call(nn.F.relu(this.fc1.call(x)));
    return nn.F.logSoftmax(this.fc2.call(x), 1);
  }
}
