/**
 * \@dl/tensor/testing: assertions, gradcheck and the conformance suite every backend runs.
 *
 * @module \@dl/tensor/testing
 */

import { boundsCases } from './cases/bounds.js';
import { elementwiseClampCases } from './cases/clamp.js';
import { defaultsCases } from './cases/defaults.js';
import { elementwiseCases } from './cases/elementwise.js';
import { fusedCases } from './cases/fused.js';
import { habitsCases } from './cases/habits.js';
import { indexingCases } from './cases/indexing.js';
import { int32Cases } from './cases/int32.js';
import { lifetimeCases } from './cases/lifetime.js';
import { linalgCases } from './cases/linalg.js';
import { nnCases } from './cases/nn.js';
import { reduceCases } from './cases/reduce.js';
import { shapeCases } from './cases/shape.js';
import type { ConformanceCase } from './conformance.js';

export {
  assertClose,
  assertRaises,
  assertThrows,
  compareValues,
  type Expected,
  isTensor,
  type Tolerance,
} from './assert.js';
export {
  type ConformanceCase,
  checkGradients,
  defineCases,
  type InputSpec,
} from './conformance.js';
export { type GradcheckOptions, gradcheck } from './gradcheck.js';

/** Every conformance case, by group. */
export const conformanceCases: readonly ConformanceCase[] = [
  ...elementwiseCases,
  ...elementwiseClampCases,
  ...reduceCases,
  ...shapeCases,
  ...indexingCases,
  ...linalgCases,
  ...nnCases,
  ...fusedCases,
  ...lifetimeCases,
  ...boundsCases,
  ...defaultsCases,
  ...int32Cases,
  ...habitsCases,
];
