// Models for 28x28 and 32x32 images, with PyTorch's layer names so state dicts carry over.

export { DigitRecognizer } from './digit-recognizer.js';
export { LeNet5, type LeNet5Options } from './lenet.js';
export {
  BasicBlock,
  type BasicBlockOptions,
  type ResidualBlock,
  ResNet,
  type ResNetOptions,
  resnet18,
  resnet20,
  resnetCifar,
  resnetMnist,
  type SmallResNetOptions,
  type TensorModule,
} from './resnet.js';
