// PNG decoding of files built byte by byte in Python (scripts/reference/png.py), PNG
// encoding checked by inflating the written IDAT with node:zlib, saveImage/readImage, and
// makeGrid's layout worked out by hand.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { type Backend, tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import {
  decodePng,
  encodePng,
  makeGrid,
  type RawImage,
  readImage,
  saveImage,
  tensorToImage,
} from '../src/index.node.ts';
import { testDevices } from './device.ts';
import { reference } from './png.reference.ts';

const devices = await testDevices();

/** Width, height, colour type and the unfiltered rows of a PNG that uses filter 0 on each row. */
function inspectPng(bytes: Uint8Array): {
  width: number;
  height: number;
  colorType: number;
  rows: number[][];
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Uint8Array[] = [];
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const kind = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (kind === 'IHDR') {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      colorType = body[9]!;
    }
    if (kind === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = raw.length / height;
  const rows = Array.from({ length: height }, (_, y) => {
    expect(raw[y * stride]).toBe(0);
    return Array.from(raw.subarray(y * stride + 1, (y + 1) * stride));
  });
  return { width, height, colorType, rows };
}

describe('PNG', () => {
  it.each(Object.entries(reference))('decodes the %s file', (_name, file) => {
    const image = decodePng(new Uint8Array(Buffer.from(file.png, 'base64')));
    expect([image.width, image.height, image.channels]).toEqual([
      file.width,
      file.height,
      file.channels,
    ]);
    expect(Array.from(image.data)).toEqual(file.data);
  });

  it('encodes grey and RGBA images', () => {
    const grey: RawImage = {
      data: Uint8Array.from([0, 128, 255, 7, 8, 9]),
      width: 3,
      height: 2,
      channels: 1,
    };
    expect(inspectPng(encodePng(grey))).toEqual({
      width: 3,
      height: 2,
      colorType: 0,
      rows: [
        [0, 128, 255],
        [7, 8, 9],
      ],
    });
    const rgba: RawImage = {
      data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
      width: 2,
      height: 1,
      channels: 4,
    };
    expect(inspectPng(encodePng(rgba))).toEqual({
      width: 2,
      height: 1,
      colorType: 6,
      rows: [[1, 2, 3, 4, 5, 6, 7, 8]],
    });
    expect(() => encodePng({ data: new Uint8Array(5), width: 2, height: 2, channels: 1 })).toThrow(
      'encodePng: 5 bytes do not make a 2x2 image of 1 channels',
    );
    expect(() => decodePng(Uint8Array.from([1, 2, 3]))).toThrow(
      'decodePng: not a PNG file (3 bytes that do not start with the PNG signature)',
    );
  });

  it('saveImage writes tensors like torchvision (x * 255 + 0.5, clamped) and readImage reads them', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'dl-vision-'));
    const path = join(folder, 'one.png');
    // 0.5 * 255 + 0.5 = 128, 1/255 * 255 + 0.5 = 1.5 -> 1, -1 -> 0, 2 -> 255.
    await saveImage(
      tensor([
        [
          [0.5, 1 / 255],
          [-1, 2],
        ],
      ]),
      path,
    );
    expect(inspectPng(new Uint8Array(readFileSync(path))).rows).toEqual([
      [128, 1],
      [0, 255],
    ]);
    const back = await readImage(path);
    expect(Array.from(back.data)).toEqual([128, 1, 0, 255]);
    // A batch is saved as a grid: 2 images of 1x1 with padding 1 -> 3 channels, 3x5.
    await saveImage(tensor([[[[1]]], [[[0.5]]]]), join(folder, 'grid.png'), { padding: 1 });
    const grid = inspectPng(new Uint8Array(readFileSync(join(folder, 'grid.png'))));
    expect([grid.width, grid.height, grid.colorType]).toEqual([5, 3, 2]);
    expect(grid.rows[1]).toEqual([0, 0, 0, 255, 255, 255, 0, 0, 0, 128, 128, 128, 0, 0, 0]);
  });
});

describe.each(devices)('makeGrid on %s', (_name, device: Backend | 'cpu') => {
  it('lays images out in rows with padding, one channel becoming three', async () => {
    // Three 1x1x2 images, nrow 2, padding 1: cells are 2x3, a 2x2 grid, plus the border:
    // [3, 2 * 2 + 1, 2 * 3 + 1] = [3, 5, 7].
    const images = tensor([[[[1, 2]]], [[[3, 4]]], [[[5, 6]]]], { dtype: 'float32', device });
    const grid = makeGrid(images, { nrow: 2, padding: 1, padValue: 9 });
    expect(grid.shape).toEqual([3, 5, 7]);
    const channel = ((await grid.toArray()) as number[][][])[2];
    expect(channel).toEqual([
      [9, 9, 9, 9, 9, 9, 9],
      [9, 1, 2, 9, 3, 4, 9],
      [9, 9, 9, 9, 9, 9, 9],
      [9, 5, 6, 9, 9, 9, 9],
      [9, 9, 9, 9, 9, 9, 9],
    ]);
    // normalize maps the batch's min..max to 0..1.
    const scaled = makeGrid(tensor([[[[2, 4]]], [[[6, 10]]]], { dtype: 'float32', device }), {
      padding: 0,
      normalize: true,
    });
    expect(((await scaled.toArray()) as number[][][])[0]).toEqual([[0, 0.25, 0.5, 1]]);
  });

  it('tensorToImage reads any device', async () => {
    const image = await tensorToImage(tensor([[[0, 1]], [[0.2, 0.4]], [[1, 0]]], { device }));
    // Channels interleave: pixel 0 = (0, 0.2, 1), pixel 1 = (1, 0.4, 0); 0.2 * 255 + 0.5 = 51.5 -> 51.
    expect(Array.from(image.data)).toEqual([0, 51, 255, 255, 102, 0]);
  });
});
