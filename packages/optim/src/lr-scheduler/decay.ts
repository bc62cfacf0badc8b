// Schedulers that scale the learning rate by a factor per epoch: LambdaLR, StepLR,
// MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR. Each follows PyTorch's
// chainable form (scaling the group's current lr), so they compose with outside changes.

import {
  LRScheduler,
  perGroup,
  type SchedulableOptimizer,
  type SchedulerOptions,
} from './scheduler.js';

function checkPositiveInteger(name: string, what: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name}: ${what} must be a positive integer, got ${value}`);
  }
}

function checkFactor(name: string, what: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0 && value <= 1)) {
    throw new RangeError(`${name}: ${what} expected to be between 0 and 1, got ${value}`);
  }
}

/** lr = initial lr * lrLambda(epoch), with one function for all groups or one per group. */
export class LambdaLR extends LRScheduler {
  /** The multiplier of each group's initial lr, as a function of the epoch. */
  readonly lrLambdas: ((epoch: number) => number)[];

  constructor(
    optimizer: SchedulableOptimizer,
    lrLambda: ((epoch: number) => number) | readonly ((epoch: number) => number)[],
    options: SchedulerOptions = {},
  ) {
    const lrLambdas = perGroup('LambdaLR', 'lrLambda', optimizer, lrLambda);
    super('LambdaLR', optimizer, options.lastEpoch);
    this.lrLambdas = lrLambdas;
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i]!(this.lastEpoch));
  }
}

/** Multiplies the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(
    optimizer: SchedulableOptimizer,
    stepSize: number,
    options: { gamma?: number } & SchedulerOptions = {},
  ) {
    checkPositiveInteger('StepLR', 'stepSize', stepSize);
    super('StepLR', optimizer, options.lastEpoch);
    this.stepSize = stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize),
    );
  }
}

/** Multiplies the lr by gamma at each milestone epoch (a repeated milestone, by gamma again). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: readonly number[];
  readonly gamma: number;

  constructor(
    optimizer: SchedulableOptimizer,
    milestones: readonly number[],
    options: { gamma?: number } & SchedulerOptions = {},
  ) {
    super('MultiStepLR', optimizer, options.lastEpoch);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma ** hits);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}

/** Multiplies the lr by factor until epoch totalIters, then restores it. */
export class ConstantLR extends LRScheduler {
  readonly factor: number;
  readonly totalIters: number;

  constructor(
    optimizer: SchedulableOptimizer,
    options: { factor?: number; totalIters?: number } & SchedulerOptions = {},
  ) {
    const factor = options.factor ?? 1 / 3;
    checkFactor('ConstantLR', 'factor', factor);
    super('ConstantLR', optimizer, options.lastEpoch);
    this.factor = factor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return lrs;
    return lrs.map((lr) => lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    const after = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((base) => base * (this.factor + after * (1 - this.factor)));
  }
}

/** Scales the lr by a factor moving linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(
    optimizer: SchedulableOptimizer,
    options: {
      startFactor?: number;
      endFactor?: number;
      totalIters?: number;
    } & SchedulerOptions = {},
  ) {
    const startFactor = options.startFactor ?? 1 / 3;
    const endFactor = options.endFactor ?? 1;
    checkFactor('LinearLR', 'startFactor', startFactor);
    checkFactor('LinearLR', 'endFactor', endFactor);
    super('LinearLR', optimizer, options.lastEpoch);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return lrs;
    const { startFactor: start, endFactor: end, totalIters: total } = this;
    const scale = 1 + (end - start) / (total * start + (this.lastEpoch - 1) * (end - start));
    return lrs.map((lr) => lr * scale);
  }

  protected override closedFormLr(): number[] {
    const { startFactor: start, endFactor: end, totalIters: total } = this;
    const progress = Math.min(total, this.lastEpoch) / total;
    return this.baseLrs.map((base) => base * (start + (end - start) * progress));
  }
}

/** Multiplies the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, gamma: number, options: SchedulerOptions = {}) {
    super('ExponentialLR', optimizer, options.lastEpoch);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}

/** Decays the lr to zero over totalIters epochs as (1 - epoch / totalIters) ** power. */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;

  constructor(
    optimizer: SchedulableOptimizer,
    options: { totalIters?: number; power?: number } & SchedulerOptions = {},
  ) {
    const totalIters = options.totalIters ?? 5;
    checkPositiveInteger('PolynomialLR', 'totalIters', totalIters);
    super('PolynomialLR', optimizer, options.lastEpoch);
    this.totalIters = totalIters;
    this.power = options.power ?? 1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return lrs;
    const total = this.totalIters;
    const factor =
      ((1 - this.lastEpoch / total) / (1 - (this.lastEpoch - 1) / total)) ** this.power;
    return lrs.map((lr) => lr * factor);
  }

  protected override closedFormLr(): number[] {
    const progress = Math.min(this.totalIters, this.lastEpoch) / this.totalIters;
    return this.baseLrs.map((base) => base * (1 - progress) ** this.power);
  }
}
