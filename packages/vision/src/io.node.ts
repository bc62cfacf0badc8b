// Image files in Node: saveImage writes a tensor (or a batch, as a grid) or a RawImage to a
// PNG file; readImage reads one.

import { readFile, writeFile } from 'node:fs/promises';
import { Tensor } from '@dl/tensor';
import { type MakeGridOptions, makeGrid } from './grid.js';
import type { RawImage } from './image.js';
import { type DecodePngOptions, decodePngAs, encodePng, tensorToImage } from './png.js';

/**
 * Saves an image to a PNG file: a RawImage, a float tensor [C, H, W] in [0, 1], or a
 * batch [N, C, H, W] laid out by makeGrid (its options apply), like torchvision's save_image.
 */
export async function saveImage(
  image: Tensor | RawImage,
  path: string,
  options: MakeGridOptions = {},
): Promise<void> {
  let raw: RawImage;
  if (image instanceof Tensor) {
    const single = image.ndim === 3 && [1, 3, 4].includes(image.shape[0]!) && !options.normalize;
    raw = await tensorToImage(single ? image : makeGrid(image, options));
  } else {
    raw = image;
  }
  await writeFile(path, encodePng(raw));
}

/**
 * Reads a PNG file as an 8-bit RawImage, with decodePng's checks; errors name the file.
 * `maxPixels` (default 89,478,485, Pillow's limit) bounds the image's size.
 */
export async function readImage(path: string, options: DecodePngOptions = {}): Promise<RawImage> {
  const bytes = await readFile(path);
  return decodePngAs(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    options,
    `readImage: ${path}`,
    'readImage',
  );
}
