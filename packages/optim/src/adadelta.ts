// Adadelta with weight decay and maximize, following torch.optim.Adadelta step for step;
// one kernel per parameter and step.

import { E, type Tensor, zerosLike } from '@dl/tensor';
import { Optimizer, type OptimizerParams, type ParamGroup } from './optimizer.js';
import { gradExpr, memo } from './terms.js';
import type { Update } from './update.js';
import { checkBoolean, checkClosedUnitInterval, checkNonNegative, withLr } from './validate.js';

/**
 * Adadelta's hyperparameters, as torch.optim.Adadelta names them: lr (a scale on the step), rho
 * (the decay of the averages), eps, weightDecay, maximize.
 */
export interface AdadeltaHyperparameters {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * Adadelta's options: any hyperparameter, defaulting as PyTorch's (lr 1, rho 0.9, eps 1e-6,
 * weightDecay 0, maximize false).
 */
export type AdadeltaOptions = Partial<AdadeltaHyperparameters>;

/**
 * One parameter's Adadelta state: the step count and the running averages of squared gradients and
 * of squared updates.
 */
export type AdadeltaState = { step: number; squareAvg: Tensor; accDelta: Tensor };

// Inputs: 0 param, 1 grad, 2 squareAvg, 3 accDelta. Params: 0 lr, 1 rho, 2 1 - rho, 3 eps,
// 4 weightDecay.
const adadeltaExprs = memo((decay: boolean, maximize: boolean) => {
  const param = E.input(0);
  const g = gradExpr(E.input(1), param, { maximize, weightDecay: decay ? E.param(4) : null });
  const squareAvg = E.add(E.mul(E.input(2), E.param(1)), E.mul(E.mul(g, g), E.param(2)));
  const std = E.sqrt(E.add(squareAvg, E.param(3)));
  const delta = E.mul(E.div(E.sqrt(E.add(E.input(3), E.param(3))), std), g);
  const accDelta = E.add(E.mul(E.input(3), E.param(1)), E.mul(E.mul(delta, delta), E.param(2)));
  return [E.sub(param, E.mul(E.param(0), delta)), squareAvg, accDelta];
});

/**
 * Adadelta, as torch.optim.Adadelta, with PyTorch's defaults (see AdadeltaOptions): `new
 * Adadelta(params)` or `new Adadelta(params, { rho: 0.95 })`.
 */
export class Adadelta extends Optimizer<AdadeltaHyperparameters, AdadeltaState> {
  constructor(params: OptimizerParams<AdadeltaHyperparameters>, options?: AdadeltaOptions);
  constructor(
    params: OptimizerParams<AdadeltaHyperparameters>,
    lr: number,
    options?: Omit<AdadeltaOptions, 'lr'>,
  );
  constructor(
    params: OptimizerParams<AdadeltaHyperparameters>,
    lrOrOptions: number | AdadeltaOptions = {},
    rest?: Omit<AdadeltaOptions, 'lr'>,
  ) {
    const options = withLr('Adadelta', lrOrOptions, rest);
    super(
      'Adadelta',
      params,
      {
        lr: options.lr ?? 1,
        rho: options.rho ?? 0.9,
        eps: options.eps ?? 1e-6,
        weightDecay: options.weightDecay ?? 0,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  protected checkOptions(options: AdadeltaHyperparameters): void {
    checkNonNegative('Adadelta', 'lr', options.lr);
    checkClosedUnitInterval('Adadelta', 'rho', options.rho);
    checkNonNegative('Adadelta', 'eps', options.eps);
    checkNonNegative('Adadelta', 'weightDecay', options.weightDecay);
    checkBoolean('Adadelta', 'maximize', options.maximize);
  }

  protected initState(param: Tensor): AdadeltaState {
    return { step: 0, squareAvg: zerosLike(param), accDelta: zerosLike(param) };
  }

  protected update(
    param: Tensor,
    grad: Tensor,
    state: AdadeltaState,
    group: ParamGroup<AdadeltaHyperparameters>,
  ): Update {
    const { lr, rho, eps, weightDecay, maximize } = group;
    state.step += 1;
    const { squareAvg, accDelta } = state;
    return {
      outs: [param, squareAvg, accDelta],
      exprs: adadeltaExprs(weightDecay !== 0, maximize),
      inputs: [param, grad, squareAvg, accDelta],
      params: [lr, rho, 1 - rho, eps, weightDecay],
    };
  }
}
