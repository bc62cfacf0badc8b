// The run metadata of last.safetensors (JSON written by saveRun), checked field by field before
// --resume uses any of it: a file edited by hand, cut or crafted fails with one line naming
// the file, the field and the value, instead of a stack trace or NaN weights later on.

import type { BaseHyperparameters, lrScheduler, OptimizerStateDict } from '@dl/optim';
import { type DatasetName, type Recipe, UsageError } from './args.js';
import type { EpochRecord } from './report.js';

/** The options a run keeps in last.safetensors: what --resume must reuse to continue exactly. */
export interface RunOptions {
  dataset: DatasetName;
  data: string | null;
  batchSize: number;
  epochs: number;
  lr: number;
  seed: number;
  limit: number | null;
  testLimit: number | null;
  recipe: Recipe;
}

/** What last.safetensors carries besides tensors, as JSON in the file's metadata. */
export interface RunState {
  /** Epochs completed. */
  epoch: number;
  /** The options the run was started with (what --resume continues). */
  options: RunOptions;
  optimizer: {
    paramGroups: OptimizerStateDict<BaseHyperparameters>['paramGroups'];
    /** Each parameter's numeric state (Adam's step); its tensors are in the file. */
    numbers: Record<string, Record<string, number>>;
  };
  scheduler: lrScheduler.SchedulerStateDict | undefined;
  /** The generators' states (Generator.getState), the spare normal deviate NaN when none. */
  rng: { global: number[]; data: number[] };
  history: EpochRecord[];
  best: { epoch: number; loss: number } | undefined;
}

/** A value as JSON, cut short: what an error message shows of a bad field. */
function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads fields of one JSON object, failing with the file and the field's path. */
class Fields {
  constructor(
    readonly file: string,
    readonly at: string,
    readonly value: Json,
  ) {}

  fail(field: string, expected: string): never {
    const name = `${this.at}${field}`;
    throw new UsageError(
      `${this.file}: run metadata: ${name}: expected ${expected}, got ${show(this.value[field])}`,
    );
  }

  object(field: string): Fields {
    const value = this.value[field];
    if (!isObject(value)) this.fail(field, 'an object');
    return new Fields(this.file, `${this.at}${field}.`, value);
  }

  integer(field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.value[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(field, `an integer from ${min} to ${max}`);
    }
    return value;
  }

  optionalInteger(field: string, min: number): number | null {
    return this.value[field] === null ? null : this.integer(field, min);
  }

  positive(field: string): number {
    const value = this.value[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.fail(field, 'a positive number');
    }
    return value;
  }

  /** A number, or null: JSON's NaN (a diverged loss). */
  number(field: string): number {
    const value = this.value[field];
    if (value === null) return Number.NaN;
    if (typeof value !== 'number') this.fail(field, 'a number');
    return value;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    const found = allowed.find((a) => a === this.value[field]);
    if (found === undefined) this.fail(field, allowed.map((a) => `"${a}"`).join(' or '));
    return found;
  }

  optionalString(field: string): string | null {
    const value = this.value[field];
    if (value === null) return null;
    if (typeof value !== 'string' || value === '') this.fail(field, 'a folder or null');
    return value;
  }

  array(field: string, length?: number): unknown[] {
    const value = this.value[field];
    if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
      this.fail(field, length === undefined ? 'a list' : `a list of ${length}`);
    }
    return value;
  }
}

function readOptions(f: Fields): RunOptions {
  return {
    dataset: f.oneOf('dataset', ['mnist', 'fashion'] as const),
    data: f.optionalString('data'),
    batchSize: f.integer('batchSize', 1),
    epochs: f.integer('epochs', 1),
    lr: f.positive('lr'),
    seed: f.integer('seed', 0),
    limit: f.optionalInteger('limit', 1),
    testLimit: f.optionalInteger('testLimit', 1),
    recipe: f.oneOf('recipe', ['seed', 'best'] as const),
  };
}

