// Command-line parsing for dl-mnist: the three commands, their options, checked up front so a
// bad value stops the program before any data is read or any file is written.

import { parseArgs } from 'node:util';

/** An error the user caused (bad option, missing file): printed without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type DeviceChoice = 'auto' | 'cpu' | 'webgpu';
export type DatasetName = 'mnist' | 'fashion';
export type Recipe = 'seed' | 'best';

export interface CommonOptions {
  device: DeviceChoice;
  dataset: DatasetName;
  /** A folder with the four IDX files (raw or .gz); the bundled data when absent. */
  data: string | undefined;
  batchSize: number;
}

export interface TrainOptions extends CommonOptions {
  command: 'train';
  /** Undefined: 1 (5 with --recipe best), or the resumed run's own. */
  epochs: number | undefined;
  lr: number;
  seed: number;
  /** Train on the first N training images only. */
  limit: number | undefined;
  /** Validate on the first N test images only. */
  testLimit: number | undefined;
  recipe: Recipe;
  out: string;
  resume: boolean;
  debugGrads: boolean;
  /** The options given on the command line (their names without --), sorted. */
  given: readonly string[];
}

export interface EvalOptions extends Omit<CommonOptions, 'dataset'> {
  command: 'eval';
  /** Undefined: the dataset the checkpoint was trained on (MNIST when it does not say). */
  dataset: DatasetName | undefined;
  checkpoint: string;
  testLimit: number | undefined;
}

export interface PredictOptions {
  command: 'predict';
  device: DeviceChoice;
  checkpoint: string;
  image: string;
}

export interface HelpOptions {
  command: 'help';
}

export type Options = TrainOptions | EvalOptions | PredictOptions | HelpOptions;

export const usage = `dl-mnist: train, evaluate and run the MNIST CNN (DigitRecognizer) with dl

Usage:
  dl-mnist train [options]               train, validating on the test set after each epoch
  dl-mnist eval <checkpoint> [options]   loss, accuracy, precision, recall, F1, confusion matrix
  dl-mnist predict <checkpoint> <image.png> [--device D]   class probabilities of one image

Options (train):
  --epochs N          epochs to train (default 1; 5 with --recipe best)
  --lr X              Adam's learning rate (default 1e-3; with --recipe best the peak of
                      OneCycleLR, default 3e-3)
  --batch-size N      batch size (default 64)
  --seed N            seed for initialisation, shuffling, dropout and augmentation (default 0)
  --limit N           train on the first N training images (default: all 60,000)
  --test-limit N      validate on the first N test images (default: all 10,000)
  --recipe R          seed (Adam, fixed lr) or best (augmentation + OneCycleLR), default seed
  --out DIR           where checkpoints, history and report go (default runs/mnist)
  --resume            continue from DIR/last.safetensors with the options it was started with
  --debug-grads       print each parameter's gradient and weight norms
Options (all):
  --device D          auto (WebGPU when an adapter exists, else CPU), cpu or webgpu (default auto)
  --dataset NAME      mnist or fashion (default mnist)
  --data DIR          a folder with the four IDX files (default: the bundled MNIST, or
                      /usr/share/datasets/fashion-mnist for fashion)
  -h, --help          this text
`;

/** A value as the user typed it (cut short), quoted when it is empty or holds other characters. */
export function shown(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return /^[\w.+-]+$/.test(text) ? short : `'${short}'`;
}

