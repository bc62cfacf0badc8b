// im2col and col2im on the CPU: the sliding windows of convolution and pooling.

import type { View, WindowGeometry } from '../backend.js';
import type { TypedArray } from '../dtype.js';

export function runIm2col(input: View, x: TypedArray, g: WindowGeometry, out: TypedArray): void {
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const [sn, sc, sh, sw] = input.strides as [number, number, number, number];
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.outSize;
  const [strideH, strideW] = g.stride;
  const [padH, padW] = g.padding;
  const [dilH, dilW] = g.dilation;
  const l = oh * ow;
  let q = 0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = input.offset + b * sn + ch * sc;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          for (let y = 0; y < oh; y++) {
            const row = y * strideH - padH + i * dilH;
            const rowInside = row >= 0 && row < h;
            for (let xo = 0; xo < ow; xo++) {
              const col = xo * strideW - padW + j * dilW;
              out[q++] = rowInside && col >= 0 && col < w ? x[base + row * sh + col * sw]! : g.padValue;
            }
          }
        }
      }
    }
  }
  if (q !== n * c * kh * kw * l) throw new Error('im2col: internal size mismatch');
}

export function runCol2im(columns: View, cols: TypedArray, g: WindowGeometry, out: View, y: TypedArray): void {
  const [n, c, h, w] = out.shape as [number, number, number, number];
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.outSize;
  const [strideH, strideW] = g.stride;
  const [padH, padW] = g.padding;
  const [dilH, dilW] = g.dilation;
  const [cn, cr, cl] = columns.strides as [number, number, number];
  const [sn, sc, sh, sw] = out.strides as [number, number, number, number];
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const r = (ch * kh + i) * kw + j;
          const colBase = columns.offset + b * cn + r * cr;
          for (let yo = 0; yo < oh; yo++) {
            const row = yo * strideH - padH + i * dilH;
            if (row < 0 || row >= h) continue;
            for (let xo = 0; xo < ow; xo++) {
              const col = xo * strideW - padW + j * dilW;
              if (col < 0 || col >= w) continue;
              const p = out.offset + b * sn + ch * sc + row * sh + col * sw;
              y[p] = y[p]! + cols[colBase + (yo * ow + xo) * cl]!;
            }
          }
        }
      }
    }
  }
}
