// The transforms namespace: torchvision.transforms in camelCase, plus `functional`.

export { type ImageLike, imageToTensor } from './convert.js';
/**
 * The image operations themselves, as torchvision.transforms.functional: on RawImages and on
 * tensors of any device.
 */
export * as functional from './functional.js';
export {
  centerCrop,
  compose,
  type ImageTransform,
  lambda,
  normalize,
  pad,
  type RandomAffineOptions,
  type RandomCropOptions,
  type RandomOptions,
  type RandomRotationOptions,
  randomAffine,
  randomCrop,
  randomHorizontalFlip,
  randomRotation,
  randomVerticalFlip,
  resize,
  type Transform,
  toTensor,
} from './transforms.js';
