// State dicts in headless Chromium: saved to IndexedDB and read back (values, dtypes, shapes),
// listed, replaced, deleted, refused by name when absent; offered as a download (the Blob
// behind the clicked link reads back); read from a File of safetensors or .pth bytes.

import { tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import {
  deleteFromIndexedDB,
  downloadStateDict,
  listIndexedDB,
  loadFromIndexedDB,
  loadFromURL,
  loadStateDictFile,
  type StateDict,
  saveToIndexedDB,
  toBytes,
} from '../src/index.ts';

/** A fixture's URL on the test server (the files PyTorch wrote, scripts/reference/pth.py). */
const fixtureURL = (name: string): URL => new URL(`./fixtures/pth/${name}`, import.meta.url);

/** What PyTorch recorded for the MLP's state dict. */
async function recordedMlp(): Promise<Record<string, { shape: number[]; values: number[] }>> {
  const json = (await (await fetch(fixtureURL('expected.json'))).json()) as {
    mlp: Record<string, { shape: number[]; values: number[] }>;
  };
  return json.mlp;
}

function sample(): StateDict {
  return new Map([
    [
      'fc.weight',
      tensor([
        [1.5, -2],
        [3, 0.25],
      ]),
    ],
    ['fc.bias', tensor([7, -8])],
    ['steps', tensor([42], { dtype: 'int32' })],
  ]);
}

async function plain(
  sd: StateDict,
): Promise<Record<string, { shape: number[]; dtype: string; values: number[] }>> {
  const out: Record<string, { shape: number[]; dtype: string; values: number[] }> = {};
  for (const [key, t] of sd)
    out[key] = { shape: [...t.shape], dtype: t.dtype, values: [...(await t.data())].map(Number) };
  return out;
}

const expected = {
  'fc.weight': { shape: [2, 2], dtype: 'float32', values: [1.5, -2, 3, 0.25] },
  'fc.bias': { shape: [2], dtype: 'float32', values: [7, -8] },
  steps: { shape: [1], dtype: 'int32', values: [42] },
};

describe('IndexedDB', () => {
  const dbName = `dl-test-${Math.random().toString(36).slice(2)}`;

  it('saves, lists, loads, replaces and deletes a state dict', async () => {
    await saveToIndexedDB(sample(), 'mlp', { dbName });
    expect(await plain(await loadFromIndexedDB('mlp', { dbName }))).toEqual(expected);
    const list = await listIndexedDB({ dbName });
    expect(list.map((e) => e.name)).toEqual(['mlp']);
    expect(list[0]!.bytes).toBe((await toBytes(sample())).length);
    expect(Math.abs(list[0]!.savedAt.getTime() - Date.now())).toBeLessThan(60_000);

    await saveToIndexedDB({ only: tensor([9]) }, 'mlp', { dbName });
    await saveToIndexedDB({ other: tensor([1]) }, 'another', { dbName });
    expect(await plain(await loadFromIndexedDB('mlp', { dbName }))).toEqual({
      only: { shape: [1], dtype: 'float32', values: [9] },
    });
    expect((await listIndexedDB({ dbName })).map((e) => e.name)).toEqual(['another', 'mlp']);

    expect(await deleteFromIndexedDB('mlp', { dbName })).toBe(true);
    expect(await deleteFromIndexedDB('mlp', { dbName })).toBe(false);
    expect((await listIndexedDB({ dbName })).map((e) => e.name)).toEqual(['another']);
    await expect(loadFromIndexedDB('mlp', { dbName })).rejects.toThrow(
      `no state dict named "mlp" in IndexedDB database "${dbName}" (it holds "another")`,
    );
  });

  it('leaves the saved state dict as it was when a save fails', async () => {
    await saveToIndexedDB(sample(), 'kept', { dbName });
    const disposed = tensor([1, 2]);
    disposed.dispose();
    await expect(
      saveToIndexedDB({ a: tensor([3]), b: disposed }, 'kept', { dbName }),
    ).rejects.toThrow();
    expect(await plain(await loadFromIndexedDB('kept', { dbName }))).toEqual(expected);
    expect(await deleteFromIndexedDB('kept', { dbName })).toBe(true);
  });

  it('keeps databases apart and refuses an empty name', async () => {
    await expect(loadFromIndexedDB('another', { dbName: `${dbName}-empty` })).rejects.toThrow(
      'it holds none',
    );
    await expect(saveToIndexedDB(sample(), '')).rejects.toThrow('non-empty string');
  });
});

describe('download and File input', () => {
  it('downloads safetensors bytes under the file name', async () => {
    const clicked: { href: string; download: string }[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    };
    try {
      const blob = await downloadStateDict(sample(), 'mlp.safetensors');
      expect(clicked).toHaveLength(1);
      expect(clicked[0]!.download).toBe('mlp.safetensors');
      expect(clicked[0]!.href.startsWith('blob:')).toBe(true);
      const fetched = new Uint8Array(await (await fetch(clicked[0]!.href)).arrayBuffer());
      expect(fetched).toEqual(await toBytes(sample()));
      expect(await plain(await loadStateDictFile(blob))).toEqual(expected);
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
  });

  it('reads a File of safetensors or of torch.save bytes, and refuses junk', async () => {
    const file = new File([(await toBytes(sample())) as Uint8Array<ArrayBuffer>], 'm.safetensors');
    expect(await plain(await loadStateDictFile(file))).toEqual(expected);
    const mlp = await recordedMlp();
    for (const name of ['mlp.pth', 'mlp.legacy.pth']) {
      const blob = await (await fetch(fixtureURL(name))).blob();
      const sd = await loadStateDictFile(new File([blob], name));
      expect([...sd.keys()].sort(), name).toEqual(Object.keys(mlp).sort());
      for (const [key, t] of sd) {
        expect(t.shape, `${name} ${key}`).toEqual(mlp[key]!.shape);
        const values = [...(await t.data())];
        for (const [i, v] of mlp[key]!.values.entries()) expect(values[i]).toBeCloseTo(v, 6);
      }
    }
    await expect(loadStateDictFile(new File([new Uint8Array([1, 2, 3])], 'x'))).rejects.toThrow(
      'loadStateDictFile: could not read 3 bytes as safetensors (told by its content)',
    );
    await expect(loadStateDictFile('x' as unknown as Blob)).rejects.toThrow('a File or a Blob');
  });
});

describe('loadFromURL in the browser', () => {
  it('reads a blob: URL with progress', async () => {
    const bytes = await toBytes(sample());
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    const seen: number[] = [];
    const sd = await loadFromURL(url, { onProgress: ({ loaded }) => seen.push(loaded) });
    expect(await plain(sd)).toEqual(expected);
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(bytes.length);
    URL.revokeObjectURL(url);
  });

  it('reads a .pth from the server, and refuses one over maxBytes', async () => {
    const mlp = await recordedMlp();
    const sd = await loadFromURL(fixtureURL('mlp.pth'));
    expect(sd.get('0.weight')?.shape).toEqual(mlp['0.weight']!.shape);
    await expect(loadFromURL(fixtureURL('mlp.pth'), { maxBytes: 100 })).rejects.toThrow(
      'maxBytes 100',
    );
  });
});
