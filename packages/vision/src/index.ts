/**
 * \@dl/vision: datasets (MNIST, FashionMNIST, KMNIST, any IDX set), transforms, PNG I/O and
 * makeGrid, shaped like torchvision. This is the browser entry point: datasets take bytes
 * or URLs; the Node one (index.node.ts) adds files, default data folders and saveImage.
 *
 * @module \@dl/vision
 */

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
export { gunzip, type IdxArray, type IdxDType, isGzip, parseIdx, readIdx } from './idx.js';
export { isRawImage, type RawImage, rawImage } from './image.js';
export { md5 } from './md5.js';
export * as models from './models/index.js';
export { decodePng, encodePng, tensorToImage } from './png.js';
export * as transforms from './transforms/index.js';
