// Stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay and
// maximize, following torch.optim.SGD step for step; one kernel per parameter and step.

import { E, type Expr, type Tensor, zerosLike } from '@dl/tensor';
import { Optimizer, type OptimizerParams, type ParamGroup } from './optimizer.js';
import { gradExpr, memo } from './terms.js';
import type { Update } from './update.js';
import { checkBoolean, checkNonNegative, withLr } from './validate.js';

/** SGD's hyperparameters, as torch.optim.SGD names them. */
export interface SGDHyperparameters {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** lr is required, as in PyTorch; the rest default to plain SGD. */
export type SGDOptions = Pick<SGDHyperparameters, 'lr'> & Partial<SGDHyperparameters>;

/** One parameter's SGD state: the momentum buffer, once momentum is used. */
export type SGDState = { momentumBuffer?: Tensor };

// Inputs: 0 param, 1 grad, 2 momentum buffer. Params: 0 lr, 1 weightDecay, 2 buffer decay,
// 3 gradient scale in the buffer, 4 momentum (Nesterov).
const sgdExprs = memo((momentum: boolean, nesterov: boolean, decay: boolean, maximize: boolean) => {
  const param = E.input(0);
  const g = gradExpr(E.input(1), param, { maximize, weightDecay: decay ? E.param(1) : null });
  if (!momentum) return [E.sub(param, E.mul(E.param(0), g))];
  const buffer = E.add(E.mul(E.input(2), E.param(2)), E.mul(g, E.param(3)));
  const direction: Expr = nesterov ? E.add(g, E.mul(buffer, E.param(4))) : buffer;
  return [E.sub(param, E.mul(E.param(0), direction)), buffer];
});

/** SGD: `new SGD(params, 0.01)`, `new SGD(params, 0.01, { momentum: 0.9 })` or `new SGD(params, { lr: 0.01 })`. */
export class SGD extends Optimizer<SGDHyperparameters, SGDState> {
  constructor(params: OptimizerParams<SGDHyperparameters>, options: SGDOptions);
  constructor(
    params: OptimizerParams<SGDHyperparameters>,
    lr: number,
    options?: Omit<Partial<SGDHyperparameters>, 'lr'>,
  );
  constructor(
    params: OptimizerParams<SGDHyperparameters>,
    lrOrOptions: number | SGDOptions,
    rest?: Omit<Partial<SGDHyperparameters>, 'lr'>,
  ) {
    const options = withLr<Partial<SGDHyperparameters>>('SGD', lrOrOptions, rest);
    if (options.lr === undefined) {
      throw new TypeError(
        'SGD: lr is required (new SGD(params, 0.01) or new SGD(params, { lr: 0.01 }))',
      );
    }
    super(
      'SGD',
      params,
      {
        lr: options.lr,
        momentum: options.momentum ?? 0,
        dampening: options.dampening ?? 0,
        weightDecay: options.weightDecay ?? 0,
        nesterov: options.nesterov ?? false,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  protected checkOptions(options: SGDHyperparameters): void {
    checkNonNegative('SGD', 'lr', options.lr);
    checkNonNegative('SGD', 'momentum', options.momentum);
    checkNonNegative('SGD', 'weightDecay', options.weightDecay);
    if (typeof options.dampening !== 'number' || Number.isNaN(options.dampening)) {
      throw new RangeError(`SGD: invalid dampening value: ${options.dampening}`);
    }
    checkBoolean('SGD', 'nesterov', options.nesterov);
    checkBoolean('SGD', 'maximize', options.maximize);
    if (options.nesterov && (options.momentum <= 0 || options.dampening !== 0)) {
      throw new Error(
        `SGD: Nesterov momentum requires a momentum and zero dampening (got momentum ${options.momentum}, dampening ${options.dampening})`,
      );
    }
  }

  protected initState(): SGDState {
    return {};
  }

  protected update(
    param: Tensor,
    grad: Tensor,
    state: SGDState,
    group: ParamGroup<SGDHyperparameters>,
  ): Update {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    const exprs = sgdExprs(momentum !== 0, nesterov, weightDecay !== 0, maximize);
    if (momentum === 0)
      return { outs: [param], exprs, inputs: [param, grad], params: [lr, weightDecay] };
    // The buffer starts as the first gradient (PyTorch clones it): 0 * zeros + 1 * grad.
    const first = !state.momentumBuffer;
    state.momentumBuffer ??= zerosLike(param);
    const buffer = state.momentumBuffer;
    return {
      outs: [param, buffer],
      exprs,
      inputs: [param, grad, buffer],
      params: [lr, weightDecay, first ? 0 : momentum, first ? 1 : 1 - dampening, momentum],
    };
  }
}
