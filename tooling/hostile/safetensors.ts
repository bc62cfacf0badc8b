// Hostile safetensors files against @dl/nn/node's load(): builds each bomb in a temporary
// folder, loads it in a child process under /usr/bin/time -v, and prints one line per case:
// its name, peak RSS, wall time, exit code and the first line of what load() said.
//
//   pnpm turbo run build --filter=@dl/nn && tsx tooling/hostile/safetensors.ts [--root DIR]
//
// --root measures another checkout of dl (built), for figures before and after a change.
// Each child is killed after --timeout seconds (default 120). --big adds a file that is no
// bomb: a valid sparse 2.1 GiB file, which load() should read (it takes gigabytes).

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    root: { type: 'string', default: resolve(import.meta.dirname, '../..') },
    timeout: { type: 'string', default: '120' },
    only: { type: 'string' },
    big: { type: 'boolean', default: false },
  },
});
const entry = pathToFileURL(join(resolve(options.root), 'packages/nn/dist/node.js')).href;

/** A safetensors file: the 8-byte length (`claimed`, or the header's own), header, data. */
function file(header: string | Uint8Array, data = new Uint8Array(0), claimed?: bigint): Uint8Array {
  const text = typeof header === 'string' ? Buffer.from(header, 'latin1') : header;
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimed ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** `count` copies of `unit` joined by `separator`, as one Buffer built without a huge string. */
function repeated(prefix: string, unit: (i: number) => string, count: number, suffix: string) {
  const parts: string[] = [prefix];
  for (let i = 0; i < count; i++) parts.push(i === 0 ? unit(i) : `,${unit(i)}`);
  parts.push(suffix);
  return Buffer.from(parts.join(''), 'latin1');
}

interface Case {
  name: string;
  /** Writes the case's file at `path`. */
  write(path: string): void;
}

const cases: Case[] = [
  {
    name: '98 MB of [ (the header is all open brackets)',
    write: (path) => writeFileSync(path, file(Buffer.alloc(98_000_000, '['))),
  },
  {
    name: '98 MB header nesting 49M arrays deep under one name',
    write: (path) => {
      const depth = 49_000_000;
      const header = Buffer.alloc(depth * 2 + 6);
      header.write('{"a":', 0, 'latin1');
      header.fill('[', 5, 5 + depth);
      header.fill(']', 5 + depth, 5 + 2 * depth);
      header.write('}', 5 + 2 * depth, 'latin1');
      writeFileSync(path, file(header));
    },
  },
  {
    name: 'a million empty tensors',
    write: (path) =>
      writeFileSync(
        path,
        file(
          repeated(
            '{',
            (i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`,
            1_000_000,
            '}',
          ),
        ),
      ),
  },
  {
    name: 'a million metadata entries',
    write: (path) =>
      writeFileSync(
        path,
        file(repeated('{"__metadata__":{', (i) => `"k${i}":""`, 1_000_000, '}}')),
      ),
  },
  {
    name: 'a shape of 10M dims',
    write: (path) =>
      writeFileSync(
        path,
        file(
          repeated(
            '{"a":{"dtype":"F32","data_offsets":[0,4],"shape":[',
            () => '1',
            10_000_000,
            ']}}',
          ),
          new Uint8Array(4),
        ),
      ),
  },
  {
    name: 'header length claimed 2^60',
    write: (path) => writeFileSync(path, file('{}', new Uint8Array(0), 2n ** 60n)),
  },
  {
    name: 'a shape claiming 1e12 elements (offsets to match)',
    write: (path) =>
      writeFileSync(
        path,
        file(
          '{"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}',
          new Uint8Array(16),
        ),
      ),
  },
  {
    name: 'a shape claiming 1e12 elements (offsets [0,4])',
    write: (path) =>
      writeFileSync(
        path,
        file(
          '{"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4]}}',
          new Uint8Array(4),
        ),
      ),
  },
  {
    name: 'a 3 GiB sparse file with a 16-byte tensor',
    write: (path) => {
      const head = file('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}');
      const fd = openSync(path, 'w');
      writeSync(fd, head);
      closeSync(fd);
      // Sparse: the rest of the file reads as zeros and takes no disk.
      spawnSync('truncate', ['-s', String(3 * 2 ** 30), path]);
    },
  },
];

if (options.big) {
  cases.push({
    name: 'a valid 2.1 GiB sparse file of F32 tensors of 1 GiB, 1 GiB and 100 MiB (not a bomb: it should load)',
    write: (path) => {
      const [mib, gib] = [2 ** 20, 2 ** 30];
      const header = JSON.stringify({
        a: { dtype: 'F32', shape: [gib / 4], data_offsets: [0, gib] },
        b: { dtype: 'F32', shape: [gib / 4], data_offsets: [gib, 2 * gib] },
        c: { dtype: 'F32', shape: [mib * 25], data_offsets: [2 * gib, 2 * gib + 100 * mib] },
      });
      const head = file(header);
      const fd = openSync(path, 'w');
      writeSync(fd, head);
      closeSync(fd);
      spawnSync('truncate', ['-s', String(head.length + 2 * gib + 100 * mib), path]);
    },
  });
}

/** The child: loads the file, prints what happened in one line, exits 0 or 1. */
const child = `
const { load } = await import(${JSON.stringify(entry)});
try {
  const state = await load(process.argv[1]);
  console.log('loaded ' + state.size + ' tensors');
} catch (error) {
  console.log(String(error instanceof Error ? error.stack ?? error : error).split('\\n')[0]);
  process.exitCode = 1;
}`;

const folder = mkdtempSync(join(tmpdir(), 'dl-hostile-safetensors-'));
try {
  console.log(`load() from ${entry}`);
  for (const c of cases) {
    if (options.only && !c.name.includes(options.only)) continue;
    const path = join(folder, 'bomb.safetensors');
    c.write(path);
    const run = spawnSync(
      'timeout',
      [
        '-s',
        'KILL',
        options.timeout,
        '/usr/bin/time',
        '-v',
        process.execPath,
        '--input-type=module',
        '-e',
        child,
        path,
      ],
      { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
    );
    rmSync(path);
    const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1] ?? 0);
    const wall = /Elapsed \(wall clock\) time.*: (.+)/.exec(run.stderr)?.[1] ?? '?';
    const said =
      run.stdout.trim().split('\n')[0] ||
      run.stderr.split('\n').find((line) => /Error/.test(line)) ||
      (run.status === 137 || run.signal ? 'killed (timeout)' : '');
    const rss = peak ? `${(peak / 1024).toFixed(0)} MB` : '?';
    console.log(`${c.name} | peak ${rss} | ${wall} s | exit ${run.status} | ${said.trim()}`);
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
