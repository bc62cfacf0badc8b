// The transforms: functions from a sample to a sample, built by these factories as in
// torchvision.transforms (compose([toTensor(), normalize([0.1307], [0.3081])])). Random
// ones draw from a Generator, the global one by default, so manualSeed repeats them.

import { type Generator, globalGenerator, Tensor, tensor } from '@dl/tensor';
import { isRawImage, type RawImage } from '../image.js';
import { type ImageLike, imageSize, imageToTensor } from './convert.js';
import * as F from './functional.js';

/** A transform: a function from one sample to another, as compose() chains them. */
export type Transform<I, O> = (input: I) => O;
/** A transform that keeps the kind of its input: RawImage to RawImage, tensor to tensor. */
export type ImageTransform = <X extends ImageLike>(input: X) => X;

/**
 * Chains transforms left to right. The result type is the last transform's output; it is
 * given as a type argument (Tensor by default) because TypeScript cannot follow a chain
 * of generic functions through an array.
 */
export function compose<O = Tensor, I = RawImage>(
  transforms: readonly ((input: never) => unknown)[],
): Transform<I, O> {
  const chain = fuse([...transforms]);
  return (input: I): O => {
    let value: unknown = input;
    // Each function gets what the previous one returned; the chain's types are the caller's.
    for (const transform of chain) value = (transform as (input: unknown) => unknown)(value);
    return value as O;
  };
}

/** Transforms compose() may fuse: toTensor followed by normalize becomes one pass. */
const fusable = new WeakMap<object, { mean: number[]; std: number[] } | 'toTensor'>();

/**
 * toTensor then normalize, in one pass over the pixels and one tensor instead of two: the
 * same float32 values (p / 255, then (v - mean) / std, each rounded to float32), at about
 * half the cost per MNIST image, which is most of what a DataLoader epoch spends.
 */
function fuse(chain: ((input: never) => unknown)[]): ((input: never) => unknown)[] {
  const out: ((input: never) => unknown)[] = [];
  for (let i = 0; i < chain.length; i++) {
    const next = chain[i + 1];
    const stats = next ? fusable.get(next) : undefined;
    if (fusable.get(chain[i]!) === 'toTensor' && next && stats && stats !== 'toTensor') {
      const separate = (input: RawImage | Tensor) => next(toTensorOnce(input) as never);
      out.push((input: RawImage | Tensor) =>
        isRawImage(input) ? normalizedTensor(input, stats.mean, stats.std) : separate(input),
      );
      i++;
    } else {
      out.push(chain[i]!);
    }
  }
  return out;
}

function toTensorOnce(input: RawImage | Tensor): Tensor {
  if (input instanceof Tensor) return input;
  if (!isRawImage(input))
    throw new Error(`toTensor: expected a RawImage (uint8 HWC) or a tensor, got ${typeof input}`);
  return imageToTensor(input);
}

function normalizedTensor(
  image: RawImage,
  mean: readonly number[],
  std: readonly number[],
): Tensor {
  const { data, height, width, channels } = image;
  if (mean.length !== 1 && mean.length !== channels)
    throw new Error(
      `normalize: ${mean.length} means and stds for a tensor of ${channels} channels`,
    );
  const plane = height * width;
  const out = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    const m = mean[mean.length === 1 ? 0 : c]!;
    const s = std[std.length === 1 ? 0 : c]!;
    for (let i = 0; i < plane; i++) {
      out[c * plane + i] = Math.fround(Math.fround(data[i * channels + c]! / 255) - m) / s;
    }
  }
  return tensor(out).reshape(channels, height, width);
}

/** A user function as a transform (torchvision's Lambda). */
export function lambda<I, O>(fn: (input: I) => O): Transform<I, O> {
  return fn;
}

/** RawImage (uint8 HWC) to a float32 [C, H, W] tensor in [0, 1]; tensors pass through. */
export function toTensor(): Transform<RawImage | Tensor, Tensor> {
  const transform = (input: RawImage | Tensor) => toTensorOnce(input);
  fusable.set(transform, 'toTensor');
  return transform;
}

/**
 * (x - mean[c]) / std[c] per channel of a float tensor [..., C, H, W], like torchvision's
 * Normalize (mean and std rounded to float32 as torch does). On the CPU it is computed in
 * place of a copy in one pass; on other devices with tensor ops.
 */
