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
      given: [],
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
      given: [
        'batch-size',
        'data',
        'dataset',
        'debug-grads',
        'device',
        'epochs',
        'limit',
        'lr',
        'out',
        'recipe',
        'resume',
        'seed',
        'test-limit',
      ],
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
    [['train', '--epochs', '0'], '--epochs: expected a positive integer, got 0'],
    [['train', '--epochs', '1.5'], '--epochs: expected a positive integer, got 1.5'],
    [['train', '--lr=-1'], '--lr: expected a positive number, got -1'],
    [['train', '--lr', 'fast'], '--lr: expected a positive number, got fast'],
    [['train', '--batch-size', '0'], '--batch-size: expected a positive integer, got 0'],
    [['train', '--device', 'tpu'], '--device: expected auto, cpu or webgpu, got tpu'],
    [['train', '--dataset', 'cifar'], '--dataset: expected mnist or fashion, got cifar'],
    [['train', '--recipe', 'fast'], '--recipe: expected seed or best, got fast'],
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

  // Every numeric option against zero, negative, NaN, fractional, huge, empty, infinite and
  // hexadecimal values, given as `--name value` (a dash-led value is the option's value, not
  // parseArgs's three-line "ambiguous" error) and as `--name=value`.
  const integers = [
    ['epochs', 'a positive integer'],
    ['batch-size', 'a positive integer'],
    ['limit', 'a positive integer'],
    ['test-limit', 'a positive integer'],
    ['seed', 'a non-negative integer'],
  ] as const;
  const badIntegers = ['-1', '1.5', 'NaN', '', 'Infinity', '-Infinity', '0x10', '1e3', ' 2'];
  it.each(
    integers.flatMap(([name, kind]) =>
      [...badIntegers, ...(kind === 'a positive integer' ? ['0', '-0'] : [])].map(
        (value) => [name, value, kind] as const,
      ),
    ),
  )('refuses --%s %j in one line naming the value', (name, value, kind) => {
    // Quoted when empty or holding a space.
    const shown = value === '' || value.includes(' ') ? `'${value}'` : value;
    const message = `--${name}: expected ${kind}, got ${shown}`;
    for (const argv of [
      ['train', `--${name}`, value],
      ['train', `--${name}=${value}`],
    ]) {
      expect(() => parseOptions(argv)).toThrow(new UsageError(message));
    }
  });

  it.each(['epochs', 'batch-size', 'limit', 'test-limit', 'seed'])(
    'refuses --%s past 2^53 - 1, naming the largest value taken',
    (name) => {
      for (const value of ['9007199254740992', '99999999999999999999']) {
        expect(() => parseOptions(['train', `--${name}`, value])).toThrow(
          new UsageError(
            `--${name}: expected ${name === 'seed' ? 'a non-negative' : 'a positive'} integer up to 9007199254740991, got ${value}`,
          ),
        );
      }
      // A value of 400 digits is named by its first 57.
      expect(() => parseOptions(['train', `--${name}`, '1'.repeat(400)])).toThrow(
        `integer up to 9007199254740991, got ${'1'.repeat(57)}...`,
      );
      expect(parseOptions(['train', `--${name}`, '9007199254740991'])).toMatchObject({
        command: 'train',
      });
    },
  );

  it.each(['-1', '0', '-0', 'NaN', 'Infinity', '1e400', '', '-1e-3', 'fast'])(
    'refuses --lr %j in one line',
    (value) => {
      const shown = value === '' ? "''" : value;
      expect(() => parseOptions(['train', '--lr', value])).toThrow(
        new UsageError(`--lr: expected a positive number, got ${shown}`),
      );
    },
  );

  it('takes the argument after an option as its value, even when it starts with a dash', () => {
    expect(parseOptions(['train', '--out', '-run', '--lr', '.5'])).toMatchObject({
      out: '-run',
      lr: 0.5,
    });
    expect(parseOptions(['train', '--epochs', '+3'])).toMatchObject({ epochs: 3 });
  });

  it.each([
    [['train', '--epochs'], '--epochs: expected a value after it'],
    [['train', '--epochs', '--lr', '1'], '--epochs: expected a value, got the option --lr'],
    [['train', '--out', '-h'], '--out: expected a value, got the option -h'],
    [['train', '--out', ''], "--out: expected a folder, got ''"],
    [['train', '--data='], "--data: expected a folder, got ''"],
    [['train', '--resume=yes'], "train: Option '--resume' does not take an argument"],
  ])('names a missing or misplaced value: %j', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(new UsageError(message));
  });

  it('lists the options given on the command line, for --resume to check', () => {
    expect(parseOptions(['train', '--resume', '--recipe', 'best', '--epochs=2'])).toMatchObject({
      given: ['epochs', 'recipe', 'resume'],
    });
  });
});
