// The playground page: opens WebGPU (or falls back to the CPU with a notice), loads MNIST
// from the static files under mnist/ and the shipped checkpoint (or the model saved in
// IndexedDB by an earlier visit), trains with a live chart, saves the model to IndexedDB or
// as a download, and classifies what is drawn on the canvas after every stroke.

import {
  downloadStateDict,
  listIndexedDB,
  loadFromIndexedDB,
  loadFromURL,
  loadStateDictFile,
  saveToIndexedDB,
} from '@dl/nn';
import { type Backend, cpu, manualSeed, noGrad, tensor } from '@dl/tensor';
import { MNIST, toPixels, transforms } from '@dl/vision';
import { webgpu } from '@dl/webgpu';
import { TrainingChart } from './chart.ts';
import {
  createModel,
  type DigitModel,
  isModelName,
  type ModelName,
  modelLabels,
  modelNames,
} from './models.ts';
import { normalizeMnist, toMnistPixels } from './preprocess.ts';
import { Sketch } from './sketch.ts';
import { type StepReport, Trainer } from './trainer.ts';

/** What the page exposes for its end-to-end test (and for poking at from the console). */
export interface PlaygroundState {
  ready: boolean;
  error: string | undefined;
  device: string;
  webgpu: boolean;
  model: ModelName;
  checkpointLoaded: boolean;
  /** The model restored from IndexedDB when the page opened, if one was saved. */
  restored: ModelName | undefined;
  /** Increments after each save to IndexedDB. */
  saves: number;
  /** The name of the last file opened with "Open weights". */
  opened: string | undefined;
  losses: number[];
  prediction: { digit: number; probabilities: number[] } | undefined;
  /** Increments after each finished prediction. */
  predictions: number;
  /** A prediction is running or scheduled. */
  predicting: boolean;
}

declare global {
  interface Window {
    playground: PlaygroundState;
  }
}

function element<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`playground: #${id} is missing from the page`);
  return el;
}

const ui = {
  backend: element('backend', HTMLElement),
  notice: element('notice', HTMLElement),
  model: element('model', HTMLSelectElement),
  batch: element('batch', HTMLInputElement),
  lr: element('lr', HTMLInputElement),
  start: element('start', HTMLButtonElement),
  load: element('load', HTMLButtonElement),
  save: element('save', HTMLButtonElement),
  download: element('download', HTMLButtonElement),
  open: element('open', HTMLInputElement),
  step: element('step', HTMLOutputElement),
  epoch: element('epoch', HTMLOutputElement),
  loss: element('loss', HTMLOutputElement),
  accuracy: element('accuracy', HTMLOutputElement),
  speed: element('speed', HTMLOutputElement),
  chart: element('chart', HTMLElement),
  status: element('status', HTMLElement),
  sketch: element('sketch', HTMLCanvasElement),
  clear: element('clear', HTMLButtonElement),
  preview: element('preview', HTMLCanvasElement),
  predicted: element('predicted', HTMLElement),
  probabilities: element('probabilities', HTMLOListElement),
};

const params = new URLSearchParams(location.search);
const initialModel = params.get('model') ?? 'digit-recognizer';
const state: PlaygroundState = {
  ready: false,
  error: undefined,
  device: 'cpu',
  webgpu: false,
  model: isModelName(initialModel) ? initialModel : 'digit-recognizer',
  checkpointLoaded: false,
  restored: undefined,
  saves: 0,
  opened: undefined,
  losses: [],
  prediction: undefined,
  predictions: 0,
  predicting: false,
};
window.playground = state;

for (const name of modelNames) ui.model.add(new Option(modelLabels[name], name));
ui.model.value = state.model;
for (const key of ['batch', 'lr'] as const) {
  const value = params.get(key);
  if (value !== null) ui[key].value = value;
}

const chart = new TrainingChart(ui.chart);
let device: Backend = cpu;
let model: DigitModel | undefined;
let trainer: Trainer | undefined;
let trainSet: MNIST<ReturnType<typeof toTensorNormalized>> | undefined;

const toTensorNormalized = transforms.compose([
  transforms.toTensor(),
  transforms.normalize([0.1307], [0.3081]),
]);

