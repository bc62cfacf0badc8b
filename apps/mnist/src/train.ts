// train: the DigitRecognizer on MNIST or Fashion-MNIST with Adam, a progress bar per epoch,
// validation metrics after each, best.safetensors by validation loss, last.safetensors for
// --resume (bit-exact continuation), and history/curves/report after every epoch.

import { join } from 'node:path';
import * as nn from '@dl/nn';
import { Adam, lrScheduler } from '@dl/optim';
import { type Backend, Generator, globalGenerator, manualSeed } from '@dl/tensor';
import cliProgress from 'cli-progress';
import { type TrainOptions, UsageError } from './args.js';
import {
  newModel,
  type RunState,
  readRun,
  restoreRun,
  type SavedRun,
  saveModel,
  saveRun,
} from './checkpoint.js';
import { classNames, limited, loader, openDataset, transformFor } from './data.js';
import { openDevice } from './device.js';
import { type Evaluation, evaluate, formatConfusion, summary } from './evaluate.js';
import { prepareOutFolder } from './files.js';
import { type EpochRecord, writeReports } from './report.js';
import type { RunOptions } from './run-state.js';

export interface TrainIO {
  log(line: string): void;
  /** Draw progress bars (a terminal); otherwise one line per epoch. */
  progress: boolean;
  /** Set when the user asks to stop (Ctrl-C): training ends after the current step. */
  stopRequested(): boolean;
}

export interface TrainResult {
  history: EpochRecord[];
  /** The last validation, or undefined when stopped before an epoch completed. */
  last: Evaluation | undefined;
  stopped: boolean;
}

/** The options a run keeps in last.safetensors: what --resume must reuse to continue exactly. */
function runOptions(o: TrainOptions, epochs: number): RunOptions {
  return {
    dataset: o.dataset,
    data: o.data ?? null,
    batchSize: o.batchSize,
    epochs,
    lr: o.lr,
    seed: o.seed,
    limit: o.limit ?? null,
    testLimit: o.testLimit ?? null,
    recipe: o.recipe,
  };
}

/** The command-line option behind each run option that --resume takes from the file. */
const resumedOptions: Record<Exclude<keyof RunOptions, 'epochs'>, string> = {
  dataset: 'dataset',
  data: 'data',
  batchSize: 'batch-size',
  lr: 'lr',
  seed: 'seed',
  limit: 'limit',
  testLimit: 'test-limit',
  recipe: 'recipe',
};

/**
 * Refuses options given with --resume that differ from the run's own (only --epochs may
 * change, and not with the best recipe): continuing with another recipe, rate, batch size or
 * data would not continue the run, and silently ignoring them would hide that.
 */
function checkResumeConflicts(o: TrainOptions, stored: RunOptions, out: string): void {
  const wanted = runOptions(o, stored.epochs);
  for (const [field, option] of Object.entries(resumedOptions)) {
    if (!o.given.includes(option)) continue;
    const key = field as keyof typeof resumedOptions; // Object.entries loses the key type
    const [was, now] = [stored[key], wanted[key]];
    if (was === now) continue;
    const before = was === null ? `without --${option}` : `with --${option} ${was}`;
    throw new UsageError(
      `--resume: the run in ${out} was started ${before}; it cannot continue with --${option} ${now} (resume without --${option}, or start a new run in another --out folder)`,
    );
  }
}

/** The effective options: the run's own when resuming (with --epochs possibly raised). */
function resolve(
  o: TrainOptions,
  saved: SavedRun | undefined,
): { options: TrainOptions; epochs: number } {
  const defaultEpochs = o.recipe === 'best' ? 5 : 1;
  if (!saved) return { options: o, epochs: o.epochs ?? defaultEpochs };
  const stored = saved.run.options;
  checkResumeConflicts(o, stored, o.out);
  const epochs = o.epochs ?? stored.epochs;
  if (stored.recipe === 'best' && epochs !== stored.epochs) {
    throw new UsageError(
      `--resume: the run's learning-rate schedule spans ${stored.epochs} epochs; --epochs ${epochs} would change it`,
    );
  }
  const options: TrainOptions = {
    ...o,
    dataset: stored.dataset,
    data: stored.data ?? undefined,
    batchSize: stored.batchSize,
    lr: stored.lr,
    seed: stored.seed,
    limit: stored.limit ?? undefined,
    testLimit: stored.testLimit ?? undefined,
    recipe: stored.recipe,
  };
  return { options, epochs };
}

