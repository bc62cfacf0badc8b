// Checkpoints as safetensors files, written atomically (files.ts): best.safetensors holds the
// model alone (PyTorch's key names, loadable anywhere); last.safetensors holds everything
// --resume needs (model, optimizer, scheduler, epoch, RNG states, history), checked on reading.

import { readFile } from 'node:fs/promises';
import * as nn from '@dl/nn';
import type { BaseHyperparameters, lrScheduler, Optimizer, OptimizerStateDict } from '@dl/optim';
import type { Tensor } from '@dl/tensor';
import { models } from '@dl/vision';
import { type DatasetName, UsageError } from './args.js';
import { describeFsError, writeFileAtomic } from './files.js';
import { parseRunState, type RunState } from './run-state.js';

export type { RunState };

export const architecture = 'DigitRecognizer';
const format = 'dl-mnist/1';

export function newModel(): models.DigitRecognizer {
  return new models.DigitRecognizer();
}

/** Saves the model alone, with the architecture in the metadata. */
export async function saveModel(
  model: nn.Module,
  path: string,
  extra: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(
    path,
    await nn.toBytes(model.stateDict(), { format, architecture, ...extra }),
  );
}

export async function saveRun(
  path: string,
  model: nn.Module,
  optimizer: Optimizer,
  state: Omit<RunState, 'optimizer'>,
): Promise<void> {
  const tensors = new Map<string, Tensor>();
  for (const [key, t] of model.stateDict()) tensors.set(`model.${key}`, t);
  const { state: optimizerState, paramGroups } = optimizer.stateDict();
  const numbers: RunState['optimizer']['numbers'] = {};
  for (const [index, entry] of Object.entries(optimizerState)) {
    numbers[index] = {};
    for (const [field, value] of Object.entries(entry)) {
      if (typeof value === 'number') numbers[index][field] = value;
      else tensors.set(`optimizer.${index}.${field}`, value);
    }
  }
  const run: RunState = { ...state, optimizer: { paramGroups, numbers } };
  await writeFileAtomic(
    path,
    await nn.toBytes(tensors, { format, architecture, run: JSON.stringify(run) }),
  );
}

interface ReadCheckpoint {
  tensors: nn.StateDict;
  metadata: Record<string, string>;
}

async function readCheckpoint(path: string): Promise<ReadCheckpoint> {
  let bytes: Uint8Array;
  try {
    const buffer = await readFile(path);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    const why = code === 'ENOENT' ? 'no such file' : describeFsError(error);
    throw new UsageError(`cannot read checkpoint ${path}: ${why}`);
  }
  try {
    return { tensors: nn.fromBytes(bytes), metadata: nn.metadataOf(bytes) ?? {} };
  } catch (error) {
    throw new UsageError(`${path} is not a readable safetensors checkpoint: ${oneLine(error)}`);
  }
}

/** Loads model weights into `model`, refusing a checkpoint of another architecture. */
function loadWeights(path: string, model: nn.Module, weights: nn.StateDict): void {
  try {
    model.loadStateDict(weights);
  } catch (error) {
    throw new UsageError(`${path} is not a ${architecture} checkpoint: ${oneLine(error)}`);
  }
}

function checkArchitecture(path: string, metadata: Record<string, string>): void {
  const found = metadata['architecture'];
  if (found !== undefined && found !== architecture) {
    throw new UsageError(
      `${path} is a checkpoint of ${found}, not of ${architecture}; train one with dl-mnist train`,
    );
  }
}

/**
 * A DigitRecognizer with the weights of `path`: a best.safetensors, a last.safetensors, or
 * any safetensors file with the model's keys (one PyTorch saved, say).
 */
export async function loadModel(
  path: string,
): Promise<{ model: models.DigitRecognizer; dataset: DatasetName }> {
  const { tensors, metadata } = await readCheckpoint(path);
  checkArchitecture(path, metadata);
  const isRun = metadata['run'] !== undefined;
  const weights: nn.StateDict = new Map();
  for (const [key, t] of tensors) {
    if (!isRun) weights.set(key, t);
    else if (key.startsWith('model.')) weights.set(key.slice('model.'.length), t);
  }
  const model = newModel();
  loadWeights(path, model, weights);
  // The dataset decides the input normalisation; files from elsewhere are taken as MNIST.
  const dataset = metadata['dataset'] === 'fashion' ? 'fashion' : 'mnist';
  return { model, dataset };
}

/** A training run saved in last.safetensors: its checked metadata and its tensors. */
export interface SavedRun {
  path: string;
  run: RunState;
  tensors: nn.StateDict;
}

