// Argument parsing: defaults, the options each command takes, and messages naming bad values.

import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from '../src/args.ts';

describe('parseOptions', () => {
  it('gives the seed recipe defaults for a bare train', () => {
    expect(parseOptions(['train'])).toEqual({
      command: 'train',
      device: 'auto',
      dataset: 'mnist',
      data: undefined,
      batchSize: 64,
      epochs: undefined,
      lr: 1e-3,
      seed: 0,
      limit: undefined,
      testLimit: undefined,
      recipe: 'seed',
      out: 'runs/mnist',
      resume: false,
      debugGrads: false,
    });
  });

  it('reads every train option', () => {
    const o = parseOptions([
      'train',
      '--epochs=3',
      '--lr',
      '0.01',
      '--batch-size',
      '32',
      '--seed',
      '7',
      '--limit',
      '500',
      '--test-limit',
      '100',
      '--recipe',
      'best',
      '--out',
      'x',
      '--resume',
      '--debug-grads',
      '--device',
      'cpu',
      '--dataset',
      'fashion',
      '--data',
      'd',
    ]);
    expect(o).toEqual({
      command: 'train',
      device: 'cpu',
      dataset: 'fashion',
      data: 'd',
      batchSize: 32,
      epochs: 3,
      lr: 0.01,
      seed: 7,
      limit: 500,
      testLimit: 100,
      recipe: 'best',
      out: 'x',
      resume: true,
      debugGrads: true,
    });
  });

  it('raises the default lr to 3e-3 for the best recipe', () => {
    expect(parseOptions(['train', '--recipe', 'best'])).toMatchObject({ lr: 3e-3 });
  });

  it('reads eval and predict positionals', () => {
    expect(parseOptions(['eval', 'm.safetensors', '--test-limit', '10'])).toMatchObject({
      command: 'eval',
      checkpoint: 'm.safetensors',
      testLimit: 10,
      batchSize: 64,
      dataset: undefined,
    });
    expect(parseOptions(['eval', 'm', '--dataset', 'fashion'])).toMatchObject({
      dataset: 'fashion',
    });
    expect(parseOptions(['predict', 'm.safetensors', 'd.png', '--device', 'webgpu'])).toEqual({
      command: 'predict',
      device: 'webgpu',
      checkpoint: 'm.safetensors',
      image: 'd.png',
    });
  });

  it('answers help', () => {
    expect(parseOptions([])).toEqual({ command: 'help' });
    expect(parseOptions(['--help'])).toEqual({ command: 'help' });
    expect(parseOptions(['train', '-h'])).toEqual({ command: 'help' });
  });

  it.each([
    [['fit'], "unknown command 'fit': use train, eval or predict"],
    [['train', '--epochs', '0'], "--epochs must be an integer >= 1, got '0'"],
    [['train', '--epochs', '1.5'], "--epochs must be an integer >= 1, got '1.5'"],
    [['train', '--lr=-1'], "--lr must be a positive number, got '-1'"],
    [['train', '--lr', 'fast'], "--lr must be a positive number, got 'fast'"],
    [['train', '--batch-size', '0'], "--batch-size must be an integer >= 1, got '0'"],
    [['train', '--device', 'tpu'], "--device must be one of auto, cpu, webgpu, got 'tpu'"],
    [['train', '--dataset', 'cifar'], "--dataset must be one of mnist, fashion, got 'cifar'"],
    [['train', '--recipe', 'fast'], "--recipe must be one of seed, best, got 'fast'"],
    [['train', '--bogus'], "Unknown option '--bogus'"],
    [['train', 'extra'], "train takes no positional arguments, got 'extra'"],
    [['eval'], 'eval takes one checkpoint'],
    [['eval', 'm', '--epochs', '2'], 'eval does not take --epochs'],
    [['predict', 'm'], 'predict takes a checkpoint and an image'],
    [['predict', 'm', 'i.png', '--dataset', 'fashion'], 'predict does not take --dataset'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});
