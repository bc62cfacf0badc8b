// The learning rates (and OneCycleLR's momentum or beta1) of every scheduler over 25 epochs
// match PyTorch 1.13's (reference/schedulers.ts, from scripts/reference/optim.py); state
// dicts resume a schedule mid-way; bad arguments are refused naming the value.

import { zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, lrScheduler, SGD } from '../src/index.js';
import { schedulerReference } from './reference/schedulers.js';

const {
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
} = lrScheduler;

type Args = Record<string, unknown>;
interface Spec {
  kind: string;
  args: Args;
}

function num(args: Args, key: string): number {
  const value = args[key];
  if (typeof value !== 'number') throw new Error(`reference: ${key} is not a number`);
  return value;
}

function optional<T>(args: Args, key: string): T | undefined {
  return args[key] as T | undefined; // reference JSON written for these constructors
}

/** The optimizer of the reference script: two groups with lr 0.1 and 0.05. */
function makeOptimizer(kind: string): SGD | Adam {
  const groups = [
    { params: [zeros([2]).requiresGrad_()], lr: 0.1 },
    { params: [zeros([2]).requiresGrad_()], lr: 0.05 },
  ];
  return kind === 'Adam'
    ? new Adam(groups, { betas: [0.9, 0.999] })
    : new SGD(groups, { lr: 0.1, momentum: 0.9 });
}

const lambdas: Record<string, (epoch: number) => number> = {
  power: (epoch) => 0.95 ** epoch,
  inverse: (epoch) => 1 / (1 + epoch),
};

function build(spec: Spec, optimizer: SGD | Adam): lrScheduler.LRScheduler {
  const a = spec.args;
  switch (spec.kind) {
    case 'StepLR':
      return new StepLR(optimizer, num(a, 'stepSize'), { gamma: num(a, 'gamma') });
    case 'MultiStepLR':
      return new MultiStepLR(optimizer, optional<number[]>(a, 'milestones')!, {
        gamma: num(a, 'gamma'),
      });
    case 'ExponentialLR':
      return new ExponentialLR(optimizer, num(a, 'gamma'));
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(optimizer, num(a, 'tMax'), {
        etaMin: optional<number>(a, 'etaMin') ?? 0,
      });
    case 'CosineAnnealingWarmRestarts':
      return new CosineAnnealingWarmRestarts(optimizer, num(a, 't0'), {
        tMult: optional<number>(a, 'tMult') ?? 1,
        etaMin: optional<number>(a, 'etaMin') ?? 0,
      });
    case 'LinearLR':
      return new LinearLR(optimizer, {
        startFactor: num(a, 'startFactor'),
        endFactor: num(a, 'endFactor'),
        totalIters: num(a, 'totalIters'),
      });
    case 'ConstantLR':
      return new ConstantLR(optimizer, {
        factor: num(a, 'factor'),
        totalIters: num(a, 'totalIters'),
      });
    case 'PolynomialLR':
      return new PolynomialLR(optimizer, {
        totalIters: num(a, 'totalIters'),
        power: num(a, 'power'),
      });
    case 'OneCycleLR':
      return new OneCycleLR(optimizer, optional<number | number[]>(a, 'maxLr')!, {
        totalSteps: num(a, 'totalSteps'),
        pctStart: optional<number>(a, 'pctStart') ?? 0.3,
        annealStrategy: optional<'cos' | 'linear'>(a, 'annealStrategy') ?? 'cos',
        threePhase: optional<boolean>(a, 'threePhase') ?? false,
      });
    case 'LambdaLR':
      return new LambdaLR(
        optimizer,
        optional<string[]>(a, 'lambdas')!.map((name) => lambdas[name]!),
      );
    case 'SequentialLR': {
      const children = optional<Spec[]>(a, 'schedulers')!.map((child) => build(child, optimizer));
      return new SequentialLR(optimizer, children, optional<number[]>(a, 'milestones')!);
    }
    default:
      throw new Error(`no builder for ${spec.kind}`);
  }
}

function momenta(optimizer: SGD | Adam): number[] {
  return optimizer.paramGroups.map((group) =>
    'betas' in group ? group.betas[0] : (group as { momentum: number }).momentum,
  );
}

/** Learning rates agree to double precision (a few ulps of pow/cos differences). */
function expectClose(actual: readonly number[], expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((value, i) => {
    expect(
      Math.abs(value - expected[i]!),
      `${what}[${i}]: ${value} vs ${expected[i]}`,
    ).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected[i]!)));
  });
}

describe('lr schedulers follow PyTorch over 25 epochs', () => {
  for (const entry of schedulerReference) {
    it(entry.name, () => {
      const optimizer = makeOptimizer(entry.optimizer);
      const spec = entry.spec as Spec; // reference JSON
      if (spec.kind === 'ReduceLROnPlateau') {
        const scheduler = new ReduceLROnPlateau(optimizer, spec.args);
        const metrics = (entry as { metrics: readonly number[] }).metrics;
        const lrs = [optimizer.paramGroups.map((g) => g.lr)];
        for (const metric of metrics) {
          optimizer.step();
          scheduler.step(metric);
          lrs.push(scheduler.getLastLr());
        }
        for (const [epoch, lr] of lrs.entries())
          expectClose(lr, entry.lrs[epoch]!, `epoch ${epoch}`);
        return;
      }
      const scheduler = build(spec, optimizer);
      const lrs = [scheduler.getLastLr()];
      const moms = [momenta(optimizer)];
      for (let epoch = 0; epoch < 25; epoch++) {
        optimizer.step();
        scheduler.step();
        lrs.push(scheduler.getLastLr());
        moms.push(momenta(optimizer));
      }
      for (const [epoch, lr] of lrs.entries()) {
        expectClose(lr, entry.lrs[epoch]!, `lr at epoch ${epoch}`);
      }
      const expectedMomenta = (entry as { momenta?: readonly (readonly number[])[] }).momenta;
      for (const [epoch, m] of (expectedMomenta ?? []).entries()) {
        expectClose(moms[epoch]!, m, `momentum at epoch ${epoch}`);
      }
    });
  }
});

