// Error exits of the binary: a missing dataset, an unreadable checkpoint and a checkpoint of
// another architecture end with exit code 1 and one line saying what is wrong.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nn from '@dl/nn';
import { save } from '@dl/nn/node';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.ts';
import { idxFolder } from './craft.ts';

describe('dl-mnist error exits', () => {
  // Refused when the data set is opened (data.ts), before a device is: the same on both.
  it.each(['cpu', 'webgpu'])(
    'refuses labels past the ten classes on %s in one line naming the file, writing no checkpoint',
    async (device) => {
      const data = idxFolder(`labels-${device}`, [3, 1, 12, 0, 5, 9, 2, 7]);
      const out = tempDir(`labels-out-${device}`);
      const r = await runCli(['train', '--device', device, '--data', data, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `dl-mnist: cannot read the mnist training set: MNIST: ${join(data, 'train-labels-idx1-ubyte')}: label 12 at index 2 is outside 0..9`,
      );
      expect(existsSync(join(out, 'best.safetensors'))).toBe(false);
    },
  );

  it('prints usage for --help and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dl-mnist train [options]');
  });

  it('refuses a bad option with exit code 1', async () => {
    const r = await runCli(['train', '--epochs', 'two']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('dl-mnist: --epochs: expected a positive integer, got two');
  });

  it('names a --data folder that does not exist', async () => {
    const missing = join(tempDir('nodata'), 'nowhere');
    const r = await runCli(['train', '--device', 'cpu', '--data', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--data ${missing}: no such folder`);
  });

  it('names the files missing from an empty --data folder', async () => {
    const empty = tempDir('empty');
    const r = await runCli(['train', '--device', 'cpu', '--data', empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dl-mnist: cannot read the mnist training set:');
    expect(r.stderr).toContain(empty);
    expect(r.stderr).toContain('train-images-idx3-ubyte');
  });

  it('names a checkpoint that does not exist', async () => {
    const path = join(tempDir('nockpt'), 'missing.safetensors');
    const r = await runCli(['eval', path, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`dl-mnist: cannot read checkpoint ${path}: no such file`);
  });

  it('refuses a file that is not safetensors', async () => {
    const path = join(tempDir('garbage'), 'model.safetensors');
    writeFileSync(path, 'not a checkpoint at all');
    const r = await runCli(['predict', path, 'digit.png', '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`dl-mnist: ${path} is not a readable safetensors checkpoint:`);
  });

  it('refuses a checkpoint of another architecture, naming the keys', async () => {
    const path = join(tempDir('arch'), 'mlp.safetensors');
    const mlp = new nn.Sequential(new nn.Linear(784, 10));
    await save(mlp.stateDict(), path);
    const r = await runCli(['eval', path, '--device', 'cpu', '--test-limit', '10']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`dl-mnist: ${path} is not a DigitRecognizer checkpoint:`);
    expect(r.stderr).toContain('conv1.weight');
    expect(r.stderr).toContain('0.weight');
  });

  it('refuses a checkpoint whose metadata names another architecture', async () => {
    const path = join(tempDir('meta'), 'other.safetensors');
    await save(new nn.Linear(2, 2).stateDict(), path, { architecture: 'LeNet5' });
    const r = await runCli(['predict', path, 'digit.png', '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is a checkpoint of LeNet5, not of DigitRecognizer');
  });

  it('refuses --resume without a run to resume', async () => {
    const out = tempDir('noresume');
    const r = await runCli(['train', '--device', 'cpu', '--resume', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `cannot read checkpoint ${join(out, 'last.safetensors')}: no such file`,
    );
  });
});
