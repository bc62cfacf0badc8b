// saveOnnx writes the exported bytes through a temporary file and a rename.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nn from '@dl/nn';
import { manualSeed, randn } from '@dl/tensor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportOnnx } from '../src/index.ts';
import { saveOnnx } from '../src/node.ts';

describe('saveOnnx', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dl-onnx-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the bytes exportOnnx returns, replacing a previous file, leaving no temporary', async () => {
    manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU());
    const x = randn([2, 4]);
    const path = join(dir, 'model.onnx');
    await writeFile(path, 'old');
    const bytes = await saveOnnx(model, x, path);
    expect(new Uint8Array(await readFile(path))).toEqual(bytes);
    expect(bytes).toEqual(await exportOnnx(model, x));
    expect(await readdir(dir)).toEqual(['model.onnx']);
  });

  it('leaves the previous file when the export fails', async () => {
    const path = join(dir, 'model.onnx');
    await writeFile(path, 'old');
    const model = new nn.Sequential(new nn.ConvTranspose2d(1, 1, 2));
    await expect(saveOnnx(model, randn([1, 1, 3, 3]), path)).rejects.toThrow(/convTranspose2d/i);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['model.onnx']);
  });
});
