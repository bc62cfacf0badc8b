// OneCycleLR (Smith and Topin's 1cycle policy): the lr rises from maxLr / divFactor to maxLr,
// then anneals to far below the start, while momentum (or Adam's beta1) moves the other way.

import {
  LRScheduler,
  perGroup,
  type SchedulableGroup,
  type SchedulableOptimizer,
} from './scheduler.js';

/**
 * Options of OneCycleLR, with PyTorch's defaults: anneal by 'cos', cycle the momentum between 0.85
 * and 0.95.
 */
export interface OneCycleLROptions {
  /** The number of steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent raising the lr (default 0.3). */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | readonly number[];
  maxMomentum?: number | readonly number[];
  /** The initial lr is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final lr is the initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the initial lr, then to the minimum) instead of two. */
  threePhase?: boolean;
  lastEpoch?: number;
}

type LrField = 'initialLr' | 'maxLr' | 'minLr';
type MomentumField = 'maxMomentum' | 'baseMomentum';

interface Phase {
  endStep: number;
  startLr: LrField;
  endLr: LrField;
  startMomentum: MomentumField;
  endMomentum: MomentumField;
}

/**
 * The 1cycle policy, as torch.optim.lr_scheduler.OneCycleLR: the lr rises to `maxLr` and anneals
 * far below its start, while the momentum (or Adam's beta1) moves the other way. Step it after
 * every batch, totalSteps times in all.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly cycleMomentum: boolean;
  /** Whether the momentum cycled is Adam's beta1 rather than SGD's momentum. */
  readonly useBeta1: boolean;
  readonly annealStrategy: 'cos' | 'linear';
  readonly #phases: Phase[];

  constructor(
    optimizer: SchedulableOptimizer,
    maxLr: number | readonly number[],
    options: OneCycleLROptions = {},
  ) {
    const name = 'OneCycleLR';
    const totalSteps = resolveTotalSteps(options);
    const pctStart = options.pctStart ?? 0.3;
    if (!(pctStart >= 0 && pctStart <= 1)) {
      throw new RangeError(`${name}: expected pctStart between 0 and 1, but got ${pctStart}`);
    }
    const annealStrategy = options.annealStrategy ?? 'cos';
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') {
      throw new RangeError(
        `${name}: annealStrategy must be 'cos' or 'linear', got ${String(annealStrategy)}`,
      );
    }
    const cycleMomentum = options.cycleMomentum ?? true;
    const useBeta1 = 'betas' in optimizer.defaults;
    if (cycleMomentum && !useBeta1 && !('momentum' in optimizer.defaults)) {
      throw new Error(
        `${name}: the optimizer must have momentum or betas when cycleMomentum is on`,
      );
    }
    const maxLrs = perGroup(name, 'maxLr', optimizer, maxLr);
    const maxMomentums = perGroup(name, 'maxMomentum', optimizer, options.maxMomentum ?? 0.95);
    const baseMomentums = perGroup(name, 'baseMomentum', optimizer, options.baseMomentum ?? 0.85);
    const lastEpoch = options.lastEpoch ?? -1;
    if (lastEpoch === -1) {
      const divFactor = options.divFactor ?? 25;
      const finalDivFactor = options.finalDivFactor ?? 1e4;
      optimizer.paramGroups.forEach((group, i) => {
        group.initialLr = maxLrs[i]! / divFactor;
        group.maxLr = maxLrs[i]!;
        group.minLr = group.initialLr / finalDivFactor;
        if (cycleMomentum) {
          setMomentum(group, useBeta1, maxMomentums[i]!);
          group.maxMomentum = maxMomentums[i]!;
          group.baseMomentum = baseMomentums[i]!;
        }
      });
    }
    super(name, optimizer, lastEpoch);
    this.totalSteps = totalSteps;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.annealStrategy = annealStrategy;
    const up = pctStart * totalSteps - 1;
    this.#phases = options.threePhase
      ? [
          {
            endStep: up,
            startLr: 'initialLr',
            endLr: 'maxLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'baseMomentum',
          },
          {
            endStep: 2 * pctStart * totalSteps - 2,
            startLr: 'maxLr',
            endLr: 'initialLr',
            startMomentum: 'baseMomentum',
            endMomentum: 'maxMomentum',
          },
          {
            endStep: totalSteps - 1,
            startLr: 'initialLr',
            endLr: 'minLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'maxMomentum',
          },
        ]
      : [
          {
            endStep: up,
            startLr: 'initialLr',
            endLr: 'maxLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'baseMomentum',
          },
          {
            endStep: totalSteps - 1,
            startLr: 'maxLr',
            endLr: 'minLr',
            startMomentum: 'baseMomentum',
            endMomentum: 'maxMomentum',
          },
        ];
    this.initialStep();
  }

  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new Error(
        `OneCycleLR: tried to step ${step + 1} times; the specified number of total steps is ${this.totalSteps}`,
      );
    }
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    return this.optimizer.paramGroups.map((group) => {
      let start = 0;
      for (const [i, phase] of this.#phases.entries()) {
        if (step <= phase.endStep || i === this.#phases.length - 1) {
          const pct = (step - start) / (phase.endStep - start);
          const lr = anneal(field(group, phase.startLr), field(group, phase.endLr), pct);
          if (this.cycleMomentum) {
            const momentum = anneal(
              field(group, phase.startMomentum),
              field(group, phase.endMomentum),
              pct,
            );
            setMomentum(group, this.useBeta1, momentum);
          }
          return lr;
        }
        start = phase.endStep;
      }
      throw new Error('OneCycleLR: no phase covers this step'); // unreachable: the last phase always matches
    });
  }
}

function resolveTotalSteps(options: OneCycleLROptions): number {
  const { totalSteps, epochs, stepsPerEpoch } = options;
  if (totalSteps !== undefined) {
    if (!Number.isInteger(totalSteps) || totalSteps <= 0) {
      throw new RangeError(
        `OneCycleLR: expected a positive integer totalSteps, but got ${totalSteps}`,
      );
    }
    return totalSteps;
  }
  if (epochs === undefined || stepsPerEpoch === undefined) {
    throw new Error('OneCycleLR: you must define either totalSteps or (epochs and stepsPerEpoch)');
  }
  if (!Number.isInteger(epochs) || epochs <= 0) {
    throw new RangeError(`OneCycleLR: expected a positive integer epochs, but got ${epochs}`);
  }
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch <= 0) {
    throw new RangeError(
      `OneCycleLR: expected a positive integer stepsPerEpoch, but got ${stepsPerEpoch}`,
    );
  }
  return epochs * stepsPerEpoch;
}

function field(group: SchedulableGroup, name: LrField | MomentumField): number {
  const value = group[name];
  if (value === undefined) {
    throw new Error(
      `OneCycleLR: the parameter group has no ${name}; was the optimizer's state replaced?`,
    );
  }
  return value;
}

function setMomentum(group: SchedulableGroup, useBeta1: boolean, value: number): void {
  if (useBeta1) group.betas = [value, group.betas?.[1] ?? 0.999];
  else group.momentum = value;
}

function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}
