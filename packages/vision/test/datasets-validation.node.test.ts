// The dataset classes refuse bad files when they load, naming the file: labels outside the
// class range, images not of the dataset's size, image and label counts that differ, files
// or decompressed arrays over the size limit, and gzip bombs, on every way of loading (a
// folder synchronously or with create(), bytes, URLs). The files are made by hand here.

import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FashionMNIST, IdxImageDataset, MNIST, mnistDataFolder } from '../src/index.node.ts';
import { gzipWrap, zerosDeflate } from './bombs.ts';

/** An IDX file: type code, shape, then the values (one byte each, or big-endian int32s). */
function idx(type: number, shape: number[], values: number[]): Uint8Array {
  const width = type === 0x0c ? 4 : 1;
  const bytes = Buffer.alloc(4 + 4 * shape.length + values.length * width);
  bytes[2] = type;
  bytes[3] = shape.length;
  for (const [d, size] of shape.entries()) bytes.writeUInt32BE(size, 4 + 4 * d);
  const start = 4 + 4 * shape.length;
  for (const [i, v] of values.entries()) {
    if (type === 0x0c) bytes.writeInt32BE(v, start + 4 * i);
    else if (type === 0x09) bytes.writeInt8(v, start + i);
    else bytes[start + i] = v;
  }
  return new Uint8Array(bytes);
}

const images = (n: number, height = 28, width = 28) =>
  idx(8, [n, height, width], new Array<number>(n * height * width).fill(3));
const labels = (values: number[]) => idx(8, [values.length], values);

