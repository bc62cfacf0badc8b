// Adagrad with learning-rate decay, an initial accumulator value, weight decay and maximize,
// following torch.optim.Adagrad step for step; one kernel per parameter and step.

import { E, fullLike, type Tensor } from '@dl/tensor';
import { Optimizer, type OptimizerParams, type ParamGroup } from './optimizer.js';
import { gradExpr, memo } from './terms.js';
import type { Update } from './update.js';
import { checkBoolean, checkNonNegative, withLr } from './validate.js';

/** Adagrad's hyperparameters, as torch.optim.Adagrad names them. */
export interface AdagradHyperparameters {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/**
 * Adagrad's options: any hyperparameter, defaulting as PyTorch's (lr 1e-2, lrDecay, weightDecay and
 * initialAccumulatorValue 0, eps 1e-10, maximize false).
 */
export type AdagradOptions = Partial<AdagradHyperparameters>;

/** One parameter's Adagrad state: the step count and the sum of squared gradients. */
export type AdagradState = { step: number; sum: Tensor };

// Inputs: 0 param, 1 grad, 2 sum. Params: 0 the step's lr, 1 eps, 2 weightDecay.
const adagradExprs = memo((decay: boolean, maximize: boolean) => {
  const param = E.input(0);
  const g = gradExpr(E.input(1), param, { maximize, weightDecay: decay ? E.param(2) : null });
  const sum = E.add(E.input(2), E.mul(g, g));
  const std = E.add(E.sqrt(sum), E.param(1));
  return [E.sub(param, E.mul(E.param(0), E.div(g, std))), sum];
});

/**
 * Adagrad, as torch.optim.Adagrad, with PyTorch's defaults (see AdagradOptions): `new
 * Adagrad(params)`, `new Adagrad(params, 0.1)` or `new Adagrad(params, { lr: 0.1 })`.
 */
export class Adagrad extends Optimizer<AdagradHyperparameters, AdagradState> {
  constructor(params: OptimizerParams<AdagradHyperparameters>, options?: AdagradOptions);
  constructor(
    params: OptimizerParams<AdagradHyperparameters>,
    lr: number,
    options?: Omit<AdagradOptions, 'lr'>,
  );
  constructor(
    params: OptimizerParams<AdagradHyperparameters>,
    lrOrOptions: number | AdagradOptions = {},
    rest?: Omit<AdagradOptions, 'lr'>,
  ) {
    const options = withLr('Adagrad', lrOrOptions, rest);
    super(
      'Adagrad',
      params,
      {
        lr: options.lr ?? 1e-2,
        lrDecay: options.lrDecay ?? 0,
        weightDecay: options.weightDecay ?? 0,
        initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
        eps: options.eps ?? 1e-10,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  protected checkOptions(options: AdagradHyperparameters): void {
    checkNonNegative('Adagrad', 'lr', options.lr);
    checkNonNegative('Adagrad', 'lrDecay', options.lrDecay);
    checkNonNegative('Adagrad', 'weightDecay', options.weightDecay);
    checkNonNegative('Adagrad', 'initialAccumulatorValue', options.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'eps', options.eps);
    checkBoolean('Adagrad', 'maximize', options.maximize);
  }

  protected initState(param: Tensor, group: ParamGroup<AdagradHyperparameters>): AdagradState {
    return { step: 0, sum: fullLike(param, group.initialAccumulatorValue) };
  }

  protected update(
    param: Tensor,
    grad: Tensor,
    state: AdagradState,
    group: ParamGroup<AdagradHyperparameters>,
  ): Update {
    const { lr, lrDecay, weightDecay, eps, maximize } = group;
    state.step += 1;
    const stepLr = lr / (1 + (state.step - 1) * lrDecay);
    return {
      outs: [param, state.sum],
      exprs: adagradExprs(weightDecay !== 0, maximize),
      inputs: [param, grad, state.sum],
      params: [stepLr, eps, weightDecay],
    };
  }
}
