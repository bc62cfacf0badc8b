// nn.init: in-place initialisers with PyTorch's formulas, drawing from the global generator
// (seeded by manualSeed) or the one passed in.

import { type Generator, noGrad, type Tensor } from '@dl/tensor';

/** The nonlinearities calculateGain knows, by PyTorch's names (and camelCase for leaky ReLU). */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'leakyRelu'
  | 'selu';

/**
 * Which fan Kaiming initialisation divides by: the inputs (preserves the forward pass's variance)
 * or the outputs (the backward pass's).
 */
export type FanMode = 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut';

/** The Generator an initialiser draws from (the global one by default). */
export interface InitOptions {
  generator?: Generator;
}

/**
 * Options of kaimingUniform_ and kaimingNormal_, with PyTorch's defaults: a 0, mode 'fan_in',
 * nonlinearity 'leaky_relu'.
 */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** The recommended gain for a nonlinearity (PyTorch's calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope))
        throw new Error(`calculateGain: negative_slope ${slope} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight [out, in, ...kernel]. */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  if (tensor.ndim < 2) {
    throw new Error(
      `Fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [${tensor.shape.join(', ')}])`,
    );
  }
  const receptive = tensor.shape.slice(2).reduce((a, b) => a * b, 1);
  return [tensor.shape[1]! * receptive, tensor.shape[0]! * receptive];
}

function fanFor(tensor: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  if (mode === 'fan_in' || mode === 'fanIn') return fanIn;
  if (mode === 'fan_out' || mode === 'fanOut') return fanOut;
  throw new Error(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
}

/** Fills with U(a, b). */
export function uniform_(tensor: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  if (!(a <= b)) throw new RangeError(`uniform_: expected a <= b, got a=${a} and b=${b}`);
  return noGrad(() => tensor.uniform_(a, b, options.generator));
}

/** Fills with N(mean, std²). */
export function normal_(tensor: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  if (!(std >= 0)) throw new RangeError(`normal_: expected std >= 0, got ${std}`);
  return noGrad(() => tensor.normal_(mean, std, options.generator));
}

/** Fills `tensor` with `value` in place, without recording a gradient; returns it. */
export function constant_(tensor: Tensor, value: number): Tensor {
  return noGrad(() => tensor.fill_(value));
}

/** Fills `tensor` with zeros in place; returns it. */
export function zeros_(tensor: Tensor): Tensor {
  return constant_(tensor, 0);
}

/** Fills `tensor` with ones in place; returns it. */
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

/** Glorot uniform: U(-a, a) with a = gain · sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(tensor, -bound, bound, options);
}

/** Glorot normal: N(0, std²) with std = gain · sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return normal_(tensor, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), options);
}

function kaimingStd(tensor: Tensor, options: KaimingOptions): number {
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return gain / Math.sqrt(fanFor(tensor, options.mode ?? 'fan_in'));
}

/** He uniform: U(-b, b) with b = gain · sqrt(3 / fan). */
export function kaimingUniform_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(tensor, options);
  return uniform_(tensor, -bound, bound, options);
}

/** He normal: N(0, std²) with std = gain / sqrt(fan). */
export function kaimingNormal_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(tensor, 0, kaimingStd(tensor, options), options);
}
