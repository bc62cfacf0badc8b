// Image operations with torchvision.transforms.functional's semantics, on RawImages and on
// tensors [..., H, W] of any device (batches included: every leading dimension is carried
// along). RawImages and float32 CPU tensors take the host path (host.ts, one pass over the
// pixels); other tensors are transformed with tensor ops, so they stay on their device.

import { interpolate, pad as padTensor, type Tensor, tensor, where } from '@dl/tensor';
import { type ImageLike, imageSize, onTensor } from './convert.js';
import { blend, gather, onHost, onPlanes, resizePlanes } from './host.js';

/** For each output pixel (y, x), the flat input index `source(y, x)` returns (-1: outside). */
function indexMap(
  height: number,
  width: number,
  source: (y: number, x: number) => number,
): Int32Array {
  const index = new Int32Array(height * width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) index[y * width + x] = source(y, x);
  return index;
}

/**
 * How pad fills the border: with a constant, by repeating the edge pixel, or by mirroring without
 * the edge (torchvision's padding_mode).
 */
export type PaddingMode = 'constant' | 'edge' | 'reflect';
/** How resampling picks values: the nearest pixel, or bilinear interpolation. */
export type Interpolation = 'nearest' | 'bilinear';

/** [left, top, right, bottom] from torchvision's padding forms: n, [lr, tb] or [l, t, r, b]. */
export function paddingOf(
  padding: number | readonly number[],
  what: string,
): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : [...padding];
  if (!p.every((v) => Number.isInteger(v) && v >= 0))
    throw new RangeError(
      `${what}: padding values must be non-negative integers, got [${p.join(', ')}]`,
    );
  if (p.length === 1) return [p[0]!, p[0]!, p[0]!, p[0]!];
  if (p.length === 2) return [p[0]!, p[1]!, p[0]!, p[1]!];
  if (p.length === 4) return [p[0]!, p[1]!, p[2]!, p[3]!];
  throw new RangeError(
    `${what}: padding must be one number or a sequence of 2 or 4, got ${p.length} values`,
  );
}

/** Flips left to right. */
export function hflip<X extends ImageLike>(input: X): X {
  if (onHost(input)) {
    const [h, w] = imageSize(input);
    return onPlanes(input, (p) =>
      gather(
        p,
        indexMap(h, w, (y, x) => y * w + (w - 1 - x)),
        h,
        w,
        0,
      ),
    );
  }
  return onTensor(input, 'hflip', (x) => x.flip(-1));
}

/** Flips top to bottom. */
export function vflip<X extends ImageLike>(input: X): X {
  if (onHost(input)) {
    const [h, w] = imageSize(input);
    return onPlanes(input, (p) =>
      gather(
        p,
        indexMap(h, w, (y, x) => (h - 1 - y) * w + x),
        h,
        w,
        0,
      ),
    );
  }
  return onTensor(input, 'vflip', (x) => x.flip(-2));
}

/** Pads the borders: with `fill` (constant), the edge pixel (edge) or the mirror image without the edge (reflect). */
export function pad<X extends ImageLike>(
  input: X,
  padding: number | readonly number[],
  options: { fill?: number; paddingMode?: PaddingMode } = {},
): X {
  const [left, top, right, bottom] = paddingOf(padding, 'pad');
  const mode = options.paddingMode ?? 'constant';
  const tensorMode = { constant: 'constant', edge: 'replicate', reflect: 'reflect' } as const;
  if (!(mode in tensorMode))
    throw new RangeError(
      `pad: paddingMode should be 'constant', 'edge' or 'reflect', got '${mode}'`,
    );
  const [h, w] = imageSize(input);
  if (mode === 'reflect' && (Math.max(left, right) >= w || Math.max(top, bottom) >= h)) {
    throw new RangeError(
      `pad: reflect padding [${left}, ${top}, ${right}, ${bottom}] must be smaller than the image (${h}x${w}) on each side`,
    );
  }
  if (onHost(input)) {
    const place = (i: number, n: number): number => {
      if (i >= 0 && i < n) return i;
      if (mode === 'constant') return -1;
      if (mode === 'edge') return i < 0 ? 0 : n - 1;
      return i < 0 ? -i : 2 * (n - 1) - i;
    };
    const outH = h + top + bottom;
    const outW = w + left + right;
    const index = indexMap(outH, outW, (y, x) => {
      const sy = place(y - top, h);
      const sx = place(x - left, w);
      return sy < 0 || sx < 0 ? -1 : sy * w + sx;
    });
    return onPlanes(input, (p) => gather(p, index, outH, outW, options.fill ?? 0));
  }
  return onTensor(input, 'pad', (x) => {
    if (mode === 'constant')
      return padTensor(x, [left, right, top, bottom], 'constant', options.fill ?? 0);
    // The tensor op's reflect and replicate modes want a batch and channel dimension.
    const lead = x.shape.slice(0, -2);
    const batched = x.reshape(1, -1, h, w);
    const out = padTensor(batched, [left, right, top, bottom], tensorMode[mode]);
    return out.reshape([...lead, h + top + bottom, w + left + right]);
  });
}

