// Parameter: a tensor that a Module owns and trains. It shares the storage of the tensor it
// is made from and requires grad unless told otherwise, like torch.nn.Parameter.

import { noGrad, type Tensor, Tensor as TensorClass } from '@dl/tensor';

/**
 * A tensor a Module owns and trains, like torch.nn.Parameter: a field holding one is a parameter of
 * the module. It requires grad unless made with `requiresGrad` false.
 */
export class Parameter extends TensorClass {
  /** Wraps `data` (a leaf, contiguous copy where it is not contiguous) as a trainable tensor. */
  constructor(data: Tensor, requiresGrad = true) {
    data.assertAlive('Parameter');
    const source = data.isContiguous() ? data : data.contiguous();
    super(source.storageRef, source.shape, source.stride(), source.storageOffset, source.dtype);
    this.requiresGrad_(requiresGrad);
  }

  /** PyTorch's printed form: `Parameter containing:` and the tensor. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/**
 * Makes `target` hold `source`'s values (same shape, any device or dtype) by taking over
 * source's storage, so every reference to `target` (an optimizer's parameter list, a
 * module's field) sees the move. This is PyTorch's `param.data = ...`, which @dl/tensor
 * does not offer: it rebinds the tensor's storage fields directly.
 */
export function replaceData(target: Tensor, source: Tensor): void {
  target.assertAlive('replaceData');
  source.assertAlive('replaceData');
  if (
    target.shape.length !== source.shape.length ||
    target.shape.some((d, i) => d !== source.shape[i])
  ) {
    throw new Error(
      `replaceData: shapes differ ([${target.shape.join(', ')}] and [${source.shape.join(', ')}])`,
    );
  }
  if (!target.isContiguous()) {
    throw new Error(
      'replaceData: the target tensor must be contiguous (parameters and buffers are)',
    );
  }
  // The strides stay target's; they are the contiguous ones on both sides.
  const fresh = noGrad(() => (source.isContiguous() ? source.detach() : source.contiguous()));
  const previous = target.storageRef;
  fresh.storageRef.retain();
  // storageRef, storageOffset and dtype are readonly in Tensor's type only; they are plain
  // fields at run time. This is the one place nn writes them.
  Object.assign(target, {
    storageRef: fresh.storageRef,
    storageOffset: fresh.storageOffset,
    dtype: fresh.dtype,
  });
  fresh.dispose();
  previous.drop();
}