export function normalize(
  mean: readonly number[],
  std: readonly number[],
): Transform<Tensor, Tensor> {
  if (mean.length === 0 || mean.length !== std.length)
    throw new RangeError(
      `normalize: mean and std need the same, nonzero length, got ${mean.length} and ${std.length}`,
    );
  const mean32 = mean.map(Math.fround);
  const std32 = std.map(Math.fround);
  std32.forEach((s, c) => {
    if (s === 0) throw new RangeError(`normalize: std[${c}] is 0, which would divide by zero`);
  });
  const transform = (x: Tensor): Tensor => {
    if (!(x instanceof Tensor) || x.ndim < 3)
      throw new Error(
        `normalize: expected a float tensor [..., C, H, W], got ${x instanceof Tensor ? `shape [${x.shape.join(', ')}]` : typeof x}`,
      );
    if (x.dtype !== 'float32' && x.dtype !== 'float64')
      throw new Error(`normalize: expected a float tensor, got ${x.dtype}`);
    const channels = x.shape[x.ndim - 3]!;
    if (mean32.length !== 1 && mean32.length !== channels)
      throw new Error(
        `normalize: ${mean32.length} means and stds for a tensor of ${channels} channels`,
      );
    const [h, w] = imageSize(x);
    const plane = h * w;
    if (x.device.readSync && x.dtype === 'float32') {
      const values = x.dataSync();
      const out = new Float32Array(values.length);
      for (let start = 0, c = 0; start < values.length; start += plane, c = (c + 1) % channels) {
        const m = mean32[mean32.length === 1 ? 0 : c]!;
        const s = std32[std32.length === 1 ? 0 : c]!;
        // Two float32 roundings, as torch's sub then div.
        for (let i = start; i < start + plane; i++) out[i] = Math.fround(values[i]! - m) / s;
      }
      return tensor(out, { device: x.device }).reshape(x.shape);
    }
    const shape = [mean32.length, 1, 1];
    const m = tensor(mean32, { dtype: x.dtype, device: x.device }).reshape(shape);
    const s = tensor(std32, { dtype: x.dtype, device: x.device }).reshape(shape);
    return x.sub(m).div(s);
  };
  fusable.set(transform, { mean: mean32, std: std32 });
  return transform;
}

function uniform(generator: Generator, low: number, high: number): number {
  return low + (high - low) * generator.nextFloat();
}

function rangeOf(value: number | readonly [number, number], what: string): [number, number] {
  if (typeof value === 'number') {
    if (value < 0)
      throw new RangeError(`${what}: a single number must be non-negative, got ${value}`);
    return [-value, value];
  }
  if (value.length !== 2 || value[0] > value[1])
    throw new RangeError(`${what}: expected [min, max] with min <= max, got [${value.join(', ')}]`);
  return [value[0], value[1]];
}

/** The Generator a random transform draws from. */
export interface RandomOptions {
  /** The generator to draw from; the global one (manualSeed) by default. */
  generator?: Generator;
}

/** Flips left to right with probability p. */
export function randomHorizontalFlip(p = 0.5, options: RandomOptions = {}): ImageTransform {
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`randomHorizontalFlip: p should be in [0, 1], got ${p}`);
  return (input) =>
    (options.generator ?? globalGenerator()).nextFloat() < p ? F.hflip(input) : input;
}

/** Flips top to bottom with probability p. */
export function randomVerticalFlip(p = 0.5, options: RandomOptions = {}): ImageTransform {
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`randomVerticalFlip: p should be in [0, 1], got ${p}`);
  return (input) =>
    (options.generator ?? globalGenerator()).nextFloat() < p ? F.vflip(input) : input;
}

/**
 * Options of randomCrop, as torchvision's RandomCrop: no padding, fill 0, paddingMode 'constant' by
 * default.
 */
export interface RandomCropOptions extends RandomOptions {
  /** Padding added first: n, [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | readonly number[];
  /** Pad images smaller than the crop. */
  padIfNeeded?: boolean;
  fill?: number;
  paddingMode?: F.PaddingMode;
}

/** A crop of `size` at a random place, after optional padding (torchvision's RandomCrop). */
export function randomCrop(
  size: number | readonly [number, number],
  options: RandomCropOptions = {},
): ImageTransform {
  const [th, tw] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(th) && th > 0 && Number.isInteger(tw) && tw > 0))
    throw new RangeError(`randomCrop: size must be positive integers, got [${th}, ${tw}]`);
  if (options.padding !== undefined) F.paddingOf(options.padding, 'randomCrop');
  const padOptions = { fill: options.fill ?? 0, paddingMode: options.paddingMode ?? 'constant' };
  return <X extends ImageLike>(input: X): X => {
    let image = input;
    if (options.padding !== undefined) image = F.pad(image, options.padding, padOptions);
    let [h, w] = imageSize(image);
    if (options.padIfNeeded && w < tw) image = F.pad(image, [tw - w, 0], padOptions);
    [h, w] = imageSize(image);
    if (options.padIfNeeded && h < th) image = F.pad(image, [0, th - h], padOptions);
    [h, w] = imageSize(image);
    if (h < th || w < tw)
      throw new Error(
        `randomCrop: required crop size [${th}, ${tw}] is larger than the input image size [${h}, ${w}]`,
      );
    const generator = options.generator ?? globalGenerator();
    const top = generator.nextInt(0, h - th + 1);
    const left = generator.nextInt(0, w - tw + 1);
    return F.crop(image, top, left, th, tw);
  };
}

