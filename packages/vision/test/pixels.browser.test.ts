// fromPixels and toPixels in headless Chromium: pixels set by hand on ImageData, a canvas,
// an OffscreenCanvas, an ImageBitmap, an <img> and a VideoFrame come back as [C, H, W] in
// [0, 1]; grey is PIL's luma computed by hand; toPixels draws a tensor onto a canvas.

import { tensor, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { fromPixels, toPixels } from '../src/index.ts';
import { testDevices } from './device.ts';

const devices = await testDevices();

// A 2x3 RGBA image: red, green, blue / white, grey (alpha 128), black.
const rgba = [
  [255, 0, 0, 255],
  [0, 255, 0, 255],
  [0, 0, 255, 255],
  [255, 255, 255, 255],
  [100, 150, 200, 128],
  [0, 0, 0, 255],
];
const width = 3;
const height = 2;

function imageData(): ImageData {
  return new ImageData(new Uint8ClampedArray(rgba.flat()), width, height);
}

function canvasWith(): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D context');
  // Opaque pixels only: a canvas stores premultiplied alpha, so translucent ones round.
  const opaque = rgba.map((p) => [p[0]!, p[1]!, p[2]!, 255]);
  ctx.putImageData(new ImageData(new Uint8ClampedArray(opaque.flat()), width, height), 0, 0);
  return canvas;
}

/** The expected [C, H, W] values of channel c from the table, over 255. */
function plane(c: number, alphaOpaque = false): number[] {
  return rgba.map((p) => (c === 3 && alphaOpaque ? 1 : p[c]! / 255));
}

function close(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 6);
}

describe('fromPixels', () => {
  it('reads ImageData as RGB [3, H, W] in [0, 1] by default', () => {
    const x = fromPixels(imageData());
    expect(x.shape).toEqual([3, height, width]);
    expect(x.dtype).toBe('float32');
    close(x.dataSync() as Float32Array, [...plane(0), ...plane(1), ...plane(2)]);
  });

  it('keeps alpha with channels: 4', () => {
    const x = fromPixels(imageData(), { channels: 4 });
    expect(x.shape).toEqual([4, height, width]);
    close(
      x.dataSync() as Float32Array,
      [0, 1, 2, 3].flatMap((c) => plane(c)),
    );
  });

  it('gives luma as PIL convert("L") with channels: 1', () => {
    const x = fromPixels(imageData(), { channels: 1 });
    expect(x.shape).toEqual([1, height, width]);
    // PIL: L = R*299/1000 + G*587/1000 + B*114/1000, rounded: 76, 150, 29, 255, 141, 0.
    close(
      x.dataSync() as Float32Array,
      [76, 150, 29, 255, 141, 0].map((v) => v / 255),
    );
  });

  it('normalizes per channel', () => {
    const x = fromPixels(imageData(), { normalize: { mean: [0.5, 0, 1], std: [0.5, 2, 1] } });
    const expected = [
      ...plane(0).map((v) => (v - 0.5) / 0.5),
      ...plane(1).map((v) => v / 2),
      ...plane(2).map((v) => v - 1),
    ];
    close(x.dataSync() as Float32Array, expected);
  });

  it('reads any { data, width, height } of RGBA bytes', () => {
    const x = fromPixels({ data: new Uint8Array([10, 20, 30, 40]), width: 1, height: 1 });
    close(x.dataSync() as Float32Array, [10 / 255, 20 / 255, 30 / 255]);
  });

  it('reads a canvas, an OffscreenCanvas, an ImageBitmap and a VideoFrame', async () => {
    const canvas = canvasWith();
    const expected = [...plane(0), ...plane(1), ...plane(2)];
    close(fromPixels(canvas).dataSync() as Float32Array, expected);
    const offscreen = new OffscreenCanvas(width, height);
    offscreen.getContext('2d')?.drawImage(canvas, 0, 0);
    close(fromPixels(offscreen).dataSync() as Float32Array, expected);
    const bitmap = await createImageBitmap(canvas);
    close(fromPixels(bitmap).dataSync() as Float32Array, expected);
    bitmap.close();
    const frame = new VideoFrame(canvas, { timestamp: 0 });
    try {
      const x = fromPixels(frame);
      expect(x.shape).toEqual([3, height, width]);
      // A VideoFrame may go through YUV; allow a few levels of rounding.
      const values = x.dataSync() as Float32Array;
      for (let i = 0; i < expected.length; i++)
        expect(Math.abs(values[i]! - expected[i]!)).toBeLessThan(8 / 255);
    } finally {
      frame.close();
    }
  });

  it.each(devices)('makes the tensor on %s, and toPixels reads it back', async (_name, device) => {
    const x = fromPixels(imageData(), { channels: 4, device });
    expect(x.device).toBe(device === 'cpu' ? x.device : device);
    close(
      (await x.data()) as Float32Array,
      [0, 1, 2, 3].flatMap((c) => plane(c)),
    );
    const back = await toPixels(x);
    expect([...back.data]).toEqual(rgba.flat());
  });

  it('reads a <video> playing a canvas stream', async () => {
    const canvas = canvasWith();
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = canvas.captureStream();
    const ready = new Promise((resolve) =>
      video.addEventListener('loadeddata', resolve, { once: true }),
    );
    await video.play();
    await ready;
    const x = fromPixels(video);
    expect(x.shape).toEqual([3, height, width]);
    const values = x.dataSync() as Float32Array;
    // Video frames go through YUV: a small image's colours bleed, so check the channel each
    // pixel is strongest in where one is (red, green, blue), and the white and black ones.
    const plane0 = height * width;
    for (const [i, c] of [
      [0, 0],
      [1, 1],
      [2, 2],
    ] as const) {
      const own = values[c * plane0 + i]!;
      for (let other = 0; other < 3; other++)
        if (other !== c) expect(own, `pixel ${i}`).toBeGreaterThan(values[other * plane0 + i]!);
    }
    expect(values[3]!).toBeGreaterThan(0.6); // white
    expect(values[5]!).toBeLessThan(0.4); // black
    video.pause();
  });

  it('reads an <img> at its natural size', async () => {
    const url = canvasWith().toDataURL('image/png');
    const img = new Image();
    img.src = url;
    await img.decode();
    img.width = 30; // the layout size must not matter
    const x = fromPixels(img, { channels: 4 });
    expect(x.shape).toEqual([4, height, width]);
    close(
      x.dataSync() as Float32Array,
      [0, 1, 2, 3].flatMap((c) => plane(c, true)),
    );
  });

  it('refuses wrong channels, sizes and sources, naming them', () => {
    expect(() => fromPixels(imageData(), { channels: 2 as 3 })).toThrow(
      'channels must be 1, 3 or 4, got 2',
    );
    expect(() => fromPixels({ data: new Uint8Array(5), width: 1, height: 1 })).toThrow(
      '5 bytes are not a 1x1 RGBA image (4 bytes)',
    );
    expect(() => fromPixels(imageData(), { normalize: { mean: [0, 0], std: 1 } })).toThrow(
      'normalize.mean has 2 value(s) for 3 channel(s)',
    );
    expect(() => fromPixels(new Image())).toThrow('has no pixels yet (0x0)');
    expect(() => fromPixels(42 as unknown as ImageData)).toThrow('got number');
  });
});

