/**
 * \@dl/nn: modules, layers, the functional API F, losses, init, utils, and state dicts in
 * safetensors and PyTorch's torch.save files (read only), shaped like torch.nn. Node file I/O (save/load) is in `@dl/nn/node`.
 *
 * @module \@dl/nn
 */

export {
  defaultMaxURLBytes,
  deleteFromIndexedDB,
  downloadStateDict,
  type IndexedDBEntry,
  type IndexedDBOptions,
  type LoadFromURLOptions,
  type LoadProgress,
  listIndexedDB,
  loadFromIndexedDB,
  loadFromURL,
  loadStateDictFile,
  type StateDictFormat,
  saveToIndexedDB,
  stateDictFromBytes,
} from './browser-io.js';
export { ModuleDict, ModuleList, Sequential } from './containers.js';
/**
 * The functional API, torch.nn.functional in camelCase: activations, losses, convolution, pooling,
 * normalisation and dropout as functions.
 */
export * as F from './functional/index.js';
/**
 * In-place initialisers with PyTorch's formulas (torch.nn.init): uniform_, normal_, xavierUniform_,
 * kaimingNormal_, ...
 */
export * as init from './init.js';
export {
  ELU,
  GELU,
  Hardtanh,
  LeakyReLU,
  LogSoftmax,
  Mish,
  ReLU,
  Sigmoid,
  SiLU,
  Softmax,
  Softplus,
  Tanh,
} from './layers/activation.js';
export {
  Conv1d,
  Conv2d,
  type ConvLayerOptions,
  ConvTranspose2d,
  type PaddingMode,
} from './layers/conv.js';
export { Dropout, Dropout2d, type DropoutLayerOptions } from './layers/dropout.js';
export { Embedding, Upsample } from './layers/embedding.js';
export { type FactoryOptions, Flatten, Identity, Linear, Unflatten } from './layers/linear.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormLayerOptions,
  GroupNorm,
  LayerNorm,
} from './layers/norm.js';
export {
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  type AdaptiveMaxPoolOutput,
  AvgPool2d,
  type AvgPool2dOptions,
  MaxPool2d,
  type MaxPool2dOptions,
  type MaxPoolOutput,
} from './layers/pool.js';
export {
  GRU,
  LSTM,
  type LSTMOptions,
  RecurrentBase,
  type RecurrentOptions,
  RNN,
  type RNNOptions,
} from './layers/rnn.js';
export {
  GRUCell,
  LSTMCell,
  type Nonlinearity as RNNNonlinearity,
  type RecurrentCellOptions,
  type RecurrentMode,
  RNNCell,
  type RNNCellOptions,
} from './layers/rnn-cells.js';
export {
  type AttentionCallOptions,
  MultiheadAttention,
  type MultiheadAttentionOptions,
  NonDynamicallyQuantizableLinear,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
} from './layers/transformer.js';
export {
  BCELoss,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
} from './loss.js';
export {
  type ForwardHook,
  type ForwardPreHook,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  Module,
  type StateDict,
} from './module.js';
export { Parameter } from './parameter.js';
export {
  asStateDict,
  fromTorchBytes,
  isTorchFile,
  type TorchDict,
  type TorchValue,
} from './pth.js';
export { fromBytes, metadataOf, type ReadOptions, toBytes } from './safetensors.js';
export { type ModelSummary, type SummaryOptions, type SummaryRow, summary } from './summary.js';
/** Gradient clipping and parameters as one vector (torch.nn.utils). */
export * as utils from './utils.js';
