// The Optimizer base class: parameter groups with their own hyperparameters, per-parameter
// state created on the first step, zeroGrad/step, and state dicts that resume training exactly.

import { describeValue, enableGrad, isFloating, noGrad, Tensor } from '@dl/tensor';
import { applyUpdate, type Update } from './update.js';

/** Fields the learning-rate schedulers keep in a group (saved with it), as PyTorch does. */
export interface SchedulerFields {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}

/** The hyperparameters every optimizer has. */
export interface BaseHyperparameters {
  lr: number;
}

/** A group of parameters and the hyperparameters they are updated with. */
export type ParamGroup<H> = H & SchedulerFields & { params: Tensor[] };

/** A group as the constructor and addParamGroup take it: some hyperparameters overridden. */
export type ParamGroupInput<H> = Partial<H> & SchedulerFields & { params: Iterable<Tensor> };

/** What an optimizer updates: tensors (`model.parameters()`) or parameter groups. */
export type OptimizerParams<H> = Iterable<Tensor> | Iterable<ParamGroupInput<H>>;

/** A parameter's state: tensors (moving averages, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * What stateDict() returns: the state keyed by the parameter's position across all groups,
 * and each group's hyperparameters with its parameters as those positions (PyTorch's layout).
 */
export interface OptimizerStateDict<H> {
  state: Record<number, ParamState>;
  paramGroups: (Omit<ParamGroup<H>, 'params'> & { params: number[] })[];
}

const schedulerFieldNames: readonly string[] = [
  'initialLr',
  'maxLr',
  'minLr',
  'maxMomentum',
  'baseMomentum',
];

/**
 * Subclasses give their defaults, check hyperparameters (checkOptions), and turn one
 * parameter's gradient and state into an Update (update), run as one kernel on the device.
 */
export abstract class Optimizer<
  H extends BaseHyperparameters = BaseHyperparameters,
  S extends ParamState = ParamState,
