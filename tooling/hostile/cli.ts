// Hostile use of the dl-mnist command line (issue 19): broken --resume metadata, bad option
// values, unusable --out folders, bad data sets, stale temporary files. Prints one line per
// case: the case, peak RSS, exit code, the number of lines on stderr and stderr's first line.
//
//   pnpm turbo run build --filter=@dl/app-mnist...
//   npx tsx tooling/hostile/cli.ts [path/to/cli.js] [--keep]   (default apps/mnist/dist/cli.js;
//   --keep keeps the inputs built)
//
// Only Node's own modules: the inputs are built byte by byte (safetensors headers rewritten,
// IDX files written), so the script measures any build of the binary, old or new.

import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const cli = resolve(
  process.argv.slice(2).find((a) => a !== '--keep') ??
    join(import.meta.dirname, '../../apps/mnist/dist/cli.js'),
);
const work = mkdtempSync(join(tmpdir(), 'dl-hostile-cli-'));
const tiny = ['--device', 'cpu', '--limit', '32', '--batch-size', '16', '--test-limit', '16'];

interface Outcome {
  /** The exit code, or what stopped it ('killed after 60 s', still running). */
  code: number | string;
  stdout: string;
  stderr: string;
  rssKiB: number;
}

/** Runs the binary under /usr/bin/time, whose last stderr line is the peak RSS in KiB. */
function run(args: readonly string[]): Promise<Outcome> {
  return new Promise((done) => {
    execFile(
      '/usr/bin/time',
      ['-f', 'peak-rss-kib %M', process.execPath, cli, ...args],
      {
        maxBuffer: 64 << 20,
        env: { ...process.env, NO_COLOR: '1' },
        // A value taken as valid may start a run of the whole data set: stopped after 1 min.
        timeout: 60_000,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const code = !error
          ? 0
          : error.killed
            ? 'killed after 60 s (still running)'
            : typeof error.code === 'number'
              ? error.code
              : 1;
        const lines = stderr.trimEnd().split('\n');
        const last = lines.at(-1) ?? '';
        const match = /^(?:Command exited with non-zero status \d+\n)?peak-rss-kib (\d+)$/.exec(
          last,
        );
        const rest = lines
          .slice(0, match ? -1 : undefined)
          .filter((l) => !/^Command (exited|terminated)/.test(l));
        done({
          code,
          stdout,
          stderr: rest.join('\n'),
          rssKiB: match ? Number(match[1]) : Number.NaN,
        });
      },
    );
  });
}

function report(name: string, o: Outcome, note = ''): void {
  const lines = o.stderr.trim() === '' ? 0 : o.stderr.trim().split('\n').length;
  const first = o.stderr.trim().split('\n')[0] ?? '';
  const mb = (o.rssKiB / 1024).toFixed(0);
  console.log(`${name} | ${mb} MB | exit ${o.code} | ${lines} stderr lines | ${first}${note}`);
}

/** A safetensors file with its JSON header changed by `edit` (the data is kept). */
function editSafetensors(
  from: string,
  to: string,
  edit: (header: Record<string, unknown>) => void,
) {
  const bytes = readFileSync(from);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  edit(header);
  let text = JSON.stringify(header);
  while ((8 + Buffer.byteLength(text)) % 8 !== 0) text += ' ';
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  writeFileSync(to, Buffer.concat([size, Buffer.from(text), bytes.subarray(8 + n)]));
}

type Run = Record<string, unknown> & {
  options: Record<string, unknown>;
  rng: Record<string, unknown>;
  optimizer: { numbers: Record<string, Record<string, number>> };
};

/** A copy of the base run whose last.safetensors metadata `run` is replaced or edited. */
function brokenRun(name: string, edit: (run: Run) => unknown): string {
  const dir = join(work, name);
  mkdirSync(dir);
  editSafetensors(join(base, 'last.safetensors'), join(dir, 'last.safetensors'), (header) => {
    const metadata = header['__metadata__'] as Record<string, string>;
    const run = JSON.parse(metadata['run']!) as Run;
    const edited = edit(run);
    metadata['run'] = typeof edited === 'string' ? edited : JSON.stringify(edited ?? run);
  });
  return dir;
}

