// safetensors: files written by the reference script (PyTorch state dicts laid out as the
// reference writer lays them out) load into dl modules and are written back byte for byte;
// bad files are clear errors; save() is atomic.

import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tensor, tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/node.js';
import { devices } from './devices.js';
import { expectRecorded, fromRecorded } from './helpers.js';
import { references } from './reference/values.js';
import { f32Entry, safetensorsBytes } from './safetensors-bytes.js';
import { DigitRecognizer, mlp } from './test-models.js';

const fixtures = join(import.meta.dirname, 'fixtures');

/** Safetensors bytes from a header object and raw data, as a test builds them by hand. */
function handBuilt(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

describe('a PyTorch state dict in safetensors', () => {
  it('loads into the matching dl module and is written back byte for byte', async () => {
    const bytes = new Uint8Array(await readFile(join(fixtures, 'small-cnn.safetensors')));
    const model = new DigitRecognizer(2, 4, 8);
    expect(model.toString()).toBe(references.safetensors.smallCnnRepr);
    const loaded = await nn.load(join(fixtures, 'small-cnn.safetensors'));
    expect(model.loadStateDict(loaded)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(await nn.toBytes(model.stateDict())).toEqual(bytes);
  });

  it.each(devices)("gives PyTorch's output on %s", async (_, device) => {
    const model = new DigitRecognizer(2, 4, 8);
    model.loadStateDict(await nn.load(join(fixtures, 'small-cnn.safetensors')));
    model.to(device).eval();
    const out = model.call(fromRecorded(references.safetensors.smallCnnInput, device));
    await expectRecorded(out, references.safetensors.smallCnnOutput, 'small CNN output');
    // Saving reads the tensors back from the device.
    const bytes = new Uint8Array(await readFile(join(fixtures, 'small-cnn.safetensors')));
    expect(await nn.toBytes(model.stateDict())).toEqual(bytes);
  });

  it('reads I64 buffers (num_batches_tracked) as int32, and the metadata', async () => {
    const bytes = new Uint8Array(await readFile(join(fixtures, 'mlp-batchnorm.safetensors')));
    expect(nn.metadataOf(bytes)).toEqual({ format: 'pt' });
    const state = nn.fromBytes(bytes);
    expect(state.get('1.num_batches_tracked')!.dtype).toBe('int32');
    expect(state.get('1.num_batches_tracked')!.itemSync()).toBe(7);
    const model = mlp();
    model.loadStateDict(state);
    await expectRecorded(
      model.stateDict().get('1.running_var'),
      references.mlp.state['1.running_var']!,
      'running_var',
    );
  });
});

describe('fromBytes', () => {
  const f32 = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
  const entry = { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] };

  it('reads hand-built bytes, including F16, BF16, F64, I32 and BOOL', () => {
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer);
    const data = new Uint8Array([...f32, ...f16, ...bf16, 1, 0, 1]);
    const state = nn.fromBytes(
      handBuilt(
        {
          a: entry,
          h: { dtype: 'F16', shape: [3], data_offsets: [16, 22] },
          b: { dtype: 'BF16', shape: [2], data_offsets: [22, 26] },
          m: { dtype: 'BOOL', shape: [3], data_offsets: [26, 29] },
        },
        data,
      ),
    );
    expect(state.get('a')!.toArraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(Array.from(state.get('h')!.dataSync())).toEqual([1, -2, 0.5]);
    expect(Array.from(state.get('b')!.dataSync())).toEqual([1, -3]);
    expect(state.get('m')!.toArraySync()).toEqual([true, false, true]);
  });

  it('round-trips float64, int32 and bool tensors', () => {
    const state = new Map<string, Tensor>([
      ['x', tensor([1.5, -2.25], { dtype: 'float64' })],
      ['n', tensor([[1, -7]], { dtype: 'int32' })],
      ['flag', tensor([true, false])],
    ]);
    return nn.toBytes(state).then((bytes) => {
      const back = nn.fromBytes(bytes);
      for (const [key, t] of state) {
        expect(back.get(key)!.dtype).toBe(t.dtype);
        expect(back.get(key)!.toArraySync()).toEqual(t.toArraySync());
      }
    });
  });

  it('writes and reads a tensor and a metadata key named __proto__ like any other', async () => {
    const state = new Map([['__proto__', tensor([1.5], { dtype: 'float32' })]]);
    const metadata: Record<string, string> = JSON.parse('{"__proto__": "x"}'); // an own key
    const bytes = await nn.toBytes(state, metadata);
    expect(new TextDecoder().decode(bytes.subarray(8, 100))).toMatch(
      /^\{"__metadata__":\{"__proto__":"x"\},"__proto__":\{"dtype":"F32"/,
    );
    expect(nn.fromBytes(bytes).get('__proto__')!.toArraySync()).toEqual([1.5]);
    expect(Object.entries(nn.metadataOf(bytes)!)).toEqual([['__proto__', 'x']]);
  });

  it('names a bad header, a truncated file and an unsupported dtype, and loads nothing', async () => {
    const model = new nn.Linear(2, 2);
    const before = Array.from(model.weight.dataSync());
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([1, 2, 3]), /only 3 bytes: too short for a safetensors file/],
      [
        handBuilt({ a: entry }, f32, 5000),
        /header of 5000 bytes runs past the end of the \d+ bytes: the file is truncated/,
      ],
      [
        (() => {
          const b = handBuilt({ a: entry }, f32);
          b[9] = 0x7b; // '{{' is not JSON
          return b;
        })(),
        /expected a quoted key in the header, found '\{' at byte 1 of the header/,
      ],
      [
        handBuilt({ a: entry }, f32.subarray(0, 12)),
        /tensor "a" \(F32, shape \[2, 2\]\) ends at byte 16 of the data, which holds only 12 bytes: the file is truncated/,
      ],
      [handBuilt({ a: { ...entry, dtype: 'Q8' } }, f32), /tensor "a" has the unknown dtype "Q8"/],
      [handBuilt({ a: { ...entry, dtype: 'constructor' } }, f32), /unknown dtype "constructor"/],
      [
        handBuilt({ a: entry }, new Uint8Array(20)),
        /cover 16 bytes but the data holds 20: the file has trailing bytes/,
      ],
      [
        handBuilt({ a: entry, b: { ...entry, data_offsets: [8, 24] } }, new Uint8Array(32)),
        /tensor "b" \(data_offsets \[8, 24\]\) overlaps the tensor before it, which ends at byte 16/,
      ],
      [
        handBuilt({ a: { ...entry, dtype: 'U32' } }, f32),
        /tensor "a" has dtype U32, which dl cannot load/,
      ],
      [
        handBuilt({ a: { ...entry, shape: [2, 3] } }, f32),
        /needs 24 bytes but its data_offsets \[0, 16\] span 16/,
      ],
      [
        handBuilt(
          { a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
          new Uint8Array(new BigInt64Array([2n ** 40n]).buffer),
        ),
        /holds 1099511627776, which does not fit dl's int32/,
      ],
    ];
    for (const [bytes, message] of cases) {
      expect(() => model.loadStateDict(nn.fromBytes(bytes))).toThrow(message);
      expect(Array.from(model.weight.dataSync())).toEqual(before);
    }
  });
});

describe('save and load', () => {
  it('writes a file load() reads back', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dl-nn-'));
    const model = mlp();
    await nn.save(model.stateDict(), join(folder, 'model.safetensors'), { epoch: '3' });
    const copy = mlp();
    copy.loadStateDict(await nn.load(join(folder, 'model.safetensors')));
    for (const [key, value] of model.stateDict())
      expect(copy.stateDict().get(key)!.toArraySync(), key).toEqual(value.toArraySync());
    expect(
      nn.metadataOf(new Uint8Array(await readFile(join(folder, 'model.safetensors')))),
    ).toEqual({ epoch: '3' });
    expect(await readdir(folder)).toEqual(['model.safetensors']);
  });

  it('a save that fails part way leaves the previous file intact and no temporary file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dl-nn-'));
    const path = join(folder, 'model.safetensors');
    await writeFile(path, 'previous checkpoint');
    // The second tensor in file order cannot be read: the header and first tensor are written first.
    const broken = tensor([1, 2], { dtype: 'float32' });
    broken.dispose();
    const state = new Map<string, Tensor>([
      ['a', tensor([1, 2], { dtype: 'float32' })],
      ['b', broken],
    ]);
    await expect(nn.save(state, path)).rejects.toThrow(/disposed/);
    expect(await readFile(path, 'utf8')).toBe('previous checkpoint');
    expect(await readdir(folder)).toEqual(['model.safetensors']);
  });

  it('load() reads the header of a file over 2 GiB without reading the rest', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dl-nn-'));
    const path = join(folder, 'big.safetensors');
    try {
      const head = safetensorsBytes({ a: f32Entry([4], 0, 16) });
      await writeFile(path, head);
      await truncate(path, 3 * 2 ** 30); // sparse: the zeros take no disk
      await expect(nn.load(path)).rejects.toThrow(
        `load: ${path}: the tensors cover 16 bytes but the data holds ${3 * 2 ** 30 - head.length}: the file has trailing bytes`,
      );
      // A dtype dl cannot load is refused before any data is read.
      const u32 = safetensorsBytes({
        a: { dtype: 'U32', shape: [2 ** 29], data_offsets: [0, 2 ** 31] },
      });
      await writeFile(path, u32);
      await truncate(path, u32.length + 2 ** 31);
      await expect(nn.load(path)).rejects.toThrow(
        `load: ${path}: tensor "a" has dtype U32, which dl cannot load`,
      );
    } finally {
      await rm(folder, { recursive: true });
    }
  });

  it('load() takes the header limits, and names a missing file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dl-nn-'));
    const path = join(folder, 'model.safetensors');
    await writeFile(path, safetensorsBytes({ a: f32Entry([1, 1], 0, 4) }, new Uint8Array(4)));
    await expect(nn.load(path, { maxRank: 1 })).rejects.toThrow(
      `load: ${path}: tensor "a": shape has more than 1 dimensions, the limit; raise it with { maxRank }`,
    );
    expect((await nn.load(path, { maxRank: 2 })).get('a')!.shape).toEqual([1, 1]);
    await expect(nn.load(join(folder, 'missing.safetensors'))).rejects.toThrow(
      `load: ${join(folder, 'missing.safetensors')}: no such file`,
    );
  });

  it('load() names the file in its errors', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dl-nn-'));
    const path = join(folder, 'bad.safetensors');
    await writeFile(path, new Uint8Array([9, 0, 0]));
    await expect(nn.load(path)).rejects.toThrow(
      `load: ${path}: only 3 bytes: too short for a safetensors file`,
    );
  });
});
