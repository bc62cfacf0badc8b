// Validation up front (issue 19): run metadata of --resume, options that conflict with the run
// being resumed, --out folders that cannot be written, data sets the model cannot use, and
// eval/predict inputs. Each case must exit with code 1 and one line on stderr naming the value.

import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, cliPath, runCli, tempDir } from './cli.ts';
import { editedCopy, idxFolder, withRun, withValue } from './craft.ts';

const tiny = ['--device', 'cpu', '--limit', '32', '--batch-size', '16', '--test-limit', '16'];
const safe = Number.MAX_SAFE_INTEGER;

/** Exit code 1 and exactly one line on stderr, which is `dl-mnist: ` and then `expected`. */
function expectOneLine(r: CliResult, expected: string | RegExp): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  if (typeof expected === 'string') expect(lines[0]).toBe(`dl-mnist: ${expected}`);
  else expect(lines[0]).toMatch(expected);
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let base = '';
let last = '';
let root = '';

beforeAll(async () => {
  base = tempDir('validation-base');
  root = tempDir('validation');
  last = join(base, 'last.safetensors');
  const r = await runCli(['train', ...tiny, '--out', base]);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

// About 20 copies of a 14 MB checkpoint: removed once the tests are done.
afterAll(() => {
  for (const dir of [base, root]) rmSync(dir, { recursive: true, force: true });
});

const resume = (dir: string, ...extra: string[]) =>
  runCli(['train', '--device', 'cpu', '--resume', '--out', dir, ...extra]);

describe('--resume refuses broken run metadata in one line', () => {
  const allSteps = (step: number) =>
    Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`optimizer.numbers.${i}.step`, step]));
  const cases: [string, string | Record<string, unknown>, string][] = [
    ['{}', '{}', 'run metadata: options: expected an object, got nothing'],
    ['null', 'null', 'run metadata: expected an object, got null'],
    ['a list', '[1]', 'run metadata: expected an object, got [1]'],
    [
      'a batch size of 0',
      { 'options.batchSize': 0 },
      `run metadata: options.batchSize: expected an integer from 1 to ${safe}, got 0`,
    ],
    [
      'a negative learning rate',
      { 'options.lr': -0.001 },
      'run metadata: options.lr: expected a positive number, got -0.001',
    ],
    [
      'an unknown dataset',
      { 'options.dataset': 'cifar' },
      'run metadata: options.dataset: expected "mnist" or "fashion", got "cifar"',
    ],
    [
      'an unknown recipe',
      { 'options.recipe': 'fast' },
      'run metadata: options.recipe: expected "seed" or "best", got "fast"',
    ],
    [
      'a random-generator state of 3 numbers',
      { 'rng.global': [1, 2, 3] },
      'run metadata: rng.global: expected a list of 5, got [1,2,3]',
    ],
    [
      'a random-generator state of zeros',
      { 'rng.data': [0, 0, 0, 0, null] },
      'run metadata: rng.data: expected a generator state: four 32-bit integers, not all 0, and a number or null, got [0,0,0,0,null]',
    ],
    [
      'more epochs completed than the run has',
      { epoch: 2 },
      'run metadata: epoch: expected an integer from 1 to 1, got 2',
    ],
    [
      'an optimizer step of -1',
      allSteps(-1),
      `run metadata: optimizer.numbers.0.step: expected an integer from 0 to ${safe}, got -1`,
    ],
    [
      'a fractional optimizer step',
      allSteps(1.5),
      `run metadata: optimizer.numbers.0.step: expected an integer from 0 to ${safe}, got 1.5`,
    ],
    [
      'an optimizer step the epochs did not take',
      allSteps(3),
      'optimizer state of parameter 0 has step 3, but the 1 completed epoch took 2 steps (2 per epoch)',
    ],
    [
      'optimizer state for a parameter that does not exist',
      { 'optimizer.numbers.8': { step: 2 } },
      'optimizer state for parameter 8; the DigitRecognizer has parameters 0 to 7',
    ],
    [
      'no step for a parameter',
      { 'optimizer.numbers.3': undefined },
      'optimizer state of parameter 3 has step none, but the 1 completed epoch took 2 steps (2 per epoch)',
    ],
    [
      'a history that is not a list',
      { history: 'none' },
      'run metadata: history: expected a list of 1, got "none"',
    ],
    [
      'a scheduler state in a seed-recipe run',
      { scheduler: { lastEpoch: 2 } },
      'run metadata: scheduler: present, but the seed recipe has none',
    ],
  ];
  it.each(cases)('%s', async (name, run, message) => {
    const dir = withRun(last, root, name.replace(/\W+/g, '-'), run);
    expectOneLine(await resume(dir), `${join(dir, 'last.safetensors')}: ${message}`);
  });

  it('run metadata that is not JSON', async () => {
    const dir = withRun(last, root, 'not-json', '{"epoch": 1,');
    const file = join(dir, 'last.safetensors');
    expectOneLine(
      await resume(dir),
      new RegExp(`^dl-mnist: ${literal(file)}: run metadata is not JSON: .+`),
    );
  });

  it("a learning rate of -1 in the optimizer state, with the optimizer's own message", async () => {
    const dir = withRun(last, root, 'group-lr', { 'optimizer.paramGroups.0.lr': -1 });
    const file = join(dir, 'last.safetensors');
    expectOneLine(
      await resume(dir),
      new RegExp(`^dl-mnist: ${literal(file)}: optimizer state: .*-1`),
    );
  });

  it('an optimizer tensor of the wrong shape', async () => {
    const dir = editedCopy(last, root, 'shape', (header) => {
      header['optimizer.1.expAvg']!.shape = [4, 8];
    });
    const file = join(dir, 'last.safetensors');
    expectOneLine(
      await resume(dir),
      new RegExp(
        `^dl-mnist: ${literal(file)}: optimizer state: .*parameter 1 has shape \\[4, 8\\]; the parameter has \\[32\\]$`,
      ),
    );
  });

  it('an optimizer tensor for a parameter that does not exist', async () => {
    const dir = editedCopy(last, root, 'extra', (header) => {
      for (const field of ['expAvg', 'expAvgSq']) {
        header[`optimizer.8.${field}`] = header[`optimizer.7.${field}`]!;
        delete header[`optimizer.7.${field}`];
      }
    });
    expectOneLine(
      await resume(dir),
      `${join(dir, 'last.safetensors')}: optimizer state for parameter 8; the DigitRecognizer has parameters 0 to 7`,
    );
  });

  it('a NaN weight, and a negative second moment', async () => {
    const nan = withValue(last, root, 'nan', 'model.fc2.bias', Number.NaN);
    expectOneLine(
      await resume(nan),
      `${join(nan, 'last.safetensors')}: model.fc2.bias[0] is NaN; a resumable run holds finite values only`,
    );
    const negative = withValue(last, root, 'negative', 'optimizer.6.expAvgSq', -1);
    expectOneLine(
      await resume(negative),
      `${join(negative, 'last.safetensors')}: optimizer.6.expAvgSq[0] is -1; a resumable run holds finite non-negative values only`,
    );
  });
});