describe('scheduler state dicts', () => {
  it('resume every schedule exactly: 12 epochs, save, fresh objects, 13 more', () => {
    for (const entry of schedulerReference) {
      const spec = entry.spec as Spec;
      if (spec.kind === 'ReduceLROnPlateau') continue;
      const optimizer = makeOptimizer(entry.optimizer);
      const scheduler = build(spec, optimizer);
      for (let epoch = 0; epoch < 12; epoch++) scheduler.step();
      const saved = JSON.parse(
        JSON.stringify({ optimizer: optimizer.stateDict(), scheduler: scheduler.stateDict() }),
      );
      const freshOptimizer = makeOptimizer(entry.optimizer);
      const fresh = build(spec, freshOptimizer);
      freshOptimizer.loadStateDict(saved.optimizer);
      fresh.loadStateDict(saved.scheduler);
      for (let epoch = 12; epoch < 25; epoch++) {
        fresh.step();
        expectClose(
          fresh.getLastLr(),
          entry.lrs[epoch + 1]!,
          `${entry.name}: resumed lr at epoch ${epoch + 1}`,
        );
      }
    }
  });

  it('ReduceLROnPlateau resumes mid-way, with the best metric and counters', () => {
    const entry = schedulerReference.find((e) => e.name === 'ReduceLROnPlateau min rel')!;
    const metrics = (entry as { metrics: readonly number[] }).metrics;
    const args = (entry.spec as Spec).args;
    const optimizer = makeOptimizer('SGD');
    const scheduler = new ReduceLROnPlateau(optimizer, args);
    for (const metric of metrics.slice(0, 11)) scheduler.step(metric);
    const saved = JSON.parse(
      JSON.stringify({ o: optimizer.stateDict(), s: scheduler.stateDict() }),
    );
    const freshOptimizer = makeOptimizer('SGD');
    const fresh = new ReduceLROnPlateau(freshOptimizer, args);
    freshOptimizer.loadStateDict(saved.o);
    fresh.loadStateDict(saved.s);
    metrics.slice(11).forEach((metric, i) => {
      fresh.step(metric);
      expectClose(fresh.getLastLr(), entry.lrs[12 + i]!, `lr after metric ${12 + i}`);
    });
  });

  it('a state dict of the wrong shape is refused and changes nothing', () => {
    const optimizer = makeOptimizer('SGD');
    const scheduler = new StepLR(optimizer, 2);
    scheduler.step();
    const before = scheduler.stateDict();
    expect(() => scheduler.loadStateDict({ ...before, baseLrs: [0.1] })).toThrow(
      /'baseLrs' should hold 2 numbers \(one per parameter group\), got 0.1/,
    );
    expect(scheduler.stateDict()).toEqual(before);
  });
});

describe('scheduler arguments', () => {
  it('are checked, naming the bad value', () => {
    const optimizer = makeOptimizer('SGD');
    expect(() => new StepLR(optimizer, 0)).toThrow(
      /StepLR: stepSize must be a positive integer, got 0/,
    );
    expect(() => new ConstantLR(optimizer, { factor: 1.5 })).toThrow(
      /factor expected to be between 0 and 1, got 1.5/,
    );
    expect(() => new CosineAnnealingWarmRestarts(optimizer, 2.5)).toThrow(
      /positive integer t0, but got 2.5/,
    );
    expect(() => new OneCycleLR(optimizer, 0.1)).toThrow(
      /totalSteps or \(epochs and stepsPerEpoch\)/,
    );
    expect(() => new OneCycleLR(optimizer, [0.1, 0.2, 0.3], { totalSteps: 10 })).toThrow(
      /expected 2 values for maxLr, got 3/,
    );
    expect(() => new ReduceLROnPlateau(optimizer, { factor: 1 })).toThrow(
      /factor should be < 1.0, got 1/,
    );
    expect(() => new StepLR(optimizer, 3, { lastEpoch: 4 })).toThrow(
      /'initialLr' is not specified in paramGroups\[0\]/,
    );
    // Refused schedulers left the optimizer's groups as they were.
    expect(optimizer.paramGroups.map((g, i) => [g.lr, g.initialLr, momenta(optimizer)[i]])).toEqual(
      [
        [0.1, undefined, 0.9],
        [0.05, undefined, 0.9],
      ],
    );
  });

  it('OneCycleLR stops after totalSteps', () => {
    const optimizer = makeOptimizer('SGD');
    const scheduler = new OneCycleLR(optimizer, 1, { totalSteps: 3 });
    for (let i = 0; i < 3; i++) scheduler.step();
    expect(() => scheduler.step()).toThrow(
      /tried to step 5 times; the specified number of total steps is 3/,
    );
  });
});