> {
  /** The hyperparameters a group gets unless it sets its own. */
  readonly defaults: Readonly<H>;
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created on the parameter's first step. */
  readonly state = new Map<Tensor, S>();
  readonly #name: string;

  /** `options` is what the user passed, checked for keys the optimizer does not know. */
  protected constructor(name: string, params: OptimizerParams<H>, defaults: H, options: object) {
    this.#name = name;
    checkKnown(name, options, Object.keys(defaults));
    this.checkOptions(defaults);
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new TypeError(
        `${name}: params should be an iterable of Tensors or of parameter groups, but got a Tensor; pass [tensor]`,
      );
    }
    checkIterable(name, params);
    const items: (Tensor | ParamGroupInput<H>)[] = [...params];
    if (items.length === 0) throw new Error(`${name}: optimizer got an empty parameter list`);
    if (items.every((item) => item instanceof Tensor)) {
      this.#addGroup(items, {});
      return;
    }
    items.forEach((item, i) => {
      if (item instanceof Tensor) {
        throw new TypeError(
          `${name}: params mixes Tensors and parameter groups (item ${i} is a Tensor); put every tensor in a group`,
        );
      }
      if (typeof item !== 'object' || item === null || !('params' in item)) {
        const hint =
          typeof item === 'object' && item !== null && 'parameters' in item
            ? '; pass model.parameters()'
            : '';
        throw new TypeError(
          `${name}: params should hold Tensors or parameter groups ({ params, lr, ... }), but item ${i} is ${describeValue(item)}${hint}`,
        );
      }
      this.addParamGroup(item);
    });
  }

  /** The optimizer's name, for error messages. */
  protected get optimizerName(): string {
    return this.#name;
  }

  /** Checks one group's hyperparameters; throws naming the option and its bad value. */
  protected abstract checkOptions(options: H): void;

  /** Creates a parameter's state on its first step. */
  protected abstract initState(param: Tensor, group: ParamGroup<H>): S;

  /** The update of one parameter from its gradient; may also advance numbers in `state`. */
  protected abstract update(param: Tensor, grad: Tensor, state: S, group: ParamGroup<H>): Update;

  /** Adds a group of parameters, with hyperparameters that override the defaults. */
  addParamGroup(group: ParamGroupInput<H>): void {
    const { params, ...overrides } = group;
    this.#addGroup(params, overrides);
  }

  #addGroup(given: Iterable<Tensor>, overrides: object): void {
    const name = this.#name;
    if (given instanceof Tensor) {
      throw new TypeError(
        `${name}: a parameter group's params should be an iterable of Tensors, but got a Tensor; pass [tensor]`,
      );
    }
    const params = [...given];
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new TypeError(`${name}: parameter ${i} of the group is not a Tensor: ${String(p)}`);
      }
      if (!p.isLeaf) throw new Error(`${name}: can't optimize a non-leaf Tensor (parameter ${i})`);
      if (!isFloating(p.dtype)) {
        throw new TypeError(
          `${name}: parameter ${i} has dtype ${p.dtype}; optimizers update floating-point tensors`,
        );
      }
    });
    if (new Set(params).size !== params.length) {
      throw new Error(`${name}: a parameter group holds the same tensor more than once`);
    }
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p))) {
      throw new Error(`${name}: some parameters appear in more than one parameter group`);
    }
    const options = this.#merge(overrides);
    this.paramGroups.push({ ...options, params });
  }

  /**
   * Clears the gradients: by default sets them to null (PyTorch 2's default), which saves
   * memory and makes a parameter without a new gradient skip the next step.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        if (setToNone) {
          p.grad = null;
          continue;
        }
        if (p.grad.gradFn) p.grad = p.grad.detach();
        else if (p.grad.requiresGrad) p.grad.requiresGrad_(false);
        const grad = p.grad;
        noGrad(() => grad.zero_());
      }
    }
  }

  /**
   * Updates every parameter that has a gradient. `closure`, if given, recomputes the loss
   * (with autograd on) and its result is returned. Nothing is read back from the device.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    // Check every gradient first, so a bad one leaves all parameters and state untouched.
    const work: [ParamGroup<H>, Tensor, Tensor][] = [];
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (!grad) continue;
        this.#checkGrad(p, grad);
        work.push([group, p, grad]);
      }
    }
    for (const [group, p, grad] of work) {
      let state = this.state.get(p);
      if (!state) {
        state = noGrad(() => this.initState(p, group));
        this.state.set(p, state);
      }
      applyUpdate(this.update(p, grad, state, group));
    }
    return loss;
  }

  /**
   * The optimizer's state: hyperparameters per group and per-parameter state, with the
   * state's tensors themselves (read or clone them to keep a snapshot, as with PyTorch).
   */
  stateDict(): OptimizerStateDict<H> {
    const position = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map(({ params, ...options }) => ({
      ...copyOptions(options),
      params: params.map((p) => {
        position.set(p, position.size);
        return position.size - 1;
      }),
    }));
    const state: Record<number, ParamState> = {};
    for (const [p, entry] of this.state) {
      const index = position.get(p);
      if (index !== undefined) state[index] = { ...entry };
    }
    return { state, paramGroups };
  }

  /**
   * Restores a state dict from stateDict() of an optimizer over parameters of the same
   * shapes, in the same groups. State tensors are copied onto each parameter's device.
   * On error nothing changes.
   */
  loadStateDict(stateDict: OptimizerStateDict<H>): void {
    const name = this.#name;
    const saved = stateDict.paramGroups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new Error(
        `${name}: loaded state dict has ${saved?.length} parameter groups; this optimizer has ${this.paramGroups.length}`,
      );
    }
    const byPosition = new Map<number, Tensor>();
    const groups = this.paramGroups.map((group, g) => {
      const { params: positions, ...options } = saved[g]!;
      if (positions.length !== group.params.length) {
        throw new Error(
          `${name}: loaded state dict's parameter group ${g} has ${positions.length} parameters; this optimizer's has ${group.params.length}`,
        );
      }
      group.params.forEach((p, i) => {
        byPosition.set(positions[i]!, p);
      });
      // Options are checked like the constructor's, so a bad file cannot poison later steps.
      const merged = this.#merge(copyOptions(options));
      return { ...merged, params: group.params };
    });
    const state = new Map<Tensor, S>();
    for (const [key, entry] of Object.entries(stateDict.state ?? {})) {
      const p = byPosition.get(Number(key));
      if (!p) throw new Error(`${name}: loaded state dict has state for unknown parameter ${key}`);
      state.set(p, this.#restoreState(p, key, entry));
    }
    this.paramGroups.splice(0, this.paramGroups.length, ...groups);
    this.state.clear();
    for (const [p, entry] of state) this.state.set(p, entry);
  }

  #merge(overrides: object): ParamGroup<H> {
    checkKnown(this.#name, overrides, [...Object.keys(this.defaults), ...schedulerFieldNames]);
    const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    // Every key of H is present (the defaults), overridden by known keys only (checked above).
    const merged = { ...this.defaults, ...given } as ParamGroup<H>;
    this.checkOptions(merged);
    return merged;
  }

  #checkGrad(p: Tensor, grad: Tensor): void {
    if (p.isDisposed || grad.isDisposed) {
      throw new Error(
        `${this.#name}.step: a parameter${p.isDisposed ? '' : "'s gradient"} has been disposed`,
      );
    }
    const sameShape =
      grad.shape.length === p.shape.length && grad.shape.every((d, i) => d === p.shape[i]);
    if (!sameShape) {
      throw new Error(
        `${this.#name}.step: a gradient has shape [${grad.shape.join(', ')}] but its parameter has shape [${p.shape.join(', ')}]`,
      );
    }
    if (grad.device !== p.device) {
      throw new Error(
        `${this.#name}.step: a gradient is on ${grad.device} but its parameter is on ${p.device}`,
      );
    }
    if (grad.dtype !== p.dtype) {
      throw new TypeError(
        `${this.#name}.step: a gradient has dtype ${grad.dtype} but its parameter has dtype ${p.dtype}`,
      );
    }
  }

  #restoreState(p: Tensor, key: string, entry: ParamState): S {
    const restored: ParamState = {};
    for (const [field, value] of Object.entries(entry)) {
      if (typeof value === 'number') {
        restored[field] = value;
      } else if (value instanceof Tensor) {
        const sameShape =
          value.shape.length === p.shape.length && value.shape.every((d, i) => d === p.shape[i]);
        if (!sameShape) {
          throw new Error(
            `${this.#name}: loaded state '${field}' of parameter ${key} has shape [${value.shape.join(', ')}]; the parameter has [${p.shape.join(', ')}]`,
          );
        }
        restored[field] = noGrad(() => value.to(p.device).to(p.dtype).clone());
      } else {
        throw new TypeError(
          `${this.#name}: loaded state '${field}' of parameter ${key} is neither a Tensor nor a number`,
        );
      }
    }
    return restored as S; // a state dict from stateDict() of the same optimizer holds S's fields
  }

  /** PyTorch's printed form: each parameter group's size and hyperparameters. */
  toString(): string {
    const lines = this.paramGroups.map((group, i) => {
      const { params, ...options } = group;
      const fields = Object.entries(options).map(([k, v]) => `    ${k}: ${String(v)}`);
      return [`Parameter Group ${i} (${params.length} tensors)`, ...fields].join('\n');
    });
    return `${this.#name} (\n${lines.join('\n')}\n)`;
  }
}

/** Throws on an option the optimizer does not have (a typo would otherwise be ignored). */
/** Refuses params that are not iterable, saying how to pass a module's parameters. */
function checkIterable(name: string, params: unknown): void {
  if (typeof params === 'object' && params !== null && Symbol.iterator in params) return;
  const hint =
    typeof params === 'function'
      ? '; call it: model.parameters()'
      : typeof params === 'object' && params !== null && 'parameters' in params
        ? '; pass model.parameters()'
        : '';
  throw new TypeError(
    `${name}: params should be an iterable of Tensors or of parameter groups, got ${describeValue(params)}${hint}`,
  );
}

function checkKnown(name: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options ?? {})) {
    if (!known.includes(key)) {
      throw new TypeError(`${name}: unknown option '${key}' (options: ${known.join(', ')})`);
    }
  }
}

/** A copy of a group's options, with arrays (betas) copied so the copy is independent. */
function copyOptions<T extends object>(options: T): T {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    copy[key] = Array.isArray(value) ? [...value] : value;
  }
  return copy as T; // the same keys and value types as `options`
}
