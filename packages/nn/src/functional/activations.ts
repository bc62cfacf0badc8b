// Activation functions and linear maps as functions, with PyTorch's names and defaults;
// each is one Tensor op or a short composition.

import { checkTensor, matmul, type Tensor } from '@dl/tensor';

/** max(x, 0), as torch.nn.functional.relu. */
export function relu(x: Tensor): Tensor {
  checkTensor('relu', x, 'input');
  return x.relu();
}

/** min(max(x, 0), 6), as torch.nn.functional.relu6. */
export function relu6(x: Tensor): Tensor {
  checkTensor('relu6', x, 'input');
  return x.hardtanh(0, 6);
}

/** x where x > 0, else negativeSlope · x (0.01 by default), as torch.nn.functional.leaky_relu. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor('leakyRelu', x, 'input');
  return x.leakyRelu(negativeSlope);
}

/** 1 / (1 + e^-x), as torch.sigmoid. */
export function sigmoid(x: Tensor): Tensor {
  checkTensor('sigmoid', x, 'input');
  return x.sigmoid();
}

/** The hyperbolic tangent, as torch.tanh. */
export function tanh(x: Tensor): Tensor {
  checkTensor('tanh', x, 'input');
  return x.tanh();
}

/** GELU; `approximate: 'tanh'` uses the tanh formula. */
export function gelu(x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  checkTensor('gelu', x, 'input');
  return x.gelu(options);
}

/** x · sigmoid(x), as torch.nn.functional.silu. */
export function silu(x: Tensor): Tensor {
  checkTensor('silu', x, 'input');
  return x.silu();
}

/** x · tanh(softplus(x)), as torch.nn.functional.mish. */
export function mish(x: Tensor): Tensor {
  checkTensor('mish', x, 'input');
  return x.mish();
}

/** x where x > 0, else alpha · (e^x - 1) (alpha 1 by default), as torch.nn.functional.elu. */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkTensor('elu', x, 'input');
  return x.elu(alpha);
}

/** log(1 + exp(beta x)) / beta, linear above `threshold` (PyTorch's defaults 1 and 20). */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  checkTensor('softplus', x, 'input');
  return x.softplus({ beta, threshold });
}

/**
 * x clamped into [minVal, maxVal] (-1 and 1 by default), as torch.nn.functional.hardtanh. Throws a
 * RangeError unless minVal < maxVal.
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  checkTensor('hardtanh', x, 'input');
  if (!(minVal < maxVal))
    throw new RangeError(`hardtanh: min_val (${minVal}) must be less than max_val (${maxVal})`);
  return x.hardtanh(minVal, maxVal);
}

/** x · Wᵀ + b over the last dim of x; W is [out, in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', x, 'input');
  checkTensor('linear', weight, 'weight');
  if (weight.ndim !== 2)
    throw new Error(`linear: weight must be 2-d [out, in], got [${weight.shape.join(', ')}]`);
  const last = x.shape[x.ndim - 1];
  if (x.ndim === 0 || last !== weight.shape[1]) {
    const rows = x.ndim <= 1 ? 1 : x.numel() / (last ?? 1);
    throw new Error(
      `linear: mat1 and mat2 shapes cannot be multiplied (${rows}x${last ?? 0} and ${weight.shape[1]}x${weight.shape[0]})`,
    );
  }
  const y = matmul(x, weight.t());
  return bias ? y.add(bias) : y;
}

/** x / max(‖x‖_p, eps) along `dim`. */
export function normalize(
  x: Tensor,
  options: { p?: number; dim?: number; eps?: number } = {},
): Tensor {
  const norm = x.norm(options.p ?? 2, options.dim ?? 1, true);
  return x.div(norm.clamp(options.eps ?? 1e-12));
}

/** Cosine similarity along `dim` (default 1): x1·x2 / max(‖x1‖ ‖x2‖, eps), broadcasting. */
export function cosineSimilarity(x1: Tensor, x2: Tensor, dim = 1, eps = 1e-8): Tensor {
  const dot = x1.mul(x2).sum(dim);
  const n1 = x1.square().sum(dim);
  const n2 = x2.square().sum(dim);
  return dot.div(
    n1
      .mul(n2)
      .clamp(eps * eps)
      .sqrt(),
  );
}
