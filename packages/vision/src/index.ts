/**
 * \@dl/vision: datasets (MNIST, FashionMNIST, KMNIST, any IDX set), transforms, PNG I/O and
 * makeGrid, shaped like torchvision. This is the browser entry point: datasets take bytes
 * or URLs; the Node one (index.node.ts) adds files, default data folders and saveImage.
 *
 * @module \@dl/vision
 */

export type { IdxFileBytes } from './datasets/files.js';
export {
  FashionMNIST,
  type IdxDatasetOptions,
  IdxImageDataset,
  KMNIST,
  MNIST,
} from './datasets/idx-dataset.js';
export type { IdxDatasetSpec } from './datasets/spec.js';
export { fashionMnistSpec, kmnistSpec, mnistSpec } from './datasets/spec.js';
export { type MakeGridOptions, makeGrid } from './grid.js';
export {
  defaultIdxMaxBytes,
  gunzip,
  type IdxArray,
  type IdxDType,
  type IdxHeader,
  type IdxOptions,
  isGzip,
  parseIdx,
  parseIdxHeader,
  readIdx,
} from './idx.js';
export { isRawImage, type RawImage, rawImage } from './image.js';
export { md5 } from './md5.js';
/**
 * Models for 28x28 and 32x32 images (DigitRecognizer, LeNet5, ResNets), with PyTorch's layer names
 * so state dicts carry over.
 */
export * as models from './models/index.js';
export {
  type DrawableImage,
  type FromPixelsOptions,
  fromPixels,
  type PixelData,
  type PixelSource,
  type PixelTarget,
  toPixels,
} from './pixels.js';
export {
  type DecodePngOptions,
  decodePng,
  defaultMaxPixels,
  encodePng,
  tensorToImage,
} from './png.js';
/**
 * Image transforms, torchvision.transforms in camelCase: toTensor, normalize, resize, the random
 * augmentations and compose; `functional` holds the operations themselves.
 */
export * as transforms from './transforms/index.js';
