// unfold and fold (im2col and col2im) as differentiable ops: the sliding windows that
// convolution and pooling are built from. Each is the other's derivative.

import type { WindowGeometry } from '../backend.js';
import { int32Operand, isFloating } from '../dtype.js';
import { E } from '../expr.js';
import { emptyTensor, record, viewDescriptor } from '../internal.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** A size for both spatial dims, or [height, width]: kernel sizes, strides, padding, dilation. */
export type Pair = number | readonly [number, number];

export function pair(value: Pair, name: string, op: string): [number, number] {
  const [a, b] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(a) || !Number.isInteger(b))
    throw new Error(`${op}: ${name} must be integers, got ${String(value)}`);
  return [a, b];
}

/** Output size of a sliding window along one dim (floor, or ceil mode as in pooling). */
export function windowCount(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  ceil = false,
): number {
  const span = size + 2 * padding - dilation * (kernel - 1) - 1;
  let count = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // In ceil mode the last window must start inside the input or its left padding.
  if (ceil && (count - 1) * stride >= size + padding) count--;
  return count;
}

export interface WindowOptions {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode?: boolean;
  padValue?: number;
}

export function geometryFor(
  height: number,
  width: number,
  options: WindowOptions,
  op: string,
): WindowGeometry {
  const { kernel, stride, padding, dilation } = options;
  const outSize: [number, number] = [
    windowCount(height, kernel[0], stride[0], padding[0], dilation[0], options.ceilMode),
    windowCount(width, kernel[1], stride[1], padding[1], dilation[1], options.ceilMode),
  ];
  if (outSize[0] <= 0 || outSize[1] <= 0) {
    throw new Error(
      `${op}: the computed output size (${outSize[0]}x${outSize[1]}) is too small for input ${height}x${width} ` +
        `with kernel ${kernel.join('x')}, stride ${stride.join('x')}, padding ${padding.join('x')}, dilation ${dilation.join('x')}`,
    );
  }
  if (
    kernel.some((k) => k <= 0) ||
    stride.some((s) => s <= 0) ||
    dilation.some((d) => d <= 0) ||
    padding.some((p) => p < 0)
  ) {
    throw new Error(`${op}: kernel, stride and dilation must be positive and padding non-negative`);
  }
  return { kernel, stride, padding, dilation, outSize, padValue: options.padValue ?? 0 };
}

/** [N, C, H, W] -> [N, C * kh * kw, oh * ow] (torch.nn.functional.unfold). */
export function unfold(x: Tensor, geometry: WindowGeometry): Tensor {
  if (x.ndim !== 4)
    throw new Error(`unfold: expected a 4-d input [N, C, H, W], got ${formatShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [kh, kw] = geometry.kernel;
  const out = emptyTensor(
    [n, c * kh * kw, geometry.outSize[0] * geometry.outSize[1]],
    x.dtype,
    x.device,
  );
  // Integers pad with an integer: -Infinity (max pooling's padding) is int32's least value.
  const padValue = isFloating(x.dtype)
    ? geometry.padValue
    : int32Operand('unfold', geometry.padValue);
  if (out.numel() > 0) {
    const [input, output] = [viewDescriptor(x, 'unfold'), viewDescriptor(out, 'unfold')];
    x.device.im2col(input, { ...geometry, padValue }, output);
  }
  return record(out, 'Unfold', [x], (g) => [fold(g, geometry, [h, w])], []);
}

/** The adjoint of unfold: [N, C * kh * kw, L] -> [N, C, H, W], summing overlaps. */
export function fold(
  columns: Tensor,
  geometry: WindowGeometry,
  size: readonly [number, number],
): Tensor {
  const [kh, kw] = geometry.kernel;
  const [n, rows] = columns.shape as [number, number, number];
  const c = rows / (kh * kw);
  const out = emptyTensor([n, c, size[0], size[1]], columns.dtype, columns.device);
  out.device.elementwise(E.const(0), [], viewDescriptor(out, 'fold'));
  if (columns.numel() > 0)
    columns.device.col2im(viewDescriptor(columns, 'fold'), geometry, viewDescriptor(out, 'fold'));
  return record(out, 'Fold', [columns], (g) => [unfold(g, { ...geometry, padValue: 0 })], []);
}