describe('toPixels', () => {
  it('draws an RGB tensor on a canvas, reading back the same pixels', async () => {
    const x = fromPixels(canvasWith());
    const canvas = document.createElement('canvas');
    const pixels = await toPixels(x, canvas);
    expect(pixels).toBeInstanceOf(ImageData);
    expect([canvas.width, canvas.height]).toEqual([width, height]);
    const opaque = rgba.flatMap((p) => [p[0]!, p[1]!, p[2]!, 255]);
    expect([...pixels.data]).toEqual(opaque);
    const drawn = canvas.getContext('2d')?.getImageData(0, 0, width, height);
    expect([...(drawn?.data ?? [])]).toEqual(opaque);
  });

  it('spreads grey over RGB, keeps alpha, rounds and clamps', async () => {
    const grey = await toPixels(tensor([[0, 0.5, 2, -1]]));
    expect([...grey.data]).toEqual([
      0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 0, 0, 0, 255,
    ]);
    const rgbaTensor = tensor([[[0.2]], [[0.4]], [[0.6]], [[0.5]]]);
    const pixel = await toPixels(rgbaTensor);
    expect([...pixel.data]).toEqual([51, 102, 153, 128]);
    const ints = await toPixels(tensor([[[7]], [[300]], [[-3]]], { dtype: 'int32' }));
    expect([...ints.data]).toEqual([7, 255, 0, 255]);
  });

  it('refuses wrong shapes, naming them', async () => {
    await expect(toPixels(zeros(2, 4, 4))).rejects.toThrow('got 2 (shape [2, 4, 4])');
    await expect(toPixels(zeros(8, 8, 3))).rejects.toThrow('.permute(2, 0, 1)');
    await expect(toPixels(zeros(1, 3, 4, 4))).rejects.toThrow('got shape [1, 3, 4, 4]');
  });
});
