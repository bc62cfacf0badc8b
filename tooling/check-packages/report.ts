// What every check of check-packages uses: running a check and printing its line, running a
// command outside the workspace's environment, and measuring sizes.

import { execFile } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root folder. */
export const root = join(import.meta.dirname, '..', '..');

type Outcome = 'ok' | 'FAIL' | 'skip';
const results: Outcome[] = [];

/** What a check returns when it could not run for a reason that is not a failure. */
export class Skip {
  constructor(readonly reason: string) {}
}

/**
 * Runs one check and prints `ok`, `FAIL` or `skip` with what it measured. Returns whether
 * it did not fail, so the checks that build on it can be left out.
 */
export async function check(name: string, body: () => Promise<string | Skip>): Promise<boolean> {
  let outcome: Outcome;
  let detail: string;
  try {
    const result = await body();
    [outcome, detail] = result instanceof Skip ? ['skip', result.reason] : ['ok', result];
  } catch (error) {
    outcome = 'FAIL';
    detail = error instanceof Error ? error.message : String(error);
  }
  results.push(outcome);
  console.log(`${outcome.padEnd(4)}  ${name}: ${detail}`);
  return outcome !== 'FAIL';
}

/** Prints a failure for checks left out because one they build on failed. */
export function notRun(name: string, because: string): void {
  results.push('FAIL');
  console.log(`FAIL  ${name}: not run (${because} failed)`);
}

/** `N passed, N failed, N skipped`, and whether any failed. */
export function summary(): { line: string; failed: boolean } {
  const count = (outcome: Outcome) => results.filter((r) => r === outcome).length;
  return {
    line: `${count('ok')} passed, ${count('FAIL')} failed, ${count('skip')} skipped`,
    failed: count('FAIL') > 0,
  };
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/**
 * The commands' environment, without what `pnpm check:packages` adds to it: npm_* variables
 * (npm in the fresh projects would take them for its configuration), NODE_PATH (through it
 * the workspace's packages would resolve in the fresh projects too) and the workspace's
 * folders on PATH.
 */
const environment = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.toLowerCase().startsWith('npm_') && name !== 'NODE_PATH',
    ),
  ),
  PATH: (process.env['PATH'] ?? '')
    .split(':')
    .filter((folder) => !folder.startsWith(root))
    .join(':'),
};

/**
 * Runs a command; rejects with its output (the lines `pick` keeps, by default the last 40)
 * when it exits non-zero.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; pick?: (lines: string[]) => string[] },
): Promise<{ stdout: string; stderr: string }> {
  const pick = options.pick ?? ((lines: string[]) => lines.slice(-40));
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: environment, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const output = pick(`${stdout}\n${stderr}`.trim().split('\n')).join('\n  ');
        reject(
          new Error(`\`${[command, ...args].join(' ')}\` failed (${error.code}):\n  ${output}`),
        );
      },
    );
  });
}

/** The last line of a script's output, parsed as JSON. */
export function lastJsonLine<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

/** Bytes of the files under `path` (links not followed). */
export function sizeOf(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.isFile() ? stat.size : 0;
  let total = 0;
  for (const entry of readdirSync(path)) total += sizeOf(join(path, entry));
  return total;
}

export function bytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}
