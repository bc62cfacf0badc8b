// Five steps of each optimizer and option set on a small fixed MLP give PyTorch 1.13's
// parameters (reference/trajectories.ts, from scripts/reference/optim.py), on every device.

import type { Backend, Tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adadelta,
  Adagrad,
  Adam,
  AdamW,
  type Optimizer,
  type ParamGroupInput,
  RMSprop,
  SGD,
} from '../src/index.js';
import { openDevices } from './devices.js';
import { lossOf, type Mlp, mlp, paramNames } from './mlp.js';
import { trajectories } from './reference/trajectories.js';

type Options = Record<string, unknown>;
type Params = Tensor[] | ParamGroupInput<Options>[];

// The reference's options are plain JSON written for these constructors (a foreign boundary).
const constructors: Record<string, (params: Params, options: Options) => Optimizer> = {
  SGD: (params, options) => new SGD(params as Tensor[], options as { lr: number }),
  Adam: (params, options) => new Adam(params as Tensor[], options),
  AdamW: (params, options) => new AdamW(params as Tensor[], options),
  RMSprop: (params, options) => new RMSprop(params as Tensor[], options),
  Adagrad: (params, options) => new Adagrad(params as Tensor[], options),
  Adadelta: (params, options) => new Adadelta(params as Tensor[], options),
};

/** The optimizer of a reference case over `p`, in the script's groups when it has them. */
export function optimizerFor(
  testCase: { optimizer: string; options: Options; groups?: readonly Options[] },
  p: Mlp,
): Optimizer {
  const build = constructors[testCase.optimizer]!;
  const groups = testCase.groups;
  if (!groups)
    return build(
      paramNames.map((name) => p[name]),
      testCase.options,
    );
  return build(
    [
      { params: [p.w1, p.b1, p.unused], ...groups[0] },
      { params: [p.w2, p.b2], ...groups[1] },
    ],
    testCase.options,
  );
}

/** One training step as PyTorch's loop does it; the loss is returned unread. */
export function trainStep(optimizer: Optimizer, p: Mlp, device: Backend): Tensor {
  optimizer.zeroGrad();
  const loss = lossOf(p, device);
  loss.backward();
  optimizer.step();
  return loss;
}

// float32 noise: each step's gradient differs from PyTorch's by rounding (~1e-7 relative),
// and Adam-like updates divide by sqrt of small second moments, which can scale that up;
// after five steps of lr <= 1 the parameters (|p| ~ 1) agree to well within these bounds,
// while a wrong formula (a missing bias correction, a misplaced eps) moves them by 1e-3 or more.
const tolerance = { rtol: 1e-5, atol: 5e-6 };

const { devices, close } = await openDevices();
afterAll(close);

describe.each(devices)('optimizer trajectories on %s', (_, device) => {
  it('has cases for every optimizer', () => {
    expect(new Set(trajectories.map((c) => c.optimizer))).toEqual(
      new Set(Object.keys(constructors)),
    );
  });

  for (const testCase of trajectories) {
    it(testCase.name, async () => {
      const p = mlp(device);
      const optimizer = optimizerFor(testCase, p);
      const losses: Tensor[] = [];
      for (let step = 0; step < 5; step++) losses.push(trainStep(optimizer, p, device));
      for (const name of paramNames) {
        await assertClose(
          p[name],
          Float64Array.from(testCase.params[name]),
          tolerance,
          `${testCase.name}: ${name}`,
        );
      }
      for (const [i, loss] of losses.entries()) {
        expect(await loss.item()).toBeCloseTo(testCase.losses[i]!, 5);
      }
      expect(p.unused.grad).toBeNull();
      expect(optimizer.state.has(p.unused)).toBe(false);
    });
  }
});
