// --resume continues a run exactly: two epochs straight and one epoch plus a resumed second
// give the same bytes for the model, the optimizer state and the validation results.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from '@dl/nn/node';
import { describe, expect, it } from 'vitest';
import { runCli, runCliInterrupted, tempDir } from './cli.ts';

const tiny = ['--device', 'cpu', '--limit', '32', '--batch-size', '16', '--test-limit', '16'];

async function tensors(dir: string, file = 'last.safetensors'): Promise<Map<string, number[]>> {
  const sd = await load(join(dir, file));
  const out = new Map<string, number[]>();
  for (const [key, t] of sd) out.set(key, Array.from(await t.data()));
  return out;
}

describe('dl-mnist train --resume', () => {
  it('after Ctrl-C in epoch 2, resuming gives the weights, optimizer state and history of an uninterrupted run', async () => {
    const straight = tempDir('straight');
    const split = tempDir('split');
    // The same run twice, the second stopped by Ctrl-C after epoch 2's first step.
    const [a, b] = await Promise.all([
      runCli(['train', ...tiny, '--epochs', '2', '--out', straight]),
      runCliInterrupted(['train', ...tiny, '--epochs', '2', '--out', split], 'epoch 2/2: 16/32'),
    ]);
    expect(a.stderr).not.toContain('dl-mnist:');
    expect([a.code, b.code]).toEqual([0, 130]);
    expect(b.stdout).toContain(
      `stopped in epoch 2; ${join(split, 'last.safetensors')} holds epoch 1`,
    );
    // The interrupted run kept its whole epoch-1 checkpoint: one epoch of history, equal to
    // the first epoch of the uninterrupted run.
    const history = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')).epochs.map(
        ({ seconds, imagesPerSecond, ...rest }: Record<string, unknown>) => rest,
      );
    expect(history(split)).toEqual(history(straight).slice(0, 1));

    const c = await runCli(['train', '--device', 'cpu', '--resume', '--out', split]);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(`resuming ${join(split, 'last.safetensors')} after epoch 1 of 2`);

    const [one, two] = await Promise.all([tensors(straight), tensors(split)]);
    // Model weights and Adam's moments for all eight parameters.
    expect([...one.keys()].filter((k) => k.startsWith('model.'))).toHaveLength(8);
    expect([...one.keys()].filter((k) => k.startsWith('optimizer.'))).toHaveLength(16);
    expect([...two.keys()]).toEqual([...one.keys()]);
    for (const [key, values] of one) expect(two.get(key), key).toEqual(values);
    expect(history(split)).toEqual(history(straight));
    expect(history(split)).toHaveLength(2);

    // A finished run resumed again has nothing left to do and says how to go on.
    const d = await runCli(['train', '--device', 'cpu', '--resume', '--out', split]);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('nothing to do: the run has completed 2 epochs; raise --epochs');
  }, 240_000);
});
