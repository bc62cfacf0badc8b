// The rasterizer's coverage rules on small rasters, and the font's table.

import { describe, expect, it } from 'vitest';
import { fontCharacters, glyphRowsOf } from './font.ts';
import { Raster } from './raster.ts';

const black = [0, 0, 0] as const;

describe('Raster', () => {
  it('starts with the background', () => {
    const raster = new Raster(2, 1, [1, 2, 3]);
    expect([...raster.data]).toEqual([1, 2, 3, 1, 2, 3]);
    expect(() => new Raster(0, 1)).toThrow('positive integers');
  });

  it('fills whole pixels fully and edge pixels by the share covered', () => {
    const raster = new Raster(4, 1);
    // Covers pixel 1 fully, pixel 2 by a half, pixel 0 by a quarter.
    raster.fillRect(0.75, 0, 1.75, 1, black);
    expect([0, 1, 2, 3].map((x) => raster.pixel(x, 0)[0])).toEqual([191, 0, 128, 255]);
  });

  it('draws a 1-pixel line through pixel centres at full colour, and one between them at half', () => {
    const raster = new Raster(5, 4);
    raster.polyline([0, 1.5, 5, 1.5], 1, black);
    raster.polyline([0, 3, 5, 3], 1, black);
    expect([0, 1, 2, 3].map((y) => raster.pixel(2, y)[0])).toEqual([255, 0, 128, 128]);
  });

  it('does not darken the joint of a polyline twice', () => {
    const raster = new Raster(9, 9);
    // 3 pixels wide about y = 4: rows 3 and 4 full, rows 2 and 5 half covered.
    raster.polyline([0.5, 4, 4.5, 4, 8.5, 4], 3, [100, 100, 100]);
    expect(raster.pixel(4, 4)).toEqual([100, 100, 100]);
    // Half covered by both segments at the joint (x = 4), yet blended once: as away from it.
    expect(raster.pixel(2, 5)).toEqual([178, 178, 178]);
    expect(raster.pixel(4, 5)).toEqual([178, 178, 178]);
  });

  it('fills circles, full inside and partial at the rim', () => {
    const raster = new Raster(9, 9);
    raster.circle(4.5, 4.5, 3, black);
    expect(raster.pixel(4, 4)).toEqual([0, 0, 0]);
    expect(raster.pixel(4, 1)[0]).toBeGreaterThan(0);
    expect(raster.pixel(0, 0)).toEqual([255, 255, 255]);
  });

  it('writes text in the 5x7 font, anchored and turned', () => {
    const raster = new Raster(20, 20);
    const width = raster.text(1, 10, 'l', 1, black);
    expect(width).toBe(5);
    // 'l' is .##.. then ..#.. (five rows) then .###.; centred on y = 10, its top is row 7.
    const ink = (y: number) =>
      [0, 1, 2, 3, 4, 5].map((x) => (raster.pixel(x, y)[0] === 0 ? '#' : '.')).join('');
    expect([6, 7, 8, 13, 14].map(ink)).toEqual(['......', '..##..', '...#..', '..###.', '......']);
    // Two characters at a 2-pixel cell: 5 + 1 + 5 cells.
    expect(new Raster(40, 20).text(0, 10, 'ab', 2, black)).toBe(22);
    // Turned upwards, text runs up from y = 10 and its rows become columns, from x = 10 - 3.5
    // (rounded to 7) rightwards: '-', cells 1 to 3 of row 3, is a bar at x = 10, y 8 up to 6.
    const turned = new Raster(20, 20);
    turned.text(10, 10, '-', 1, black, { angle: -90 });
    const inked: [number, number][] = [];
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 20; x++) if (turned.pixel(x, y)[0] === 0) inked.push([x, y]);
    expect(inked).toEqual([
      [10, 6],
      [10, 7],
      [10, 8],
    ]);
  });

  it('scales an image to its box, nearest pixel', () => {
    const raster = new Raster(4, 2);
    raster.image(0, 0, 4, 2, {
      data: Uint8Array.from([10, 10, 10, 200, 200, 200]),
      width: 2,
      height: 1,
    });
    expect([0, 1, 2, 3].map((x) => raster.pixel(x, 1)[0])).toEqual([10, 10, 200, 200]);
  });
});

describe('font', () => {
  it('has every printable ASCII character, each 5 cells wide and 7 rows (9 with descenders)', () => {
    const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
    expect(ascii.filter((c) => !fontCharacters().includes(c))).toEqual([]);
    for (const char of fontCharacters()) {
      const rows = glyphRowsOf(char)!;
      expect([7, 9], char).toContain(rows.length);
      expect(
        rows.every((row) => /^[#.]{5}$/.test(row)),
        char,
      ).toBe(true);
    }
    // Descenders only where a letter has one.
    const descending = fontCharacters().filter((c) => glyphRowsOf(c)!.length === 9);
    expect(descending.sort().join('')).toBe(
      [',', ';', 'g', 'j', 'p', 'q', 'y', '\u00b5'].sort().join(''),
    );
  });
});