/** A xoshiro128** state: four 32-bit words, not all zero, and a spare deviate or null. */
function readGenerator(f: Fields, field: string): number[] {
  const state = f.array(field, 5);
  const words = state
    .slice(0, 4)
    .filter((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w < 2 ** 32)
    .map(Number);
  const spare = state[4];
  const valid =
    words.length === 4 &&
    words.some((w) => w !== 0) &&
    (spare === null || (typeof spare === 'number' && Number.isFinite(spare)));
  if (!valid) {
    f.fail(field, 'a generator state: four 32-bit integers, not all 0, and a number or null');
  }
  // JSON wrote getState()'s NaN (no spare deviate) as null; setState wants the NaN back.
  return [...words, typeof spare === 'number' ? spare : Number.NaN];
}

function isCounts(row: unknown): row is number[] {
  return (
    Array.isArray(row) &&
    row.length === 10 &&
    row.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
  );
}

function readRecord(f: Fields, epoch: number): EpochRecord {
  const confusion = f.array('confusion', 10).map((row) => {
    if (!isCounts(row)) f.fail('confusion', 'ten rows of ten counts');
    return row;
  });
  return {
    epoch: f.integer('epoch', epoch, epoch),
    lr: f.number('lr'),
    trainLoss: f.number('trainLoss'),
    trainAccuracy: f.number('trainAccuracy'),
    valLoss: f.number('valLoss'),
    valAccuracy: f.number('valAccuracy'),
    precision: f.number('precision'),
    recall: f.number('recall'),
    f1: f.number('f1'),
    confusion,
    seconds: f.number('seconds'),
    imagesPerSecond: f.number('imagesPerSecond'),
  };
}

/** Parses and checks the `run` metadata of `file` (a last.safetensors). */
export function parseRunState(file: string, text: string): RunState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`${file}: run metadata is not JSON: ${why}`);
  }
  if (!isObject(json)) {
    throw new UsageError(`${file}: run metadata: expected an object, got ${show(json)}`);
  }
  const f: Fields = new Fields(file, '', json);
  const options = readOptions(f.object('options'));
  const epoch = f.integer('epoch', 1, options.epochs);

  const optimizer: Fields = f.object('optimizer');
  const paramGroups = optimizer.array('paramGroups');
  if (!paramGroups.every(isObject)) optimizer.fail('paramGroups', 'a list of objects');
  const numbersField = optimizer.object('numbers');
  const numbers: RunState['optimizer']['numbers'] = {};
  for (const index of Object.keys(numbersField.value)) {
    if (!/^\d+$/.test(index)) numbersField.fail(index, 'a parameter index as key');
    const entry = numbersField.object(index);
    numbers[index] = {};
    for (const name of Object.keys(entry.value)) {
      numbers[index][name] = name === 'step' ? entry.integer(name, 0) : entry.number(name);
    }
  }

  const scheduler = json['scheduler'] === undefined ? undefined : f.object('scheduler').value;
  const rng = f.object('rng');
  const history = f.array('history', epoch).map((record, i) => {
    if (!isObject(record)) f.fail('history', `a list of ${epoch} epoch records`);
    return readRecord(new Fields(file, `history[${i}].`, record), i + 1);
  });
  let best: RunState['best'];
  if (json['best'] !== undefined) {
    const b = f.object('best');
    best = { epoch: b.integer('epoch', 1, epoch), loss: b.number('loss') };
  }
  return {
    epoch,
    options,
    // Checked as the constructor's options by Optimizer.loadStateDict.
    optimizer: {
      paramGroups: paramGroups as RunState['optimizer']['paramGroups'],
      numbers,
    },
    scheduler: scheduler as lrScheduler.SchedulerStateDict | undefined, // checked by its loadStateDict
    rng: { global: readGenerator(rng, 'global'), data: readGenerator(rng, 'data') },
    history,
    best,
  };
}
