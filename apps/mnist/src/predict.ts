// predict: one PNG of a digit, any size and colour type, brought to what the model saw in
// training (grey, light digit on dark ground, 28x28, normalised), and its class probabilities.

import { type Backend, noGrad, type Tensor } from '@dl/tensor';
import { type RawImage, rawImage, readImage, transforms } from '@dl/vision';
import type { DatasetName } from './args.js';
import { UsageError } from './args.js';
import { normalization } from './data.js';
import { describeFsError } from './files.js';

/** ITU-R 601-2 luma, as PIL's convert('L'); alpha composites over black (MNIST's ground). */
export function toGrey(image: RawImage): RawImage {
  const { data, height, width, channels } = image;
  if (channels === 1) return image;
  const grey = new Uint8Array(height * width);
  for (let i = 0; i < height * width; i++) {
    const p = i * channels;
    const alpha = channels === 2 || channels === 4 ? data[p + channels - 1]! / 255 : 1;
    const luma =
      channels >= 3 ? 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]! : data[p]!;
    grey[i] = Math.round(luma * alpha);
  }
  return rawImage(grey, height, width, 1);
}

export interface Prepared {
  input: Tensor;
  /** Whether the image was inverted (a dark digit on a light ground). */
  inverted: boolean;
  size: [number, number];
}

/** The model's input [1, 1, 28, 28] for an image of any size. */
export function prepare(image: RawImage, dataset: DatasetName): Prepared {
  let grey = toGrey(image);
  const mean = grey.data.reduce((s, v) => s + v, 0) / grey.data.length;
  // MNIST digits are light on black; a drawing on paper is the other way round.
  const inverted = mean > 127;
  if (inverted)
    grey = rawImage(
      grey.data.map((v) => 255 - v),
      grey.height,
      grey.width,
      1,
    );
  const { mean: m, std } = normalization[dataset];
  const steps = [transforms.toTensor(), transforms.normalize([m], [std])];
  const resize = grey.height === 28 && grey.width === 28 ? [] : [transforms.resize([28, 28])];
  const input = transforms.compose<Tensor, RawImage>([...resize, ...steps])(grey);
  return { input: input.unsqueeze(0), inverted, size: [image.height, image.width] };
}

export async function readDigit(path: string): Promise<RawImage> {
  try {
    return await readImage(path);
  } catch (error) {
    // @dl/vision's own errors name the file already; file-system errors do not.
    const message = error instanceof Error ? error.message : String(error);
    const fsError = error instanceof Error && 'code' in error;
    throw new UsageError(
      !fsError && message.includes(path)
        ? message
        : `cannot read image ${path}: ${describeFsError(error)}`,
    );
  }
}

export async function probabilities(
  model: { eval(): unknown; forward(x: Tensor): Tensor },
  input: Tensor,
  device: Backend | 'cpu',
): Promise<number[]> {
  model.eval();
  const p = noGrad(() => model.forward(input.to(device)).exp());
  return Array.from(await p.data());
}