/** Reads last.safetensors (or another run's file), checking its run metadata. */
export async function readRun(path: string): Promise<SavedRun> {
  const { tensors, metadata } = await readCheckpoint(path);
  checkArchitecture(path, metadata);
  const text = metadata['run'];
  if (text === undefined) {
    throw new UsageError(`${path} holds a model only, not a training run to resume`);
  }
  return { path, run: parseRunState(path, text), tensors };
}

/** Fails unless every element of `t` is finite (and, with `nonNegative`, >= 0). */
async function checkValues(path: string, key: string, t: Tensor, nonNegative: boolean) {
  const data = await t.data();
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!Number.isFinite(v) || (nonNegative && v < 0)) {
      throw new UsageError(
        `${path}: ${key}[${i}] is ${v}; a resumable run holds ${nonNegative ? 'finite non-negative' : 'finite'} values only`,
      );
    }
  }
}

/**
 * Restores model, optimizer and scheduler from a saved run, checking what the library's
 * loadStateDict cannot know: every value finite (Adam's second moments >= 0), and every
 * parameter's Adam step, and the schedule's position, equal to the steps the completed
 * epochs made (`stepsPerEpoch` batches each). Each failure is one line naming the file.
 */
export async function restoreRun(
  saved: SavedRun,
  model: nn.Module,
  optimizer: Optimizer,
  scheduler: lrScheduler.LRScheduler | undefined,
  stepsPerEpoch: number,
): Promise<void> {
  const { path, run, tensors } = saved;
  const steps = run.epoch * stepsPerEpoch;
  const made = `the ${run.epoch} completed epoch${run.epoch === 1 ? '' : 's'} took ${steps} steps (${stepsPerEpoch} per epoch)`;
  const weights: nn.StateDict = new Map();
  const optimizerState: OptimizerStateDict<BaseHyperparameters>['state'] = {};
  for (const [index, numbers] of Object.entries(run.optimizer.numbers)) {
    optimizerState[Number(index)] = { ...numbers };
  }
  for (const [key, t] of tensors) {
    if (key.startsWith('model.')) {
      await checkValues(path, key, t, false);
      weights.set(key.slice('model.'.length), t);
      continue;
    }
    const match = /^optimizer\.(\d+)\.(.+)$/.exec(key);
    if (!match) throw new UsageError(`${path}: unexpected tensor ${key} in a training run`);
    await checkValues(path, key, t, match[2]!.endsWith('Sq'));
    const index = Number(match[1]);
    optimizerState[index] = { ...optimizerState[index], [match[2]!]: t };
  }
  const parameters = [...model.parameters()].length;
  for (const index of Object.keys(optimizerState).map(Number)) {
    if (index >= parameters) {
      throw new UsageError(
        `${path}: optimizer state for parameter ${index}; the ${architecture} has parameters 0 to ${parameters - 1}`,
      );
    }
  }
  for (let index = 0; index < parameters; index++) {
    const state = optimizerState[index];
    if (state === undefined)
      throw new UsageError(`${path}: no optimizer state for parameter ${index}`);
    if (state['step'] !== steps) {
      throw new UsageError(
        `${path}: optimizer state of parameter ${index} has step ${state['step'] ?? 'none'}, but ${made}`,
      );
    }
  }
  loadWeights(path, model, weights);
  try {
    optimizer.loadStateDict({ state: optimizerState, paramGroups: run.optimizer.paramGroups });
  } catch (error) {
    throw new UsageError(`${path}: optimizer state: ${oneLine(error)}`);
  }
  if ((scheduler === undefined) !== (run.scheduler === undefined)) {
    throw new UsageError(
      `${path}: run metadata: scheduler: ${scheduler ? 'missing, but the best recipe has one' : 'present, but the seed recipe has none'}`,
    );
  }
  if (scheduler && run.scheduler) {
    try {
      scheduler.loadStateDict(run.scheduler);
    } catch (error) {
      throw new UsageError(`${path}: scheduler state: ${oneLine(error)}`);
    }
    if (scheduler.lastEpoch !== steps) {
      throw new UsageError(
        `${path}: scheduler state: lastEpoch is ${scheduler.lastEpoch}, but ${made}`,
      );
    }
  }
}

/** An error's message on one line: "a:\n\tb\n\tc" as "a: b; c" (loadStateDict's lists). */
function oneLine(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines
    .reduce((text, line) => `${text}${text.endsWith(':') ? ' ' : '; '}${line}`, '')
    .slice(2);
}