/** Integers up to 2^53 - 1 (exact in a JavaScript number): `min` is 0 or 1. */
function integer(name: string, text: string | undefined, min: 0 | 1): number | undefined {
  if (text === undefined) return undefined;
  const digits = /^[+-]?\d+$/.test(text);
  const value = digits ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    const kind = min === 1 ? 'a positive integer' : 'a non-negative integer';
    const limit = digits && value > 0 ? ` up to ${Number.MAX_SAFE_INTEGER}` : '';
    throw new UsageError(`--${name}: expected ${kind}${limit}, got ${shown(text)}`);
  }
  return value;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${name}: expected a positive number, got ${shown(text)}`);
  }
  return value;
}

function oneOf<T extends string>(
  name: string,
  text: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  const found = allowed.find((a) => a === text);
  if (found === undefined) {
    const choices = `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}`;
    throw new UsageError(`--${name}: expected ${choices}, got ${shown(text)}`);
  }
  return found;
}

function path(name: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text === '') throw new UsageError(`--${name}: expected a folder, got ''`);
  return text;
}

const optionSpec = {
  epochs: { type: 'string' },
  lr: { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  limit: { type: 'string' },
  'test-limit': { type: 'string' },
  recipe: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  'debug-grads': { type: 'boolean' },
  device: { type: 'string' },
  dataset: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Each option's kind, for attachValues. */
const optionKinds: Readonly<Record<string, { readonly type: string }>> = optionSpec;

function isOptionName(arg: string): boolean {
  if (arg === '-h') return true;
  const name = /^--([^=]+)/.exec(arg)?.[1];
  return name !== undefined && Object.hasOwn(optionKinds, name);
}

/**
 * Joins each option that takes a value with the argument after it (`--epochs -1` becomes
 * `--epochs=-1`), as getopt does: a value starting with a dash is then the option's value,
 * checked like any other, not a three-line "ambiguous" error from parseArgs. An option name
 * where a value should be, or a missing value, is named.
 */
function attachValues(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const name = /^--([^=]+)$/.exec(arg)?.[1];
    if (name === undefined || optionKinds[name]?.type !== 'string') {
      joined.push(arg);
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) throw new UsageError(`--${name}: expected a value after it`);
    if (isOptionName(value)) {
      throw new UsageError(`--${name}: expected a value, got the option ${value}`);
    }
    joined.push(`--${name}=${value}`);
    i++;
  }
  return joined;
}

const perCommand: Record<string, readonly string[]> = {
  train: Object.keys(optionSpec),
  eval: ['batch-size', 'test-limit', 'device', 'dataset', 'data', 'help'],
  predict: ['device', 'help'],
};

/** Parses argv (without node and the script); throws a UsageError naming what is wrong. */
export function parseOptions(argv: readonly string[]): Options {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '-h' || command === '--help') {
    return { command: 'help' };
  }
  const allowed = perCommand[command];
  if (allowed === undefined) {
    throw new UsageError(
      `unknown command '${command}': use train, eval or predict (dl-mnist --help)`,
    );
  }
  const args = attachValues(rest);
  let parsed: ReturnType<typeof parseArgs<{ options: typeof optionSpec; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args,
      options: optionSpec,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${command}: ${message.split('\n')[0]}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  for (const key of Object.keys(values)) {
    if (!allowed.includes(key)) throw new UsageError(`${command} does not take --${key}`);
  }
  const device = oneOf('device', values.device, ['auto', 'cpu', 'webgpu'] as const) ?? 'auto';
  const common = {
    device,
    dataset: oneOf('dataset', values.dataset, ['mnist', 'fashion'] as const) ?? 'mnist',
    data: path('data', values.data),
    batchSize: integer('batch-size', values['batch-size'], 1) ?? 64,
  };
  const testLimit = integer('test-limit', values['test-limit'], 1);
  if (command === 'train') {
    if (positionals.length > 0) {
      throw new UsageError(`train takes no positional arguments, got '${positionals.join(' ')}'`);
    }
    const recipe = oneOf('recipe', values.recipe, ['seed', 'best'] as const) ?? 'seed';
    return {
      command,
      ...common,
      epochs: integer('epochs', values.epochs, 1),
      lr: positive('lr', values.lr) ?? (recipe === 'best' ? 3e-3 : 1e-3),
      seed: integer('seed', values.seed, 0) ?? 0,
      limit: integer('limit', values.limit, 1),
      testLimit,
      recipe,
      out: path('out', values.out) ?? 'runs/mnist',
      resume: values.resume ?? false,
      debugGrads: values['debug-grads'] ?? false,
      given: Object.keys(values).sort(),
    };
  }
  if (command === 'eval') {
    const [checkpoint, ...extra] = positionals;
    if (checkpoint === undefined || extra.length > 0) {
      throw new UsageError('eval takes one checkpoint: dl-mnist eval <checkpoint.safetensors>');
    }
    const dataset = oneOf('dataset', values.dataset, ['mnist', 'fashion'] as const);
    return { command, ...common, dataset, checkpoint, testLimit };
  }
  const [checkpoint, image, ...extra] = positionals;
  if (checkpoint === undefined || image === undefined || extra.length > 0) {
    throw new UsageError(
      'predict takes a checkpoint and an image: dl-mnist predict <checkpoint.safetensors> <digit.png>',
    );
  }
  return { command: 'predict', device, checkpoint, image };
}
