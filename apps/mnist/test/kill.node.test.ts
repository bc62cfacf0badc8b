// Kill test (issue 19): `dl-mnist train` killed with SIGKILL ten times at seeded random moments,
// half of them in the middle of writing a chosen file (checkpoints, history.json, curves.png,
// report.html); after each kill every file in --out must be whole and the temporary files of
// earlier runs gone, and --resume must then finish the run exactly as a run never killed.
// scripts/kill-test.ts runs the same with many more kills.

import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.ts';
import { killTest, killTestArgs, runContents } from './kill.ts';

const epochs = 6;

describe('dl-mnist train under kill -9', () => {
  it('leaves whole files after every kill, no stale temporary files, and resumes to the uninterrupted result', async () => {
    const killed = tempDir('killed');
    const straight = tempDir('straight');
    const [result, reference] = await Promise.all([
      killTest(killed, { seed: 19, kills: 10, epochs, pauseMs: 60, maxDelayMs: 1500 }),
      runCli([...killTestArgs(epochs), '--out', straight]),
    ]);
    expect(reference.code).toBe(0);
    expect(result.problems).toEqual([]);
    // The test did what it says: processes were killed, some of them inside a report write
    // (a temporary file of history.json, curves.png or report.html left behind).
    expect(result.kills.filter((k) => k.killed).length).toBeGreaterThanOrEqual(5);
    const reportWrites = result.kills
      .flatMap((k) => k.leftTemporaries)
      .filter((name) => /^\.(history\.json|curves\.png|report\.html)\./.test(name));
    expect(reportWrites.length).toBeGreaterThan(0);

    const [a, b] = await Promise.all([runContents(straight), runContents(killed)]);
    expect(Object.keys(b.tensors)).toEqual(Object.keys(a.tensors));
    for (const [key, values] of Object.entries(a.tensors))
      expect(b.tensors[key], key).toEqual(values);
    expect(b.history).toEqual(a.history);
    expect(b.history).toHaveLength(epochs);
    for (const dir of [killed, straight]) rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