/** The region at (top, left) of height x width; parts outside the image are filled with 0. */
export function crop<X extends ImageLike>(
  input: X,
  top: number,
  left: number,
  height: number,
  width: number,
): X {
  if (![top, left, height, width].every(Number.isInteger) || height <= 0 || width <= 0)
    throw new RangeError(
      `crop: top, left must be integers and height, width positive integers, got ${top}, ${left}, ${height}, ${width}`,
    );
  if (onHost(input)) {
    const [h, w] = imageSize(input);
    const index = indexMap(height, width, (y, x) => {
      const sy = y + top;
      const sx = x + left;
      return sy < 0 || sy >= h || sx < 0 || sx >= w ? -1 : sy * w + sx;
    });
    return onPlanes(input, (p) => gather(p, index, height, width, 0));
  }
  return onTensor(input, 'crop', (x) => {
    const [h, w] = imageSize(x);
    // Negative padding crops; positive padding adds the zeros outside the image.
    return padTensor(
      x,
      [-left, left + width - w, -top, top + height - h],
      'constant',
      0,
    ).contiguous();
  });
}

/** Python's round(): halves go to the even neighbour (torchvision's centerCrop uses it). */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The central height x width region (zero padded when larger than the image). */
export function centerCrop<X extends ImageLike>(
  input: X,
  size: number | readonly [number, number],
): X {
  const [ch, cw] = typeof size === 'number' ? [size, size] : size;
  const [h, w] = imageSize(input);
  return crop(input, roundHalfEven((h - ch) / 2), roundHalfEven((w - cw) / 2), ch, cw);
}

/**
 * Resizes to [height, width], or with one number the shorter side to it keeping the aspect
 * ratio (torchvision's rule). Bilinear without antialiasing (half-pixel centres, as
 * interpolate with alignCorners false), or nearest.
 */
export function resize<X extends ImageLike>(
  input: X,
  size: number | readonly [number, number],
  options: { interpolation?: Interpolation } = {},
): X {
  const [h, w] = imageSize(input);
  let target: [number, number];
  if (typeof size === 'number') {
    target = h <= w ? [size, Math.trunc((size * w) / h)] : [Math.trunc((size * h) / w), size];
  } else {
    target = [size[0], size[1]];
  }
  if (!target.every((v) => Number.isInteger(v) && v > 0))
    throw new RangeError(`resize: size must be positive integers, got [${target.join(', ')}]`);
  const mode = options.interpolation ?? 'bilinear';
  if (mode !== 'nearest' && mode !== 'bilinear')
    throw new RangeError(`resize: interpolation should be 'nearest' or 'bilinear', got '${mode}'`);
  if (onHost(input)) return onPlanes(input, (p) => resizePlanes(p, target[0], target[1], mode));
  return onTensor(input, 'resize', (x) => {
    const lead = x.shape.slice(0, -2);
    const out = interpolate(
      x.reshape(1, -1, h, w),
      mode === 'bilinear' ? { size: target, mode, alignCorners: false } : { size: target, mode },
    );
    return out.reshape([...lead, ...target]);
  });
}

/**
 * Options of affine, as torchvision.transforms.functional.affine's: no rotation, translation or
 * shear, scale 1, nearest interpolation, fill 0 by default.
 */
export interface AffineOptions {
  /** Degrees, clockwise (torchvision's affine; rotate() takes counter-clockwise degrees). */
  angle?: number;
  /** Pixels, [dx, dy]. */
  translate?: readonly [number, number];
  scale?: number;
  /** Degrees: one number (x) or [x, y]. */
  shear?: number | readonly [number, number];
  interpolation?: Interpolation;
  /** The value of pixels that come from outside the image. */
  fill?: number;
  /** The fixed point, in pixel coordinates [x, y]; the image centre by default. */
  center?: readonly [number, number];
}

/** The inverse of torchvision's affine matrix: output pixel (centred) -> input pixel (centred). */
export function inverseAffineMatrix(
  center: readonly [number, number],
  angle: number,
  translate: readonly [number, number],
  scale: number,
  shear: readonly [number, number],
): number[] {
  const rot = (angle * Math.PI) / 180;
  const sx = (shear[0] * Math.PI) / 180;
  const sy = (shear[1] * Math.PI) / 180;
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  m[2]! += m[0]! * (-cx - tx) + m[1]! * (-cy - ty);
  m[5]! += m[3]! * (-cx - tx) + m[4]! * (-cy - ty);
  m[2]! += cx;
  m[5]! += cy;
  return m;
}