/** The central crop (torchvision's CenterCrop). */
export function centerCrop(size: number | readonly [number, number]): ImageTransform {
  return (input) => F.centerCrop(input, size);
}

/** Resizes (see functional resize). */
export function resize(
  size: number | readonly [number, number],
  options: { interpolation?: F.Interpolation } = {},
): ImageTransform {
  return (input) => F.resize(input, size, options);
}

/** Pads the borders (see functional pad). */
export function pad(
  padding: number | readonly number[],
  options: { fill?: number; paddingMode?: F.PaddingMode } = {},
): ImageTransform {
  F.paddingOf(padding, 'pad');
  return (input) => F.pad(input, padding, options);
}

/**
 * Options of randomRotation, as torchvision's RandomRotation: nearest interpolation, fill 0, about
 * the centre by default.
 */
export interface RandomRotationOptions extends RandomOptions {
  interpolation?: F.Interpolation;
  fill?: number;
  center?: readonly [number, number];
}

/** Rotates by an angle drawn uniformly from degrees ([-d, d] for a number), counter-clockwise. */
export function randomRotation(
  degrees: number | readonly [number, number],
  options: RandomRotationOptions = {},
): ImageTransform {
  const [low, high] = rangeOf(degrees, 'randomRotation degrees');
  const { generator: _generator, ...rest } = options;
  return (input) =>
    F.rotate(input, uniform(options.generator ?? globalGenerator(), low, high), rest);
}

/**
 * Options of randomAffine, as torchvision's RandomAffine: no translation, scaling or shear by
 * default; nearest interpolation, fill 0.
 */
export interface RandomAffineOptions extends RandomOptions {
  /** Fractions of width and height: dx drawn from [-a*W, a*W], dy from [-b*H, b*H], rounded. */
  translate?: readonly [number, number];
  /** Scale drawn from [min, max]. */
  scale?: readonly [number, number];
  /** Degrees: x shear from [-s, s] or [min, max]; four values also draw a y shear. */
  shear?: number | readonly number[];
  interpolation?: F.Interpolation;
  fill?: number;
  center?: readonly [number, number];
}

/** Random rotation (degrees, clockwise as in torchvision's affine), translation, scale and shear. */
export function randomAffine(
  degrees: number | readonly [number, number],
  options: RandomAffineOptions = {},
): ImageTransform {
  const [low, high] = rangeOf(degrees, 'randomAffine degrees');
  const { translate, scale } = options;
  if (translate && !translate.every((t) => t >= 0 && t <= 1))
    throw new RangeError(
      `randomAffine: translate values should be in [0, 1], got [${translate.join(', ')}]`,
    );
  if (scale && !(scale[0] > 0 && scale[0] <= scale[1]))
    throw new RangeError(
      `randomAffine: scale should be [min, max] with 0 < min <= max, got [${scale.join(', ')}]`,
    );
  let shear: number[] | undefined;
  if (options.shear !== undefined) {
    const s = options.shear;
    if (typeof s === 'number') shear = rangeOf(s, 'randomAffine shear');
    else if (s.length === 2 || s.length === 4) shear = [...s];
    else
      throw new RangeError(
        `randomAffine: shear should be a number or 2 or 4 values, got ${s.length}`,
      );
  }
  return <X extends ImageLike>(input: X): X => {
    const generator = options.generator ?? globalGenerator();
    const [h, w] = imageSize(input);
    // Drawn in torchvision's order: angle, translation, scale, shear.
    const angle = uniform(generator, low, high);
    let dx = 0;
    let dy = 0;
    if (translate) {
      const maxDx = translate[0] * w;
      const maxDy = translate[1] * h;
      dx = Math.round(uniform(generator, -maxDx, maxDx));
      dy = Math.round(uniform(generator, -maxDy, maxDy));
    }
    const s = scale ? uniform(generator, scale[0], scale[1]) : 1;
    let shearX = 0;
    let shearY = 0;
    if (shear) {
      shearX = uniform(generator, shear[0]!, shear[1]!);
      if (shear.length === 4) shearY = uniform(generator, shear[2]!, shear[3]!);
    }
    const affineOptions: F.AffineOptions = {
      angle,
      translate: [dx, dy],
      scale: s,
      shear: [shearX, shearY],
    };
    if (options.interpolation) affineOptions.interpolation = options.interpolation;
    if (options.fill !== undefined) affineOptions.fill = options.fill;
    if (options.center) affineOptions.center = options.center;
    return F.affine(input, affineOptions);
  };
}
