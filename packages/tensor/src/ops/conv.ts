// Convolutions: conv2d, conv1d (a conv2d of height 1) and convTranspose2d (conv2d's input
// gradient) over the backend's three convolution kernels. The kernels are differentiable
// ops whose derivatives are each other, so gradients of gradients work too.

import type { ConvGeometry } from '../backend.js';
import { isFloating, promoteTypes } from '../dtype.js';
import { commonDevice, emptyTensor, record, viewDescriptor } from '../internal.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { pad } from './indexing.js';
import { geometryFor, type Pair, pair } from './window.js';

/**
 * The operands as the kernels take them: contiguous, on one device, of one floating dtype
 * (PyTorch has no integer convolution either).
 */
function operands(op: string, a: Tensor, b: Tensor): [Tensor, Tensor] {
  commonDevice(op, [a, b]);
  const dtype = promoteTypes(a.dtype, b.dtype);
  if (!isFloating(dtype))
    throw new TypeError(`${op}: expected floating-point tensors, got ${a.dtype} and ${b.dtype}`);
  const prepare = (t: Tensor) => (t.dtype === dtype ? t : t.to(dtype)).contiguous();
  return [prepare(a), prepare(b)];
}

/** y [N, O, oh, ow] = conv(x [N, C, H, W], w [O, C / groups, kh, kw]). */
function convolve(x: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const [input, weight] = operands('conv2d', x, w);
  const [n, , h, wd] = input.shape as [number, number, number, number];
  const out = emptyTensor([n, weight.shape[0]!, ...g.outSize], input.dtype, input.device);
  if (out.numel() > 0) {
    if (input.numel() === 0 || weight.numel() === 0) out.zero_();
    else
      input.device.conv2d(
        viewDescriptor(input, 'conv2d'),
        viewDescriptor(weight, 'conv2d'),
        g,
        viewDescriptor(out, 'conv2d'),
      );
  }
  return record(out, 'Convolution', [x, w], (gy) => [
    x.requiresGrad ? convolveBackwardInput(gy, w, g, [h, wd]) : null,
    w.requiresGrad ? convolveBackwardWeight(x, gy, g, w.shape) : null,
  ]);
}

/** dx [N, C, H, W] of convolve from gy [N, O, oh, ow]: linear in gy and in w. */
function convolveBackwardInput(
  gy: Tensor,
  w: Tensor,
  g: ConvGeometry,
  size: readonly [number, number],
): Tensor {
  const [grad, weight] = operands('conv2d backward (input)', gy, w);
  const n = grad.shape[0]!;
  const c = weight.shape[1]! * g.groups;
  const out = emptyTensor([n, c, ...size], grad.dtype, grad.device);
  if (out.numel() > 0) {
    if (grad.numel() === 0 || weight.numel() === 0) out.zero_();
    else
      grad.device.conv2dBackwardInput(
        viewDescriptor(grad, 'conv2d (backward)'),
        viewDescriptor(weight, 'conv2d (backward)'),
        g,
        viewDescriptor(out, 'conv2d (backward)'),
      );
  }
  // <g2, dx(gy, w)> = <conv(g2, w), gy> = <dw(g2, gy), w>.
  return record(out, 'ConvolutionBackwardInput', [gy, w], (g2) => [
    gy.requiresGrad ? convolve(g2, w, g) : null,
    w.requiresGrad ? convolveBackwardWeight(g2, gy, g, w.shape) : null,
  ]);
}

/** dw [O, C / groups, kh, kw] of convolve from x and gy: linear in each. */
function convolveBackwardWeight(
  x: Tensor,
  gy: Tensor,
  g: ConvGeometry,
  shape: readonly number[],
): Tensor {
  const [input, grad] = operands('conv2d backward (weight)', x, gy);
  const [, , h, wd] = input.shape as [number, number, number, number];
  const out = emptyTensor(shape, input.dtype, input.device);
  if (out.numel() > 0) {
    if (input.numel() === 0 || grad.numel() === 0) out.zero_();
    else
      input.device.conv2dBackwardWeight(
        viewDescriptor(input, 'conv2d (backward)'),
        viewDescriptor(grad, 'conv2d (backward)'),
        g,
        viewDescriptor(out, 'conv2d (backward)'),
      );
  }
  // <g2, dw(x, gy)> = <conv(x, g2), gy> = <dx(gy, g2), x>.
  return record(out, 'ConvolutionBackwardWeight', [x, gy], (g2) => [
    x.requiresGrad ? convolveBackwardInput(gy, g2, g, [h, wd]) : null,
    gy.requiresGrad ? convolve(x, g2, g) : null,
  ]);
}