function norms(model: nn.Module): Promise<string[]> {
  return Promise.all(
    [...model.namedParameters()].map(async ([name, p]) => {
      const weight = await p.norm().item();
      const grad = p.grad ? (await p.grad.norm().item()).toExponential(3) : 'none';
      return `  ${name.padEnd(14)} grad ${grad.padStart(10)}  weight ${weight.toExponential(3)}`;
    }),
  );
}

export async function train(given: TrainOptions, io: TrainIO): Promise<TrainResult> {
  // The folder first: one that cannot be written stops the run before anything is read, and
  // temporary files that killed runs left there go.
  const removed = await prepareOutFolder(given.out);
  if (removed.length > 0) {
    io.log(
      `removed ${removed.length} temporary file${removed.length === 1 ? '' : 's'} that an interrupted run left in ${given.out}`,
    );
  }
  const lastPath = join(given.out, 'last.safetensors');
  const bestPath = join(given.out, 'best.safetensors');
  const saved = given.resume ? await readRun(lastPath) : undefined;
  const { options: o, epochs } = resolve(given, saved);
  const names = classNames(o.dataset);

  // Data first: a missing dataset stops the run before a device is opened.
  manualSeed(o.seed);
  const dataGenerator = new Generator(o.seed + 1);
  const trainSet = limited(
    openDataset(o.dataset, o.data, true, transformFor(o.dataset, o.recipe, true, dataGenerator)),
    o.limit,
  );
  const testSet = limited(
    openDataset(o.dataset, o.data, false, transformFor(o.dataset, o.recipe, false, dataGenerator)),
    o.testLimit,
  );
  const trainLoader = loader(trainSet, o.batchSize, true, dataGenerator);
  // Validation batches of 250: larger ones only add memory (im2col of conv2 grows with N).
  const testLoader = loader(testSet, 250, false, dataGenerator);

  const opened = await openDevice(o.device, io.log);
  const device: Backend | 'cpu' = opened.device;
  io.log(`device: ${opened.description}`);
  try {
    const model = newModel();
    model.to(device);
    const optimizer = new Adam(model.parameters(), { lr: o.lr });
    const scheduler =
      o.recipe === 'best'
        ? new lrScheduler.OneCycleLR(optimizer, o.lr, { epochs, stepsPerEpoch: trainLoader.length })
        : undefined;

    let history: EpochRecord[] = [];
    let best: RunState['best'];
    let startEpoch = 0;
    if (saved) {
      const { run } = saved;
      await restoreRun(saved, model, optimizer, scheduler, trainLoader.length);
      globalGenerator().setState(run.rng.global);
      dataGenerator.setState(run.rng.data);
      history = run.history;
      best = run.best;
      startEpoch = run.epoch;
      io.log(`resuming ${lastPath} after epoch ${startEpoch} of ${epochs}`);
      if (startEpoch >= epochs) {
        io.log(
          `nothing to do: the run has completed ${startEpoch} epochs; raise --epochs to go on`,
        );
      }
    }
    io.log(
      `training DigitRecognizer (${model.numParameters()} parameters) on ${trainSet.length} ${o.dataset} images, ` +
        `validating on ${testSet.length}; Adam lr ${o.lr}, batch ${o.batchSize}, recipe ${o.recipe}, seed ${o.seed}`,
    );

    const info = {
      title: `dl-mnist: DigitRecognizer on ${o.dataset}`,
      settings: {
        device: opened.description,
        ...Object.fromEntries(
          Object.entries(runOptions(o, epochs)).map(([k, v]) => [k, v ?? 'all']),
        ),
      },
    };
    // A kill between an epoch's checkpoint and its reports leaves the reports an epoch behind:
    // a resumed run writes them again from the checkpoint's history first.
    if (saved) await writeReports(o.out, history, info);
    let last: Evaluation | undefined;
    const logEvery = Math.max(1, Math.ceil(trainLoader.length / 10));
    for (let epoch = startEpoch + 1; epoch <= epochs; epoch++) {
      const lr = optimizer.paramGroups[0]!.lr;
      model.train();
      const bar = io.progress
        ? new cliProgress.SingleBar(
            {
              format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} | {rate} img/s | ETA {eta_formatted} | loss {loss}`,
              etaBuffer: 20,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      bar?.start(trainSet.length, 0, { rate: '-', loss: '-' });
      const started = performance.now();
      let seen = 0;
      let lossSum = 0;
      let correct = 0;
      let step = 0;
      for await (const [x, y] of trainLoader) {
        const input = x.to(device);
        const target = y.to(device);
        optimizer.zeroGrad();
        const output = model.forward(input);
        const loss = nn.F.nllLoss(output, target);
        loss.backward();
        if (o.debugGrads && (step === 0 || step === trainLoader.length - 1)) {
          bar?.stop();
          io.log(`epoch ${epoch} step ${step + 1}: gradient and weight norms`);
          for (const line of await norms(model)) io.log(line);
        }
        optimizer.step();
        scheduler?.step();
        const hits = output.argmax(1).eq(target).sum();
        const n = y.shape[0]!;
        lossSum += (await loss.item()) * n;
        correct += await hits.item();
        seen += n;
        step++;
        const seconds = (performance.now() - started) / 1000;
        const rate = seen / seconds;
        bar?.update(seen, { rate: rate.toFixed(1), loss: (lossSum / seen).toFixed(4) });
        // Without a terminal (a log file, CI), about ten progress lines per epoch instead.
        if (!bar && step % logEvery === 0 && step < trainLoader.length) {
          const eta = Math.round((trainSet.length - seen) / rate);
          io.log(
            `epoch ${epoch}/${epochs}: ${seen}/${trainSet.length} images, ${rate.toFixed(1)} images/s, ETA ${eta} s, loss ${(lossSum / seen).toFixed(4)}`,
          );
        }
        // A turn of the event loop, so a Ctrl-C that arrived during the step is seen now
        // (on the CPU a step never waits on I/O, so the signal handler would not run).
        await new Promise((resolve) => setImmediate(resolve));
        if (io.stopRequested()) break;
      }
      bar?.stop();
      if (io.stopRequested()) {
        io.log(
          `stopped in epoch ${epoch}; ${epoch === 1 ? 'no epoch was completed' : `${lastPath} holds epoch ${epoch - 1}`}`,
        );
        return { history, last, stopped: true };
      }
      const seconds = (performance.now() - started) / 1000;
      last = await evaluate(model, testLoader, device);
      const record: EpochRecord = {
        epoch,
        lr,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        valLoss: last.loss,
        valAccuracy: last.accuracy,
        precision: last.precision,
        recall: last.recall,
        f1: last.f1,
        confusion: last.confusion,
        seconds,
        imagesPerSecond: seen / seconds,
      };
      history.push(record);
      io.log(
        `epoch ${epoch}/${epochs}: train loss ${record.trainLoss.toFixed(4)}, ${(seen / seconds).toFixed(1)} images/s; validation ${summary(last)}`,
      );
      io.log(formatConfusion(last.confusion, names));
      if (best === undefined || last.loss < best.loss) {
        best = { epoch, loss: last.loss };
        await saveModel(model, bestPath, {
          epoch: String(epoch),
          valLoss: String(last.loss),
          valAccuracy: String(last.accuracy),
          dataset: o.dataset,
        });
        io.log(`saved ${bestPath} (best validation loss so far)`);
      }
      await saveRun(lastPath, model, optimizer, {
        epoch,
        options: runOptions(o, epochs),
        scheduler: scheduler?.stateDict(),
        rng: { global: globalGenerator().getState(), data: dataGenerator.getState() },
        history,
        best,
      });
      await writeReports(o.out, history, info);
    }
    if (history.length > 0) {
      io.log(`wrote ${join(o.out, 'history.json')}, curves.png and report.html`);
    }
    return { history, last, stopped: false };
  } finally {
    opened.close();
  }
}
