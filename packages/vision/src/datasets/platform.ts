// What a dataset class needs from its runtime to find its files: synchronous and
// asynchronous reads, atomic writes, paths, and where the data may already be installed.
// The browser version below only fetches URLs; the Node one (node.ts) uses the file system.

import { gunzip } from '../idx.js';
import type { IdxDatasetSpec } from './spec.js';

export interface Platform {
  readonly name: string;
  /** The file's bytes, or undefined when there is no such file (or no file system). */
  readFileSync(path: string): Uint8Array | undefined;
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Writes through a temporary file and a rename, so a partial download is never seen. */
  writeFileAtomic(path: string, bytes: Uint8Array): Promise<void>;
  /** Synchronous gunzip, where the platform has one. */
  gunzipSync: ((bytes: Uint8Array) => Uint8Array) | undefined;
  gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array>;
  join(...parts: string[]): string;
  /** Folders where the dataset may already be installed, tried when no root is given. */
  defaultRoots(spec: IdxDatasetSpec): string[];
  /** How to install the dataset where defaultRoots looks, for the missing-files error. */
  installHint(spec: IdxDatasetSpec): string | undefined;
  /** Where downloads go when no root is given. */
  defaultDownloadRoot(): string | undefined;
}

export async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

export const browserPlatform: Platform = {
  name: 'browser',
  readFileSync: () => undefined,
  readFile: async () => undefined,
  writeFileAtomic: async (path) => {
    throw new Error(
      `cannot write ${path}: there is no file system here (downloads stay in memory)`,
    );
  },
  gunzipSync: undefined,
  gunzip,
  join: (...parts) => parts.join('/'),
  defaultRoots: () => [],
  installHint: () => undefined,
  defaultDownloadRoot: () => undefined,
};