/**
 * Options of conv2d and conv1d, as torch.nn.functional.conv2d's: stride 1, padding 0, dilation 1,
 * groups 1 by default.
 */
export interface ConvOptions {
  stride?: Pair;
  /** Zero padding on both sides, or 'valid' (none) or 'same' (output size = input size, stride 1). */
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
}

/**
 * 2-d convolution (cross-correlation, as torch.nn.functional.conv2d) of x [N, C, H, W] (or
 * unbatched [C, H, W]) with weight [O, C / groups, kh, kw], plus bias [O] when given: [N, O, oh,
 * ow].
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvOptions = {},
): Tensor {
  const op = 'conv2d';
  const batched = x.ndim === 4;
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new Error(
      `${op}: expected 3-d (unbatched) or 4-d (batched) input, but got input of size: ${formatShape(x.shape)}`,
    );
  const input = batched ? x : x.unsqueeze(0);
  if (weight.ndim !== 4)
    throw new Error(
      `${op}: expected a 4-d weight [out, in / groups, kh, kw], got ${formatShape(weight.shape)}`,
    );
  const groups = options.groups ?? 1;
  const [, c, h, w] = input.shape as [number, number, number, number];
  const [o, cPerGroup, kh, kw] = weight.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || o % groups !== 0) {
    throw new Error(
      `${op}: groups (${groups}) must divide both in_channels (${c}) and out_channels (${o})`,
    );
  }
  if (cPerGroup * groups !== c) {
    throw new Error(
      `${op}: given groups=${groups}, weight of size ${formatShape(weight.shape)}, expected input${formatShape(input.shape)} to have ${cPerGroup * groups} channels, but got ${c} channels instead`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) {
    throw new Error(`${op}: expected bias of shape [${o}], got ${formatShape(bias.shape)}`);
  }
  const stride = pair(options.stride ?? 1, 'stride', op);
  const dilation = pair(options.dilation ?? 1, 'dilation', op);
  let padded = input;
  let padding: [number, number];
  if (options.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1)
      throw new Error(`${op}: padding='same' is not supported for strided convolutions`);
    const total = [dilation[0] * (kh - 1), dilation[1] * (kw - 1)];
    const [top, left] = total.map((t) => Math.floor(t / 2)) as [number, number];
    // Odd totals put the extra row/column at the end, as PyTorch does.
    if (total[0]! % 2 !== 0 || total[1]! % 2 !== 0) {
      padded = pad(input, [left, total[1]! - left, top, total[0]! - top]);
      padding = [0, 0];
    } else padding = [top, left];
  } else {
    padding =
      options.padding === 'valid' || options.padding === undefined
        ? [0, 0]
        : pair(options.padding, 'padding', op);
  }
  const [ph, pw] = padded === input ? [h, w] : [padded.shape[2]!, padded.shape[3]!];
  const window = geometryFor(ph, pw, { kernel: [kh, kw], stride, padding, dilation }, op);
  let out = convolve(padded, weight, { ...window, groups });
  if (bias) {
    // The result is new and nobody else holds it: without a graph to record, the bias goes
    // into it in place, sparing an output-sized tensor (a batch of 1000 images' worth).
    const b = bias.reshape([1, o, 1, 1]);
    if (out.requiresGrad) out = out.add(b);
    else out.add_(b);
  }
  return batched ? out : out.squeeze(0);
}

/**
 * 1-d convolution, as torch.nn.functional.conv1d, of x [N, C, L] (or [C, L]) with weight [O, C /
 * groups, k], plus bias [O] when given: [N, O, ol].
 */
