// The drawing-to-MNIST conversion on small hand-made images, with the expected 28x28 layout
// worked out by hand in each test.

import { describe, expect, test } from 'vitest';
import { normalizeMnist, toMnistPixels } from '../src/preprocess.ts';

function image(width: number, height: number, ink: (x: number, y: number) => number) {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = ink(x, y);
  return out;
}

/** The 28x28 output as rows of [first inked column, last inked column], or null. */
function inkedColumns(pixels: Float32Array): ([number, number] | null)[] {
  return Array.from({ length: 28 }, (_, y) => {
    const cols = Array.from({ length: 28 }, (_, x) => x).filter((x) => pixels[y * 28 + x]! > 0);
    return cols.length ? [cols[0]!, cols.at(-1)!] : null;
  });
}

describe('toMnistPixels', () => {
  test('a 10x20 bar keeps its size (longest side 20) and is centred by its centre of mass', () => {
    // Ink at x 100..109, y 50..69 of a 280x280 canvas: scale 20/20 = 1, centre of mass (5, 10)
    // in the box, so the box starts at column 14 - 5 = 9 and row 14 - 10 = 4.
    const out = toMnistPixels(
      image(280, 280, (x, y) => (x >= 100 && x < 110 && y >= 50 && y < 70 ? 1 : 0)),
      280,
      280,
    );
    const rows = inkedColumns(out);
    expect(rows.slice(0, 4)).toEqual([null, null, null, null]);
    expect(rows.slice(4, 24)).toEqual(Array(20).fill([9, 18]));
    expect(rows.slice(24)).toEqual([null, null, null, null]);
    expect(out.reduce((a, b) => a + b, 0)).toBe(200);
  });

  test('downscales by area averaging and centres on the mass, not the box', () => {
    // A 40x20 box (ink 0.5 in its left half, 1 in its right half) scaled by 1/2 to 20x10: each
    // output pixel averages 2x2 pixels. Centre of mass x = (0.5 * 50 + 1 * 150) / 15 = 11.67,
    // so the box starts at column round(14 - 11.67) = 2; y = 5, so row 14 - 5 = 9.
    const out = toMnistPixels(
      image(100, 100, (x, y) => (y >= 30 && y < 50 && x >= 10 && x < 50 ? (x < 30 ? 0.5 : 1) : 0)),
      100,
      100,
    );
    expect(inkedColumns(out).slice(8, 20)).toEqual([null, ...Array(10).fill([2, 21]), null]);
    expect(out[9 * 28 + 2]).toBeCloseTo(0.5, 6);
    expect(out[9 * 28 + 11]).toBeCloseTo(0.5, 6);
    expect(out[9 * 28 + 12]).toBeCloseTo(1, 6);
    expect(out[18 * 28 + 21]).toBeCloseTo(1, 6);
  });

  test('an empty drawing gives zeros; a wrong size is refused with both numbers', () => {
    expect(toMnistPixels(new Float32Array(16), 4, 4).every((v) => v === 0)).toBe(true);
    expect(() => toMnistPixels(new Float32Array(15), 4, 4)).toThrow(
      'toMnistPixels: 15 values for a 4x4 image',
    );
  });
});

test('normalizeMnist applies (v - 0.1307) / 0.3081', () => {
  const out = normalizeMnist(new Float32Array([0, 1]));
  expect(out[0]).toBeCloseTo(-0.424213, 5);
  expect(out[1]).toBeCloseTo(2.821486, 5);
});
