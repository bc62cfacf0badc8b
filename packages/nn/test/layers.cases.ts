// The dl module of each layer reference case, built with the same arguments as the
// reference script builds the PyTorch one.

import { noGrad, ones, type Tensor, zeros } from '@dl/tensor';
import * as nn from '../src/index.js';

class MhaSelf extends nn.Module {
  attn = new nn.MultiheadAttention(4, 2);
  override forward(x: Tensor): Tensor {
    return this.attn.forward(x, x, x)[0];
  }
}

class MhaMasked extends nn.Module {
  attn = new nn.MultiheadAttention(4, 2, { batchFirst: true });
  constructor(readonly weights: boolean) {
    super();
  }
  override forward(x: Tensor): Tensor {
    const [n, l] = [x.shape[0]!, x.shape[1]!];
    const causal = ones([l, l], { dtype: 'bool' }).triu(1).to(x.device);
    const padding = zeros([n, l], { dtype: 'bool' });
    noGrad(() =>
      padding
        .select(0, 1)
        .narrow(0, l - 1, 1)
        .fill_(true),
    );
    const [out, weights] = this.attn.forward(x, x, x, {
      keyPaddingMask: padding.to(x.device),
      attnMask: causal,
    });
    return this.weights ? weights! : out;
  }
}

/** The dl module of each reference case, built with the same arguments as the script's. */
export const factories: Record<string, () => nn.Module<unknown>> = {
  Linear: () => new nn.Linear(3, 2),
  LinearNoBias: () => new nn.Linear(3, 2, { bias: false }),
  Conv2d: () => new nn.Conv2d(2, 3, 3, { padding: 1 }),
  Conv2dStridedGroups: () => new nn.Conv2d(2, 4, [2, 3], { stride: 2, padding: [1, 0], groups: 2 }),
  Conv2dDilated: () => new nn.Conv2d(2, 2, 2, { dilation: 2, bias: false }),
  Conv2dReflect: () => new nn.Conv2d(2, 2, 3, { padding: 1, paddingMode: 'reflect' }),
  Conv2dSame: () => new nn.Conv2d(2, 2, [3, 4], { padding: 'same' }),
  Conv1dStridedDilatedGroups: () => new nn.Conv1d(2, 4, 2, { stride: 2, dilation: 2, groups: 2 }),
  MaxPool2dCeilDilated: () => new nn.MaxPool2d(2, { stride: 2, dilation: 2, ceilMode: true }),
  AvgPool2dCeilNoPadCount: () =>
    new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  MultiheadAttentionMasked: () => new MhaMasked(false),
  MultiheadAttentionMaskedWeights: () => new MhaMasked(true),
  Conv1d: () => new nn.Conv1d(2, 3, 3, { padding: 1 }),
  ConvTranspose2d: () =>
    new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  MaxPool2d: () => new nn.MaxPool2d(2),
  MaxPool2dPadded: () => new nn.MaxPool2d(3, { stride: 1, padding: 1 }),
  AvgPool2d: () => new nn.AvgPool2d(2),
  AvgPool2dPadded: () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }),
  AdaptiveAvgPool2d: () => new nn.AdaptiveAvgPool2d([2, 3]),
  AdaptiveAvgPool2dGlobal: () => new nn.AdaptiveAvgPool2d(1),
  AdaptiveMaxPool2d: () => new nn.AdaptiveMaxPool2d(2),
  AdaptiveMaxPool2dReturnIndices: () => new nn.AdaptiveMaxPool2d([2, 3], { returnIndices: true }),
  BatchNorm1dTrain: () => new nn.BatchNorm1d(3),
  BatchNorm1dEval: () => new nn.BatchNorm1d(3),
  BatchNorm1d3dTrain: () => new nn.BatchNorm1d(2),
  BatchNorm2dTrain: () => new nn.BatchNorm2d(2, { momentum: 0.3 }),
  BatchNorm2dEval: () => new nn.BatchNorm2d(2),
  BatchNorm1dNoAffineNoStats: () =>
    new nn.BatchNorm1d(3, { affine: false, trackRunningStats: false }),
  LayerNorm: () => new nn.LayerNorm(4),
  LayerNorm2d: () => new nn.LayerNorm([3, 4], { eps: 1e-3 }),
  GroupNorm: () => new nn.GroupNorm(2, 4),
  GroupNormEmptyBatch: () => new nn.GroupNorm(2, 4),
  LayerNormEmptyBatch: () => new nn.LayerNorm(4),
  BatchNorm1dTrainEmptyBatch: () => new nn.BatchNorm1d(3),
  BatchNorm2dEvalEmptyBatch: () => new nn.BatchNorm2d(2),
  Embedding: () => new nn.Embedding(5, 3, { paddingIdx: 1 }),
  ReLU: () => new nn.ReLU(),
  LeakyReLU: () => new nn.LeakyReLU(0.2),
  Sigmoid: () => new nn.Sigmoid(),
  Tanh: () => new nn.Tanh(),
  GELU: () => new nn.GELU(),
  GELUTanh: () => new nn.GELU({ approximate: 'tanh' }),
  SiLU: () => new nn.SiLU(),
  ELU: () => new nn.ELU(0.5),
  Softplus: () => new nn.Softplus(2, 1.5),
  Softmax: () => new nn.Softmax(1),
  LogSoftmax: () => new nn.LogSoftmax(-1),
  Hardtanh: () => new nn.Hardtanh(-0.5, 0.8),
  Mish: () => new nn.Mish(),
  Identity: () => new nn.Identity(),
  Flatten: () => new nn.Flatten(),
  Dropout: () => new nn.Dropout(0.3),
  Unflatten: () => new nn.Unflatten(1, [2, 3]),
  UpsampleNearest: () => new nn.Upsample({ scaleFactor: 2 }),
  UpsampleBilinear: () => new nn.Upsample({ size: [3, 5], mode: 'bilinear' }),
  MultiheadAttention: () => new MhaSelf(),
  TransformerEncoderLayer: () =>
    new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 }),
  TransformerEncoderLayerNormFirst: () =>
    new nn.TransformerEncoderLayer(4, 2, {
      dimFeedforward: 6,
      dropout: 0,
      activation: 'gelu',
      batchFirst: true,
      normFirst: true,
    }),
};
