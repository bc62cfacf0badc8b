// PNG reading and writing, and the conversion of image tensors to 8-bit images for saving.
// Decoding checks the file's structure, CRCs and a pixel limit first (png-chunks.ts), then
// decodes row by row as the data inflates (png-decode.ts), in memory bounded by the output
// image; encoding uses fast-png. All pure JavaScript, so the same code runs in Node and in
// browsers.

import { Tensor } from '@dl/tensor';
import { encode } from 'fast-png';
import type { RawImage } from './image.js';
import { checkPng } from './png-chunks.js';
import { decodeImageData } from './png-decode.js';

/**
 * The default pixel limit of decodePng and readImage: Pillow's MAX_IMAGE_PIXELS
 * (89,478,485, a quarter of a gigabyte of RGB), above which Pillow warns of a
 * decompression bomb.
 */
export const defaultMaxPixels = 89_478_485;

/** Options of decodePng and readImage. */
export interface DecodePngOptions {
  /**
   * The most pixels (width × height) an image may have, checked in its header before
   * anything is decompressed: a guard against small files that decode to gigabytes. Default
   * `defaultMaxPixels` (89,478,485, Pillow's limit).
   */
  maxPixels?: number;
}

/** decodePng with the start of its errors: 'decodePng' or 'readImage: <path>'. */
export function decodePngAs(
  bytes: Uint8Array,
  options: DecodePngOptions,
  label: string,
  op: string,
): RawImage {
  const maxPixels = options.maxPixels ?? defaultMaxPixels;
  if (!(Number.isSafeInteger(maxPixels) && maxPixels > 0))
    throw new RangeError(`${op}: maxPixels must be a positive integer, got ${maxPixels}`);
  const { header, palette, idats } = checkPng(bytes, { maxPixels, label, op });
  return decodeImageData(idats, header, palette, label);
}

/**
 * Decodes PNG bytes (any colour type, bit depth and interlacing) to an 8-bit RawImage:
 * 16-bit samples keep their high byte, greyscale below 8 bits is scaled to 0-255, palettes
 * are expanded to RGB, or RGBA with a tRNS chunk. Checks every chunk's CRC and refuses
 * images over `maxPixels` before decompressing anything; memory is the output image.
 */
export function decodePng(bytes: Uint8Array, options: DecodePngOptions = {}): RawImage {
  return decodePngAs(bytes, options, 'decodePng', 'decodePng');
}

/** Encodes an 8-bit RawImage (1 to 4 channels) as PNG bytes. */
export function encodePng(image: RawImage): Uint8Array {
  const { data, width, height, channels } = image;
  if (channels < 1 || channels > 4 || data.length !== width * height * channels)
    throw new Error(
      `encodePng: ${data.length} bytes do not make a ${height}x${width} image of ${channels} channels (1 to 4)`,
    );
  return encode({ data, width, height, channels, depth: 8 });
}

/**
 * A float image tensor [C, H, W] (C = 1, 3 or 4) with values in [0, 1] as an 8-bit
 * RawImage, rounding like torchvision's save_image (x * 255 + 0.5, clamped, truncated).
 * Reads the tensor, so it is asynchronous and works on any device.
 */
export async function tensorToImage(image: Tensor): Promise<RawImage> {
  if (!(image instanceof Tensor) || image.ndim !== 3 || ![1, 3, 4].includes(image.shape[0]!))
    throw new Error(
      `tensorToImage: expected a tensor [C, H, W] with C 1, 3 or 4, got ${image instanceof Tensor ? `[${image.shape.join(', ')}]` : typeof image}`,
    );
  const [channels, height, width] = image.shape as [number, number, number];
  const values = await image.data();
  const plane = height * width;
  const data = new Uint8Array(plane * channels);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < channels; c++) {
      const v = values[c * plane + i]! * 255 + 0.5;
      data[i * channels + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
    }
  }
  return { data, width, height, channels };
}
