// @dl/autograd: the reverse-mode engine, generic over the value it differentiates.
export {
  type BackwardOptions,
  backward,
  type GradAlgebra,
  type GradOptions,
  grad,
} from './engine.js';
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './mode.js';
export { type Backward, type GradHook, Node, type Variable } from './node.js';
