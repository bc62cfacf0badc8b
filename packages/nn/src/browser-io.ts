// State dicts in the browser: kept in IndexedDB (as safetensors bytes, one transaction per
// save), offered as a download, read from a File or Blob (an <input type="file">), and
// fetched from a URL with progress. The URL loader works in every runtime with fetch.

import type { Tensor } from '@dl/tensor';
import type { StateDict } from './module.js';
import { isTorchFile, readTorchStateDict } from './pth.js';
import { fromBytes, toBytes } from './safetensors.js';

/** Which format a file is read as: sniffed from its bytes (`'auto'`), or one named. */
export type StateDictFormat = 'auto' | 'safetensors' | 'pth';

/** Options of the IndexedDB functions. */
export interface IndexedDBOptions {
  /** The IndexedDB database (`'dl-models'` by default). */
  dbName?: string;
}

/** One state dict kept in IndexedDB, as listIndexedDB describes it. */
export interface IndexedDBEntry {
  /** The name it was saved under. */
  name: string;
  /** The size of its safetensors bytes. */
  bytes: number;
  /** When it was saved. */
  savedAt: Date;
}

const defaultDbName = 'dl-models';
const dataStore = 'state-dicts';
const infoStore = 'info';

interface StoredInfo {
  bytes: number;
  savedAt: string;
}

function indexedDBOf(what: string): IDBFactory {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory)
    throw new Error(
      `${what}: IndexedDB is not available here (Node has none); in Node save and load files with save(stateDict, path) and load(path) from @dl/nn/node`,
    );
  return factory;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open(what: string, options: IndexedDBOptions): Promise<IDBDatabase> {
  const req = indexedDBOf(what).open(options.dbName ?? defaultDbName, 1);
  req.onupgradeneeded = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains(dataStore)) db.createObjectStore(dataStore);
    if (!db.objectStoreNames.contains(infoStore)) db.createObjectStore(infoStore);
  };
  return request(req);
}

/** Runs `body` in one transaction over both stores and resolves when it has committed. */
async function transact<T>(
  what: string,
  options: IndexedDBOptions,
  mode: IDBTransactionMode,
  body: (data: IDBObjectStore, info: IDBObjectStore) => Promise<T>,
): Promise<T> {
  const db = await open(what, options);
  try {
    const tx = db.transaction([dataStore, infoStore], mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new Error(`${what}: the transaction was aborted`));
      tx.onerror = () => reject(tx.error);
    });
    const result = await body(tx.objectStore(dataStore), tx.objectStore(infoStore));
    await done;
    return result;
  } finally {
    db.close();
  }
}

function checkName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(
      `${what}: the name must be a non-empty string, got ${JSON.stringify(name)}`,
    );
}

/**
 * Keeps a state dict in the browser's IndexedDB under `name`, as safetensors bytes (tensors on
 * any device are read first); the bytes and their description are written in one transaction,
 * so a save either happens whole or not at all, and replaces an older one of the same name
 * (TensorFlow.js's `model.save('indexeddb://name')`).
 */
export async function saveToIndexedDB(
  stateDict: StateDict | Readonly<Record<string, Tensor>>,
  name: string,
  options: IndexedDBOptions = {},
): Promise<void> {
  checkName('saveToIndexedDB', name);
  indexedDBOf('saveToIndexedDB');
  const bytes = await toBytes(stateDict);
  const info: StoredInfo = { bytes: bytes.length, savedAt: new Date().toISOString() };
  await transact('saveToIndexedDB', options, 'readwrite', async (data, infos) => {
    data.put(bytes, name);
    infos.put(info, name);
  });
}

/** The state dict saved in IndexedDB under `name`; an error lists the names there if it is absent. */
export async function loadFromIndexedDB(
  name: string,
  options: IndexedDBOptions = {},
): Promise<StateDict> {
  checkName('loadFromIndexedDB', name);
  // IndexedDB types what it holds as any; saveToIndexedDB put a Uint8Array, checked below.
  const bytes = await transact('loadFromIndexedDB', options, 'readonly', async (data) =>
    request(data.get(name) as IDBRequest<unknown>),
  );
  if (!(bytes instanceof Uint8Array)) {
    const names = (await listIndexedDB(options)).map((e) => JSON.stringify(e.name));
    throw new Error(
      `loadFromIndexedDB: no state dict named ${JSON.stringify(name)} in IndexedDB database "${options.dbName ?? defaultDbName}" (${names.length === 0 ? 'it holds none' : `it holds ${names.join(', ')}`})`,
    );
  }
  return fromBytes(bytes);
}

