// Conformance cases: neural-network ops, one family per file under nn/. Values are checked
// against PyTorch (reference/nn.ts, from scripts/reference/nn.py) or hand computations,
// gradients against finite differences, and errors against PyTorch's messages.

import { defineCases } from '../conformance.js';
import { attentionCases } from './nn/attention.js';
import { convCases, mnistCases } from './nn/conv.js';
import { dropoutCases } from './nn/dropout.js';
import { embeddingCases } from './nn/embedding.js';
import { interpolateCases } from './nn/interpolate.js';
import { normCases } from './nn/norm.js';
import { poolCases } from './nn/pool.js';
import { softmaxCases } from './nn/softmax.js';

export const nnCases = defineCases('nn', {
  ...softmaxCases,
  ...convCases,
  ...poolCases,
  ...normCases,
  ...embeddingCases,
  ...dropoutCases,
  ...interpolateCases,
  ...attentionCases,
  ...mnistCases,
});
