// Cosine annealing (SGDR, Loshchilov and Hutter): CosineAnnealingLR without restarts, in
// PyTorch's recursive form, and CosineAnnealingWarmRestarts with cycles growing by tMult.

import {
  LRScheduler,
  readNumber,
  type SchedulableOptimizer,
  type SchedulerOptions,
  type SchedulerStateDict,
} from './scheduler.js';

/** Anneals the lr from its initial value to etaMin over tMax epochs along a half cosine. */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(
    optimizer: SchedulableOptimizer,
    tMax: number,
    options: { etaMin?: number } & SchedulerOptions = {},
  ) {
    if (!(tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be positive, got ${tMax}`);
    super('CosineAnnealingLR', optimizer, options.lastEpoch);
    this.tMax = tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: epoch, tMax, etaMin } = this;
    const lrs = this.currentLrs();
    if (epoch === 0) return lrs;
    if (this.stepCount === 1 && epoch > 0) {
      return this.baseLrs.map(
        (base) => etaMin + ((base - etaMin) * (1 + Math.cos((epoch * Math.PI) / tMax))) / 2,
      );
    }
    if ((epoch - 1 - tMax) % (2 * tMax) === 0) {
      return lrs.map(
        (lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2,
      );
    }
    return lrs.map(
      (lr) =>
        ((1 + Math.cos((Math.PI * epoch) / tMax)) /
          (1 + Math.cos((Math.PI * (epoch - 1)) / tMax))) *
          (lr - etaMin) +
        etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: epoch, tMax, etaMin } = this;
    return this.baseLrs.map(
      (base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2,
    );
  }
}

/** Cosine annealing restarted every cycle; the first lasts t0 epochs, each next tMult times longer. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  /** The length of the current cycle. */
  tI: number;
  /** Epochs since the last restart. */
  tCur: number;

  constructor(
    optimizer: SchedulableOptimizer,
    t0: number,
    options: { tMult?: number; etaMin?: number } & SchedulerOptions = {},
  ) {
    const tMult = options.tMult ?? 1;
    if (!Number.isInteger(t0) || t0 <= 0) {
      throw new RangeError(
        `CosineAnnealingWarmRestarts: expected a positive integer t0, but got ${t0}`,
      );
    }
    if (!Number.isInteger(tMult) || tMult < 1) {
      throw new RangeError(
        `CosineAnnealingWarmRestarts: expected an integer tMult >= 1, but got ${tMult}`,
      );
    }
    super('CosineAnnealingWarmRestarts', optimizer, options.lastEpoch);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = options.etaMin ?? 0;
    this.tCur = this.lastEpoch;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { etaMin, tCur, tI } = this;
    return this.baseLrs.map(
      (base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2,
    );
  }

  /** Advances one epoch, restarting the cosine when the cycle ends. */
  override step(): void {
    if (this.lastEpoch < 0) {
      this.stepTo(0);
      return;
    }
    this.tCur += 1;
    if (this.tCur >= this.tI) {
      this.tCur -= this.tI;
      this.tI *= this.tMult;
    }
    super.step();
  }

  /** @internal Jumps to `epoch` (PyTorch's step(epoch)). */
  override stepTo(epoch: number): void {
    if (epoch < 0) {
      throw new RangeError(
        `CosineAnnealingWarmRestarts: expected a non-negative epoch, but got ${epoch}`,
      );
    }
    const { t0, tMult } = this;
    if (epoch >= t0) {
      if (tMult === 1) {
        this.tCur = epoch % t0;
      } else {
        const n = Math.floor(Math.log((epoch / t0) * (tMult - 1) + 1) / Math.log(tMult));
        this.tCur = epoch - (t0 * (tMult ** n - 1)) / (tMult - 1);
        this.tI = t0 * tMult ** n;
      }
    } else {
      this.tI = t0;
      this.tCur = epoch;
    }
    super.stepTo(Math.floor(epoch));
  }

  protected override closedFormLr(): number[] {
    return this.getLr();
  }

  protected override extraState(): SchedulerStateDict {
    return { tI: this.tI, tCur: this.tCur };
  }

  protected override checkExtraState(state: SchedulerStateDict): void {
    readNumber(state, 'tI');
    readNumber(state, 'tCur');
  }

  protected override loadExtraState(state: SchedulerStateDict): void {
    this.tI = readNumber(state, 'tI');
    this.tCur = readNumber(state, 'tCur');
  }
}
