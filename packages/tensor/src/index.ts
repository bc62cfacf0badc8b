/**
 * \@dl/tensor: tensors with autograd, the op table, the Backend interface and the CPU backend.
 *
 * @module \@dl/tensor
 */

export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from '@dl/autograd';
export {
  checkDType,
  checkOptionKeys,
  describeValue,
  type ReduceArgs,
  type ReduceOptions,
  type ShapeArgs,
  type VarianceArgs,
} from './args.js';
export type {
  Backend,
  ConvGeometry,
  ReduceKind,
  Storage,
  View,
  WindowGeometry,
} from './backend.js';
export {
  CpuBackend,
  type CpuBackendOptions,
  type CpuInfo,
  type CpuStorage,
  cpu,
} from './cpu/backend.js';
export { collapseDims, offsetsOf } from './cpu/layout.js';
export {
  type DeviceLike,
  type DeviceName,
  registerDevice,
  resolveDevice,
  resolveDeviceOrDType,
  unregisterDevice,
} from './device.js';
export { registerDevtoolsFormatter } from './devtools.js';
export { type DType, isFloating, promoteTypes, type TypedArray } from './dtype.js';
export { IndexError, type OutOfRangeMessage } from './errors.js';
export {
  type BinaryFn,
  E,
  type Expr,
  exprKey,
  isReused,
  type Operand,
  type UnaryFn,
} from './expr.js';
export {
  binaryRule,
  isTest,
  kindOf,
  type NumberKind,
  type Typed,
  type TypedExprs,
  typeExprs,
  unaryRule,
  variant,
} from './expr-types.js';
export { inspect } from './format.js';
export * from './functional.js';
export { checkTensor } from './internal.js';
export { Generator, globalGenerator, manualSeed } from './random.js';
export { tidy } from './scope.js';
export {
  contiguousStrides,
  formatShape,
  isContiguousLayout,
  numelOf,
  type Shape,
} from './shape.js';
export { type MemoryInfo, memory } from './storage.js';
export { type HookHandle, type NestedArray, Tensor } from './tensor.js';