describe('--resume names options that conflict with the run', () => {
  it.each([
    [['--recipe', 'best'], 'with --recipe seed', '--recipe best', 'recipe'],
    [['--lr', '0.01'], 'with --lr 0.001', '--lr 0.01', 'lr'],
    [['--batch-size', '8'], 'with --batch-size 16', '--batch-size 8', 'batch-size'],
    [['--limit', '16'], 'with --limit 32', '--limit 16', 'limit'],
    [['--dataset', 'fashion'], 'with --dataset mnist', '--dataset fashion', 'dataset'],
    [['--data', '/tmp/idx'], 'without --data', '--data /tmp/idx', 'data'],
  ])('%j', async (extra, before, now, option) => {
    expectOneLine(
      await resume(base, ...extra),
      `--resume: the run in ${base} was started ${before}; it cannot continue with ${now} (resume without --${option}, or start a new run in another --out folder)`,
    );
  });

  it("takes the run's own values given again", async () => {
    const r = await resume(base, '--lr', '1e-3', '--recipe', 'seed', '--limit', '32');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing to do: the run has completed 1 epochs');
  });
});

describe('--out that cannot be written', () => {
  it('under a regular file, a regular file, and in /sys, before any data is read', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    expectOneLine(
      await runCli(['train', ...tiny, '--out', join(file, 'run')]),
      `--out ${join(file, 'run')}: cannot write there: a part of the path is a file, not a folder (ENOTDIR)`,
    );
    expectOneLine(
      await runCli(['train', ...tiny, '--out', file]),
      `--out ${file}: cannot write there: it exists and is not a folder (EEXIST)`,
    );
    expectOneLine(
      await runCli(['train', ...tiny, '--out', '/sys/dl-mnist-test']),
      /^dl-mnist: --out \/sys\/dl-mnist-test: cannot write there: .+ \((EPERM|EACCES|EROFS|ENOENT)\)$/,
    );
  });
});

