// --resume continues a run exactly: two epochs straight and one epoch plus a resumed second
// give the same bytes for the model, the optimizer state and the validation results.

import { copyFileSync, readFileSync } from 'node:fs';
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
  it('gives the same weights, optimizer state and history as an uninterrupted run', async () => {
    const straight = tempDir('straight');
    const split = tempDir('split');
    const [a, b] = await Promise.all([
      runCli(['train', ...tiny, '--epochs', '2', '--out', straight]),
      runCli(['train', ...tiny, '--epochs', '1', '--out', split]),
    ]);
    expect(a.stderr).not.toContain('dl-mnist:');
    expect([a.code, b.code]).toEqual([0, 0]);
    copyFileSync(join(split, 'last.safetensors'), join(split, 'epoch1.safetensors'));
    const c = await runCli([
      'train',
      '--device',
      'cpu',
      '--resume',
      '--epochs',
      '2',
      '--out',
      split,
    ]);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(`resuming ${join(split, 'last.safetensors')} after epoch 1 of 2`);

    const [one, two] = await Promise.all([tensors(straight), tensors(split)]);
    // Model weights and Adam's moments for all eight parameters.
    expect([...one.keys()].filter((k) => k.startsWith('model.'))).toHaveLength(8);
    expect([...one.keys()].filter((k) => k.startsWith('optimizer.'))).toHaveLength(16);
    expect([...two.keys()]).toEqual([...one.keys()]);
    for (const [key, values] of one) expect(two.get(key), key).toEqual(values);

    const history = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')).epochs.map(
        ({ seconds, imagesPerSecond, ...rest }: Record<string, unknown>) => rest,
      );
    expect(history(split)).toEqual(history(straight));
    expect(history(split)).toHaveLength(2);

    // Ctrl-C during epoch 2 (after its first step's progress line): exit 130, and
    // last.safetensors is the whole epoch-1 checkpoint, equal to the split run's.
    const stopped = tempDir('stopped');
    const d = await runCliInterrupted(
      ['train', ...tiny, '--epochs', '2', '--out', stopped],
      'epoch 2/2: 16/32 images',
    );
    expect(d.code).toBe(130);
    expect(d.stdout).toContain(
      `stopped in epoch 2; ${join(stopped, 'last.safetensors')} holds epoch 1`,
    );
    const [interrupted, epoch1] = await Promise.all([
      tensors(stopped),
      tensors(split, 'epoch1.safetensors'),
    ]);
    expect([...interrupted.keys()]).toEqual([...epoch1.keys()]);
    for (const [key, values] of epoch1) expect(interrupted.get(key), key).toEqual(values);
  }, 240_000);
});
