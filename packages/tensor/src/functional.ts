// The functional API: every op as a function, PyTorch's torch.* namespace in camelCase.

export { grad } from './grad.js';
export * from './methods.js';
// torch.var: `var` is reserved as a variable name but not as an export name.
export { variance as var } from './methods.js';
export type { ClampArgs, ClampBound } from './ops/clamp.js';
export {
  type ConvOptions,
  type ConvTransposeOptions,
  conv1d,
  conv2d,
  convTranspose2d,
} from './ops/conv.js';
export {
  type ArangeArgs,
  arange,
  empty,
  emptyLike,
  eye,
  full,
  fullLike,
  type GeneratorLike,
  linspace,
  ones,
  onesLike,
  type RandintArgs,
  type RandomOptions,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  randperm,
  type TensorData,
  type TensorOptions,
  tensor,
  zeros,
  zerosLike,
} from './ops/creation.js';
export { type Scalar, where } from './ops/elementwise.js';
export { fusedUpdate_ } from './ops/fused.js';
export {
  gather,
  type IndexItem,
  type IndexOptions,
  type IndexSpec,
  indexSelect,
  maskedFill,
  oneHot,
  type PadMode,
  pad,
  type Slice,
  scatter,
  scatterAdd,
  slice,
  tril,
  triu,
} from './ops/indexing.js';
export { bmm, dot, einsum, matmul, mm, mv, outer } from './ops/linalg.js';
export {
  type AttentionOptions,
  type DropoutOptions,
  dropout,
  dropout2d,
  embedding,
  type InterpolateMode,
  type InterpolateOptions,
  interpolate,
  logSoftmax,
  scaledDotProductAttention,
  softmax,
} from './ops/nn.js';
export { type BatchNormOptions, batchNorm, groupNorm, layerNorm } from './ops/norm.js';
export {
  type AdaptiveMaxPoolOptions,
  type AdaptiveSize,
  type AvgPoolOptions,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  type MaxPoolOptions,
  type MaxPoolResult,
  maxPool2d,
  maxPool2dWithIndices,
  type PoolOptions,
} from './ops/pool.js';
export type { Dims, ValuesIndices, VarianceOptions } from './ops/reduce.js';
export { cat, chunk, split, stack } from './ops/shape.js';
export { fold, type UnfoldOptions, unfold } from './ops/unfold.js';
export type { Pair } from './ops/window.js';
