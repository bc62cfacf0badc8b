// Max pooling on the CPU: values and PyTorch's indices in one pass, and the gradient routed
// back through those indices.

import type { View, WindowGeometry } from '../backend.js';
import type { TypedArray } from '../dtype.js';

/**
 * Max over each window of contiguous input [N, C, H, W] into contiguous values and indices
 * [N, C, oh, ow]. As PyTorch: the search starts at the window's first position inside the
 * input with -Infinity, and moves to a larger value or to NaN.
 */
export function runMaxPool2d(
  input: View,
  x: TypedArray,
  g: WindowGeometry,
  values: View,
  v: TypedArray,
  indices: View,
  idx: TypedArray,
): void {
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.outSize;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  const [dh, dw] = g.dilation;
  let q = 0;
  for (let p = 0; p < n * c; p++) {
    const base = input.offset + p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      let y0 = oy * sh - ph;
      const yEnd = Math.min(y0 + (kh - 1) * dh + 1, h);
      while (y0 < 0) y0 += dh;
      for (let ox = 0; ox < ow; ox++) {
        let x0 = ox * sw - pw;
        const xEnd = Math.min(x0 + (kw - 1) * dw + 1, w);
        while (x0 < 0) x0 += dw;
        let best = -Infinity;
        let arg = y0 * w + x0;
        for (let yy = y0; yy < yEnd; yy += dh) {
          for (let xx = x0; xx < xEnd; xx += dw) {
            const value = x[base + yy * w + xx] as number;
            if (value > best || Number.isNaN(value)) {
              best = value;
              arg = yy * w + xx;
            }
          }
        }
        v[values.offset + q] = best;
        idx[indices.offset + q] = arg;
        q++;
      }
    }
  }
}

/**
 * The input gradient of max pooling: out [N, C, H, W] (contiguous) gets each element of
 * grad [N, C, oh, ow] (contiguous) added at the position its index names.
 */
export function runMaxPool2dBackward(
  grad: View,
  gy: TypedArray,
  indices: View,
  idx: TypedArray,
  out: View,
  dx: TypedArray,
): void {
  const [n, c, h, w] = out.shape as [number, number, number, number];
  const [, , oh, ow] = grad.shape as [number, number, number, number];
  const plane = oh * ow;
  const planeIn = h * w;
  dx.fill(0, out.offset, out.offset + n * c * planeIn);
  for (let p = 0; p < n * c; p++) {
    const target = out.offset + p * planeIn;
    for (let k = 0; k < plane; k++) {
      const q = p * plane + k;
      const index = idx[indices.offset + q] as number;
      // A window of padding only names a position past the plane: its gradient goes nowhere.
      if (index < 0 || index >= planeIn) continue;
      dx[target + index] = (dx[target + index] as number) + (gy[grad.offset + q] as number);
    }
  }
}