/** An IDX folder: `count` images of height x width per split, with these training labels. */
function idxFolder(name: string, labels: readonly number[], height = 28, width = 28): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const write = (split: string, splitLabels: readonly number[]) => {
    const count = splitLabels.length;
    const images = Buffer.alloc(16 + count * height * width);
    images.writeUInt32BE(0x803, 0);
    images.writeUInt32BE(count, 4);
    images.writeUInt32BE(height, 8);
    images.writeUInt32BE(width, 12);
    const labelFile = Buffer.alloc(8 + count);
    labelFile.writeUInt32BE(0x801, 0);
    labelFile.writeUInt32BE(count, 4);
    for (const [i, label] of splitLabels.entries()) labelFile.writeUInt8(label, 8 + i);
    writeFileSync(join(dir, `${split}-images-idx3-ubyte`), images);
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte`), labelFile);
  };
  write('train', labels);
  write('t10k', [0, 1, 2, 3]);
  return dir;
}

// The run every --resume case starts from.
const base = join(work, 'base');
const made = await run(['train', ...tiny, '--out', base]);
if (made.code !== 0) throw new Error(`the base run failed: ${made.stderr}`);

/** An edit of the run metadata setting the field at a dotted path. */
function set(path: string, value: unknown): (run: Run) => void {
  return (run) => {
    const keys = path.split('.');
    let at: Record<string, unknown> = run;
    for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
    at[keys.at(-1)!] = value;
  };
}

const resumeCases: [string, (run: Run) => unknown][] = [
  ['resume: run metadata not JSON', () => '{"epoch": 1,'],
  ['resume: run metadata {}', () => ({})],
  ['resume: run metadata null', () => 'null'],
  ['resume: batchSize 0', set('options.batchSize', 0)],
  ['resume: lr -0.001', set('options.lr', -0.001)],
  ['resume: dataset cifar', set('options.dataset', 'cifar')],
  ['resume: rng.global of 3 numbers', set('rng.global', [1, 2, 3])],
  ['resume: rng.data all zero', set('rng.data', [0, 0, 0, 0, null])],
  ['resume: epoch -1', set('epoch', -1)],
  ['resume: history not a list', set('history', 'none')],
  [
    'resume: optimizer step -1',
    (r) => {
      for (const numbers of Object.values(r.optimizer.numbers)) numbers['step'] = -1;
    },
  ],
  [
    'resume: optimizer step 3 (1 epoch of 2 steps)',
    (r) => {
      for (const numbers of Object.values(r.optimizer.numbers)) numbers['step'] = 3;
    },
  ],
  [
    'resume: optimizer step 1.5',
    (r) => {
      for (const numbers of Object.values(r.optimizer.numbers)) numbers['step'] = 1.5;
    },
  ],
  [
    'resume: optimizer state for parameter 8 (of 0-7)',
    (r) => {
      r.optimizer.numbers['8'] = { step: 2 };
    },
  ],
];
for (const [name, edit] of resumeCases) {
  report(
    name,
    await run([
      'train',
      '--device',
      'cpu',
      '--resume',
      '--out',
      brokenRun(name.replace(/\W+/g, '-'), edit),
    ]),
  );
}

const tensorCase = (name: string, edit: (header: Record<string, unknown>) => void) => {
  const dir = join(work, name.replace(/\W+/g, '-'));
  mkdirSync(dir);
  editSafetensors(join(base, 'last.safetensors'), join(dir, 'last.safetensors'), edit);
  return dir;
};
report(
  'resume: optimizer tensor of shape [4, 8] for a [32] bias',
  await run([
    'train',
    '--device',
    'cpu',
    '--resume',
    '--out',
    tensorCase('shape', (h) => {
      (h['optimizer.1.expAvg'] as { shape: number[] }).shape = [4, 8];
    }),
  ]),
);
report(
  'resume: optimizer tensor for parameter 8 (of 0-7)',
  await run([
    'train',
    '--device',
    'cpu',
    '--resume',
    '--out',
    tensorCase('extra', (h) => {
      // Parameter 7's moments, renamed as a parameter 8 the model does not have.
      for (const field of ['expAvg', 'expAvgSq']) {
        h[`optimizer.8.${field}`] = h[`optimizer.7.${field}`];
        delete h[`optimizer.7.${field}`];
      }
    }),
  ]),
);
/** A copy of the base run with element 0 of tensor `key` in last.safetensors set to `value`. */
function poked(name: string, key: string, value: number): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const bytes = readFileSync(join(base, 'last.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  bytes.writeFloatLE(value, 8 + n + header[key].data_offsets[0]);
  writeFileSync(join(dir, 'last.safetensors'), bytes);
  return dir;
}
report(
  'resume: NaN in model.fc2.bias',
  await run([
    'train',
    '--device',
    'cpu',
    '--resume',
    '--out',
    poked('nan', 'model.fc2.bias', Number.NaN),
  ]),
);
report(
  'resume: optimizer.6.expAvgSq of -1',
  await run([
    'train',
    '--device',
    'cpu',
    '--resume',
    '--out',
    poked('neg', 'optimizer.6.expAvgSq', -1),
  ]),
);
report(
  'resume: --recipe best on a seed-recipe run',
  await run([
    'train',
    '--device',
    'cpu',
    '--resume',
    '--recipe',
    'best',
    '--out',
    (() => {
      const dir = join(work, 'recipe');
      cpSync(base, dir, { recursive: true });
      return dir;
    })(),
  ]),
);

// --out that cannot be written.
const file = join(work, 'a-file');
writeFileSync(file, 'not a folder');
report('--out under a regular file', await run(['train', ...tiny, '--out', join(file, 'run')]));
report('--out a regular file', await run(['train', ...tiny, '--out', file]));
report('--out in /sys', await run(['train', ...tiny, '--out', '/sys/dl-mnist-run']));

// Data sets.
const out = (name: string) => join(work, `out-${name}`);
report(
  'labels 12 on the CPU',
  await run([
    'train',
    '--device',
    'cpu',
    '--data',
    idxFolder('labels', [3, 1, 12, 0]),
    '--out',
    out('labels'),
  ]),
);
report(
  'images 32x32 on the CPU',
  await run([
    'train',
    '--device',
    'cpu',
    '--data',
    idxFolder('size', [3, 1, 2, 0], 32, 32),
    '--out',
    out('size'),
  ]),
);
{
  const o = await run([
    'train',
    '--device',
    'cpu',
    '--data',
    idxFolder('empty', []),
    '--out',
    out('empty'),
  ]);
  const loss = /train loss \S+/.exec(o.stdout)?.[0];
  report('0 training images', o, loss ? ` (stdout: ${loss})` : '');
}
report('--limit 0', await run(['train', ...tiny, '--limit', '0', '--out', out('limit0')]));

// Option values.
for (const [option, value] of [
  ['--epochs', '-1'],
  ['--epochs', '0'],
  ['--epochs', '1.5'],
  ['--epochs', 'NaN'],
  ['--epochs', '1e400'],
  ['--epochs', '99999999999999999999'],
  ['--lr', '-1'],
  ['--lr', '0'],
  ['--lr', 'NaN'],
  ['--lr', 'Infinity'],
  ['--batch-size', '0'],
  ['--batch-size', '-64'],
  ['--seed', '-1'],
  ['--seed', '0.5'],
  ['--limit', '-5'],
  ['--test-limit', '0'],
  ['--epochs', '--lr'],
  ['--epochs', ''],
] as const) {
  report(
    `${option} '${value}'`,
    await run(['train', ...tiny, option, value, '--out', out('options')]),
  );
}
report('--epochs without a value', await run(['train', '--device', 'cpu', '--epochs']));

// eval and predict.
const garbage = join(work, 'garbage.safetensors');
writeFileSync(garbage, 'not a checkpoint');
report(
  'eval of a missing checkpoint',
  await run(['eval', join(work, 'none.safetensors'), '--device', 'cpu']),
);
report('eval of a file that is not safetensors', await run(['eval', garbage, '--device', 'cpu']));
report('eval of a folder', await run(['eval', work, '--device', 'cpu']));
report(
  'predict of a missing image',
  await run(['predict', join(base, 'best.safetensors'), join(work, 'none.png'), '--device', 'cpu']),
);
report(
  'predict of a file that is not a PNG',
  await run(['predict', join(base, 'best.safetensors'), garbage, '--device', 'cpu']),
);

// Stale temporary files: nine left by kills (names as @dl/nn/node's save made them), and one
// history.json cut short by a kill during the old in-place write.
{
  const dir = join(work, 'stale');
  cpSync(base, dir, { recursive: true });
  for (let i = 0; i < 9; i++) {
    writeFileSync(
      join(dir, `.last.safetensors.${(0xa1b2c3d4e5f0 + i).toString(16)}.tmp`),
      Buffer.alloc(1 << 20),
    );
  }
  writeFileSync(join(dir, 'notes.tmp'), 'a file of the user');
  const o = await run(['train', '--device', 'cpu', '--resume', '--epochs', '2', '--out', dir]);
  const left = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  report('9 stale .last.safetensors.*.tmp', o, ` (left after the run: ${left.join(', ')})`);
}

// Some 300 MB of checkpoint copies: kept only with --keep.
if (process.argv.includes('--keep')) console.log(`(inputs kept in ${work})`);
else rmSync(work, { recursive: true, force: true });
