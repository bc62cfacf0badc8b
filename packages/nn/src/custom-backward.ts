// Outputs with a hand-written backward, PyTorch's torch.autograd.Function, made of public
// autograd pieces: the outputs are computed without a graph, and a graph is then laid from
// the inputs to them whose own gradients are never used: hooks catch the outputs' gradients
// and hand the inputs the ones `backward` computes. The recurrent layers use it to run
// backpropagation through time as a few fused kernels per step instead of autograd's
// op-by-op graph.

import { isGradEnabled, type Tensor, where, zeros, zerosLike } from '@dl/tensor';

/** Gradients with respect to the inputs (null for none) from those of the outputs (null: unused). */
export type BackwardFunction = (
  gradOutputs: readonly (Tensor | null)[],
) => readonly (Tensor | null)[];

/**
 * `outputs` (computed without a graph from `inputs`), as tensors whose backward runs
 * `backward` once per backward pass and gives each input that requires grad its gradient.
 * Without grad mode or an input that requires grad, the outputs themselves.
 *
 * How: each input that requires grad gets a proxy (an identity op) and a term that is exactly
 * 0 yet depends on the proxy (where(false, proxy.sum(), 0): 0 even for infinite values), and
 * each output adds all the terms. Backward then reaches each output (a hook keeps its
 * gradient), the terms, and last each proxy, whose hook replaces the (zero) gradient arriving
 * there with the input's true one: `backward` runs at the first proxy, when every output's
 * gradient is known, since autograd finishes a value's consumers before the value.
 */
export function withBackward(
  name: string,
  inputs: readonly (Tensor | null)[],
  outputs: readonly Tensor[],
  backward: BackwardFunction,
): Tensor[] {
  if (!isGradEnabled() || !inputs.some((t) => t?.requiresGrad)) return [...outputs];
  // An identity op per input: a scalar product saves its input, so changing a leaf (a
  // weight) in place before backward is still reported; a view suffices for the others.
  const proxies = inputs.map((t) =>
    t?.requiresGrad ? (t.gradFn ? t.view(t.shape) : t.mul(1)) : null,
  );
  let anchor: Tensor | undefined;
  for (const proxy of proxies) {
    if (!proxy) continue;
    const never = zeros([], { dtype: 'bool', device: proxy.device });
    const term = where(never, proxy.sum(), 0);
    anchor = anchor ? anchor.add(term) : term;
  }
  const gradOutputs: (Tensor | null)[] = outputs.map(() => null);
  const results = outputs.map((output, k) => {
    const result = output.add(anchor!);
    result.registerHook((g) => {
      gradOutputs[k] = g;
      return undefined;
    });
    return result;
  });
  const count = proxies.filter((p) => p !== null).length;
  let gradInputs: readonly (Tensor | null)[] | undefined;
  let handed = 0;
  for (const [j, proxy] of proxies.entries()) {
    proxy?.registerHook((arriving) => {
      if (!gradInputs) {
        // Autograd runs backward in grad mode only for createGraph.
        if (isGradEnabled())
          throw new Error(
            `${name}: backward with createGraph (a gradient of a gradient) is not supported through it`,
          );
        gradInputs = backward(gradOutputs);
        gradOutputs.fill(null);
      }
      const g = gradInputs[j] ?? zerosLike(arriving);
      // The last proxy of this pass: a retained graph's next pass starts afresh.
      if (++handed === count) [gradInputs, handed] = [undefined, 0];
      return g;
    });
  }
  return results;
}
