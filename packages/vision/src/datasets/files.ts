// Finding, decompressing and downloading a dataset's IDX files: synchronously from a
// folder (Node), or asynchronously from bytes, URLs, a folder or the mirrors (with MD5
// checks and atomic writes).

import { isGzip } from '../idx.js';
import { md5 } from '../md5.js';
import { fetchBytes, type Platform } from './platform.js';
import type { IdxDatasetSpec } from './spec.js';

/** The two files of a split, as bytes (raw IDX, or gzip where decompression is available). */
export interface IdxFileBytes {
  images: Uint8Array;
  labels: Uint8Array;
}

/** Where a file may be under `root`: directly or in torchvision's <root>/<Name>/raw, raw or .gz. */
export function candidatePaths(
  platform: Platform,
  root: string,
  spec: IdxDatasetSpec,
  file: string,
): string[] {
  const raw = platform.join(root, spec.name, 'raw');
  return [
    platform.join(root, file),
    platform.join(root, `${file}.gz`),
    platform.join(raw, file),
    platform.join(raw, `${file}.gz`),
  ];
}

export function missingFilesMessage(
  platform: Platform,
  spec: IdxDatasetSpec,
  roots: readonly string[],
  file: string,
): string {
  const where =
    roots.length > 0 ? roots.map((r) => `'${r}'`).join(' or ') : 'no folder (no root was given)';
  const install = platform.installHint(spec);
  return (
    `${spec.name}: ${file} (or ${file}.gz) was not found in ${where}. ` +
    `${install ? `${install}; or put` : 'Put'} the four files (${spec.files.train.images}, ${spec.files.train.labels}, ${spec.files.test.images}, ` +
    `${spec.files.test.labels}, raw or .gz) in a folder and pass it as root (directly or under <root>/${spec.name}/raw), ` +
    `pass their bytes as data, or call \`await ${spec.name}.create({ root, download: true })\` to fetch them from ${spec.mirrors.join(' or ')}`
  );
}

/** Reads one split's files synchronously; undefined for a file not found. */
export function readSplitSync(
  platform: Platform,
  roots: readonly string[],
  spec: IdxDatasetSpec,
  train: boolean,
): IdxFileBytes {
  const split = train ? spec.files.train : spec.files.test;
  const read = (file: string): Uint8Array => {
    for (const root of roots) {
      for (const path of candidatePaths(platform, root, spec, file)) {
        const bytes = platform.readFileSync(path);
        if (bytes) return decompressSync(platform, bytes, path);
      }
    }
    throw new Error(missingFilesMessage(platform, spec, roots, file));
  };
  return { images: read(split.images), labels: read(split.labels) };
}

export function decompressSync(platform: Platform, bytes: Uint8Array, name: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  if (!platform.gunzipSync) {
    throw new Error(
      `${name} is gzip-compressed, which needs asynchronous decompression here: load it with \`await <Dataset>.create(...)\``,
    );
  }
  try {
    return platform.gunzipSync(bytes);
  } catch (error) {
    throw new Error(`${name}: gzip decompression failed (corrupt or truncated file?): ${error}`);
  }
}

export async function decompress(
  platform: Platform,
  bytes: Uint8Array,
  name: string,
): Promise<Uint8Array> {
  return isGzip(bytes) ? platform.gunzip(bytes, name) : bytes;
}

/**
 * Fetches `<file>.gz` from the spec's mirrors in order, checking its MD5; the first good
 * copy wins. Throws with every mirror's failure when none gives one.
 */
export async function downloadFile(spec: IdxDatasetSpec, file: string): Promise<Uint8Array> {
  const name = `${file}.gz`;
  const expected = spec.md5[name];
  const failures: string[] = [];
  for (const mirror of spec.mirrors) {
    const url = `${mirror}${name}`;
    try {
      const bytes = await fetchBytes(url);
      const actual = md5(bytes);
      if (expected !== undefined && actual !== expected) {
        failures.push(`${url}: MD5 ${actual}, expected ${expected}`);
        continue;
      }
      return bytes;
    } catch (error) {
      failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`${spec.name}: could not download ${name}:\n  ${failures.join('\n  ')}`);
}

export interface LoadOptions {
  root?: string | undefined;
  train: boolean;
  download: boolean;
  data?: IdxFileBytes | undefined;
  urls?: { images: string | URL; labels: string | URL } | undefined;
}

/** One split's raw (decompressed) IDX bytes, from whatever the options name. */
export async function loadSplit(
  platform: Platform,
  spec: IdxDatasetSpec | undefined,
  options: LoadOptions,
): Promise<IdxFileBytes> {
  const label = spec?.name ?? 'IdxImageDataset';
  if (options.data) {
    return {
      images: await decompress(platform, options.data.images, `${label} images`),
      labels: await decompress(platform, options.data.labels, `${label} labels`),
    };
  }
  if (options.urls) {
    const { images, labels } = options.urls;
    return {
      images: await decompress(platform, await fetchBytes(images), String(images)),
      labels: await decompress(platform, await fetchBytes(labels), String(labels)),
    };
  }
  if (!spec)
    throw new Error(
      'IdxImageDataset: pass data (bytes) or urls; a root needs a named dataset class such as MNIST',
    );
  const roots = options.root !== undefined ? [options.root] : platform.defaultRoots(spec);
  const split = options.train ? spec.files.train : spec.files.test;
  const read = async (file: string): Promise<Uint8Array> => {
    for (const root of roots) {
      for (const path of candidatePaths(platform, root, spec, file)) {
        const bytes = await platform.readFile(path);
        if (bytes) return decompress(platform, bytes, path);
      }
    }
    if (!options.download) throw new Error(missingFilesMessage(platform, spec, roots, file));
    const bytes = await downloadFile(spec, file);
    const target = options.root ?? platform.defaultDownloadRoot();
    if (target !== undefined)
      await platform.writeFileAtomic(platform.join(target, spec.name, 'raw', `${file}.gz`), bytes);
    return decompress(platform, bytes, `${file}.gz`);
  };
  return { images: await read(split.images), labels: await read(split.labels) };
}
