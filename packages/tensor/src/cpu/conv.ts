// Convolution on the CPU: im2col into a column buffer, then the packed matmul (and col2im
// for the input gradient). This is the composition conv2d used at the tensor level before
// backends had conv kernels, moved here unchanged so the CPU's results stay the same.

import type { ConvGeometry, View, WindowGeometry } from '../backend.js';
import { type TypedArray, typedArrayOf } from '../dtype.js';
import { contiguousStrides } from '../shape.js';
import { runMatmul } from './matmul.js';
import { runReduce } from './reduce.js';
import { runCol2im, runIm2col } from './window.js';

function windowOf(g: ConvGeometry): WindowGeometry {
  const { kernel, stride, padding, dilation, outSize } = g;
  return { kernel, stride, padding, dilation, outSize, padValue: 0 };
}

/** A contiguous view of `shape` over `like`'s storage (only shapes and strides are read). */
function viewOf(like: View, shape: number[], strides = contiguousStrides(shape), offset = 0): View {
  return { storage: like.storage, dtype: like.dtype, shape, strides, offset };
}

/** The sizes of the grouped product: [N, G, O/G, C/G*kh*kw, L]. */
function sizes(input: readonly number[], weight: readonly number[], g: ConvGeometry) {
  const [n, c] = input as [number, number];
  const o = weight[0]!;
  const groups = g.groups;
  const rows = (c / groups) * g.kernel[0] * g.kernel[1];
  return { n, c, o, groups, rows, og: o / groups, l: g.outSize[0] * g.outSize[1] };
}

/** The columns of input [N, C, H, W]: a contiguous [N, C * kh * kw, L] buffer. */
function columnsOf(input: View, x: TypedArray, g: ConvGeometry): TypedArray {
  const [n, c] = input.shape as [number, number];
  const l = g.outSize[0] * g.outSize[1];
  const columns = new typedArrayOf[input.dtype](n * c * g.kernel[0] * g.kernel[1] * l);
  runIm2col(input, x, windowOf(g), columns);
  return columns;
}

/** out [N, G, O/G, L] = weight [G, O/G, rows] (shared by the batch) @ columns [N, G, rows, L]. */
export function runConv2d(
  input: View,
  x: TypedArray,
  weight: View,
  w: TypedArray,
  g: ConvGeometry,
  out: View,
  y: TypedArray,
): void {
  const { n, groups, rows, og, l } = sizes(input.shape, weight.shape, g);
  const columns = columnsOf(input, x, g);
  runMatmul(
    viewOf(weight, [n, groups, og, rows], [0, og * rows, rows, 1], weight.offset),
    w,
    viewOf(input, [n, groups, rows, l]),
    columns,
    viewOf(out, [n, groups, og, l], contiguousStrides([n, groups, og, l]), out.offset),
    y,
  );
}

/** columns [N, G, rows, L] = weight^T [G, rows, O/G] @ grad [N, G, O/G, L], folded into out. */
export function runConv2dBackwardInput(
  grad: View,
  gy: TypedArray,
  weight: View,
  w: TypedArray,
  g: ConvGeometry,
  out: View,
  dx: TypedArray,
): void {
  const { n, groups, rows, og, l } = sizes(out.shape, weight.shape, g);
  const columns = new typedArrayOf[out.dtype](n * groups * rows * l);
  const columnsView = viewOf(out, [n, groups, rows, l]);
  runMatmul(
    viewOf(weight, [n, groups, rows, og], [0, og * rows, 1, rows], weight.offset),
    w,
    viewOf(grad, [n, groups, og, l], contiguousStrides([n, groups, og, l]), grad.offset),
    gy,
    columnsView,
    columns,
  );
  dx.fill(0, out.offset, out.offset + out.shape.reduce((p, d) => p * d, 1));
  runCol2im(viewOf(out, [n, groups * rows, l]), columns, windowOf(g), out, dx);
}

/**
 * Per-sample products grad [N, G, O/G, L] @ columns^T [N, G, L, rows], then their sum over
 * the batch into out [G, O/G, rows] (= [O, C/G, kh, kw]).
 */
export function runConv2dBackwardWeight(
  input: View,
  x: TypedArray,
  grad: View,
  gy: TypedArray,
  g: ConvGeometry,
  out: View,
  dw: TypedArray,
): void {
  const { n, groups, rows, og, l } = sizes(input.shape, out.shape, g);
  const columns = columnsOf(input, x, g);
  const shape = [n, groups, og, rows];
  const products = new typedArrayOf[out.dtype](n * groups * og * rows);
  runMatmul(
    viewOf(grad, [n, groups, og, l], contiguousStrides([n, groups, og, l]), grad.offset),
    gy,
    viewOf(input, [n, groups, l, rows], [groups * rows * l, rows * l, 1, l]),
    columns,
    viewOf(out, shape),
    products,
  );
  // runReduce writes from index 0 of its output: reduce into a scratch buffer when out is offset.
  const sums = out.offset === 0 ? dw : new typedArrayOf[out.dtype](groups * og * rows);
  runReduce('sum', viewOf(out, shape), products, [0], sums, out.dtype);
  if (sums !== dw) dw.set(sums.subarray(0, groups * og * rows), out.offset);
}
