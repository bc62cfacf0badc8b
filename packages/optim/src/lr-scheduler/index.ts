// lrScheduler: the learning-rate schedulers, PyTorch's torch.optim.lr_scheduler.

export { CosineAnnealingLR, CosineAnnealingWarmRestarts } from './cosine.js';
export {
  ConstantLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  PolynomialLR,
  StepLR,
} from './decay.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
export {
  LRScheduler,
  type SchedulableGroup,
  type SchedulableOptimizer,
  type SchedulerOptions,
  type SchedulerStateDict,
} from './scheduler.js';
export { SequentialLR } from './sequential.js';
