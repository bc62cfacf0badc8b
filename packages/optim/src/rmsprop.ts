// RMSprop with momentum, the centered variant, weight decay and maximize, following
// torch.optim.RMSprop step for step; one kernel per parameter and step.

import { E, type Expr, type Tensor, zerosLike } from '@dl/tensor';
import { Optimizer, type OptimizerParams, type ParamGroup } from './optimizer.js';
import { gradExpr, memo } from './terms.js';
import type { Update } from './update.js';
import { checkBoolean, checkNonNegative, withLr } from './validate.js';

/**
 * RMSprop's hyperparameters, as torch.optim.RMSprop names them: lr, alpha (the smoothing constant),
 * eps, weightDecay, momentum, centered, maximize.
 */
export interface RMSpropHyperparameters {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/**
 * RMSprop's options: any hyperparameter, defaulting as PyTorch's (lr 1e-2, alpha 0.99, eps 1e-8,
 * weightDecay and momentum 0, centered and maximize false).
 */
export type RMSpropOptions = Partial<RMSpropHyperparameters>;

/**
 * One parameter's RMSprop state: the step count, the average of squared gradients, and the momentum
 * buffer and gradient average where used.
 */
export type RMSpropState = {
  step: number;
  squareAvg: Tensor;
  momentumBuffer?: Tensor;
  gradAvg?: Tensor;
};

// Inputs: 0 param, 1 grad, 2 squareAvg, 3 gradAvg, 4 momentumBuffer (3 and 4 read only when
// used). Params: 0 lr, 1 alpha, 2 1 - alpha, 3 eps, 4 weightDecay, 5 momentum.
const rmspropExprs = memo(
  (centered: boolean, withMomentum: boolean, decay: boolean, maximize: boolean) => {
    const param = E.input(0);
    const g = gradExpr(E.input(1), param, { maximize, weightDecay: decay ? E.param(4) : null });
    const squareAvg = E.add(E.mul(E.input(2), E.param(1)), E.mul(E.mul(g, g), E.param(2)));
    const gradAvg = E.add(E.mul(E.input(3), E.param(1)), E.mul(g, E.param(2)));
    const variance: Expr = centered ? E.sub(squareAvg, E.mul(gradAvg, gradAvg)) : squareAvg;
    const avg = E.add(E.sqrt(variance), E.param(3));
    const buffer = E.add(E.mul(E.input(4), E.param(5)), E.div(g, avg));
    const newParam = withMomentum
      ? E.sub(param, E.mul(E.param(0), buffer))
      : E.sub(param, E.mul(E.param(0), E.div(g, avg)));
    return [newParam, squareAvg, ...(centered ? [gradAvg] : []), ...(withMomentum ? [buffer] : [])];
  },
);

/**
 * RMSprop, as torch.optim.RMSprop, with PyTorch's defaults (see RMSpropOptions): `new
 * RMSprop(params)`, `new RMSprop(params, 0.01, { momentum: 0.9 })` or `new RMSprop(params, { lr:
 * 0.01 })`.
 */
export class RMSprop extends Optimizer<RMSpropHyperparameters, RMSpropState> {
  constructor(params: OptimizerParams<RMSpropHyperparameters>, options?: RMSpropOptions);
  constructor(
    params: OptimizerParams<RMSpropHyperparameters>,
    lr: number,
    options?: Omit<RMSpropOptions, 'lr'>,
  );
  constructor(
    params: OptimizerParams<RMSpropHyperparameters>,
    lrOrOptions: number | RMSpropOptions = {},
    rest?: Omit<RMSpropOptions, 'lr'>,
  ) {
    const options = withLr('RMSprop', lrOrOptions, rest);
    super(
      'RMSprop',
      params,
      {
        lr: options.lr ?? 1e-2,
        alpha: options.alpha ?? 0.99,
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? 0,
        momentum: options.momentum ?? 0,
        centered: options.centered ?? false,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  protected checkOptions(options: RMSpropHyperparameters): void {
    checkNonNegative('RMSprop', 'lr', options.lr);
    checkNonNegative('RMSprop', 'alpha', options.alpha);
    checkNonNegative('RMSprop', 'eps', options.eps);
    checkNonNegative('RMSprop', 'weightDecay', options.weightDecay);
    checkNonNegative('RMSprop', 'momentum', options.momentum);
    checkBoolean('RMSprop', 'centered', options.centered);
    checkBoolean('RMSprop', 'maximize', options.maximize);
  }

  protected initState(param: Tensor): RMSpropState {
    return { step: 0, squareAvg: zerosLike(param) };
  }

  protected update(
    param: Tensor,
    grad: Tensor,
    state: RMSpropState,
    group: ParamGroup<RMSpropHyperparameters>,
  ): Update {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    const withMomentum = momentum > 0;
    const exprs = rmspropExprs(centered, withMomentum, weightDecay !== 0, maximize);
    state.step += 1;
    if (centered) state.gradAvg ??= zerosLike(param);
    if (withMomentum) state.momentumBuffer ??= zerosLike(param);
    const { squareAvg, gradAvg, momentumBuffer } = state;
    // Unused input slots hold the parameter: the expressions never read them.
    const inputs = [param, grad, squareAvg, gradAvg ?? param, momentumBuffer ?? param];
    const outs = [
      param,
      squareAvg,
      ...(gradAvg && centered ? [gradAvg] : []),
      ...(momentumBuffer && withMomentum ? [momentumBuffer] : []),
    ];
    return { outs, exprs, inputs, params: [lr, alpha, 1 - alpha, eps, weightDecay, momentum] };
  }
}
