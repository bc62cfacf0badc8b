// Turns a drawing into an MNIST-like input: the ink's bounding box scaled (keeping its aspect
// ratio) to fit 20x20, placed in a 28x28 field with its centre of mass at the centre, as
// the MNIST digits were prepared; then normalised with MNIST's mean and standard deviation.

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/** Pixels darker than this (in [0, 1]) count as background when finding the bounding box. */
const INK_THRESHOLD = 0.05;

/**
 * `ink` holds `width * height` values in [0, 1], row by row (1 is full ink). Returns 784
 * values in [0, 1] (28x28, row by row), or all zeros when there is no ink.
 */
export function toMnistPixels(ink: ArrayLike<number>, width: number, height: number): Float32Array {
  if (ink.length !== width * height) {
    throw new Error(`toMnistPixels: ${ink.length} values for a ${width}x${height} image`);
  }
  const out = new Float32Array(28 * 28);
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((ink[y * width + x] ?? 0) > INK_THRESHOLD) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return out;
  const boxW = x1 - x0 + 1;
  const boxH = y1 - y0 + 1;
  const scale = 20 / Math.max(boxW, boxH);
  const w = Math.max(1, Math.round(boxW * scale));
  const h = Math.max(1, Math.round(boxH * scale));

  // Area averaging: each source pixel is added to the target pixel it falls in.
  const sum = new Float32Array(w * h);
  const count = new Float32Array(w * h);
  for (let y = y0; y <= y1; y++) {
    const ty = Math.min(h - 1, Math.floor(((y - y0) * h) / boxH));
    for (let x = x0; x <= x1; x++) {
      const tx = Math.min(w - 1, Math.floor(((x - x0) * w) / boxW));
      sum[ty * w + tx] = (sum[ty * w + tx] ?? 0) + (ink[y * width + x] ?? 0);
      count[ty * w + tx] = (count[ty * w + tx] ?? 0) + 1;
    }
  }
  const small = sum.map((s, i) => (count[i] ? s / (count[i] ?? 1) : 0));

  // Centre of mass of the scaled box, moved to the field's centre (14, 14).
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x] ?? 0;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const left = clamp(Math.round(14 - mx / mass), 28 - w);
  const top = clamp(Math.round(14 - my / mass), 28 - h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[(top + y) * 28 + left + x] = small[y * w + x] ?? 0;
  }
  return out;
}

/** (pixel - mean) / std, as `transforms.normalize([0.1307], [0.3081])` does. */
export function normalizeMnist(pixels: Float32Array): Float32Array {
  return pixels.map((v) => (v - MNIST_MEAN) / MNIST_STD);
}
