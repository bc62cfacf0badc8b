// The geometric transforms computed directly on host arrays, for RawImages and float32 CPU
// tensors: one pass per image instead of several tensor ops, which matters when a
// DataLoader augments 60,000 small images an epoch. Same results as the tensor-op path
// (functional.ts), which serves every other device; the tests check both against PyTorch.

import { Tensor, tensor } from '@dl/tensor';
import { isRawImage, type RawImage } from '../image.js';
import type { ImageLike } from './convert.js';

/** Image planes: `planes` float32 images of height x width, one after another. */
export interface Planes {
  readonly data: Float32Array;
  readonly planes: number;
  readonly height: number;
  readonly width: number;
}

/** Whether the host path applies: a RawImage, or a float32 tensor on a device with synchronous reads. */
export function onHost(input: ImageLike): boolean {
  if (input instanceof Tensor)
    return input.dtype === 'float32' && input.device.readSync !== undefined && input.ndim >= 2;
  return isRawImage(input);
}

function toPlanes(input: ImageLike): Planes {
  if (input instanceof Tensor) {
    const height = input.shape[input.ndim - 2]!;
    const width = input.shape[input.ndim - 1]!;
    const data = input.dataSync();
    // dataSync of a float32 tensor is a Float32Array; it is only read.
    return { data: data as Float32Array, planes: data.length / (height * width), height, width };
  }
  const { data, height, width, channels } = input;
  const plane = height * width;
  const out = new Float32Array(plane * channels);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < channels; c++) out[c * plane + i] = data[i * channels + c]!;
  return { data: out, planes: channels, height, width };
}

function fromPlanes<X extends ImageLike>(planes: Planes, like: X): X {
  const { data, height, width } = planes;
  if (like instanceof Tensor) {
    // X is Tensor here.
    return tensor(data, { device: like.device }).reshape([
      ...like.shape.slice(0, -2),
      height,
      width,
    ]) as X;
  }
  const channels = planes.planes;
  const plane = height * width;
  const out = new Uint8Array(plane * channels);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < channels; c++) {
      const v = Math.round(data[c * plane + i]!);
      out[i * channels + c] = Math.min(255, Math.max(0, v));
    }
  }
  const image: RawImage = { data: out, height, width, channels };
  return image as X;
}

/** Runs `kernel` on the input's planes and returns the result in the input's form. */
export function onPlanes<X extends ImageLike>(input: X, kernel: (planes: Planes) => Planes): X {
  return fromPlanes(kernel(toPlanes(input)), input);
}

/** out[y, x] = in[index[y * width + x]] for every plane, or `fill` where the index is -1. */
export function gather(
  planes: Planes,
  index: Int32Array,
  height: number,
  width: number,
  fill: number,
): Planes {
  const inPlane = planes.height * planes.width;
  const outPlane = height * width;
  const out = new Float32Array(outPlane * planes.planes);
  for (let p = 0; p < planes.planes; p++) {
    const source = p * inPlane;
    const target = p * outPlane;
    for (let k = 0; k < outPlane; k++) {
      const i = index[k]!;
      out[target + k] = i < 0 ? fill : planes.data[source + i]!;
    }
  }
  return { data: out, planes: planes.planes, height, width };
}

/**
 * out = (sum of corner values * weights) * coverage + (1 - coverage) * fill, the bilinear
 * sampling with torchvision's fill rule; corners are 4 index/weight arrays (weight 0 outside).
 */
export function blend(
  planes: Planes,
  corners: readonly { index: Int32Array; weight: Float32Array }[],
  coverage: Float32Array,
  fill: number,
): Planes {
  const plane = planes.height * planes.width;
  const out = new Float32Array(plane * planes.planes);
  for (let p = 0; p < planes.planes; p++) {
    const base = p * plane;
    for (let k = 0; k < plane; k++) {
      let sum = 0;
      for (const { index, weight } of corners) sum += planes.data[base + index[k]!]! * weight[k]!;
      const mask = coverage[k]!;
      out[base + k] = sum * mask + (1 - mask) * fill;
    }
  }
  return { data: out, planes: planes.planes, height: planes.height, width: planes.width };
}

/**
 * Resizes every plane like interpolate (alignCorners false, no antialiasing): bilinear
 * from source coordinate (dst + 0.5) * in / out - 0.5 clamped at 0, or nearest floor(dst * in / out).
 */
export function resizePlanes(
  planes: Planes,
  height: number,
  width: number,
  mode: 'nearest' | 'bilinear',
): Planes {
  const { height: inH, width: inW } = planes;
  const axis = (outSize: number, inSize: number) => {
    const scale = inSize / outSize;
    const low = new Int32Array(outSize);
    const high = new Int32Array(outSize);
    const frac = new Float64Array(outSize);
    for (let d = 0; d < outSize; d++) {
      if (mode === 'nearest') {
        low[d] = Math.min(Math.floor(d * scale), inSize - 1);
        high[d] = low[d]!;
        continue;
      }
      const source = Math.max(0, (d + 0.5) * scale - 0.5);
      const i0 = Math.min(Math.floor(source), inSize - 1);
      low[d] = i0;
      high[d] = Math.min(i0 + 1, inSize - 1);
      frac[d] = source - i0;
    }
    return { low, high, frac };
  };
  const ys = axis(height, inH);
  const xs = axis(width, inW);
  const out = new Float32Array(height * width * planes.planes);
  for (let p = 0; p < planes.planes; p++) {
    const base = p * inH * inW;
    const target = p * height * width;
    for (let y = 0; y < height; y++) {
      const r0 = base + ys.low[y]! * inW;
      const r1 = base + ys.high[y]! * inW;
      const fy = ys.frac[y]!;
      for (let x = 0; x < width; x++) {
        const c0 = xs.low[x]!;
        const c1 = xs.high[x]!;
        const fx = xs.frac[x]!;
        const top = planes.data[r0 + c0]! * (1 - fx) + planes.data[r0 + c1]! * fx;
        const bottom = planes.data[r1 + c0]! * (1 - fx) + planes.data[r1 + c1]! * fx;
        out[target + y * width + x] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return { data: out, planes: planes.planes, height, width };
}
