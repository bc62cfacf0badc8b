// --resume continues a run exactly: two epochs straight and one epoch plus a resumed second
// give the same bytes for the model, the optimizer state and the validation results.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from '@dl/nn/node';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.ts';

const tiny = ['--device', 'cpu', '--limit', '64', '--batch-size', '32', '--test-limit', '32'];

async function tensors(dir: string): Promise<Map<string, number[]>> {
  const sd = await load(join(dir, 'last.safetensors'));
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
  }, 180_000);
});
