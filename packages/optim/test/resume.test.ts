// Resuming: ten steps in one go give the same parameters as five steps, a save of the
// optimizer, scheduler and parameters through plain JSON, a load into fresh objects, and
// five more steps; on every device.

import { type Backend, noGrad, type Tensor, tensor } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adadelta,
  Adagrad,
  Adam,
  AdamW,
  lrScheduler,
  type Optimizer,
  type OptimizerStateDict,
  RMSprop,
  SGD,
} from '../src/index.js';
import { openDevices } from './devices.js';
import { lossOf, type Mlp, mlp, paramNames } from './mlp.js';

interface Setup {
  name: string;
  optimizer(p: Mlp): Optimizer;
  scheduler(optimizer: Optimizer): {
    step(): void;
    stateDict(): object;
    loadStateDict(s: never): void;
  };
}

const all = (p: Mlp) => paramNames.map((name) => p[name]);

const setups: Setup[] = [
  {
    name: 'Adam amsgrad with OneCycleLR (beta1 cycling)',
    optimizer: (p) => new Adam(all(p), { lr: 0.01, amsgrad: true, weightDecay: 0.01 }),
    scheduler: (o) => new lrScheduler.OneCycleLR(o, 0.05, { totalSteps: 12 }),
  },
  {
    name: 'SGD Nesterov in two groups with StepLR',
    optimizer: (p) =>
      new SGD([{ params: [p.w1, p.b1, p.unused] }, { params: [p.w2, p.b2], lr: 0.05 }], {
        lr: 0.1,
        momentum: 0.9,
        nesterov: true,
      }),
    scheduler: (o) => new lrScheduler.StepLR(o, 3, { gamma: 0.5 }),
  },
  {
    name: 'RMSprop centered with momentum and CosineAnnealingWarmRestarts',
    optimizer: (p) => new RMSprop(all(p), { lr: 0.01, centered: true, momentum: 0.5 }),
    scheduler: (o) => new lrScheduler.CosineAnnealingWarmRestarts(o, 3, { tMult: 2 }),
  },
  {
    name: 'AdamW with SequentialLR',
    optimizer: (p) => new AdamW(all(p), { lr: 0.02 }),
    scheduler: (o) =>
      new lrScheduler.SequentialLR(
        o,
        [new lrScheduler.LinearLR(o, { totalIters: 3 }), new lrScheduler.ExponentialLR(o, 0.9)],
        [4],
      ),
  },
  {
    name: 'Adagrad with lrDecay and ExponentialLR',
    optimizer: (p) => new Adagrad(all(p), { lr: 0.1, lrDecay: 0.05 }),
    scheduler: (o) => new lrScheduler.ExponentialLR(o, 0.8),
  },
  {
    name: 'Adadelta with LinearLR',
    optimizer: (p) => new Adadelta(all(p), { weightDecay: 0.01 }),
    scheduler: (o) => new lrScheduler.LinearLR(o, { startFactor: 0.5, totalIters: 6 }),
  },
];

type Saved = { shape: number[]; values: number[] };

/** The state dict with every tensor read into plain numbers, as a file would hold it. */
async function serialize(state: OptimizerStateDict<object>): Promise<string> {
  const entries: Record<string, Record<string, number | Saved>> = {};
  for (const [key, entry] of Object.entries(state.state)) {
    entries[key] = {};
    for (const [field, value] of Object.entries(entry)) {
      entries[key][field] =
        typeof value === 'number'
          ? value
          : { shape: [...value.shape], values: Array.from(await value.data()) };
    }
  }
  return JSON.stringify({ state: entries, paramGroups: state.paramGroups });
}

function deserialize<H extends object>(text: string): OptimizerStateDict<H> {
  const parsed = JSON.parse(text);
  const state: OptimizerStateDict<H>['state'] = {};
  for (const [key, entry] of Object.entries<Record<string, number | Saved>>(parsed.state)) {
    state[Number(key)] = Object.fromEntries(
      Object.entries(entry).map(([field, value]) => [
        field,
        typeof value === 'number' ? value : tensor(value.values).reshape(value.shape),
      ]),
    );
  }
  return { state, paramGroups: parsed.paramGroups };
}

function train(
  optimizer: Optimizer,
  scheduler: { step(): void },
  p: Mlp,
  device: Backend,
  steps: number,
) {
  for (let i = 0; i < steps; i++) {
    optimizer.zeroGrad();
    lossOf(p, device).backward();
    optimizer.step();
    scheduler.step();
  }
}

async function values(p: Mlp): Promise<number[][]> {
  return Promise.all(paramNames.map(async (name) => Array.from(await p[name].data())));
}

const { devices, close } = await openDevices();
afterAll(close);

describe.each(devices)('resuming training on %s', (_, device) => {
  for (const setup of setups) {
    it(setup.name, async () => {
      const straight = mlp(device);
      const straightOptimizer = setup.optimizer(straight);
      train(straightOptimizer, setup.scheduler(straightOptimizer), straight, device, 10);

      const first = mlp(device);
      const firstOptimizer = setup.optimizer(first);
      const firstScheduler = setup.scheduler(firstOptimizer);
      train(firstOptimizer, firstScheduler, first, device, 5);
      const file = JSON.stringify({
        optimizer: await serialize(firstOptimizer.stateDict()),
        scheduler: firstScheduler.stateDict(),
        params: await values(first),
      });

      const saved = JSON.parse(file);
      const second = mlp(device);
      noGrad(() => {
        paramNames.forEach((name, i) => {
          const target: Tensor = second[name];
          target.copy_(
            tensor(saved.params[i])
              .reshape([...target.shape])
              .to(device),
          );
        });
      });
      const secondOptimizer = setup.optimizer(second);
      const secondScheduler = setup.scheduler(secondOptimizer);
      secondOptimizer.loadStateDict(deserialize(saved.optimizer));
      secondScheduler.loadStateDict(saved.scheduler as never);
      train(secondOptimizer, secondScheduler, second, device, 5);

      const expected = await values(straight);
      const resumed = await values(second);
      // Both runs did the same float32 operations in the same order: bit for bit equal.
      expect(resumed).toEqual(expected);
      // And training did move the parameters (the comparison is not of two untouched models).
      expect(resumed[0]).not.toEqual(Array.from(await mlp(device).w1.data()));
    });
  }
});
