// The commands of dl-mnist behind one function returning the exit code, so the binary
// (cli.ts) stays a thin shell: 0 done, 1 an error (one line on stderr), 130 stopped by Ctrl-C.

import { join } from 'node:path';
import { Generator, IndexError } from '@dl/tensor';
import { type EvalOptions, type PredictOptions, parseOptions, UsageError, usage } from './args.js';
import { loadModel } from './checkpoint.js';
import { classNames, limited, loader, openDataset, transformFor } from './data.js';
import { openDevice } from './device.js';
import { evaluate, formatConfusion, summary } from './evaluate.js';
import { prepare, probabilities, readDigit } from './predict.js';
import { train } from './train.js';

export interface MainIO {
  log(line: string): void;
  error(line: string): void;
  progress: boolean;
  stopRequested(): boolean;
}

async function runEval(o: EvalOptions, io: MainIO): Promise<void> {
  const loaded = await loadModel(o.checkpoint);
  const { model } = loaded;
  const dataset = o.dataset ?? loaded.dataset;
  const testSet = limited(
    openDataset(dataset, o.data, false, transformFor(dataset, 'seed', false, new Generator(0))),
    o.testLimit,
  );
  const opened = await openDevice(o.device, io.log);
  try {
    io.log(`device: ${opened.description}`);
    model.to(opened.device);
    const result = await evaluate(
      model,
      loader(testSet, o.batchSize, false, new Generator(0)),
      opened.device,
    );
    io.log(`${o.checkpoint} on the ${dataset} test set: ${summary(result)}`);
    io.log(formatConfusion(result.confusion, classNames(dataset)));
  } finally {
    opened.close();
  }
}

async function runPredict(o: PredictOptions, io: MainIO): Promise<void> {
  const { model, dataset } = await loadModel(o.checkpoint);
  const image = await readDigit(o.image);
  const prepared = prepare(image, dataset);
  const opened = await openDevice(o.device, io.log);
  try {
    model.to(opened.device);
    const p = await probabilities(model, prepared.input, opened.device);
    const best = p.indexOf(Math.max(...p));
    io.log(
      `${o.image}: ${prepared.size[0]}x${prepared.size[1]}${prepared.inverted ? ', inverted (dark digit on a light ground)' : ''}`,
    );
    const names = classNames(dataset);
    p.forEach((q, k) => {
      const name = dataset === 'mnist' ? '' : ` ${names[k]}`;
      io.log(`  ${k}: ${q.toFixed(4)} ${'#'.repeat(Math.round(q * 40))}${name}`);
    });
    io.log(`prediction: ${best} (probability ${p[best]!.toFixed(4)})`);
  } finally {
    opened.close();
  }
}

export async function main(argv: readonly string[], io: MainIO): Promise<number> {
  try {
    const options = parseOptions(argv);
    switch (options.command) {
      case 'help':
        io.log(usage);
        return 0;
      case 'train': {
        const result = await train(options, io);
        if (result.stopped) return 130;
        if (result.last) {
          io.log(
            `test accuracy: ${(100 * result.last.accuracy).toFixed(2)}% (${result.last.samples} images)`,
          );
          io.log(`best model: ${join(options.out, 'best.safetensors')}`);
        }
        return 0;
      }
      case 'eval':
        await runEval(options, io);
        return 0;
      case 'predict':
        await runPredict(options, io);
        return 0;
    }
  } catch (error) {
    io.error(errorLine(error, process.env['DEBUG']));
    return 1;
  }
}

/** Whether DEBUG (as the debug package reads it: names separated by commas or spaces) names dl. */
export function debugging(debug: string | undefined): boolean {
  return (debug ?? '').split(/[\s,]+/).some((name) => name === 'dl' || name === '*');
}

/**
 * What an error exit prints: one line. A UsageError is the user's input or the file system
 * (a bad option, file or folder); an IndexError a label past the model's classes found by the
 * loss (on the CPU, or by the first read after the kernel found it on WebGPU). Anything else
 * is a bug in dl or dl-mnist, or a device failing: one line saying so, and with DEBUG=dl the
 * stack trace instead.
 */
export function errorLine(error: unknown, debug: string | undefined): string {
  const message = (error instanceof Error ? error.message : String(error))
    .trim()
    .replace(/\s*\n\s*/g, ' ');
  if (error instanceof UsageError || error instanceof IndexError) return `dl-mnist: ${message}`;
  if (debugging(debug) && error instanceof Error && error.stack) {
    return `dl-mnist: internal error: ${error.stack}`;
  }
  const name = error instanceof Error ? `${error.name}: ` : '';
  return `dl-mnist: internal error: ${name}${message} (DEBUG=dl prints the stack trace)`;
}
