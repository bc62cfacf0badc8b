// Finding, decompressing and downloading a dataset's IDX files: synchronously from a
// folder (Node), or asynchronously from bytes, URLs, a folder or the mirrors (with MD5
// checks and atomic writes). Nothing is read, fetched or decompressed past what the IDX
// limit (maxBytes) allows, and every error names the file.

import { isGzip } from '../idx.js';
import { md5 } from '../md5.js';
import { fetchBytes, type Platform } from './platform.js';
import type { IdxDatasetSpec } from './spec.js';

/** The two files of a split, as bytes (raw IDX, or gzip where decompression is available). */
export interface IdxFileBytes {
  images: Uint8Array;
  labels: Uint8Array;
}

/** What to call each of a split's two files in errors: a path, a URL or `data.images`. */
export interface SplitNames {
  images: string;
  labels: string;
}

/**
 * The names of the files behind bytes that create() loaded and hands to the constructor,
 * so that the constructor's checks name the files rather than `data.images`.
 */
export const splitNames = new WeakMap<IdxFileBytes, SplitNames>();

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

/** An error from reading a file, prefixed with the file's name. */
function named(name: string, error: unknown): Error {
  return new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
}

/** Reads one split's files synchronously, decompressed, with the names to use in errors. */
export function readSplitSync(
  platform: Platform,
  roots: readonly string[],
  spec: IdxDatasetSpec,
  train: boolean,
  maxBytes: number,
): { files: IdxFileBytes; names: SplitNames } {
  const split = train ? spec.files.train : spec.files.test;
  const read = (file: string): [Uint8Array, string] => {
    for (const root of roots) {
      for (const path of candidatePaths(platform, root, spec, file)) {
        const name = `${spec.name}: ${path}`;
        let bytes: Uint8Array | undefined;
        try {
          bytes = platform.readFileSync(path, maxBytes);
        } catch (error) {
          throw named(name, error);
        }
        if (bytes) return [decompressSync(platform, bytes, name, maxBytes), path];
      }
    }
    throw new Error(missingFilesMessage(platform, spec, roots, file));
  };
  const [images, imagesName] = read(split.images);
  const [labels, labelsName] = read(split.labels);
  return { files: { images, labels }, names: { images: imagesName, labels: labelsName } };
}

export function decompressSync(
  platform: Platform,
  bytes: Uint8Array,
  name: string,
  maxBytes: number,
): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  if (!platform.gunzipIdxSync) {
    throw new Error(
      `${name}: is gzip-compressed, which needs asynchronous decompression here: load it with \`await <Dataset>.create(...)\``,
    );
  }
  return platform.gunzipIdxSync(bytes, name, { maxBytes });
}

export async function decompress(
  platform: Platform,
  bytes: Uint8Array,
  name: string,
  maxBytes: number,
): Promise<Uint8Array> {
  return isGzip(bytes) ? platform.gunzipIdx(bytes, name, { maxBytes }) : bytes;
}

/**
 * Fetches `<file>.gz` from the spec's mirrors in order, checking its MD5; the first good
 * copy wins. Throws with every mirror's failure when none gives one.
 */
export async function downloadFile(
  spec: IdxDatasetSpec,
  file: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const name = `${file}.gz`;
  const expected = spec.md5[name];
  const failures: string[] = [];
  for (const mirror of spec.mirrors) {
    const url = `${mirror}${name}`;
    try {
      const bytes = await fetchBytes(url, maxBytes);
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
  maxBytes: number;
}

/**
 * One split's raw (decompressed) IDX bytes, from whatever the options name; their file
 * names are registered in splitNames.
 */
export async function loadSplit(
  platform: Platform,
  spec: IdxDatasetSpec | undefined,
  options: LoadOptions,
): Promise<IdxFileBytes> {
  const label = spec?.name ?? 'IdxImageDataset';
  const { maxBytes } = options;
  const decompressed = async (
    images: [Uint8Array, string],
    labels: [Uint8Array, string],
  ): Promise<IdxFileBytes> => {
    const files = {
      images: await decompress(platform, images[0], `${label}: ${images[1]}`, maxBytes),
      labels: await decompress(platform, labels[0], `${label}: ${labels[1]}`, maxBytes),
    };
    splitNames.set(files, { images: images[1], labels: labels[1] });
    return files;
  };
  if (options.data) {
    const { images, labels } = options.data;
    return decompressed([images, 'data.images'], [labels, 'data.labels']);
  }
  if (options.urls) {
    const fetchNamed = async (url: string | URL): Promise<[Uint8Array, string]> => {
      try {
        return [await fetchBytes(url, maxBytes), String(url)];
      } catch (error) {
        throw named(`${label}: ${url}`, error);
      }
    };
    return decompressed(
      await fetchNamed(options.urls.images),
      await fetchNamed(options.urls.labels),
    );
  }
  if (!spec)
    throw new Error(
      'IdxImageDataset: pass data (bytes) or urls; a root needs a named dataset class such as MNIST',
    );
  const roots = options.root !== undefined ? [options.root] : platform.defaultRoots(spec);
  const split = options.train ? spec.files.train : spec.files.test;
  const read = async (file: string): Promise<[Uint8Array, string]> => {
    for (const root of roots) {
      for (const path of candidatePaths(platform, root, spec, file)) {
        let bytes: Uint8Array | undefined;
        try {
          bytes = await platform.readFile(path, maxBytes);
        } catch (error) {
          throw named(`${spec.name}: ${path}`, error);
        }
        if (bytes) return [bytes, path];
      }
    }
    if (!options.download) throw new Error(missingFilesMessage(platform, spec, roots, file));
    const bytes = await downloadFile(spec, file, maxBytes);
    const target = options.root ?? platform.defaultDownloadRoot();
    let path = `${file}.gz`;
    if (target !== undefined) {
      path = platform.join(target, spec.name, 'raw', `${file}.gz`);
      await platform.writeFileAtomic(path, bytes);
    }
    return [bytes, path];
  };
  return decompressed(await read(split.images), await read(split.labels));
}