/** A folder with the training split's two files (others as given). */
function folder(files: Record<string, Uint8Array>): string {
  const root = mkdtempSync(join(tmpdir(), 'dl-vision-validate-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(root, name), bytes);
  return root;
}

const trainImages = 'train-images-idx3-ubyte';
const trainLabels = 'train-labels-idx1-ubyte';

describe('dataset validation', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('names the labels file and the first label outside the class range', async () => {
    const values = Array.from({ length: 400 }, (_, i) =>
      i === 345 ? 12 : i === 390 ? 200 : i % 10,
    );
    const root = folder({ [trainImages]: images(400), [trainLabels]: labels(values) });
    const message = `MNIST: ${join(root, trainLabels)}: label 12 at index 345 is outside 0..9`;
    expect(() => new MNIST({ root })).toThrow(message);
    await expect(MNIST.create({ root })).rejects.toThrow(message);
    // Gzipped, and as bytes.
    const gz = folder({
      [`${trainImages}.gz`]: gzipSync(images(400)),
      [`${trainLabels}.gz`]: gzipSync(labels(values)),
    });
    expect(() => new FashionMNIST({ root: gz })).toThrow(
      `FashionMNIST: ${join(gz, `${trainLabels}.gz`)}: label 12 at index 345 is outside 0..9`,
    );
    expect(() => new MNIST({ data: { images: images(400), labels: labels(values) } })).toThrow(
      'MNIST: data.labels: label 12 at index 345 is outside 0..9',
    );
    // The generic reader has no class list: labels must be non-negative integers.
    const signed = idx(9, [3], [0, 5, -1]);
    expect(() => new IdxImageDataset({ data: { images: images(3), labels: signed } })).toThrow(
      'IdxImageDataset: data.labels: label -1 at index 2 is outside 0..2147483647',
    );
    const floats = Buffer.alloc(8 + 8);
    floats.set([0, 0, 0x0d, 1, 0, 0, 0, 2]);
    floats.writeFloatBE(1, 8);
    floats.writeFloatBE(1.5, 12);
    expect(
      () => new IdxImageDataset({ data: { images: images(2), labels: new Uint8Array(floats) } }),
    ).toThrow(
      'IdxImageDataset: data.labels: label 1.5 at index 1 is not an integer in 0..2147483647',
    );
    // In range: loads, and the labels are what the file holds.
    const good = new MNIST({ data: { images: images(3), labels: labels([9, 0, 4]) } });
    expect(Array.from(good.targets)).toEqual([9, 0, 4]);
    const generic = new IdxImageDataset({
      data: { images: images(2), labels: idx(0x0c, [2], [0, 70000]) },
    });
    expect(Array.from(generic.targets)).toEqual([0, 70000]);
  });

  it("refuses images that are not the dataset's size, naming the file and the shape", async () => {
    const root = folder({ [trainImages]: images(4, 32, 32), [trainLabels]: labels([1, 2, 3, 4]) });
    const message = `MNIST: ${join(root, trainImages)}: images of shape [4, 32, 32] are 32x32; MNIST's are 28x28 ([N, 28, 28])`;
    expect(() => new MNIST({ root })).toThrow(message);
    await expect(MNIST.create({ root })).rejects.toThrow(message);
    // The generic reader takes any size, but not an empty one.
    expect(
      new IdxImageDataset({ data: { images: images(1, 5, 7), labels: labels([0]) } }).image(0)
        .width,
    ).toBe(7);
    expect(
      () =>
        new IdxImageDataset({ data: { images: idx(8, [2, 0, 28], []), labels: labels([0, 1]) } }),
    ).toThrow('IdxImageDataset: data.images: images of shape [2, 0, 28] have no pixels');
  });

  it('names both files when the counts differ', () => {
    const root = folder({ [trainImages]: images(3), [trainLabels]: labels([1, 2]) });
    expect(() => new MNIST({ root })).toThrow(
      `MNIST: ${join(root, trainLabels)}: labels of shape [2] do not match the 3 images of ${join(root, trainImages)}; they should be [3]`,
    );
  });

  it('refuses a gzip bomb and a header over maxBytes, on every way of loading', async () => {
    const header = Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28);
    const bomb = gzipWrap(await zerosDeflate(header, 64));
    const root = folder({ [`${trainImages}.gz`]: bomb, [trainLabels]: labels([1, 2]) });
    const overflow = (name: string) =>
      `MNIST: ${name}: decompresses to more than the 1584 bytes that its IDX header declares (a uint8 array of shape [2, 28, 28]): trailing data, or a decompression bomb`;
    expect(() => new MNIST({ root })).toThrow(overflow(join(root, `${trainImages}.gz`)));
    await expect(MNIST.create({ root })).rejects.toThrow(overflow(join(root, `${trainImages}.gz`)));
    expect(() => new MNIST({ data: { images: bomb, labels: labels([1, 2]) } })).toThrow(
      overflow('data.images'),
    );
    vi.stubGlobal(
      'fetch',
      async (url: string) =>
        new Response(new Uint8Array(url.endsWith('images.gz') ? bomb : labels([1, 2]))),
    );
    await expect(
      MNIST.create({
        urls: { images: 'https://x.example/images.gz', labels: 'https://x.example/labels' },
      }),
    ).rejects.toThrow(overflow('https://x.example/images.gz'));
    // A lower limit: MNIST's own training images are 47040000 bytes.
    const mnist = mnistDataFolder()!;
    expect(() => new MNIST({ root: mnist, maxBytes: 46_000_000 })).toThrow(
      `MNIST: ${join(mnist, trainImages)}: the header declares a uint8 array of shape [60000, 28, 28] (47040000 values, 47040000 bytes), over the 46000000-byte limit; pass { maxBytes: 47040000 } to allow it`,
    );
    // Far over the limit, the file's size alone refuses it.
    expect(() => new MNIST({ root: mnist, maxBytes: 1_000_000 })).toThrow(
      `MNIST: ${join(mnist, trainImages)}: 47040016 bytes is more than an IDX file within the 1000000-byte limit can take (2049723); pass { maxBytes: 47040016 } to allow it`,
    );
    expect(() => new MNIST({ maxBytes: -1 })).toThrow(
      'MNIST: maxBytes must be a non-negative integer, got -1',
    );
  });

  it('refuses a file too large for the limit before reading it', async () => {
    const root = folder({ [trainLabels]: labels([1]) });
    const path = join(root, trainImages);
    writeFileSync(path, images(1));
    truncateSync(path, 300 * 2 ** 20); // sparse: takes no memory or disk
    const message = `MNIST: ${path}: 314572800 bytes is more than an IDX file within the 268435456-byte limit can take (269517824); pass { maxBytes: 314572800 } to allow it`;
    expect(() => new MNIST({ root })).toThrow(message);
    await expect(MNIST.create({ root })).rejects.toThrow(message);
    vi.stubGlobal('fetch', async () => new Response(new Uint8Array(2_000_000)));
    await expect(
      MNIST.create({
        urls: { images: 'https://x.example/i', labels: 'https://x.example/l' },
        maxBytes: 10,
      }),
    ).rejects.toThrow(
      'MNIST: https://x.example/i: over 1049611 bytes is more than an IDX file within the 10-byte limit can take (1049611); pass a larger { maxBytes } to allow it',
    );
  });
});