/**
 * An affine warp (rotation, translation, scale, shear) about the centre, like torchvision's
 * F.affine on tensors: each output pixel samples the input at the inverse-mapped point
 * (nearest by default), and points outside the image take `fill`.
 */
export function affine<X extends ImageLike>(input: X, options: AffineOptions = {}): X {
  const { angle = 0, translate = [0, 0], scale = 1, interpolation = 'nearest', fill = 0 } = options;
  const shear: [number, number] =
    typeof options.shear === 'number'
      ? [options.shear, 0]
      : options.shear
        ? [options.shear[0], options.shear[1]]
        : [0, 0];
  if (!(scale > 0)) throw new RangeError(`affine: scale should be positive, got ${scale}`);
  if (interpolation !== 'nearest' && interpolation !== 'bilinear')
    throw new RangeError(
      `affine: interpolation should be 'nearest' or 'bilinear', got '${interpolation}'`,
    );
  const [h, w] = imageSize(input);
  const center: [number, number] = options.center
    ? [options.center[0] - w * 0.5, options.center[1] - h * 0.5]
    : [0, 0];
  const m = inverseAffineMatrix(center, angle, translate, scale, shear);
  // Output pixel (i, j) has centred coordinates (j + 0.5 - w/2, i + 0.5 - h/2); its source
  // pixel is the mapped point shifted back by (w - 1)/2, (h - 1)/2 (grid_sample, alignCorners false).
  const n = h * w;
  const sourceX = new Float64Array(n);
  const sourceY = new Float64Array(n);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const x = j + 0.5 - w * 0.5;
      const y = i + 0.5 - h * 0.5;
      sourceX[i * w + j] = m[0]! * x + m[1]! * y + m[2]! + (w - 1) / 2;
      sourceY[i * w + j] = m[3]! * x + m[4]! * y + m[5]! + (h - 1) / 2;
    }
  }
  if (interpolation === 'nearest') {
    const index = new Int32Array(n).fill(-1);
    for (let k = 0; k < n; k++) {
      const sx = roundHalfEven(sourceX[k]!);
      const sy = roundHalfEven(sourceY[k]!);
      if (sx >= 0 && sx < w && sy >= 0 && sy < h) index[k] = sy * w + sx;
    }
    if (onHost(input)) return onPlanes(input, (p) => gather(p, index, h, w, fill));
    return onTensor(input, 'affine', (x) => {
      const lead = x.shape.slice(0, -2);
      const device = x.device;
      const inside = tensor(
        index.map((i) => (i < 0 ? 0 : 1)),
        { dtype: 'bool', device },
      );
      const safe = tensor(
        index.map((i) => Math.max(i, 0)),
        { device },
      );
      const gathered = x.reshape([...lead, n]).indexSelect(-1, safe);
      return where(inside, gathered, fill).reshape([...lead, h, w]);
    });
  }
  // Bilinear: four neighbours, each weighted 0 when outside the image (zero padding);
  // then torchvision's fill rule out * mask + (1 - mask) * fill, mask being the sampled ones.
  const corners = [0, 1, 2, 3].map(() => ({
    index: new Int32Array(n),
    weight: new Float32Array(n),
  }));
  const coverage = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const x0 = Math.floor(sourceX[k]!);
    const y0 = Math.floor(sourceY[k]!);
    const fx = sourceX[k]! - x0;
    const fy = sourceY[k]! - y0;
    const around = [
      [x0, y0, (1 - fx) * (1 - fy)],
      [x0 + 1, y0, fx * (1 - fy)],
      [x0, y0 + 1, (1 - fx) * fy],
      [x0 + 1, y0 + 1, fx * fy],
    ] as const;
    for (const [c, [cx, cy, weight]] of around.entries()) {
      if (cx >= 0 && cx < w && cy >= 0 && cy < h) {
        corners[c]!.index[k] = cy * w + cx;
        corners[c]!.weight[k] = weight;
        coverage[k]! += weight;
      }
    }
  }
  if (onHost(input)) return onPlanes(input, (p) => blend(p, corners, coverage, fill));
  return onTensor(input, 'affine', (x) => {
    const lead = x.shape.slice(0, -2);
    const flat = x.reshape([...lead, n]);
    const device = x.device;
    const sum: Tensor = corners
      .map(({ index, weight }) =>
        flat.indexSelect(-1, tensor(index, { device })).mul(tensor(weight, { device })),
      )
      .reduce((a, b) => a.add(b));
    const mask = tensor(coverage, { device });
    return sum
      .mul(mask)
      .add(mask.neg().add(1).mul(fill))
      .reshape([...lead, h, w]);
  });
}

/** Rotates by `angle` degrees counter-clockwise about the centre (torchvision's F.rotate). */
export function rotate<X extends ImageLike>(
  input: X,
  angle: number,
  options: {
    interpolation?: Interpolation;
    fill?: number;
    center?: readonly [number, number];
  } = {},
): X {
  return affine(input, { ...options, angle: -angle });
}