/** The state dicts saved in IndexedDB: names, sizes and when they were saved, by name. */
export async function listIndexedDB(options: IndexedDBOptions = {}): Promise<IndexedDBEntry[]> {
  return transact('listIndexedDB', options, 'readonly', async (_data, infos) => {
    const [keys, values] = await Promise.all([
      request(infos.getAllKeys()),
      // As saveToIndexedDB wrote them.
      request(infos.getAll() as IDBRequest<StoredInfo[]>),
    ]);
    return keys
      .map((key, i) => ({
        name: String(key),
        bytes: values[i]!.bytes,
        savedAt: new Date(values[i]!.savedAt),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}

/** Deletes the state dict saved under `name`; returns whether there was one. */
export async function deleteFromIndexedDB(
  name: string,
  options: IndexedDBOptions = {},
): Promise<boolean> {
  checkName('deleteFromIndexedDB', name);
  return transact('deleteFromIndexedDB', options, 'readwrite', async (data, infos) => {
    const existed = (await request(infos.count(name))) > 0;
    data.delete(name);
    infos.delete(name);
    return existed;
  });
}

/**
 * Offers a state dict as a safetensors file download (a Blob behind a clicked `<a download>`),
 * like TensorFlow.js's `model.save('downloads://name')`; returns the Blob.
 */
export async function downloadStateDict(
  stateDict: StateDict | Readonly<Record<string, Tensor>>,
  filename = 'model.safetensors',
): Promise<Blob> {
  if (typeof document === 'undefined')
    throw new Error(
      'downloadStateDict: there is no document here (Node); use save(stateDict, path) from @dl/nn/node',
    );
  const bytes = await toBytes(stateDict);
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  anchor.style.display = 'none';
  document.body.append(anchor);
  try {
    anchor.click();
  } finally {
    anchor.remove();
    // The download reads the URL after the click returns; free it a little later.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return blob;
}

/**
 * Bytes of a safetensors or torch.save file as a state dict: `format` `'auto'` (the default)
 * tells them apart by content (isTorchFile).
 */
export function stateDictFromBytes(
  bytes: Uint8Array,
  format: StateDictFormat = 'auto',
  what = 'stateDictFromBytes',
): StateDict {
  if (format !== 'auto' && format !== 'safetensors' && format !== 'pth')
    throw new RangeError(
      `${what}: format must be 'auto', 'safetensors' or 'pth', got ${JSON.stringify(format)}`,
    );
  const torch = format === 'pth' || (format === 'auto' && isTorchFile(bytes));
  try {
    return torch ? readTorchStateDict(bytes) : fromBytes(bytes);
  } catch (error) {
    const how = torch ? 'a torch.save (.pth) file' : 'safetensors';
    const hint = format === 'auto' ? ' (told by its content)' : '';
    throw new Error(
      `${what}: could not read ${bytes.length} bytes as ${how}${hint}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * The state dict in a File (from an `<input type="file">` or a drop) or a Blob: safetensors or
 * a torch.save `.pth`, told apart by content unless `format` names one.
 */
export async function loadStateDictFile(
  file: Blob,
  format: StateDictFormat = 'auto',
): Promise<StateDict> {
  if (typeof Blob === 'undefined' || !(file instanceof Blob))
    throw new TypeError('loadStateDictFile: expected a File or a Blob');
  return stateDictFromBytes(new Uint8Array(await file.arrayBuffer()), format, 'loadStateDictFile');
}

/** Progress of loadFromURL: bytes read so far, and the total when the server said it. */
export interface LoadProgress {
  /** Bytes received so far. */
  loaded: number;
  /** The Content-Length, or undefined when the server sent none (or compressed the body). */
  total: number | undefined;
}

/** Options of loadFromURL. */
export interface LoadFromURLOptions {
  /** Called once before the first byte and after each chunk. */
  onProgress?: (progress: LoadProgress) => void;
  /** Cancels the download. */
  signal?: AbortSignal;
  /** How to read the file (sniffed by default). */
  format?: StateDictFormat;
  /** The most bytes to accept (2 GiB by default); a larger file is refused, even mid-stream. */
  maxBytes?: number;
}

/** The most bytes loadFromURL accepts by default: 2 GiB. */
export const defaultMaxURLBytes = 2 ** 31;

/**
 * Fetches a safetensors or torch.save file and reads its state dict, streaming it with a
 * progress callback (torch.hub.load_state_dict_from_url without the cache). The body is bounded
 * by its Content-Length, when the server sends one, and by `maxBytes`. Works wherever fetch
 * exists (browsers, Node 20).
 */
export async function loadFromURL(
  url: string | URL,
  options: LoadFromURLOptions = {},
): Promise<StateDict> {
  const maxBytes = options.maxBytes ?? defaultMaxURLBytes;
  const init: RequestInit = options.signal ? { signal: options.signal } : {};
  const response = await fetch(url, init);
  if (!response.ok)
    throw new Error(
      `loadFromURL: ${String(url)} answered ${response.status} ${response.statusText}`,
    );
  const length = response.headers.get('content-length');
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const total = length !== null && !encoded && /^\d+$/.test(length) ? Number(length) : undefined;
  if (total !== undefined && total > maxBytes) {
    await response.body?.cancel();
    throw new RangeError(
      `loadFromURL: ${String(url)} is ${total} bytes, more than maxBytes ${maxBytes}; pass a larger { maxBytes } to read it`,
    );
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  options.onProgress?.({ loaded, total });
  const body = response.body;
  if (body) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.length;
      const limit = total ?? maxBytes;
      if (loaded > limit) {
        await reader.cancel();
        throw new RangeError(
          total !== undefined
            ? `loadFromURL: ${String(url)} sent more than its Content-Length of ${total} bytes`
            : `loadFromURL: ${String(url)} is more than maxBytes ${maxBytes}; pass a larger { maxBytes } to read it`,
        );
      }
      chunks.push(value);
      options.onProgress?.({ loaded, total });
    }
  }
  if (total !== undefined && loaded !== total)
    throw new Error(
      `loadFromURL: ${String(url)} ended after ${loaded} of its ${total} bytes (Content-Length)`,
    );
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return stateDictFromBytes(bytes, options.format ?? 'auto', 'loadFromURL');
}