async function openDevice(): Promise<void> {
  if (params.get('device') === 'cpu') {
    showNotice(
      'The CPU backend was requested (?device=cpu): training and prediction run on the CPU.',
    );
    return;
  }
  try {
    const gpu = await webgpu();
    device = gpu;
    state.webgpu = true;
  } catch (error) {
    showNotice(
      `WebGPU is unavailable, so dl runs on its CPU backend (much slower). ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function showNotice(text: string): void {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
}

function newModel(): DigitModel {
  manualSeed(Number(params.get('seed') ?? 0));
  const fresh = createModel(state.model).to(device);
  model = fresh;
  model.eval();
  trainer = undefined;
  state.checkpointLoaded = false;
  state.restored = undefined;
  state.losses = [];
  chart.clear();
  ui.batch.disabled = false;
  ui.lr.disabled = false;
  for (const out of [ui.step, ui.loss, ui.accuracy]) out.value = '–';
  ui.speed.value = '0';
  return fresh;
}

async function loadCheckpoint(): Promise<void> {
  const url = new URL(`checkpoints/${state.model}.safetensors`, document.baseURI);
  const stateDict = await loadFromURL(url, {
    onProgress: ({ loaded, total }) => {
      ui.status.textContent = `Loading the checkpoint: ${Math.round(loaded / 1024)}${total ? ` of ${Math.round(total / 1024)}` : ''} KiB…`;
    },
  });
  newModel().loadStateDict(stateDict);
  state.checkpointLoaded = true;
  ui.status.textContent = `Loaded the shipped ${modelLabels[state.model]} checkpoint.`;
  schedulePrediction();
}

/** The IndexedDB name of a model saved from the playground. */
const savedName = (name: ModelName) => `playground/${name}`;

/** Saves the current model to IndexedDB (pausing training while its weights are read). */
async function saveModel(): Promise<void> {
  if (!model) return;
  const wasRunning = trainer?.running ?? false;
  await trainer?.pause();
  await saveToIndexedDB(model.stateDict(), savedName(state.model));
  state.saves++;
  ui.status.textContent = `Saved ${modelLabels[state.model]} in this browser (IndexedDB); it is reloaded when the page opens.`;
  if (wasRunning) trainer?.start();
}

/** Loads a safetensors or .pth file chosen with "Open weights" into the selected model. */
async function openFile(file: File): Promise<void> {
  await trainer?.pause();
  ui.start.textContent = 'Start';
  const stateDict = await loadStateDictFile(file);
  newModel().loadStateDict(stateDict);
  state.opened = file.name;
  ui.status.textContent = `Loaded ${file.name} into ${modelLabels[state.model]}.`;
  schedulePrediction();
}

/**
 * Restores the most recently saved model (or the one named by ?model=), if this browser has
 * one; returns whether it did.
 */
async function restoreSaved(): Promise<boolean> {
  let entries: Awaited<ReturnType<typeof listIndexedDB>>;
  try {
    entries = await listIndexedDB();
  } catch {
    return false; // no IndexedDB (a private window may have none)
  }
  const saved = entries
    .filter((e) => e.name.startsWith('playground/'))
    .sort((a, b) => b.savedAt.getTime() - a.savedAt.getTime());
  const wanted = params.get('model');
  const entry = wanted ? saved.find((e) => e.name === `playground/${wanted}`) : saved[0];
  const name = entry?.name.slice('playground/'.length);
  if (!entry || name === undefined || !isModelName(name)) return false;
  state.model = name;
  ui.model.value = name;
  const stateDict = await loadFromIndexedDB(entry.name);
  newModel().loadStateDict(stateDict);
  state.restored = name;
  ui.status.textContent = `Restored ${modelLabels[name]} as saved in this browser on ${entry.savedAt.toLocaleString()}.`;
  schedulePrediction();
  return true;
}

async function loadMnist(): Promise<void> {
  const url = (name: string) => new URL(`mnist/${name}`, document.baseURI);
  trainSet = await MNIST.create({
    train: true,
    transform: toTensorNormalized,
    urls: { images: url('train-images-idx3-ubyte'), labels: url('train-labels-idx1-ubyte') },
  });
}

function onStep(report: StepReport): void {
  state.losses.push(report.loss);
  chart.push(report.step, report.loss, report.accuracy);
  ui.step.value = String(report.step);
  ui.epoch.value = String(report.epoch);
  ui.loss.value = report.loss.toFixed(4);
  ui.accuracy.value = `${(report.accuracy * 100).toFixed(1)}%`;
  ui.speed.value = report.samplesPerSecond.toFixed(1);
  schedulePrediction();
}

async function toggleTraining(): Promise<void> {
  if (!trainSet) return;
  if (trainer?.running) {
    ui.start.disabled = true;
    await trainer.pause();
    ui.start.disabled = false;
    ui.start.textContent = 'Resume';
    ui.status.textContent = 'Paused.';
    return;
  }
  if (!trainer && model) {
    trainer = new Trainer(model, device, trainSet, {
      batchSize: Number(ui.batch.value),
      lr: Number(ui.lr.value),
      onStep,
      onError: (error) => {
        ui.start.textContent = 'Resume';
        fail(error);
      },
    });
    ui.batch.disabled = true;
    ui.lr.disabled = true;
  }
  if (!trainer) return;
  ui.start.textContent = 'Pause';
  ui.status.textContent = `Training ${modelLabels[state.model]} on ${state.device}…`;
  trainer.start();
}

// Prediction: at most one in flight; strokes made meanwhile trigger one more afterwards.
let predicting = false;
let predictAgain = false;

function schedulePrediction(): void {
  if (predicting) {
    predictAgain = true;
    return;
  }
  predicting = true;
  state.predicting = true;
  requestAnimationFrame(() => {
    predict()
      .catch(fail)
      .finally(() => {
        predicting = false;
        state.predicting = predictAgain;
        if (predictAgain) {
          predictAgain = false;
          schedulePrediction();
        }
      });
  });
}

async function predict(): Promise<void> {
  const current = model;
  if (!current) return;
  const pixels = toMnistPixels(sketch.ink(), ui.sketch.width, ui.sketch.height);
  await drawPreview(pixels);
  if (!pixels.some((v) => v > 0)) {
    state.prediction = undefined;
    ui.predicted.textContent = '–';
    renderBars(undefined);
    return;
  }
  const x = tensor(normalizeMnist(pixels)).reshape([1, 1, 28, 28]).to(device);
  // Forward in eval mode (no dropout) even while training; synchronous, so no step interleaves.
  const wasTraining = current.training;
  current.eval();
  const probs = noGrad(() => current.forward(x).exp());
  if (wasTraining) current.train();
  const probabilities = Array.from(await probs.data(), Number);
  probs.dispose();
  x.dispose();
  const digit = probabilities.indexOf(Math.max(...probabilities));
  state.prediction = { digit, probabilities };
  state.predictions++;
  ui.predicted.textContent = `${digit} (${((probabilities[digit] ?? 0) * 100).toFixed(1)}%)`;
  renderBars(probabilities);
}

function renderBars(probabilities: number[] | undefined): void {
  const top = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  ui.probabilities.replaceChildren(
    ...Array.from({ length: 10 }, (_, d) => {
      const p = probabilities?.[d] ?? 0;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      const track = document.createElement('span');
      track.append(bar);
      const li = document.createElement('li');
      li.className = d === top ? 'top' : '';
      li.dataset['digit'] = String(d);
      li.replaceChildren(String(d), track, `${(p * 100).toFixed(1)}%`);
      return li;
    }),
  );
}

/** Draws what the model sees (grey values in [0, 1]) on the 28x28 preview canvas. */
async function drawPreview(pixels: Float32Array): Promise<void> {
  const image = tensor(pixels).reshape([28, 28]);
  await toPixels(image, ui.preview);
  image.dispose();
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.error = message;
  ui.status.textContent = `Error: ${message}`;
  console.error(error);
}

const sketch = new Sketch(ui.sketch, schedulePrediction);
ui.clear.addEventListener('click', () => sketch.clear());
ui.start.addEventListener('click', () => void toggleTraining().catch(fail));
ui.load.addEventListener('click', () => {
  void (async () => {
    await trainer?.pause();
    ui.start.textContent = 'Start';
    await loadCheckpoint();
  })().catch(fail);
});
ui.save.addEventListener('click', () => void saveModel().catch(fail));
ui.open.addEventListener('change', () => {
  const file = ui.open.files?.[0];
  if (file) void openFile(file).catch(fail);
  ui.open.value = '';
});
ui.download.addEventListener('click', () => {
  if (model) void downloadStateDict(model.stateDict(), `${state.model}.safetensors`).catch(fail);
});
ui.model.addEventListener('change', () => {
  void (async () => {
    await trainer?.pause();
    if (isModelName(ui.model.value)) state.model = ui.model.value;
    ui.start.textContent = 'Start';
    newModel();
    ui.status.textContent = `${modelLabels[state.model]}: freshly initialised. Press Start to train it, or load the shipped checkpoint.`;
    schedulePrediction();
  })().catch(fail);
});

async function main(): Promise<void> {
  await openDevice();
  state.device = String(device);
  ui.backend.textContent = `Backend: ${state.device}`;
  newModel();
  const restore = restoreSaved().then((restored) => (restored ? undefined : loadCheckpoint()));
  await Promise.all([restore.catch(fail), loadMnist()]);
  ui.start.disabled = false;
  ui.load.disabled = false;
  ui.save.disabled = false;
  ui.download.disabled = false;
  ui.open.disabled = false;
  const loaded = state.checkpointLoaded || state.restored !== undefined;
  ui.status.textContent = `${loaded ? `${ui.status.textContent} ` : ''}MNIST loaded (${trainSet?.length ?? 0} training images). Press Start to train, or draw a digit.`;
  state.ready = true;
}

main().catch(fail);
