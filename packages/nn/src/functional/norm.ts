// F.batchNorm with PyTorch's functional default (training false): @dl/tensor's batchNorm
// defaults to training, the module's usual case.

import { type BatchNormOptions, type Tensor, batchNorm as tensorBatchNorm } from '@dl/tensor';

/** Batch normalisation over [N, C, ...]; uses the running statistics unless `training`. */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  return tensorBatchNorm(x, runningMean, runningVar, {
    ...options,
    training: options.training ?? false,
  });
}
