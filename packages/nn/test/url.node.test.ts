// loadFromURL in Node against a local HTTP server: safetensors and .pth (zip and legacy)
// bodies with and without Content-Length, progress reports, maxBytes and a Content-Length the
// body overruns or falls short of, HTTP errors and aborts; the IndexedDB and download
// functions say that Node has neither.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tensor } from '@dl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downloadStateDict,
  type LoadProgress,
  listIndexedDB,
  loadFromIndexedDB,
  loadFromURL,
  saveToIndexedDB,
  toBytes,
} from '../src/index.ts';
import { fixture } from './pth-files.ts';

const sample = {
  w: tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]),
  n: tensor([5], { dtype: 'int32' }),
};
let safetensors: Uint8Array;
let server: Server;
let base: string;

beforeAll(async () => {
  safetensors = await toBytes(sample);
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const send = (bytes: Uint8Array, length: number | null, chunk = 7) => {
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (length !== null) headers['content-length'] = String(length);
      res.writeHead(200, headers);
      if (length !== null && length < bytes.length) {
        // Lie about the length: write the whole body through the socket.
        res.socket?.write(bytes.subarray(0, length));
        res.end();
        return;
      }
      // Small pauses between chunks, so that they arrive as separate reads.
      const next = (at: number): void => {
        if (at >= bytes.length) {
          res.end();
          return;
        }
        res.write(bytes.subarray(at, at + chunk));
        setTimeout(() => next(at + chunk), 2);
      };
      next(0);
    };
    if (path === '/model.safetensors') send(safetensors, safetensors.length, 16);
    else if (path === '/chunked.safetensors') send(safetensors, null, 16);
    else if (path === '/mlp.pth') send(fixture('mlp.pth'), null, 500);
    else if (path === '/mlp.legacy.pth') send(fixture('mlp.legacy.pth'), null, 500);
    else if (path === '/short') {
      res.writeHead(200, { 'content-length': String(safetensors.length + 10) });
      res.write(safetensors);
      res.destroy();
    } else {
      res.writeHead(404, 'Not Found');
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('loadFromURL', () => {
  it('reads safetensors with Content-Length, reporting progress up to the total', async () => {
    const seen: LoadProgress[] = [];
    const sd = await loadFromURL(`${base}/model.safetensors`, { onProgress: (p) => seen.push(p) });
    expect([...sd.keys()].sort()).toEqual(['n', 'w']);
    expect(sd.get('w')?.shape).toEqual([2, 3]);
    expect([...(sd.get('w')?.dataSync() ?? [])]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sd.get('n')?.dtype).toBe('int32');
    expect(seen[0]).toEqual({ loaded: 0, total: safetensors.length });
    expect(seen.at(-1)).toEqual({ loaded: safetensors.length, total: safetensors.length });
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.loaded).toBeGreaterThan(seen[i - 1]!.loaded);
  });

  it('reads a body without Content-Length (total undefined)', async () => {
    const seen: LoadProgress[] = [];
    const sd = await loadFromURL(`${base}/chunked.safetensors`, {
      onProgress: (p) => seen.push(p),
    });
    expect([...(sd.get('n')?.dataSync() ?? [])]).toEqual([5]);
    expect(seen.every((p) => p.total === undefined)).toBe(true);
    expect(seen.at(-1)?.loaded).toBe(safetensors.length);
  });

  it('reads .pth files in both formats, sniffed or named', async () => {
    for (const name of ['mlp.pth', 'mlp.legacy.pth']) {
      const sd = await loadFromURL(`${base}/${name}`);
      expect(sd.get('0.weight')?.shape, name).toEqual([8, 6]);
    }
    await expect(loadFromURL(`${base}/mlp.pth`, { format: 'safetensors' })).rejects.toThrow(
      'loadFromURL: could not read 3103 bytes as safetensors: fromBytes: the header of',
    );
    const sd = await loadFromURL(`${base}/mlp.pth`, { format: 'pth' });
    expect(sd.get('0.weight')?.shape).toEqual([8, 6]);
  });

  it('refuses bodies over maxBytes, from the header or mid-stream', async () => {
    await expect(
      loadFromURL(`${base}/model.safetensors`, { maxBytes: safetensors.length - 1 }),
    ).rejects.toThrow(
      `is ${safetensors.length} bytes, more than maxBytes ${safetensors.length - 1}`,
    );
    await expect(loadFromURL(`${base}/chunked.safetensors`, { maxBytes: 20 })).rejects.toThrow(
      'is more than maxBytes 20',
    );
  });

  it('names HTTP errors, truncated bodies and aborts', async () => {
    await expect(loadFromURL(`${base}/missing`)).rejects.toThrow('answered 404 Not Found');
    await expect(loadFromURL(`${base}/short`)).rejects.toThrow();
    const controller = new AbortController();
    controller.abort();
    await expect(
      loadFromURL(`${base}/model.safetensors`, { signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
  });
});

describe('browser storage in Node', () => {
  it('says that IndexedDB and downloads need a browser', async () => {
    await expect(saveToIndexedDB(sample, 'm')).rejects.toThrow(
      'saveToIndexedDB: IndexedDB is not available here (Node has none)',
    );
    await expect(loadFromIndexedDB('m')).rejects.toThrow('loadFromIndexedDB: IndexedDB');
    await expect(listIndexedDB()).rejects.toThrow('listIndexedDB: IndexedDB');
    await expect(downloadStateDict(sample)).rejects.toThrow('there is no document here');
  });
});
