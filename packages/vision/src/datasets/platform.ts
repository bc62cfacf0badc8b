// What a dataset class needs from its runtime to find its files: synchronous and
// asynchronous reads, atomic writes, paths, and where the data may already be installed.
// The browser version below only fetches URLs; the Node one (node.ts) uses the file system.

import { gunzipIdx, type IdxOptions, maxIdxHeaderBytes } from '../idx.js';
import type { IdxDatasetSpec } from './spec.js';

/**
 * The largest file that can hold an IDX array of at most `maxBytes`: the values, the
 * longest header, and room for gzip's framing (stored blocks add 5 bytes in 65535, plus
 * the member's header and trailer). Larger files are refused before they are read.
 */
export function maxFileBytes(maxBytes: number): number {
  return maxBytes + maxIdxHeaderBytes + Math.ceil(maxBytes / 8192) + 2 ** 20;
}

/**
 * The error for a file or download over maxFileBytes(maxBytes); `size` is undefined for a
 * download cut off once over it.
 */
export function fileTooLarge(size: number | undefined, maxBytes: number): Error {
  const limit = maxFileBytes(maxBytes);
  const raise =
    size === undefined
      ? 'pass a larger { maxBytes } to allow it'
      : `pass { maxBytes: ${size} } to allow it`;
  return new Error(
    `${size ?? `over ${limit}`} bytes is more than an IDX file within the ${maxBytes}-byte limit can take (${limit}); ${raise}`,
  );
}

export interface Platform {
  readonly name: string;
  /**
   * The file's bytes, or undefined when there is no such file (or no file system). A file
   * over maxFileBytes(maxBytes) is refused before it is read.
   */
  readFileSync(path: string, maxBytes: number): Uint8Array | undefined;
  readFile(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Writes through a temporary file and a rename, so a partial download is never seen. */
  writeFileAtomic(path: string, bytes: Uint8Array): Promise<void>;
  /** Gzipped IDX bytes decompressed synchronously (no further than the header declares), where the platform can. */
  gunzipIdxSync: ((bytes: Uint8Array, name: string, options: IdxOptions) => Uint8Array) | undefined;
  gunzipIdx(bytes: Uint8Array, name: string, options: IdxOptions): Promise<Uint8Array>;
  join(...parts: string[]): string;
  /** Folders where the dataset may already be installed, tried when no root is given. */
  defaultRoots(spec: IdxDatasetSpec): string[];
  /** How to install the dataset where defaultRoots looks, for the missing-files error. */
  installHint(spec: IdxDatasetSpec): string | undefined;
  /** Where downloads go when no root is given. */
  defaultDownloadRoot(): string | undefined;
}

/** A URL's body, refused once it passes maxFileBytes(maxBytes). */
export async function fetchBytes(url: string | URL, maxBytes: number): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText} for ${url}`);
  const limit = maxFileBytes(maxBytes);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw fileTooLarge(declared, maxBytes);
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel();
      throw fileTooLarge(undefined, maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
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
  gunzipIdxSync: undefined,
  gunzipIdx,
  join: (...parts) => parts.join('/'),
  defaultRoots: () => [],
  installHint: () => undefined,
  defaultDownloadRoot: () => undefined,
};
