// The small fixed MLP the trajectory and resume tests train, mirroring
// scripts/reference/optim.py: the same values (exact in float32), the same forward and loss.

import { type Backend, type Tensor, tensor } from '@dl/tensor';

/** ((i * 7 + seed * 13) % 19 - 9) / 8 for i = 0, 1, ...: exact in float32, as in the script. */
export function fixed(shape: readonly number[], seed: number, device: Backend): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => (((i * 7 + seed * 13) % 19) - 9) / 8);
  return tensor(values, { device }).reshape([...shape]);
}

export const paramNames = ['w1', 'b1', 'w2', 'b2', 'unused'] as const;
export type ParamName = (typeof paramNames)[number];
const shapes: Record<ParamName, number[]> = {
  w1: [5, 3],
  b1: [5],
  w2: [2, 5],
  b2: [2],
  unused: [3],
};

export type Mlp = Record<ParamName, Tensor>;

/** Fresh parameters; `unused` takes no part in the loss, so it never has a gradient. */
export function mlp(device: Backend): Mlp {
  const entries = paramNames.map((name, i) => [
    name,
    fixed(shapes[name], i + 1, device).requiresGrad_(),
  ]);
  return Object.fromEntries(entries) as Mlp; // one entry per name, built just above
}

/** mean((tanh(x w1ᵀ + b1) w2ᵀ + b2 - y)²) on the fixed batch. */
export function lossOf(p: Mlp, device: Backend): Tensor {
  const x = fixed([4, 3], 11, device);
  const y = fixed([4, 2], 12, device);
  const h = x.matmul(p.w1.T).add(p.b1).tanh();
  const out = h.matmul(p.w2.T).add(p.b2);
  return out.sub(y).square().mean();
}