describe('data sets the model cannot use', () => {
  it('images other than 28x28', async () => {
    const data = idxFolder('size', [3, 1, 2, 0], { height: 32, width: 32 });
    expectOneLine(
      await runCli(['train', '--device', 'cpu', '--data', data, '--out', join(root, 'o-size')]),
      `cannot read the mnist training set: MNIST: ${join(data, 'train-images-idx3-ubyte')}: images of shape [4, 32, 32] are 32x32; MNIST's are 28x28 ([N, 28, 28])`,
    );
  });

  it('an empty training set', async () => {
    const data = idxFolder('empty', []);
    expectOneLine(
      await runCli(['train', '--device', 'cpu', '--data', data, '--out', join(root, 'o-empty')]),
      `${join(data, 'train-images-idx3-ubyte')}: no images; the training set must hold some`,
    );
  });

  it('a label of 10 in the test set, for eval too', async () => {
    const data = idxFolder('test-labels', [0, 1], { testLabels: [0, 10, 255] });
    const message = `cannot read the mnist test set: MNIST: ${join(data, 't10k-labels-idx1-ubyte')}: label 10 at index 1 is outside 0..9`;
    expectOneLine(
      await runCli(['train', '--device', 'cpu', '--data', data, '--out', join(root, 'o-test')]),
      message,
    );
    expectOneLine(
      await runCli(['eval', join(base, 'best.safetensors'), '--device', 'cpu', '--data', data]),
      message,
    );
  });

  it('a file as --data', async () => {
    const file = join(root, 'data-file');
    writeFileSync(file, 'not a folder');
    expectOneLine(
      await runCli(['train', '--device', 'cpu', '--data', file, '--out', join(root, 'o-file')]),
      `--data ${file}: a file, not a folder (of the four IDX files)`,
    );
  });

  it('--limit 0 and --epochs -1', async () => {
    expectOneLine(
      await runCli(['train', ...tiny, '--limit', '0']),
      '--limit: expected a positive integer, got 0',
    );
    expectOneLine(
      await runCli(['train', ...tiny, '--epochs', '-1']),
      '--epochs: expected a positive integer, got -1',
    );
  });
});

describe('eval and predict inputs', () => {
  it('a folder as the checkpoint, a missing image, a file that is not a PNG', async () => {
    expectOneLine(
      await runCli(['eval', root, '--device', 'cpu']),
      `cannot read checkpoint ${root}: it is a folder, not a file (EISDIR)`,
    );
    const best = join(base, 'best.safetensors');
    const missing = join(root, 'none.png');
    expectOneLine(
      await runCli(['predict', best, missing, '--device', 'cpu']),
      `cannot read image ${missing}: no such file or folder (ENOENT)`,
    );
    const text = join(root, 'text.png');
    writeFileSync(text, 'not a PNG');
    expectOneLine(
      await runCli(['predict', best, text, '--device', 'cpu']),
      `readImage: ${text}: not a PNG file (9 bytes that do not start with the PNG signature)`,
    );
  });
});

describe('output closed by its reader', () => {
  it('ends with 141 (as SIGPIPE would) and no stack trace', async () => {
    const child = spawn(process.execPath, [
      cliPath,
      'train',
      ...tiny,
      '--out',
      join(root, 'o-pipe'),
    ]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(141);
    expect(stderr).toBe('');
  });
});
