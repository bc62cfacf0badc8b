// imageGrid: one <image> per picture holding its pixels (decoded here with atob and fast-png),
// laid out in rows with captions, from a batch [N, C, H, W] of values in [0, 1], a CPU
// tensor's dataSync, or 8-bit images.

import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { imageGrid } from '../src/index.ts';
import { byRole, type Element, num, parseSvg } from './svg.ts';

/** The RGB bytes of an <image>'s data URL. */
function imagePixels(element: Element): number[] {
  const href = element.attributes['href'] ?? '';
  expect(href.startsWith('data:image/png;base64,')).toBe(true);
  const binary = atob(href.slice('data:image/png;base64,'.length));
  const png = decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  expect(png.channels).toBe(3);
  return [...png.data];
}

describe('imageGrid', () => {
  // Two grey 2x2 images: 0, 1, 0.5, 0.25 and their reverse.
  const data = [0, 1, 0.5, 0.25, 0.25, 0.5, 1, 0];
  const batch = { shape: [2, 1, 2, 2], data };

  it('draws each image of a batch [N, C, H, W], grey as equal RGB, values times 255', () => {
    const svg = parseSvg(imageGrid(batch).toSVG());
    const images = byRole(svg, 'image');
    expect(images).toHaveLength(2);
    expect(imagePixels(images[0]!)).toEqual([0, 0, 0, 255, 255, 255, 128, 128, 128, 64, 64, 64]);
    expect(imagePixels(images[1]!)).toEqual([64, 64, 64, 128, 128, 128, 255, 255, 255, 0, 0, 0]);
    expect(images[0]!.attributes['style']).toBe('image-rendering:pixelated');
    // 2 pixels doubled until 56 or more: 64 pixels on the chart, side by side in one row.
    expect(images.map((i) => [num(i, 'width'), num(i, 'height'), num(i, 'y')])).toEqual([
      [64, 64, num(images[0]!, 'y')],
      [64, 64, num(images[0]!, 'y')],
    ]);
    expect(num(images[1]!, 'x') - num(images[0]!, 'x')).toBe(64 + 8);
  });

  it('lays out rows of `columns`, a caption above each image, and a title', () => {
    const svg = parseSvg(
      imageGrid(
        { shape: [5, 2, 2], data: new Array(20).fill(0.5) },
        {
          columns: 2,
          captions: ['a', 'b', 'c'],
          captionColors: [undefined, '#d62728'],
          title: 'Digits',
          imageSize: 40,
        },
      ).toSVG(),
    );
    const images = byRole(svg, 'image');
    expect(images).toHaveLength(5);
    const at = images.map((i) => [num(i, 'x'), num(i, 'y')]);
    const [x0, y0] = at[0]!;
    const rowStep = at[2]![1]! - y0!;
    expect(at).toEqual([
      [x0, y0],
      [x0! + 48, y0],
      [x0, y0! + rowStep],
      [x0! + 48, y0! + rowStep],
      [x0, y0! + 2 * rowStep],
    ]);
    expect(rowStep).toBeGreaterThan(40);
    const captions = byRole(svg, 'caption');
    expect(captions.map((c) => [c.text, c.attributes['fill']])).toEqual([
      ['a', '#222222'],
      ['b', '#d62728'],
      ['c', '#222222'],
    ]);
    // Each caption is centred over its image, above it.
    captions.forEach((c, k) => {
      expect(num(c, 'x')).toBe(num(images[k]!, 'x') + 20);
      expect(num(c, 'y')).toBeLessThan(num(images[k]!, 'y'));
    });
    expect(byRole(svg, 'title').map((t) => t.text)).toEqual(['Digits']);
  });

  it('takes 8-bit images (RawImage) and RGB batches', () => {
    const raw = { data: Uint8Array.from([255, 0, 0, 0, 255, 0]), height: 1, width: 2, channels: 3 };
    const [image] = byRole(parseSvg(imageGrid([raw]).toSVG()), 'image');
    expect(imagePixels(image!)).toEqual([255, 0, 0, 0, 255, 0]);
    // A 2x1 image keeps its shape: 64 wide, 32 high, centred in its 64-pixel square.
    expect([num(image!, 'width'), num(image!, 'height')]).toEqual([64, 32]);
    // [1, 3, 1, 2]: channel planes, red then green then blue.
    const rgb = { shape: [1, 3, 1, 2], data: [1, 0, 0, 1, 0, 0] };
    expect(imagePixels(byRole(parseSvg(imageGrid(rgb).toSVG()), 'image')[0]!)).toEqual([
      255, 0, 0, 0, 255, 0,
    ]);
  });

  it('reads a CPU tensor with dataSync, and says what to do when it cannot', () => {
    const cpu = { shape: [1, 1, 1, 2], dataSync: () => new Float32Array([1, 0]) };
    expect(imagePixels(byRole(parseSvg(imageGrid(cpu).toSVG()), 'image')[0]!)).toEqual([
      255, 255, 255, 0, 0, 0,
    ]);
    const gpu = {
      shape: [1, 1, 1, 2],
      dataSync: (): Float32Array => {
        throw new Error(
          'dataSync: tensors on webgpu can only be read asynchronously; use await t.data()',
        );
      },
    };
    expect(() => imageGrid(gpu)).toThrow('pass { shape: images.shape, data: await images.data() }');
  });

  it('clamps values to [0, 1], or stretches the batch to it with normalize', () => {
    const wide = { shape: [1, 1, 1, 3], data: [-1, 0.5, 2] };
    expect(imagePixels(byRole(parseSvg(imageGrid(wide).toSVG()), 'image')[0]!)).toEqual([
      0, 0, 0, 128, 128, 128, 255, 255, 255,
    ]);
    // -1 to 2 becomes 0 to 1: 0 is a third of the way (85), where clamping leaves it black.
    const thirds = { shape: [1, 1, 1, 3], data: [-1, 0, 2] };
    expect(imagePixels(byRole(parseSvg(imageGrid(thirds).toSVG()), 'image')[0]!)).toEqual([
      0, 0, 0, 0, 0, 0, 255, 255, 255,
    ]);
    const stretched = imageGrid(thirds, { normalize: true });
    expect(imagePixels(byRole(parseSvg(stretched.toSVG()), 'image')[0]!)).toEqual([
      0, 0, 0, 85, 85, 85, 255, 255, 255,
    ]);
    const normalizedMnist = { shape: [1, 1, 1, 2], data: [-0.4242, 2.8215] };
    expect(
      imagePixels(
        byRole(parseSvg(imageGrid(normalizedMnist, { normalize: true }).toSVG()), 'image')[0]!,
      ),
    ).toEqual([0, 0, 0, 255, 255, 255]);
  });

  it('refuses shapes and sizes that do not agree', () => {
    expect(() => imageGrid({ shape: [1, 2, 2, 2], data: new Array(8).fill(0) })).toThrow(
      'with C 1 or 3, got [1, 2, 2, 2]',
    );
    expect(() => imageGrid({ shape: [1, 1, 2, 2], data: [0, 0, 0] })).toThrow(
      '3 values do not make images [1, 1, 2, 2]',
    );
    expect(() => imageGrid([])).toThrow('a non-empty list of images');
    expect(() =>
      imageGrid([{ data: new Uint8Array(3), height: 2, width: 2, channels: 1 }]),
    ).toThrow('image 0 should be');
    expect(() => imageGrid(batch, { captions: ['a', 'b', 'c'] })).toThrow(
      '3 captions for 2 images',
    );
    expect(() => imageGrid(batch, { columns: 0 })).toThrow(
      'columns should be a positive whole number',
    );
  });
});
