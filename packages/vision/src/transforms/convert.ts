// Between RawImage and tensors: toTensor (uint8 HWC to float [0, 1] CHW, like torchvision's
// ToTensor), and the float CHW working form the geometric transforms use on RawImages.

import { Tensor, tensor } from '@dl/tensor';
import { isRawImage, type RawImage } from '../image.js';

/** What the geometric transforms accept: a RawImage, or a tensor [..., H, W] on any device. */
export type ImageLike = RawImage | Tensor;

/** A RawImage as a float32 CHW tensor scaled to [0, 1] (values / 255, as torchvision divides). */
export function imageToTensor(image: RawImage): Tensor {
  const { data, height, width, channels } = image;
  const plane = height * width;
  const out = new Float32Array(plane * channels);
  if (channels === 1) {
    for (let i = 0; i < plane; i++) out[i] = data[i]! / 255;
  } else {
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < channels; c++) out[c * plane + i] = data[i * channels + c]! / 255;
  }
  return tensor(out).reshape(channels, height, width);
}

/** A RawImage as float32 [C, H, W] with values 0..255 (no scaling). */
export function imageToPlanes(image: RawImage): Tensor {
  const { data, height, width, channels } = image;
  const plane = height * width;
  const out = new Float32Array(plane * channels);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < channels; c++) out[c * plane + i] = data[i * channels + c]!;
  return tensor(out).reshape(channels, height, width);
}

/** A CPU tensor [C, H, W] of values 0..255 back to a RawImage, rounding and clamping. */
export function planesToImage(planes: Tensor): RawImage {
  const [channels, height, width] = planes.shape as [number, number, number];
  const values = planes.contiguous().dataSync();
  const plane = height * width;
  const data = new Uint8Array(plane * channels);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < channels; c++)
      data[i * channels + c] = Math.min(255, Math.max(0, Math.round(values[c * plane + i]!)));
  return { data, height, width, channels };
}

/** Applies a tensor function to a tensor, or to a RawImage through its float planes. */
export function onTensor<X extends ImageLike>(
  input: X,
  what: string,
  fn: (x: Tensor) => Tensor,
): X {
  if (input instanceof Tensor) {
    if (input.ndim < 2)
      throw new Error(
        `${what}: expected a tensor [..., H, W], got shape [${input.shape.join(', ')}]`,
      );
    return fn(input) as X;
  }
  if (!isRawImage(input))
    throw new Error(`${what}: expected a RawImage or a tensor [..., H, W], got ${typeof input}`);
  // X is RawImage here; the result is one too.
  return planesToImage(fn(imageToPlanes(input))) as X;
}

/** Height and width of an image or tensor [..., H, W]. */
export function imageSize(input: ImageLike): [number, number] {
  if (input instanceof Tensor) return [input.shape[input.ndim - 2]!, input.shape[input.ndim - 1]!];
  return [input.height, input.width];
}
