// files.ts: atomic writes, removal of the temporary files of dead runs only, --out checks, and
// the one-line form of every error (main.ts's errorLine).

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/args.ts';
import { prepareOutFolder, removeStaleTemporaries, writeFileAtomic } from '../src/files.ts';
import { errorLine } from '../src/main.ts';
import { tempDir } from './cli.ts';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file', async () => {
    const dir = tempDir('atomic');
    const path = join(dir, 'history.json');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, '{"epochs": []}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"epochs": []}\n');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, '');
    expect(readFileSync(path, 'utf8')).toBe('');
    expect(readdirSync(dir)).toEqual(['history.json']);
  });

  it('fails in one line naming the file, leaving nothing behind', async () => {
    const dir = tempDir('atomic-fail');
    const path = join(dir, 'missing', 'report.html');
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(
      new UsageError(`cannot write ${path}: no such file or folder (ENOENT)`),
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('removeStaleTemporaries', () => {
  it("removes dead runs' temporary files and old unnamed ones, and nothing else", async () => {
    const dir = tempDir('stale');
    const dead = deadPid();
    const live = process.ppid; // the test runner: alive
    const names = {
      deadHistory: `.history.json.${dead}-0a1b2c3d.tmp`,
      deadLast: `.last.safetensors.${dead}-deadbeef.tmp`,
      ownPid: `.report.html.${process.pid}-00000000.tmp`,
      liveCurves: `.curves.png.${live}-12345678.tmp`,
      oldLegacy: '.last.safetensors.a1b2c3d4e5f6.tmp',
      newLegacy: '.best.safetensors.0123456789ab.tmp',
      otherName: `.model.safetensors.${dead}-0a1b2c3d.tmp`,
      badHex: `.history.json.${dead}-xyz.tmp`,
      users: 'notes.tmp',
      output: 'history.json',
    };
    for (const name of Object.values(names)) writeFileSync(join(dir, name), 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, names.oldLegacy), hourAgo, hourAgo);

    const removed = await removeStaleTemporaries(dir);
    // Our own pid found before we wrote anything is a dead run's, reused.
    const gone = [names.deadHistory, names.deadLast, names.ownPid, names.oldLegacy];
    expect(removed.sort()).toEqual([...gone].sort());
    const kept = Object.values(names).filter((n) => !gone.includes(n));
    expect(readdirSync(dir).sort()).toEqual(kept.sort());
  });
});

describe('prepareOutFolder', () => {
  it('creates the folder and names a path it cannot write in', async () => {
    const dir = join(tempDir('prepare'), 'a', 'b');
    expect(await prepareOutFolder(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await expect(prepareOutFolder(join(file, 'run'))).rejects.toThrow(
      new UsageError(
        `--out ${join(file, 'run')}: cannot write there: a part of the path is a file, not a folder (ENOTDIR)`,
      ),
    );
  });
});

describe('errorLine', () => {
  it('prints a usage error as it is, on one line', () => {
    expect(errorLine(new UsageError('--lr: expected a positive number, got -1'), undefined)).toBe(
      'dl-mnist: --lr: expected a positive number, got -1',
    );
    expect(errorLine(new UsageError('a\n  b'), undefined)).toBe('dl-mnist: a b');
  });

  it('calls anything else an internal error, with the stack only under DEBUG=dl', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')\nmore");
    expect(errorLine(bug, undefined)).toBe(
      "dl-mnist: internal error: TypeError: Cannot read properties of undefined (reading 'x') more (DEBUG=dl prints the stack trace)",
    );
    expect(errorLine(bug, 'express,vite')).not.toContain('\n');
    for (const debug of ['dl', 'vite,dl', '*']) {
      const printed = errorLine(bug, debug);
      expect(printed.startsWith('dl-mnist: internal error: TypeError: Cannot read')).toBe(true);
      expect(printed).toContain('\n    at ');
    }
    expect(errorLine('thrown text', undefined)).toBe(
      'dl-mnist: internal error: thrown text (DEBUG=dl prints the stack trace)',
    );
  });
});
