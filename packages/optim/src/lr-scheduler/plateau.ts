// ReduceLROnPlateau: lowers the learning rate when a metric stops improving for `patience`
// epochs, following torch.optim.lr_scheduler.ReduceLROnPlateau step for step.

import {
  perGroup,
  readNumber,
  readNumbers,
  type SchedulableOptimizer,
  type SchedulerStateDict,
} from './scheduler.js';

/** Options of ReduceLROnPlateau, as torch.optim.lr_scheduler.ReduceLROnPlateau's. */
export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': it should rise (an accuracy). */
  mode?: 'min' | 'max';
  /** New lr = lr * factor (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement before the lr drops (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4)... */
  threshold?: number;
  /** ...relative to the best ('rel', the default) or in absolute terms ('abs'). */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a drop before counting bad epochs again (default 0). */
  cooldown?: number;
  /** A floor on the lr, for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** Drops smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the lr by `factor` once a metric has stopped improving for `patience` epochs, as
 * torch.optim.lr_scheduler.ReduceLROnPlateau: call step(metric) once an epoch with the validation
 * loss (or accuracy, in mode 'max').
 */
export class ReduceLROnPlateau {
  readonly optimizer: SchedulableOptimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: readonly number[];
  readonly eps: number;
  /** The best metric so far (Infinity or -Infinity before the first step). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  #lastLr: number[];

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const name = 'ReduceLROnPlateau';
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`${name}: expected an Optimizer, got ${String(optimizer)}`);
    }
    const factor = options.factor ?? 0.1;
    if (!(factor < 1)) throw new RangeError(`${name}: factor should be < 1.0, got ${factor}`);
    const mode = options.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') {
      throw new RangeError(`${name}: mode ${String(mode)} is unknown (expected 'min' or 'max')`);
    }
    const thresholdMode = options.thresholdMode ?? 'rel';
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new RangeError(
        `${name}: threshold mode ${String(thresholdMode)} is unknown (expected 'rel' or 'abs')`,
      );
    }
    this.optimizer = optimizer;
    this.mode = mode;
    this.factor = factor;
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = thresholdMode;
    this.cooldown = options.cooldown ?? 0;
    this.minLrs = perGroup(name, 'minLr', optimizer, options.minLr ?? 0);
    this.eps = options.eps ?? 1e-8;
    this.best = this.#worst();
    this.#lastLr = optimizer.paramGroups.map((group) => group.lr);
  }

  /** Records this epoch's metric (a number: read a tensor with `await loss.item()` first). */
  step(metric: number): void {
    if (typeof metric !== 'number') {
      throw new TypeError(
        `ReduceLROnPlateau.step: expected a number, got ${typeof metric}; read a tensor with await t.item()`,
      );
    }
    this.lastEpoch += 1;
    if (this.#isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.#reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.#lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The learning rate of each group as of the last step. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** Whether the scheduler waits after a drop before counting bad epochs again. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** The counters and the best metric; `best` is null while it is still infinite (JSON has no Infinity). */
  stateDict(): SchedulerStateDict {
    return {
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
      lastLr: [...this.#lastLr],
    };
  }

  /**
   * Restores stateDict() of a scheduler built with the same arguments. On error nothing changes.
   */
  loadStateDict(state: SchedulerStateDict): void {
    const best = state['best'] === null ? this.#worst() : readNumber(state, 'best');
    const numBadEpochs = readNumber(state, 'numBadEpochs');
    const cooldownCounter = readNumber(state, 'cooldownCounter');
    const lastEpoch = readNumber(state, 'lastEpoch');
    const lastLr = readNumbers(state, 'lastLr', this.optimizer.paramGroups.length);
    this.best = best;
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
    this.lastEpoch = lastEpoch;
    this.#lastLr = lastLr;
  }

  #worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  #isBetter(value: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') {
      return this.thresholdMode === 'rel'
        ? value < best * (1 - threshold)
        : value < best - threshold;
    }
    return this.thresholdMode === 'rel' ? value > best * (threshold + 1) : value > best + threshold;
  }

  #reduceLr(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const newLr = Math.max(group.lr * this.factor, this.minLrs[i]!);
      if (group.lr - newLr > this.eps) group.lr = newLr;
    });
  }
}
