// nn.utils: gradient clipping and flattening parameters into one vector.

import { cat, noGrad, Tensor, where, zeros } from '@dl/tensor';

function gradsOf(parameters: Iterable<Tensor> | Tensor): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : [...parameters];
  return list.flatMap((p) => (p.grad ? [p.grad] : []));
}

/**
 * Scales all gradients together so their total norm is at most maxNorm; returns the total
 * norm (a scalar tensor, read with `await norm.item()`). normType 2, 1, Infinity or any p.
 */
export function clipGradNorm_(
  parameters: Iterable<Tensor> | Tensor,
  maxNorm: number,
  options: { normType?: number; errorIfNonfinite?: boolean } = {},
): Tensor {
  const normType = options.normType ?? 2;
  if (!(normType > 0))
    throw new RangeError(`clipGradNorm_: normType must be positive, got ${normType}`);
  if (!(maxNorm >= 0)) throw new RangeError(`clipGradNorm_: maxNorm must be >= 0, got ${maxNorm}`);
  const grads = gradsOf(parameters);
  return noGrad(() => {
    if (grads.length === 0) throw new Error('clipGradNorm_: no parameter has a gradient');
    const norms = grads.map((g) => g.norm(normType).reshape([1]));
    const all = cat(norms);
    const total = normType === Infinity ? all.amax() : all.norm(normType);
    if (options.errorIfNonfinite) {
      const message = `clipGradNorm_: the total norm of order ${normType} for gradients from parameters is non-finite, so it cannot be clipped`;
      if (total.device.readSync) {
        if (!Number.isFinite(total.itemSync())) throw new Error(message);
      } else {
        // Off the CPU the norm cannot be read without a wait: a gather whose index is 1
        // (out of range) where the norm is not finite makes the device raise this message
        // at the next read, as its index checks do.
        const index = where(total.isfinite(), 0, 1).to('int32').reshape([1]);
        zeros([1], { device: total.device }).gather(0, index, { outOfRange: () => message });
      }
    }
    // min(maxNorm / (total + 1e-6), 1), computed on the device so nothing waits.
    const coefficient = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
    for (const g of grads) g.mul_(coefficient.to(g.dtype));
    return total;
  });
}

/** Clamps every gradient into [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (!(clipValue >= 0))
    throw new RangeError(`clipGradValue_: clipValue must be >= 0, got ${clipValue}`);
  noGrad(() => {
    for (const g of gradsOf(parameters)) g.clamp_(-clipValue, clipValue);
  });
}

/** All parameters flattened and concatenated into one vector. */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const list = [...parameters];
  if (list.length === 0) throw new Error('parametersToVector: no parameters given');
  return cat(list.map((p) => p.reshape([-1])));
}

/** Copies consecutive slices of `vector` into the parameters (the inverse of parametersToVector). */
export function vectorToParameters(vector: Tensor, parameters: Iterable<Tensor>): void {
  const list = [...parameters];
  const total = list.reduce((n, p) => n + p.numel(), 0);
  if (vector.ndim !== 1 || vector.numel() !== total) {
    throw new Error(
      `vectorToParameters: expected a vector of ${total} elements (the parameters' total), got shape [${vector.shape.join(', ')}]`,
    );
  }
  noGrad(() => {
    let offset = 0;
    for (const p of list) {
      p.copy_(vector.narrow(0, offset, p.numel()).reshape(p.shape));
      offset += p.numel();
    }
  });
}
