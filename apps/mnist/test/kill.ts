// The kill test behind test/kill.node.test.ts (a few kills, in CI) and scripts/kill-test.ts
// (many): `dl-mnist train` killed with SIGKILL at seeded random moments, some of them while a
// chosen file is being written, each time followed by checks that every file in --out is
// whole and that no temporary file of an earlier run is left; then `--resume` finishes the
// run, which must equal a run never killed.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from '@dl/nn/node';
import { decodePng } from '@dl/vision';
import { cliPath, runCli } from './cli.ts';

export interface KillTestOptions {
  /** Seeds the kill moments and targets. */
  seed: number;
  kills: number;
  /** Epochs of the run (of 16 images, 2 steps each). */
  epochs: number;
  /** The pause in the middle of each write (DL_MNIST_WRITE_PAUSE_MS). */
  pauseMs: number;
  /** The longest wait, after training starts, before a kill at a random moment. */
  maxDelayMs: number;
  log?: (line: string) => void;
}

export interface Kill {
  /** 'time': at a random moment; otherwise the file whose write was interrupted. */
  target: string;
  delayMs: number;
  /** Whether the process was killed (false: it ended before the kill was due). */
  killed: boolean;
  /** Temporary files the kill left (removed by the next run). */
  leftTemporaries: string[];
}

export interface KillTestResult {
  kills: Kill[];
  /** Everything found wrong, one line each; empty when the files survived every kill. */
  problems: string[];
}

const files = [
  'best.safetensors',
  'last.safetensors',
  'history.json',
  'curves.png',
  'report.html',
] as const;

export const killTestArgs = (epochs: number) => [
  'train',
  '--device',
  'cpu',
  '--limit',
  '16',
  '--batch-size',
  '8',
  '--test-limit',
  '8',
  '--epochs',
  String(epochs),
];

/** mulberry32: a small seeded generator of floats in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Problems with the files in `dir`: each one present must be whole. */
export async function checkFiles(dir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const file of files) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    try {
      if (file.endsWith('.safetensors')) {
        await load(path);
      } else if (file === 'history.json') {
        const history = JSON.parse(readFileSync(path, 'utf8'));
        if (!Array.isArray(history.epochs)) throw new Error('no list of epochs');
      } else if (file === 'curves.png') {
        const image = decodePng(new Uint8Array(readFileSync(path)));
        if (image.width === 0 || image.height === 0) throw new Error('an empty image');
      } else if (!readFileSync(path, 'utf8').endsWith('</html>\n')) {
        throw new Error('does not end with </html>');
      }
    } catch (error) {
      const size = readFileSync(path).length;
      problems.push(
        `${file} (${size} bytes) is not whole: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  return problems;
}

/** The temporary files (dot files ending in .tmp) in `dir`. */
export function temporaries(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir).filter((f) => f.startsWith('.') && f.endsWith('.tmp'))
    : [];
}

/** Runs the binary and kills it when `when` says, with SIGKILL. */
function runKilled(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  when: (child: ChildProcess, kill: () => void) => void,
): Promise<{ pid: number; killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.resume();
    when(child, () => {
      if (child.exitCode === null && child.signalCode === null) {
        killed = child.kill('SIGKILL');
      }
    });
    child.on('close', (code) => resolve({ pid: child.pid ?? 0, killed, code, stderr }));
  });
}

/** Waits for `text` on the child's stdout or stderr, then calls `then` after `delayMs`. */
function after(child: ChildProcess, text: string, delayMs: number, then: () => void): void {
  let seen = '';
  let armed = false;
  const look = (chunk: Buffer) => {
    if (armed) return;
    seen = (seen + chunk.toString()).slice(-4096);
    if (seen.includes(text)) {
      armed = true;
      setTimeout(then, delayMs);
    }
  };
  child.stdout?.on('data', look);
  child.stderr?.on('data', look);
}

/** Kills `dl-mnist train` into `dir` o.kills times, checking after each; see the file's top. */
export async function killTest(dir: string, o: KillTestOptions): Promise<KillTestResult> {
  const next = random(o.seed);
  const args = [...killTestArgs(o.epochs), '--out', dir];
  const env = { ...process.env, NO_COLOR: '1', DL_MNIST_WRITE_PAUSE_MS: String(o.pauseMs) };
  const kills: Kill[] = [];
  const problems: string[] = [];
  for (let k = 0; k < o.kills; k++) {
    const resume = existsSync(join(dir, 'last.safetensors'));
    const before = temporaries(dir);
    // Half the kills while a file is written (chosen at random), half at a random moment.
    const target = next() < 0.5 ? files[Math.floor(next() * files.length)]! : 'time';
    const delayMs = Math.round(
      target === 'time' ? next() * o.maxDelayMs : (next() * o.pauseMs) / 2,
    );
    const trigger = target === 'time' ? 'training DigitRecognizer' : `writing ${join(dir, target)}`;
    const run = await runKilled([...args, ...(resume ? ['--resume'] : [])], env, (child, kill) =>
      after(child, trigger, delayMs, kill),
    );
    if (!run.killed && run.code !== 0) {
      problems.push(`run ${k + 1} failed with exit code ${run.code}: ${run.stderr.trim()}`);
    }
    const left = temporaries(dir);
    // What the runs before left must be gone: this run removed them as it started.
    for (const name of before) {
      if (left.includes(name)) problems.push(`after run ${k + 1}: stale ${name} is still there`);
    }
    for (const name of left) {
      if (!name.includes(`.${run.pid}-`) && !before.includes(name)) {
        problems.push(`after run ${k + 1}: ${name} is not the killed run's (pid ${run.pid})`);
      }
    }
    for (const p of await checkFiles(dir)) problems.push(`after run ${k + 1}: ${p}`);
    const kill = { target, delayMs, killed: run.killed, leftTemporaries: left };
    kills.push(kill);
    o.log?.(
      `kill ${k + 1}: ${target === 'time' ? `${delayMs} ms into training` : `${delayMs} ms into writing ${target}`}: ${run.killed ? 'killed' : `ended first (exit ${run.code})`}, ${left.length} temporary file(s) left`,
    );
  }
  // Now --resume without a kill: the run must finish, and leave no temporary file at all.
  const resume = existsSync(join(dir, 'last.safetensors'));
  const final = await runCli([...args, ...(resume ? ['--resume'] : [])]);
  if (final.code !== 0)
    problems.push(`the final run failed (${final.code}): ${final.stderr.trim()}`);
  for (const p of await checkFiles(dir)) problems.push(`after the final run: ${p}`);
  for (const name of temporaries(dir)) problems.push(`after the final run: ${name} is left`);
  return { kills, problems };
}

/** The tensors of a safetensors file and the history without timings: what must match. */
export async function runContents(dir: string) {
  const tensors: Record<string, number[]> = {};
  for (const [key, t] of await load(join(dir, 'last.safetensors'))) {
    tensors[key] = Array.from(await t.data());
  }
  const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')).epochs.map(
    ({ seconds, imagesPerSecond, ...rest }: Record<string, unknown>) => rest,
  );
  return { tensors, history };
}
