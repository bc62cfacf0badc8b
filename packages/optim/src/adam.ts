// Adam and AdamW (decoupled weight decay), with AMSGrad and maximize, following
// torch.optim.Adam and torch.optim.AdamW step for step. Each parameter's step is one kernel
// that writes the parameter and its moment estimates together.

import { E, type Tensor, zerosLike } from '@dl/tensor';
import { Optimizer, type OptimizerParams, type ParamGroup } from './optimizer.js';
import { gradExpr, memo } from './terms.js';
import type { Update } from './update.js';
import { checkBetas, checkBoolean, checkNonNegative, withLr } from './validate.js';

/**
 * Adam's and AdamW's hyperparameters, as torch.optim.Adam names them: lr, betas (the decay rates of
 * the moment estimates), eps (added to the denominator), weightDecay, amsgrad, maximize.
 */
export interface AdamHyperparameters {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * Adam's options: any hyperparameter, defaulting as PyTorch's (lr 1e-3, betas [0.9, 0.999], eps
 * 1e-8, weightDecay 0, amsgrad and maximize false).
 */
export type AdamOptions = Partial<AdamHyperparameters>;

/**
 * One parameter's Adam state: the step count and the first and second moment estimates (and their
 * running maximum with amsgrad).
 */
export type AdamState = {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
  maxExpAvgSq?: Tensor;
};

// Inputs: 0 param, 1 grad, 2 expAvg, 3 expAvgSq, 4 maxExpAvgSq. Params: 0 beta1, 1 1 - beta1,
// 2 beta2, 3 1 - beta2, 4 step size (lr / bias correction 1), 5 sqrt(bias correction 2),
// 6 eps, 7 weightDecay (Adam) or 1 - lr * weightDecay (AdamW).
const adamExprs = memo(
  (decoupled: boolean, decay: boolean, amsgrad: boolean, maximize: boolean) => {
    const param = E.input(0);
    const g = gradExpr(E.input(1), param, {
      maximize,
      weightDecay: decay && !decoupled ? E.param(7) : null,
    });
    const expAvg = E.add(E.mul(E.input(2), E.param(0)), E.mul(g, E.param(1)));
    const expAvgSq = E.add(E.mul(E.input(3), E.param(2)), E.mul(E.mul(g, g), E.param(3)));
    const maxExpAvgSq = E.max(E.input(4), expAvgSq);
    const second = amsgrad ? maxExpAvgSq : expAvgSq;
    const denom = E.add(E.div(E.sqrt(second), E.param(5)), E.param(6));
    const decayed = decay && decoupled ? E.mul(param, E.param(7)) : param;
    const newParam = E.sub(decayed, E.mul(E.param(4), E.div(expAvg, denom)));
    return amsgrad ? [newParam, expAvg, expAvgSq, maxExpAvgSq] : [newParam, expAvg, expAvgSq];
  },
);

/** What Adam and AdamW share; they differ only in how weight decay enters. */
abstract class AdamFamily extends Optimizer<AdamHyperparameters, AdamState> {
  readonly #decoupled: boolean;

  protected constructor(
    name: string,
    params: OptimizerParams<AdamHyperparameters>,
    options: AdamOptions,
    decoupled: boolean,
  ) {
    super(
      name,
      params,
      {
        lr: options.lr ?? 1e-3,
        betas: options.betas ? [...options.betas] : [0.9, 0.999],
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? (decoupled ? 1e-2 : 0),
        amsgrad: options.amsgrad ?? false,
        maximize: options.maximize ?? false,
      },
      options,
    );
    this.#decoupled = decoupled;
  }

  protected checkOptions(options: AdamHyperparameters): void {
    const name = this.optimizerName;
    checkNonNegative(name, 'lr', options.lr);
    checkNonNegative(name, 'eps', options.eps);
    checkBetas(name, options.betas);
    checkNonNegative(name, 'weightDecay', options.weightDecay);
    checkBoolean(name, 'amsgrad', options.amsgrad);
    checkBoolean(name, 'maximize', options.maximize);
  }

  protected initState(param: Tensor): AdamState {
    return { step: 0, expAvg: zerosLike(param), expAvgSq: zerosLike(param) };
  }

  protected update(
    param: Tensor,
    grad: Tensor,
    state: AdamState,
    group: ParamGroup<AdamHyperparameters>,
  ): Update {
    const { lr, betas, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = betas;
    const decoupled = this.#decoupled;
    const exprs = adamExprs(decoupled, weightDecay !== 0, amsgrad, maximize);
    state.step += 1;
    const step = state.step;
    const params = [
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      lr / (1 - beta1 ** step),
      Math.sqrt(1 - beta2 ** step),
      eps,
      decoupled ? 1 - lr * weightDecay : weightDecay,
    ];
    const { expAvg, expAvgSq } = state;
    if (!amsgrad) {
      const inputs = [param, grad, expAvg, expAvgSq];
      return { outs: [param, expAvg, expAvgSq], exprs, inputs, params };
    }
    state.maxExpAvgSq ??= zerosLike(param);
    const max = state.maxExpAvgSq;
    const inputs = [param, grad, expAvg, expAvgSq, max];
    return { outs: [param, expAvg, expAvgSq, max], exprs, inputs, params };
  }
}

/** Adam (Kingma and Ba), with PyTorch's defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8. */
export class Adam extends AdamFamily {
  constructor(params: OptimizerParams<AdamHyperparameters>, options?: AdamOptions);
  constructor(
    params: OptimizerParams<AdamHyperparameters>,
    lr: number,
    options?: Omit<AdamOptions, 'lr'>,
  );
  constructor(
    params: OptimizerParams<AdamHyperparameters>,
    lrOrOptions: number | AdamOptions = {},
    rest?: Omit<AdamOptions, 'lr'>,
  ) {
    super('Adam', params, withLr('Adam', lrOrOptions, rest), false);
  }
}

/** AdamW's options: Adam's, but weightDecay defaults to 0.01. */
export type AdamWOptions = Partial<AdamHyperparameters>;

/** Adam with decoupled weight decay (Loshchilov and Hutter); weightDecay defaults to 0.01. */
export class AdamW extends AdamFamily {
  constructor(params: OptimizerParams<AdamHyperparameters>, options?: AdamWOptions);
  constructor(
    params: OptimizerParams<AdamHyperparameters>,
    lr: number,
    options?: Omit<AdamWOptions, 'lr'>,
  );
  constructor(
    params: OptimizerParams<AdamHyperparameters>,
    lrOrOptions: number | AdamWOptions = {},
    rest?: Omit<AdamWOptions, 'lr'>,
  ) {
    super('AdamW', params, withLr('AdamW', lrOrOptions, rest), true);
  }
}
