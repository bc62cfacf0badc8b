// im2col and col2im on the CPU: the sliding windows of convolution and pooling.
//
// For each kernel offset (i, j) the output positions whose input lies inside the image form
// one range per axis, computed once; the inner loops then copy or add with no per-element
// bounds tests, and write padding in runs.

import type { View, WindowGeometry } from '../backend.js';
import type { TypedArray } from '../dtype.js';

/**
 * The output positions t in [0, count) whose input index t * stride + shift lies in
 * [0, size), as [first, end).
 */
function insideRange(count: number, shift: number, stride: number, size: number): [number, number] {
  const first = shift >= 0 ? 0 : Math.ceil(-shift / stride);
  const end =
    size - 1 - shift < 0 ? 0 : Math.min(count, Math.floor((size - 1 - shift) / stride) + 1);
  return [Math.min(first, count), Math.max(first, end)];
}

/** Unfolds input [N, C, H, W] (any strides) into contiguous out [N, C * kh * kw, oh * ow]. */
export function runIm2col(input: View, x: TypedArray, g: WindowGeometry, out: TypedArray): void {
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const [sn, sc, sh, sw] = input.strides as [number, number, number, number];
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.outSize;
  const [strideH, strideW] = g.stride;
  const [padH, padW] = g.padding;
  const [dilH, dilW] = g.dilation;
  const padValue = g.padValue;
  const step = strideW * sw;
  let q = 0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = input.offset + b * sn + ch * sc;
      for (let i = 0; i < kh; i++) {
        const rowShift = i * dilH - padH;
        const [yFirst, yEnd] = insideRange(oh, rowShift, strideH, h);
        for (let j = 0; j < kw; j++) {
          const colShift = j * dilW - padW;
          const [xFirst, xEnd] = insideRange(ow, colShift, strideW, w);
          out.fill(padValue, q, q + yFirst * ow);
          q += yFirst * ow;
          for (let y = yFirst; y < yEnd; y++) {
            const rowStart = q;
            for (; q < rowStart + xFirst; q++) out[q] = padValue;
            let src = plane + (y * strideH + rowShift) * sh + (xFirst * strideW + colShift) * sw;
            const insideEnd = q + xEnd - xFirst;
            for (; q < insideEnd; q++) {
              out[q] = x[src]!;
              src += step;
            }
            for (; q < rowStart + ow; q++) out[q] = padValue;
          }
          out.fill(padValue, q, q + (oh - yEnd) * ow);
          q += (oh - yEnd) * ow;
        }
      }
    }
  }
}

/** The adjoint of im2col: adds columns [N, C * kh * kw, L] (any strides) into out [N, C, H, W]. */
export function runCol2im(
  columns: View,
  cols: TypedArray,
  g: WindowGeometry,
  out: View,
  y: TypedArray,
): void {
  const [n, c, h, w] = out.shape as [number, number, number, number];
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.outSize;
  const [strideH, strideW] = g.stride;
  const [padH, padW] = g.padding;
  const [dilH, dilW] = g.dilation;
  const [cn, cr, cl] = columns.strides as [number, number, number];
  const [sn, sc, sh, sw] = out.strides as [number, number, number, number];
  const step = strideW * sw;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = out.offset + b * sn + ch * sc;
      for (let i = 0; i < kh; i++) {
        const rowShift = i * dilH - padH;
        const [yFirst, yEnd] = insideRange(oh, rowShift, strideH, h);
        for (let j = 0; j < kw; j++) {
          const colShift = j * dilW - padW;
          const [xFirst, xEnd] = insideRange(ow, colShift, strideW, w);
          const row = columns.offset + b * cn + ((ch * kh + i) * kw + j) * cr;
          for (let yo = yFirst; yo < yEnd; yo++) {
            let dst = plane + (yo * strideH + rowShift) * sh + (xFirst * strideW + colShift) * sw;
            let src = row + (yo * ow + xFirst) * cl;
            for (let xo = xFirst; xo < xEnd; xo++) {
              y[dst] = y[dst]! + cols[src]!;
              dst += step;
              src += cl;
            }
          }
        }
      }
    }
  }
}
