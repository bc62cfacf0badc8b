// The base of the epoch-driven learning-rate schedulers (PyTorch's _LRScheduler): it
// remembers each group's initial lr, counts epochs, and writes the lr its subclass computes
// into the optimizer's groups on every step().

import type { SchedulerFields } from '../optimizer.js';

/** A parameter group as the schedulers see it. */
export interface SchedulableGroup extends SchedulerFields {
  lr: number;
  momentum?: number;
  betas?: [number, number];
}

/** What a scheduler needs of an optimizer: any Optimizer fits. */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly SchedulableGroup[];
  readonly defaults: object;
}

/** A scheduler's state dict: plain numbers and arrays (and nested states for SequentialLR). */
export interface SchedulerStateDict {
  [key: string]: number | null | readonly number[] | readonly SchedulerStateDict[];
}

/** Options every scheduler takes. */
export interface SchedulerOptions {
  /** The index of the last epoch when resuming; -1 (the default) starts afresh. */
  lastEpoch?: number;
}

/**
 * The base class of the epoch-based schedulers, as torch.optim.lr_scheduler.LRScheduler: each
 * step() sets every parameter group's lr for the next epoch. Call it after optimizer.step(), once
 * an epoch (or once a batch, for OneCycleLR).
 */
export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  /** Each group's lr when the schedule started (its initialLr). */
  baseLrs: number[];
  lastEpoch: number;
  /** How many times step() ran (CosineAnnealingLR's recursion looks at it). */
  protected stepCount = 0;
  #lastLr: number[] = [];

  /** Subclasses set their own fields, then call initialStep() at the end of their constructor. */
  protected constructor(name: string, optimizer: SchedulableOptimizer, lastEpoch = -1) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`${name}: expected an Optimizer, got ${String(optimizer)}`);
    }
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new RangeError(`${name}: invalid lastEpoch ${lastEpoch} (expected an integer >= -1)`);
    }
    this.optimizer = optimizer;
    if (lastEpoch === -1) {
      for (const group of optimizer.paramGroups) group.initialLr ??= group.lr;
    } else {
      optimizer.paramGroups.forEach((group, i) => {
        if (group.initialLr === undefined) {
          throw new Error(
            `${name}: param 'initialLr' is not specified in paramGroups[${i}] when resuming an optimizer (lastEpoch ${lastEpoch})`,
          );
        }
      });
    }
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** The learning rates of the next epoch (lastEpoch has already advanced), PyTorch's chainable form. */
  protected abstract getLr(): number[];

  /** The learning rates at lastEpoch computed directly, where the schedule has a closed form. */
  protected closedFormLr(): number[] | undefined {
    return undefined;
  }

  /** Resets the step counts and takes the first step (PyTorch's _initial_step). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch and sets each group's lr. */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    this.#apply(this.getLr());
  }

  /** @internal Jumps to `epoch` (SequentialLR at a milestone), using the closed form if any. */
  stepTo(epoch: number): void {
    this.stepCount += 1;
    this.lastEpoch = epoch;
    this.#apply(this.closedFormLr() ?? this.getLr());
  }

  /** @internal Makes the next step() repeat the current epoch (SequentialLR's reset). */
  rewind(): void {
    this.lastEpoch -= 1;
  }

  /** @internal Resets and takes the first step again (SequentialLR). */
  restart(): void {
    this.initialStep();
  }

  /** The learning rate of each group as of the last step. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /**
   * The epoch counters and learning rates (and a subclass's own state), to resume with
   * loadStateDict.
   */
  stateDict(): SchedulerStateDict {
    return {
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.#lastLr],
      ...this.extraState(),
    };
  }

  /** Restores stateDict() of a scheduler built with the same arguments. On error nothing changes. */
  loadStateDict(state: SchedulerStateDict): void {
    const groups = this.optimizer.paramGroups.length;
    const lastEpoch = readNumber(state, 'lastEpoch');
    const stepCount = readNumber(state, 'stepCount');
    const baseLrs = readNumbers(state, 'baseLrs', groups);
    const lastLr = readNumbers(state, 'lastLr', groups);
    this.checkExtraState(state);
    this.lastEpoch = lastEpoch;
    this.stepCount = stepCount;
    this.baseLrs = baseLrs;
    this.#lastLr = lastLr;
    this.loadExtraState(state);
  }

  /** State beyond the epoch counters (WarmRestarts' cycle position, ...). */
  protected extraState(): SchedulerStateDict {
    return {};
  }

  /** Throws if `state` lacks or mangles what loadExtraState needs. */
  protected checkExtraState(_state: SchedulerStateDict): void {}

  /** Restores what extraState saved, once checkExtraState accepted it. */
  protected loadExtraState(_state: SchedulerStateDict): void {}

  #apply(lrs: readonly number[]): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i]!;
    });
    this.#lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** @internal Sets the last lr (SequentialLR reports its current child's). */
  protected setLastLr(lrs: readonly number[]): void {
    this.#lastLr = [...lrs];
  }

  /** The groups' current learning rates. */
  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }
}

export function readNumber(state: SchedulerStateDict, key: string): number {
  const value = state[key];
  if (typeof value !== 'number') {
    throw new TypeError(`scheduler state dict: '${key}' should be a number, got ${String(value)}`);
  }
  return value;
}

export function readNumbers(state: SchedulerStateDict, key: string, length: number): number[] {
  const value = state[key];
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    value.some((v) => typeof v !== 'number')
  ) {
    throw new TypeError(
      `scheduler state dict: '${key}' should hold ${length} numbers (one per parameter group), got ${String(value)}`,
    );
  }
  return [...value];
}

/** One value per parameter group: a single value is repeated; a list must match the groups. */
export function perGroup<T>(
  name: string,
  what: string,
  optimizer: SchedulableOptimizer,
  value: T | readonly T[],
): T[] {
  const groups = optimizer.paramGroups.length;
  if (!Array.isArray(value)) return Array.from({ length: groups }, () => value as T);
  if (value.length !== groups) {
    throw new Error(`${name}: expected ${groups} values for ${what}, got ${value.length}`);
  }
  return [...value];
}
