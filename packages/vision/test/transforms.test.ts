// Transforms against hand-computed results, and rotate/affine/resize against PyTorch
// (scripts/reference/transforms.py), on tensors of every device and on RawImages.

import { type Backend, Generator, manualSeed, type Tensor, tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { type RawImage, transforms } from '../src/index.ts';
import { testDevices } from './device.ts';
import { reference } from './transforms.reference.ts';

const F = transforms.functional;
const devices = await testDevices();

const grey = (rows: number[][]): RawImage => ({
  data: Uint8Array.from(rows.flat()),
  height: rows.length,
  width: rows[0]!.length,
  channels: 1,
});
const rowsOf = (image: RawImage): number[][] =>
  Array.from({ length: image.height }, (_, i) =>
    Array.from(image.data.subarray(i * image.width, (i + 1) * image.width)),
  );

describe('toTensor and normalize', () => {
  it('toTensor turns uint8 HWC into float [0, 1] CHW', () => {
    const rgb: RawImage = {
      data: Uint8Array.from([0, 51, 255, 102, 153, 204]),
      height: 1,
      width: 2,
      channels: 3,
    };
    const t = transforms.toTensor()(rgb);
    expect(t.shape).toEqual([3, 1, 2]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.dataSync())).toEqual(
      [0, 102 / 255, 51 / 255, 153 / 255, 1, 204 / 255].map(Math.fround),
    );
    expect(() => transforms.toTensor()(5 as unknown as RawImage)).toThrow(
      'toTensor: expected a RawImage',
    );
  });

  it.each(devices)(
    'normalize subtracts and divides per channel on %s',
    async (_name, device: Backend | 'cpu') => {
      const x = tensor([[[0, 0.5]], [[1, 0.25]]], { device });
      expect(() => transforms.normalize([0], [1])(tensor([[[1]]], { dtype: 'int32' }))).toThrow(
        'normalize: expected a float tensor, got int32',
      );
      const y = transforms.normalize([0.5, 0.25], [0.5, 0.125])(x);
      // channel 0: (0 - .5)/.5 = -1, (.5 - .5)/.5 = 0; channel 1: (1 - .25)/.125 = 6, 0
      expect(y.shape).toEqual([2, 1, 2]);
      expect(Array.from(await y.data())).toEqual([-1, 0, 6, 0]);
      // One mean/std for all channels, and a batch [N, C, H, W].
      const batch = transforms.normalize(
        [0.1307],
        [0.3081],
      )(tensor([[[[1]]], [[[0]]]], { dtype: 'float32', device }));
      const m = Math.fround(0.1307);
      const s = Math.fround(0.3081);
      expect(Array.from(await batch.data())).toEqual([
        Math.fround(Math.fround(1 - m) / s),
        Math.fround(Math.fround(0 - m) / s),
      ]);
    },
  );

  it('compose fuses toTensor and normalize into one pass with the same values', () => {
    const rgb: RawImage = {
      data: Uint8Array.from([0, 51, 255, 102, 153, 204]),
      height: 1,
      width: 2,
      channels: 3,
    };
    const mean = [0.5, 0.25, 0.125];
    const std = [0.5, 0.75, 2];
    const fused = transforms.compose([transforms.toTensor(), transforms.normalize(mean, std)])(rgb);
    expect(fused.shape).toEqual([3, 1, 2]);
    // CHW order: channel 0 holds pixels 0 and 102, channel 1 51 and 153, channel 2 255 and 204;
    // each value is fround(fround(p / 255) - mean) / std in float32.
    const expected = [0, 102, 51, 153, 255, 204].map((p, k) => {
      const c = Math.floor(k / 2);
      return Math.fround(
        Math.fround(Math.fround(p / 255) - Math.fround(mean[c]!)) / Math.fround(std[c]!),
      );
    });
    expect(Array.from(fused.dataSync())).toEqual(expected);
    // Pixel 255 in channel 2: (1 - 0.125) / 2 = 0.4375 exactly.
    expect(fused.dataSync()[4]).toBe(0.4375);
    // A tensor input skips the fused path and goes through both transforms: (3 - 1) / 2.
    const passed = transforms.compose<Tensor, Tensor>([
      transforms.toTensor(),
      transforms.normalize([1], [2]),
    ])(tensor([[[3]]], { dtype: 'float32' }));
    expect(Array.from(passed.dataSync())).toEqual([1]);
  });

  it('normalize validates its arguments', () => {
    expect(() => transforms.normalize([0.5], [0])).toThrow(
      'normalize: std[0] is 0, which would divide by zero',
    );
    expect(() => transforms.normalize([0.5, 0.5], [1])).toThrow(
      'mean and std need the same, nonzero length, got 2 and 1',
    );
    expect(() =>
      transforms.normalize([0.5, 0.5], [1, 1])(tensor([[[1]], [[2]], [[3]]], { dtype: 'float32' })),
    ).toThrow('normalize: 2 means and stds for a tensor of 3 channels');
  });
});

