// @dl/optim: optimizers over any iterable of tensors (SGD, Adam, AdamW, RMSprop, Adagrad,
// Adadelta) and learning-rate schedulers (lrScheduler), following torch.optim step for step.

export {
  Adadelta,
  type AdadeltaHyperparameters,
  type AdadeltaOptions,
  type AdadeltaState,
} from './adadelta.js';
export {
  Adagrad,
  type AdagradHyperparameters,
  type AdagradOptions,
  type AdagradState,
} from './adagrad.js';
export {
  Adam,
  type AdamHyperparameters,
  type AdamOptions,
  type AdamState,
  AdamW,
  type AdamWOptions,
} from './adam.js';
/**
 * Learning-rate schedulers, torch.optim.lr_scheduler: StepLR, CosineAnnealingLR, OneCycleLR,
 * ReduceLROnPlateau, ...
 */
export * as lrScheduler from './lr-scheduler/index.js';
export {
  type BaseHyperparameters,
  Optimizer,
  type OptimizerParams,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type SchedulerFields,
} from './optimizer.js';
export {
  RMSprop,
  type RMSpropHyperparameters,
  type RMSpropOptions,
  type RMSpropState,
} from './rmsprop.js';
export { SGD, type SGDHyperparameters, type SGDOptions, type SGDState } from './sgd.js';
export type { Update } from './update.js';
