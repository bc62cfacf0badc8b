// fromPixels and toPixels: between the browser's images (ImageData, canvases, ImageBitmap,
// <img>, <video>, VideoFrame) and float tensors [C, H, W] in [0, 1], like TensorFlow.js's
// tf.browser.fromPixels / toPixels with torchvision's layout and scaling.

import { type DeviceLike, type Tensor, tensor } from '@dl/tensor';

/** Pixels as ImageData holds them: RGBA bytes, row by row (any object with these fields). */
export interface PixelData {
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * What fromPixels reads: ImageData (or any `{ data, width, height }` of RGBA bytes, in every
 * runtime), or, in a browser, a canvas, an OffscreenCanvas, an ImageBitmap, an `<img>`, a
 * `<video>` or a VideoFrame (drawn onto an OffscreenCanvas to read its pixels).
 */
export type PixelSource = PixelData | DrawableImage;

/**
 * A browser image fromPixels can draw: an HTML or offscreen canvas, an ImageBitmap, an `<img>`,
 * a `<video>` or a VideoFrame (spelled out by the sizes they have, so that the package's types
 * do not need the DOM library).
 */
export interface DrawableImage {
  /** A canvas's, ImageBitmap's or element's width. */
  readonly width?: unknown;
  /** A canvas's, ImageBitmap's or element's height. */
  readonly height?: unknown;
  /** An `<img>`'s width in pixels. */
  readonly naturalWidth?: number;
  /** A `<video>`'s width in pixels. */
  readonly videoWidth?: number;
  /** A VideoFrame's width in pixels. */
  readonly displayWidth?: number;
}

/** Options of fromPixels. */
export interface FromPixelsOptions {
  /** 1 (grey, luma as PIL's convert('L') computes it), 3 (RGB, the default) or 4 (RGBA). */
  channels?: 1 | 3 | 4;
  /** Per-channel mean and standard deviation to subtract and divide by after scaling to [0, 1]. */
  normalize?: { mean: number | readonly number[]; std: number | readonly number[] };
  /** Where the tensor is made (the CPU by default). */
  device?: DeviceLike;
}

function isPixelData(source: unknown): source is PixelData {
  return (
    typeof source === 'object' &&
    source !== null &&
    'data' in source &&
    (source.data instanceof Uint8ClampedArray || source.data instanceof Uint8Array) &&
    'width' in source &&
    'height' in source
  );
}

/** The drawn size of a browser image source. */
function sizeOf(source: object): [number, number] {
  const s = source as Record<string, unknown>;
  const pick = (...names: string[]): number => {
    for (const name of names) {
      const v = s[name];
      if (typeof v === 'number' && v > 0) return v;
    }
    return 0;
  };
  // Order matters: an <img> has width (its layout size) and naturalWidth (its pixels).
  const width = pick('videoWidth', 'naturalWidth', 'displayWidth', 'width');
  const height = pick('videoHeight', 'naturalHeight', 'displayHeight', 'height');
  return [width, height];
}

function sourceName(source: unknown): string {
  if (source === null) return 'null';
  if (typeof source !== 'object') return typeof source;
  return (source as object).constructor?.name ?? 'object';
}

/** Reads the RGBA pixels of an ImageData-like object or a drawable browser image. */
export function readPixels(source: PixelSource, what = 'fromPixels'): PixelData {
  if (isPixelData(source)) {
    const { data, width, height } = source;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
      throw new RangeError(
        `${what}: width and height must be positive integers, got ${width}x${height}`,
      );
    if (data.length !== width * height * 4)
      throw new RangeError(
        `${what}: ${data.length} bytes are not a ${width}x${height} RGBA image (${width * height * 4} bytes)`,
      );
    return source;
  }
  if (typeof source !== 'object' || source === null)
    throw new TypeError(
      `${what}: expected ImageData, a canvas, an ImageBitmap, an image, a video or a VideoFrame, got ${sourceName(source)}`,
    );
  if (typeof OffscreenCanvas === 'undefined')
    throw new TypeError(
      `${what}: reading a ${sourceName(source)} needs OffscreenCanvas (a browser); outside one pass { data, width, height } of RGBA bytes`,
    );
  const [width, height] = sizeOf(source);
  if (width === 0 || height === 0)
    throw new RangeError(
      `${what}: the ${sourceName(source)} has no pixels yet (${width}x${height}); wait until an image or video has loaded`,
    );
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error(`${what}: could not get a 2D context of an OffscreenCanvas`);
  // The DOM's own check: drawImage throws a TypeError naming what it cannot draw.
  ctx.drawImage(source as CanvasImageSource, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

function perChannel(
  name: string,
  value: number | readonly number[],
  channels: number,
): readonly number[] {
  const values = typeof value === 'number' ? new Array<number>(channels).fill(value) : value;
  if (values.length !== channels)
    throw new RangeError(
      `fromPixels: normalize.${name} has ${values.length} value(s) for ${channels} channel(s)`,
    );
  return values;
}

/**
 * The pixels of an image as a float32 tensor [C, H, W] in [0, 1], as toTensor makes them
 * (tf.browser.fromPixels, with torchvision's layout). `channels: 1` gives luma as PIL's
 * convert('L') rounds it (299/1000 R + 587/1000 G + 114/1000 B), `3` drops alpha, `4` keeps it;
 * `normalize` subtracts the mean and divides by the standard deviation per channel.
 *
 * @example
 * ```ts
 * const x = fromPixels(canvas, { normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } });
 * ```
 */
export function fromPixels(source: PixelSource, options: FromPixelsOptions = {}): Tensor {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new RangeError(`fromPixels: channels must be 1, 3 or 4, got ${String(channels)}`);
  const { data, width, height } = readPixels(source);
  const plane = width * height;
  const out = new Float32Array(plane * channels);
  if (channels === 1) {
    for (let i = 0; i < plane; i++) {
      const r = data[4 * i]!;
      const g = data[4 * i + 1]!;
      const b = data[4 * i + 2]!;
      // PIL's L24: fixed-point 16.16 weights, rounded.
      out[i] = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255;
    }
  } else {
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < channels; c++) out[c * plane + i] = data[4 * i + c]! / 255;
  }
  if (options.normalize) {
    const mean = perChannel('mean', options.normalize.mean, channels);
    const std = perChannel('std', options.normalize.std, channels);
    for (let c = 0; c < channels; c++) {
      if (!(std[c]! !== 0))
        throw new RangeError(`fromPixels: normalize.std[${c}] is ${std[c]}; it must not be 0`);
      for (let i = c * plane; i < (c + 1) * plane; i++) out[i] = (out[i]! - mean[c]!) / std[c]!;
    }
  }
  const tensorOptions = options.device === undefined ? {} : { device: options.device };
  return tensor(out, tensorOptions).reshape(channels, height, width);
}

/**
 * Where toPixels draws: an HTML canvas or an OffscreenCanvas (spelled out so that the package's
 * types do not need the DOM library).
 */
export interface PixelTarget {
  /** Set to the image's width. */
  width: number;
  /** Set to the image's height. */
  height: number;
  /** The canvas's 2D context, which receives the pixels. */
  getContext(contextId: '2d'): unknown;
}

/**
 * A tensor [C, H, W] (C 1, 3 or 4) or [H, W] as RGBA pixels, drawn onto `canvas` when one is
 * given (resized to the image). Float tensors are read as values in [0, 1], integer tensors as
 * 0..255; values are rounded and clamped. Returns ImageData where it exists, else an object of
 * the same fields. Reads the tensor, so it is async (tf.browser.toPixels).
 */
export async function toPixels(image: Tensor, canvas?: PixelTarget): Promise<PixelData> {
  const shape = image.shape;
  let channels: number;
  let height: number;
  let width: number;
  if (shape.length === 2) [channels, height, width] = [1, shape[0]!, shape[1]!];
  else if (shape.length === 3) [channels, height, width] = [shape[0]!, shape[1]!, shape[2]!];
  else
    throw new RangeError(
      `toPixels: expected a tensor [C, H, W] or [H, W], got shape [${shape.join(', ')}]`,
    );
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new RangeError(
      `toPixels: expected 1, 3 or 4 channels in [C, H, W], got ${channels} (shape [${shape.join(', ')}]); an [H, W, C] tensor needs .permute(2, 0, 1)`,
    );
  if (height === 0 || width === 0)
    throw new RangeError(`toPixels: the image is empty (shape [${shape.join(', ')}])`);
  const isFloat = image.dtype === 'float32' || image.dtype === 'float64';
  if (image.dtype === 'bool') throw new TypeError('toPixels: got a bool tensor; convert it first');
  const values = await image.contiguous().data();
  const scale = isFloat ? 255 : 1;
  const plane = width * height;
  const data = new Uint8ClampedArray(plane * 4);
  const byte = (v: number): number => (Number.isNaN(v) ? 0 : Math.round(v * scale));
  for (let i = 0; i < plane; i++) {
    if (channels === 1) {
      const v = byte(Number(values[i]));
      data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
      data[4 * i + 3] = 255;
    } else {
      for (let c = 0; c < 3; c++) data[4 * i + c] = byte(Number(values[c * plane + i]));
      data[4 * i + 3] = channels === 4 ? byte(Number(values[3 * plane + i])) : 255;
    }
  }
  const pixels: PixelData =
    typeof ImageData === 'undefined' ? { data, width, height } : new ImageData(data, width, height);
  if (canvas) {
    canvas.width = width;
    canvas.height = height;
    // PixelTarget spells the canvas out without the DOM types; its 2D context has putImageData.
    const ctx = canvas.getContext('2d') as {
      putImageData(image: ImageData, dx: number, dy: number): void;
    } | null;
    if (!ctx) throw new Error('toPixels: the canvas has no 2D context (does it hold a WebGL one?)');
    ctx.putImageData(pixels as ImageData, 0, 0); // ImageData here: a canvas exists
  }
  return pixels;
}
