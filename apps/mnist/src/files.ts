// The files dl-mnist writes in --out: each one written atomically (a temporary file beside it,
// flushed to disk, renamed over the target, the folder flushed), temporary files that a killed
// run left behind removed by the next run, and file-system errors as one line naming the path.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './args.js';

/** The files a training run writes in its --out folder. */
export const outputFiles = [
  'best.safetensors',
  'last.safetensors',
  'history.json',
  'curves.png',
  'report.html',
] as const;

// A temporary file is named `.<target>.<pid>-<8 hex digits>.tmp`: the process id says whether
// its writer is still alive, so a run removes only the files of dead writers.
const temporaryPattern = new RegExp(
  `^\\.(${outputFiles.map((f) => f.replace('.', '\\.')).join('|')})\\.(\\d+)-[0-9a-f]{8}\\.tmp$`,
);
// What @dl/nn/node's save named them (dl-mnist before it wrote checkpoints itself): no pid.
const legacyPattern = /^\.(best|last)\.safetensors\.[0-9a-f]{12}\.tmp$/;

const reasons: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EEXIST: 'it exists and is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
};

/** A file-system error in words, with its code: 'permission denied (EACCES)'. */
export function describeFsError(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  const reason = reasons[code];
  if (reason !== undefined) return `${reason} (${code})`;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

function temporaryPath(path: string): string {
  const name = `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  return join(dirname(path), name);
}

/**
 * Testing hook for the kill test: with DL_MNIST_WRITE_PAUSE_MS set, each file is written in
 * two halves with that many milliseconds between them, and `writing <path>` is printed on
 * stderr once the temporary file exists, so that the test can kill the process mid-write.
 */
function writePause(): number {
  const ms = Number(process.env['DL_MNIST_WRITE_PAUSE_MS'] ?? 0);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** Flushes a folder's entries (a rename) to disk; skipped where folders cannot be opened. */
async function syncFolder(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a folder, some file systems cannot sync one: the rename stands.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Writes `data` to `path` atomically: into a temporary file in the same folder, synced, then
 * renamed over `path`. A crash or kill at any moment leaves the previous complete file (or
 * none) and at most a temporary file, which the next run removes (removeStaleTemporaries).
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const temporary = temporaryPath(path);
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(temporary, 'wx');
    const pause = writePause();
    if (pause > 0) {
      process.stderr.write(`writing ${path}\n`);
      const half = Math.floor(bytes.length / 2);
      await file.writeFile(bytes.subarray(0, half));
      await new Promise((resolve) => setTimeout(resolve, pause));
      await file.writeFile(bytes.subarray(half)); // the rest, from the file's position
    } else {
      await file.writeFile(bytes);
    }
    await file.sync();
    await file.close();
    file = undefined;
    await rename(temporary, path);
  } catch (error) {
    await file?.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw new UsageError(`cannot write ${path}: ${describeFsError(error)}`);
  }
  await syncFolder(dirname(path));
}

function isAlive(pid: number): boolean {
  // Our own pid on a file found before we wrote anything: a dead run's pid, reused.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return !(error instanceof Error && 'code' in error && error.code === 'ESRCH');
  }
}

/**
 * Removes the temporary files that killed runs left in `dir`: those named as dl-mnist names
 * them whose writer (the pid in the name) is no longer running, and those of the older naming
 * without a pid that were last modified before this process started. Other files, and the
 * temporary files of live runs, are left alone. Returns the names removed.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  const started = Date.now() - process.uptime() * 1000;
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const match = temporaryPattern.exec(name);
    let stale = match !== null && !isAlive(Number(match[2]));
    if (!match && legacyPattern.test(name)) {
      const info = await stat(join(dir, name)).catch(() => undefined);
      stale = info !== undefined && info.mtimeMs < started;
    }
    if (stale) {
      await unlink(join(dir, name)).then(
        () => removed.push(name),
        () => undefined, // removed meanwhile by another run
      );
    }
  }
  return removed;
}

/**
 * Makes sure the run can write in `dir` before any data is read: creates the folder, writes
 * and removes a probe file, and removes stale temporary files. Errors name the folder.
 */
export async function prepareOutFolder(dir: string): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = temporaryPath(join(dir, 'history.json'));
    const file = await open(probe, 'wx');
    await file.close();
    await unlink(probe);
  } catch (error) {
    throw new UsageError(`--out ${dir}: cannot write there: ${describeFsError(error)}`);
  }
  try {
    return await removeStaleTemporaries(dir);
  } catch (error) {
    throw new UsageError(`--out ${dir}: cannot list the folder: ${describeFsError(error)}`);
  }
}
