// torch.autograd.grad for tensors: gradients of outputs with respect to inputs, returned
// instead of accumulated, optionally differentiable themselves (createGraph).

import { grad as engineGrad, type GradOptions } from '@dl/autograd';
import { onesLike } from './ops/creation.js';
import type { Tensor } from './tensor.js';

/**
 * The gradients of `outputs` with respect to `inputs`, returned instead of accumulated into
 * `.grad`, like torch.autograd.grad. Outputs with more than one element need `gradOutputs`; an
 * input the outputs do not depend on throws unless `allowUnused` (then null). With `createGraph`,
 * the gradients are differentiable themselves.
 */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  options: GradOptions & { gradOutputs?: readonly Tensor[] } = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? inputs : [inputs as Tensor];
  const gradOutputs =
    options.gradOutputs ??
    outs.map((o, i) => {
      if (o.numel() !== 1)
        throw new Error(
          `grad: output ${i} has ${o.numel()} elements; pass gradOutputs for non-scalar outputs`,
        );
      return onesLike(o);
    });
  return engineGrad(
    {
      add: (a, b) => a.add(b),
      onesLike: (like) => onesLike(like),
      detach: (value) => value.detach(),
    },
    outs,
    ins,
    gradOutputs,
    options,
  );
}
