// Checkpoints as safetensors files, written atomically by @dl/nn/node's save: best.safetensors
// holds the model alone (PyTorch's key names, loadable anywhere); last.safetensors holds
// everything --resume needs (model, optimizer, scheduler, epoch, RNG states, history).

import { readFile } from 'node:fs/promises';
import * as nn from '@dl/nn';
import { save } from '@dl/nn/node';
import type { BaseHyperparameters, lrScheduler, Optimizer, OptimizerStateDict } from '@dl/optim';
import type { Tensor } from '@dl/tensor';
import { models } from '@dl/vision';
import { type DatasetName, UsageError } from './args.js';
import type { EpochRecord } from './report.js';

export const architecture = 'DigitRecognizer';
const format = 'dl-mnist/1';

export function newModel(): models.DigitRecognizer {
  return new models.DigitRecognizer();
}

/** What last.safetensors carries besides tensors, as JSON in the file's metadata. */
export interface RunState {
  /** Epochs completed. */
  epoch: number;
  /** The options the run was started with (what --resume continues). */
  options: Record<string, unknown>;
  optimizer: {
    paramGroups: OptimizerStateDict<BaseHyperparameters>['paramGroups'];
    /** Each parameter's numeric state (Adam's step); its tensors are in the file. */
    numbers: Record<string, Record<string, number>>;
  };
  scheduler: lrScheduler.SchedulerStateDict | undefined;
  rng: { global: number[]; data: number[] };
  history: EpochRecord[];
  best: { epoch: number; loss: number } | undefined;
}

/** Saves the model alone, with the architecture in the metadata. */
export async function saveModel(
  model: nn.Module,
  path: string,
  extra: Record<string, string> = {},
): Promise<void> {
  await save(model.stateDict(), path, { format, architecture, ...extra });
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
  await save(tensors, path, { format, architecture, run: JSON.stringify(run) });
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
    const why = code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : '';
    throw new UsageError(`cannot read checkpoint ${path}: ${why}`);
  }
  try {
    return { tensors: nn.fromBytes(bytes), metadata: nn.metadataOf(bytes) ?? {} };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${path} is not a readable safetensors checkpoint: ${why}`);
  }
}

/** Loads model weights into `model`, refusing a checkpoint of another architecture. */
function loadWeights(path: string, model: nn.Module, weights: nn.StateDict): void {
  try {
    model.loadStateDict(weights);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${path} is not a ${architecture} checkpoint: ${why}`);
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

/** The options a training run was started with, from its last.safetensors. */
export async function readRunOptions(path: string): Promise<Record<string, unknown>> {
  const { metadata } = await readCheckpoint(path);
  checkArchitecture(path, metadata);
  const text = metadata['run'];
  if (text === undefined) {
    throw new UsageError(`${path} holds a model only, not a training run to resume`);
  }
  return (JSON.parse(text) as RunState).options; // written by saveRun below
}

/** Restores model and optimizer from last.safetensors and returns the rest of the run state. */
export async function loadRun(
  path: string,
  model: nn.Module,
  optimizer: Optimizer,
): Promise<RunState> {
  const { tensors, metadata } = await readCheckpoint(path);
  checkArchitecture(path, metadata);
  const text = metadata['run'];
  if (text === undefined) {
    throw new UsageError(`${path} holds a model only, not a training run to resume`);
  }
  const run = JSON.parse(text) as RunState; // written by saveRun above
  const weights: nn.StateDict = new Map();
  const optimizerState: OptimizerStateDict<BaseHyperparameters>['state'] = {};
  for (const [index, numbers] of Object.entries(run.optimizer.numbers)) {
    optimizerState[Number(index)] = { ...numbers };
  }
  for (const [key, t] of tensors) {
    if (key.startsWith('model.')) weights.set(key.slice('model.'.length), t);
    const match = /^optimizer\.(\d+)\.(.+)$/.exec(key);
    if (match) {
      const index = Number(match[1]);
      optimizerState[index] = { ...optimizerState[index], [match[2]!]: t };
    }
  }
  loadWeights(path, model, weights);
  optimizer.loadStateDict({ state: optimizerState, paramGroups: run.optimizer.paramGroups });
  return run;
}
