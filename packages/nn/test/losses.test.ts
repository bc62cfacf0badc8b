// Every loss (function and class) against PyTorch: value and the gradient of
// sum(loss * projection) with respect to the input, for each reduction, on CPU and WebGPU.

import { type DeviceLike, IndexError, type Tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';
import { expectRecorded, fromRecorded } from './helpers.js';
import type { LossReference, Recorded } from './reference/types.js';
import { references } from './reference/values.js';

type Options = Record<string, unknown>;
type LossFn = (input: Tensor, target: Tensor, options: Options) => Tensor;

/** Each function under test, and the class that wraps it (where there is one). */
const losses: Record<string, { fn: LossFn; make?: (options: Options) => nn.Module }> = {
  mseLoss: { fn: nn.F.mseLoss, make: (o) => new nn.MSELoss(o) },
  l1Loss: { fn: nn.F.l1Loss, make: (o) => new nn.L1Loss(o) },
  smoothL1Loss: { fn: nn.F.smoothL1Loss, make: (o) => new nn.SmoothL1Loss(o) },
  huberLoss: { fn: nn.F.huberLoss, make: (o) => new nn.HuberLoss(o) },
  crossEntropy: { fn: nn.F.crossEntropy, make: (o) => new nn.CrossEntropyLoss(o) },
  nllLoss: { fn: nn.F.nllLoss, make: (o) => new nn.NLLLoss(o) },
  binaryCrossEntropy: { fn: nn.F.binaryCrossEntropy, make: (o) => new nn.BCELoss(o) },
  binaryCrossEntropyWithLogits: {
    fn: nn.F.binaryCrossEntropyWithLogits,
    make: (o) => new nn.BCEWithLogitsLoss(o),
  },
  klDiv: { fn: nn.F.klDiv, make: (o) => new nn.KLDivLoss(o) },
  cosineSimilarity: { fn: (a, b) => nn.F.cosineSimilarity(a, b) },
};

const optionNames: Record<string, string> = {
  label_smoothing: 'labelSmoothing',
  ignore_index: 'ignoreIndex',
  pos_weight: 'posWeight',
  log_target: 'logTarget',
};

function isRecorded(value: unknown): value is Recorded {
  return typeof value === 'object' && value !== null && 'values' in value;
}

function optionsFor(reference: LossReference, device: DeviceLike): Options {
  const options: Options = {};
  for (const [key, value] of Object.entries(reference.options))
    options[optionNames[key] ?? key] = isRecorded(value) ? fromRecorded(value, device) : value;
  return options;
}

function integerTarget(name: string): boolean {
  return (
    (name.startsWith('crossEntropy') || name.startsWith('nllLoss')) &&
    !name.includes('probabilities')
  );
}

const names = Object.keys(references.losses);

describe.each(devices)('losses on %s', (_, device) => {
  it.each(names)('%s matches PyTorch', async (name) => {
    const reference = references.losses[name]!;
    const loss = losses[name.split('/')[0]!]!;
    const run = async (
      compute: (input: Tensor, target: Tensor, options: Options) => Tensor,
      what: string,
    ) => {
      const input = fromRecorded(reference.input, device).requiresGrad_(true);
      const target = fromRecorded(
        reference.target,
        device,
        integerTarget(name) ? 'int32' : 'float32',
      );
      const out = compute(input, target, optionsFor(reference, device));
      await expectRecorded(out, reference.output, `${what} value`);
      out.mul(fromRecorded(reference.projection, device)).sum().backward();
      await expectRecorded(input.grad, reference.inputGrad, `${what} input grad`);
    };
    await run(loss.fn, name);
    const make = loss.make;
    if (make) await run((i, t, o) => make(o).call(i, t) as Tensor, `${name} (class)`);
  });
});

describe.each(devices)('class targets out of range on %s', (_, device) => {
  // On the CPU the targets are checked before any work; on WebGPU the gather kernel finds
  // the bad target and the read of the loss raises the same IndexError.
  const logits = () => fromRecorded(references.losses['crossEntropy/mean']!.input, device);
  const target = (values: number[]) =>
    fromRecorded({ shape: [values.length], values }, device, 'int32');
  const raises = async (make: () => Tensor, message: string) => {
    let failure: unknown;
    try {
      await make().item();
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(IndexError);
    expect(String(failure)).toContain(message);
  };
  it('crossEntropy and nllLoss name the target and the class count', async () => {
    await raises(
      () => nn.F.crossEntropy(logits(), target([0, 12, 1, 2])),
      'crossEntropy: target 12 is out of bounds for 5 classes',
    );
    await raises(
      () => nn.F.nllLoss(logits().logSoftmax(1), target([0, 1, -3, 2])),
      'nllLoss: target -3 is out of bounds for 5 classes',
    );
    await raises(
      () => new nn.CrossEntropyLoss({ reduction: 'sum' }).call(logits(), target([5, 0, 0, 0])),
      'crossEntropy: target 5 is out of bounds for 5 classes',
    );
    // The ignored index is not out of range; a valid loss still reads after a refused one.
    const ok = nn.F.crossEntropy(logits(), target([0, -100, 1, 2]));
    expect(Number.isFinite(await ok.item())).toBe(true);
  });
});

describe('loss argument checks', () => {
  const logits = () => fromRecorded(references.losses['crossEntropy/mean']!.input, 'cpu');
  it('rejects a bad reduction, naming it', () => {
    expect(() => nn.F.mseLoss(logits(), logits(), { reduction: 'avg' as 'mean' })).toThrow(
      /avg is not a valid value for reduction/,
    );
  });
  it('rejects out-of-range class indices', () => {
    const target = fromRecorded({ shape: [4], values: [0, 5, 1, 2] }, 'cpu', 'int32');
    expect(() => nn.F.crossEntropy(logits(), target)).toThrow(
      /target 5 is out of bounds for 5 classes/,
    );
  });
  it('rejects a float target of the wrong shape and a mismatched weight', () => {
    const target = fromRecorded({ shape: [4, 4], values: new Array(16).fill(0.25) }, 'cpu');
    expect(() => nn.F.crossEntropy(logits(), target)).toThrow(
      /target size \[4, 4\] must be the same as input size \[4, 5\]/,
    );
    const labels = fromRecorded({ shape: [4], values: [0, 1, 1, 2] }, 'cpu', 'int32');
    const weight = fromRecorded({ shape: [3], values: [1, 1, 1] }, 'cpu');
    expect(() => nn.F.crossEntropy(logits(), labels, { weight })).toThrow(
      /weight tensor should be defined either for all 5 classes/,
    );
  });
  it('rejects probabilities outside [0, 1] in binaryCrossEntropy and a labelSmoothing above 1', () => {
    const x = fromRecorded({ shape: [2], values: [0.5, 1.5] }, 'cpu');
    expect(() => nn.F.binaryCrossEntropy(x, x)).toThrow(/between 0 and 1, got 1.5/);
    const labels = fromRecorded({ shape: [4], values: [0, 1, 1, 2] }, 'cpu', 'int32');
    expect(() => nn.F.crossEntropy(logits(), labels, { labelSmoothing: 1.5 })).toThrow(
      /labelSmoothing must be between/,
    );
  });
});
