// torch.nn.functional.unfold and fold with PyTorch's arguments: sliding local blocks of a
// batched image as columns, and their sum back into an image.

import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import {
  fold as foldWindows,
  geometryFor,
  type Pair,
  pair,
  unfold as unfoldWindows,
} from './window.js';

/**
 * Options of unfold and fold, as torch.nn.functional.unfold's: stride 1, padding 0, dilation 1 by
 * default.
 */
export interface UnfoldOptions {
  dilation?: Pair;
  padding?: Pair;
  stride?: Pair;
}

/** [N, C, H, W] (or [C, H, W]) -> [N, C * kh * kw, L], L the number of block positions. */
export function unfold(input: Tensor, kernelSize: Pair, options: UnfoldOptions = {}): Tensor {
  if (input.ndim !== 3 && input.ndim !== 4) {
    throw new Error(`unfold: expected a 3-d or 4-d input, got ${formatShape(input.shape)}`);
  }
  const x = input.ndim === 4 ? input : input.unsqueeze(0);
  const geometry = geometryFor(
    x.shape[2]!,
    x.shape[3]!,
    {
      kernel: pair(kernelSize, 'kernelSize', 'unfold'),
      stride: pair(options.stride ?? 1, 'stride', 'unfold'),
      padding: pair(options.padding ?? 0, 'padding', 'unfold'),
      dilation: pair(options.dilation ?? 1, 'dilation', 'unfold'),
    },
    'unfold',
  );
  const columns = unfoldWindows(x, geometry);
  return input.ndim === 4 ? columns : columns.squeeze(0);
}

/** The inverse arrangement of unfold, summing overlapping values: [N, C * kh * kw, L] -> [N, C, H, W]. */
export function fold(
  input: Tensor,
  outputSize: Pair,
  kernelSize: Pair,
  options: UnfoldOptions = {},
): Tensor {
  if (input.ndim !== 2 && input.ndim !== 3) {
    throw new Error(`fold: expected a 2-d or 3-d input, got ${formatShape(input.shape)}`);
  }
  const columns = input.ndim === 3 ? input : input.unsqueeze(0);
  const [h, w] = pair(outputSize, 'outputSize', 'fold');
  const kernel = pair(kernelSize, 'kernelSize', 'fold');
  const geometry = geometryFor(
    h,
    w,
    {
      kernel,
      stride: pair(options.stride ?? 1, 'stride', 'fold'),
      padding: pair(options.padding ?? 0, 'padding', 'fold'),
      dilation: pair(options.dilation ?? 1, 'dilation', 'fold'),
    },
    'fold',
  );
  const blocks = kernel[0] * kernel[1];
  const [, rows, l] = columns.shape as [number, number, number];
  if (rows % blocks !== 0) {
    throw new Error(
      `fold: expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${rows} and kernel_size=(${kernel.join(', ')})`,
    );
  }
  const expected = geometry.outSize[0] * geometry.outSize[1];
  if (l !== expected) {
    throw new Error(
      `fold: given output_size=(${h}, ${w}), kernel_size=(${kernel.join(', ')}), expected size of input's dimension 2 to match the calculated number of sliding blocks ${geometry.outSize.join(' * ')} = ${expected}, but got input.size(2)=${l}`,
    );
  }
  const image = foldWindows(columns, geometry, [h, w]);
  return input.ndim === 3 ? image : image.squeeze(0);
}