export function conv1d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: Omit<ConvOptions, 'stride' | 'padding' | 'dilation'> & {
    stride?: number;
    padding?: number | 'valid' | 'same';
    dilation?: number;
  } = {},
): Tensor {
  const batched = x.ndim === 3;
  if (x.ndim !== 2 && x.ndim !== 3)
    throw new Error(
      `conv1d: expected 2-d (unbatched) or 3-d (batched) input, but got input of size: ${formatShape(x.shape)}`,
    );
  if (weight.ndim !== 3)
    throw new Error(
      `conv1d: expected a 3-d weight [out, in / groups, k], got ${formatShape(weight.shape)}`,
    );
  const input = (batched ? x : x.unsqueeze(0)).unsqueeze(2); // [N, C, 1, L]
  const padding = options.padding;
  const y = conv2d(input, weight.unsqueeze(2), bias, {
    stride: [1, options.stride ?? 1],
    padding: padding === 'same' || padding === 'valid' ? padding : [0, padding ?? 0],
    dilation: [1, options.dilation ?? 1],
    groups: options.groups ?? 1,
  }).squeeze(2);
  return batched ? y : y.squeeze(0);
}

/**
 * Options of convTranspose2d, as torch.nn.functional.conv_transpose2d's: stride 1, padding 0,
 * outputPadding 0, groups 1, dilation 1 by default.
 */
export interface ConvTransposeOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
}

/** The transpose (adjoint) of conv2d: weight [in, out / groups, kh, kw]. */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvTransposeOptions = {},
): Tensor {
  const op = 'convTranspose2d';
  const batched = x.ndim === 4;
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new Error(`${op}: expected 3-d or 4-d input, got ${formatShape(x.shape)}`);
  const input = batched ? x : x.unsqueeze(0);
  const groups = options.groups ?? 1;
  const [, c, h, w] = input.shape as [number, number, number, number];
  if (weight.ndim !== 4 || weight.shape[0] !== c) {
    throw new Error(
      `${op}: expected weight [${c}, out / groups, kh, kw] for an input with ${c} channels, got ${formatShape(weight.shape)}`,
    );
  }
  if (c % groups !== 0) throw new Error(`${op}: groups (${groups}) must divide in_channels (${c})`);
  const [, oPerGroup, kh, kw] = weight.shape as [number, number, number, number];
  const o = oPerGroup * groups;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) {
    throw new Error(`${op}: expected bias of shape [${o}], got ${formatShape(bias.shape)}`);
  }
  const stride = pair(options.stride ?? 1, 'stride', op);
  const padding = pair(options.padding ?? 0, 'padding', op);
  const outputPadding = pair(options.outputPadding ?? 0, 'outputPadding', op);
  const dilation = pair(options.dilation ?? 1, 'dilation', op);
  if (
    outputPadding[0] >= Math.max(stride[0], dilation[0]) ||
    outputPadding[1] >= Math.max(stride[1], dilation[1])
  ) {
    throw new Error(
      `${op}: output padding must be smaller than either stride or dilation, got outputPadding ${outputPadding.join('x')}`,
    );
  }
  const outH = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + outputPadding[0] + 1;
  const outW = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + outputPadding[1] + 1;
  if (outH <= 0 || outW <= 0) {
    throw new Error(
      `${op}: the computed output size (${outH}x${outW}) is too small for input ${h}x${w} with kernel ${kh}x${kw}, stride ${stride.join('x')}, padding ${padding.join('x')}, dilation ${dilation.join('x')}`,
    );
  }
  // The transpose of a convolution over the output whose windows are the input's
  // positions: that convolution's input gradient, whose weight [C, O / groups, kh, kw] is
  // this weight as it stands. outputPadding may add a row (column) that no window reaches
  // (when it is below the dilation but not the stride): it holds only the bias, as in PyTorch.
  const window = geometryFor(outH, outW, { kernel: [kh, kw], stride, padding, dilation }, op);
  const geometry: ConvGeometry = { ...window, outSize: [h, w], groups };
  let out = convolveBackwardInput(input, weight, geometry, [outH, outW]);
  if (bias) out = out.add(bias.reshape([1, o, 1, 1]));
  return batched ? out : out.squeeze(0);
}