describe.each(devices)('geometric transforms on %s tensors', (_name, device: Backend | 'cpu') => {
  const x = tensor(
    [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ],
    { device },
  ); // [1, 2, 3]
  const read = async (t: Tensor) => (await t.toArray()) as number[][][];

  it('hflip, crop, centerCrop and pad', async () => {
    expect(await read(F.hflip(x))).toEqual([
      [
        [3, 2, 1],
        [6, 5, 4],
      ],
    ]);
    expect(await read(F.vflip(x))).toEqual([
      [
        [4, 5, 6],
        [1, 2, 3],
      ],
    ]);
    expect(await read(F.crop(x, 0, 1, 2, 2))).toEqual([
      [
        [2, 3],
        [5, 6],
      ],
    ]);
    // Outside the image is zero.
    expect(await read(F.crop(x, -1, 2, 2, 2))).toEqual([
      [
        [0, 0],
        [3, 0],
      ],
    ]);
    // (2 - 1)/2 = 0.5 rounds to 0 (half to even), (3 - 1)/2 = 1.
    expect(await read(F.centerCrop(x, 1))).toEqual([[[2]]]);
    expect(await read(F.pad(x, [1, 0], { fill: 9 }))).toEqual([
      [
        [9, 1, 2, 3, 9],
        [9, 4, 5, 6, 9],
      ],
    ]);
    expect(await read(F.pad(x, [1, 1, 0, 0], { paddingMode: 'edge' }))).toEqual([
      [
        [1, 1, 2, 3],
        [1, 1, 2, 3],
        [4, 4, 5, 6],
      ],
    ]);
    expect(await read(F.pad(x, [2, 0, 0, 1], { paddingMode: 'reflect' }))).toEqual([
      [
        [3, 2, 1, 2, 3],
        [6, 5, 4, 5, 6],
        [3, 2, 1, 2, 3],
      ],
    ]);
  });

  it('rotate by 90 degrees moves pixels exactly', async () => {
    const square = tensor(
      [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
      { device },
    );
    // Counter-clockwise: the top row becomes the left column, read bottom to top.
    expect(await read(F.rotate(square, 90))).toEqual([
      [
        [3, 6, 9],
        [2, 5, 8],
        [1, 4, 7],
      ],
    ]);
    // affine's angle is clockwise.
    expect(await read(F.affine(square, { angle: 90 }))).toEqual([
      [
        [7, 4, 1],
        [8, 5, 2],
        [9, 6, 3],
      ],
    ]);
    // Translation by (1, 0) shifts right, filling the left column.
    expect(await read(F.affine(square, { translate: [1, 0], fill: -1 }))).toEqual([
      [
        [-1, 1, 2],
        [-1, 4, 5],
        [-1, 7, 8],
      ],
    ]);
  });

  it('rotate, affine and resize match PyTorch', async () => {
    const image = tensor(reference.image as unknown as number[], { device }).reshape(2, 5, 6);
    const close = async (t: Tensor, expected: readonly number[]) => {
      const values = Array.from(await t.data());
      expect(values.length).toBe(expected.length);
      for (const [i, v] of values.entries()) expect(v).toBeCloseTo(expected[i]!, 5);
    };
    await close(F.rotate(image, 30), reference.rotate30Nearest);
    await close(
      F.rotate(image, 30, { interpolation: 'bilinear', fill: 0.25 }),
      reference.rotate30Bilinear,
    );
    await close(
      F.affine(image, { angle: 20, translate: [1, -1], scale: 1.1, shear: [10, 5] }),
      reference.affineNearest,
    );
    await close(
      F.affine(image, {
        angle: -15,
        translate: [0, 1],
        scale: 0.9,
        shear: [0, 8],
        interpolation: 'bilinear',
        fill: 0.5,
      }),
      reference.affineBilinear,
    );
    await close(F.resize(image, [3, 4]), reference.resizeBilinear);
    await close(F.resize(image, [7, 9]), reference.resizeUpBilinear);
    await close(F.resize(image, [8, 4], { interpolation: 'nearest' }), reference.resizeNearest);
    // One number sets the shorter side: 5x6 -> 10x12.
    expect(F.resize(image, 10).shape).toEqual([2, 10, 12]);
  });

  it('works on batches [N, C, H, W]', async () => {
    const batch = tensor([[[[1, 2]]], [[[3, 4]]]], { device });
    expect(await batch.flip(-1).toArray()).toEqual(await F.hflip(batch).toArray());
    expect(F.pad(batch, 1).shape).toEqual([2, 1, 3, 4]);
  });
});

describe('transforms on RawImages', () => {
  it('keep the RawImage form, channels interleaved', () => {
    const image = grey([
      [10, 20, 30],
      [40, 50, 60],
    ]);
    expect(rowsOf(F.hflip(image))).toEqual([
      [30, 20, 10],
      [60, 50, 40],
    ]);
    expect(rowsOf(F.pad(image, 1, { fill: 7 }))).toEqual([
      [7, 7, 7, 7, 7],
      [7, 10, 20, 30, 7],
      [7, 40, 50, 60, 7],
      [7, 7, 7, 7, 7],
    ]);
    const rgb: RawImage = {
      data: Uint8Array.from([1, 2, 3, 4, 5, 6]),
      height: 1,
      width: 2,
      channels: 3,
    };
    expect(Array.from(F.hflip(rgb).data)).toEqual([4, 5, 6, 1, 2, 3]);
    // Bilinear halfway values round: resizing [0, 255] to 4 wide gives 0, 64 (63.75), 191 (191.25), 255.
    expect(rowsOf(F.resize(grey([[0, 255]]), [1, 4]))).toEqual([[0, 64, 191, 255]]);
  });
});

describe('random transforms', () => {
  it('randomCrop with padding picks the place the generator draws', () => {
    const image = grey([
      [1, 2],
      [3, 4],
    ]);
    const crop = transforms.randomCrop(2, { padding: 1, generator: new Generator(42) });
    // Padded to 4x4; top and left are drawn from [0, 2] in that order.
    const draws = new Generator(42);
    const top = draws.nextInt(0, 3);
    const left = draws.nextInt(0, 3);
    const padded = [
      [0, 0, 0, 0],
      [0, 1, 2, 0],
      [0, 3, 4, 0],
      [0, 0, 0, 0],
    ];
    const expected = padded.slice(top, top + 2).map((row) => row.slice(left, left + 2));
    expect(rowsOf(crop(image))).toEqual(expected);
  });

  it('repeat under manualSeed', async () => {
    const augment = transforms.compose<Tensor>([
      transforms.randomCrop(3, { padding: 1 }),
      transforms.randomHorizontalFlip(),
      transforms.randomRotation(15),
      transforms.randomAffine(10, { translate: [0.1, 0.1], scale: [0.9, 1.1], shear: 5 }),
      transforms.toTensor(),
    ]);
    const image = grey([
      [0, 50, 100],
      [150, 200, 250],
      [25, 75, 125],
    ]);
    manualSeed(3);
    const a = [augment(image), augment(image), augment(image)].map((t) => Array.from(t.dataSync()));
    manualSeed(3);
    const b = [augment(image), augment(image), augment(image)].map((t) => Array.from(t.dataSync()));
    expect(b).toEqual(a);
    expect(new Set(a.map(String)).size).toBeGreaterThan(1);
  });

  it('flip with p = 0 and p = 1, lambda and compose', () => {
    const image = grey([[1, 2]]);
    expect(rowsOf(transforms.randomHorizontalFlip(1)(image))).toEqual([[2, 1]]);
    expect(rowsOf(transforms.randomHorizontalFlip(0)(image))).toEqual([[1, 2]]);
    const pipeline = transforms.compose<number>([
      transforms.toTensor(),
      transforms.lambda((t: Tensor) => t.sum().itemSync()),
    ]);
    expect(pipeline(grey([[255, 51]]))).toBeCloseTo(1.2, 6);
    expect(() => transforms.randomHorizontalFlip(2)).toThrow(
      'randomHorizontalFlip: p should be in [0, 1], got 2',
    );
    expect(() => transforms.randomCrop(5)(image)).toThrow(
      'required crop size [5, 5] is larger than the input image size [1, 2]',
    );
    expect(() => transforms.randomAffine(10, { scale: [2, 1] })).toThrow(
      'scale should be [min, max] with 0 < min <= max, got [2, 1]',
    );
  });
});
