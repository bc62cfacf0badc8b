// confusionMatrixChart's SVG: a cell per entry in a square grid, coloured by its value on
// the colormap (colorbrewer's Blues stops, written out here), with its value in a colour
// that reads on it, the class labels, normalisation and errors.

import { describe, expect, it } from 'vitest';
import { confusionMatrixChart } from '../src/index.ts';
import { byRole, num, parseSvg } from './svg.ts';

// colorbrewer's 9-class Blues: the colormap's stops at 0, 1/8, 2/8, ..., 1.
const blues = [
  '#f7fbff',
  '#deebf7',
  '#c6dbef',
  '#9ecae1',
  '#6baed6',
  '#4292c6',
  '#2171b5',
  '#08519c',
  '#08306b',
];

describe('confusionMatrixChart', () => {
  // Values 0, 1, 3, 4 on a scale from 0 to 4 fall on stops 0, 2, 6 and 8.
  const matrix = [
    [4, 0],
    [1, 3],
  ];
  const svg = parseSvg(
    confusionMatrixChart(matrix, { labels: ['cat', 'dog'], title: 'Pets' }).toSVG(),
  );
  const cells = byRole(svg, 'cell');

  it('draws a cell per entry, row by row, in a square grid', () => {
    expect(cells.map((c) => c.attributes['data-label'])).toEqual(['0,0', '0,1', '1,0', '1,1']);
    const side = num(cells[0]!, 'width');
    expect(cells.every((c) => num(c, 'width') === side && num(c, 'height') === side)).toBe(true);
    const [x0, y0] = [num(cells[0]!, 'x'), num(cells[0]!, 'y')];
    expect(cells.map((c) => [num(c, 'x') - x0, num(c, 'y') - y0])).toEqual([
      [0, 0],
      [side, 0],
      [0, side],
      [side, side],
    ]);
  });

  it('colours each cell by its value, from the lightest stop at 0 to the darkest at the largest', () => {
    expect(cells.map((c) => c.attributes['fill'])).toEqual([
      blues[8],
      blues[0],
      blues[2],
      blues[6],
    ]);
    expect(cells[2]!.text).toBe('true dog, predicted cat: 1');
  });

  it('writes each value in its cell, light on dark cells and dark on light ones', () => {
    const texts = byRole(svg, 'cell-text');
    expect(texts.map((t) => t.text)).toEqual(['4', '0', '1', '3']);
    expect(texts.map((t) => t.attributes['fill'])).toEqual([
      '#ffffff',
      '#222222',
      '#222222',
      '#ffffff',
    ]);
    // Centred in the cell.
    texts.forEach((t, k) => {
      expect(num(t, 'x')).toBeCloseTo(num(cells[k]!, 'x') + num(cells[k]!, 'width') / 2, 5);
      expect(num(t, 'y')).toBeCloseTo(num(cells[k]!, 'y') + num(cells[k]!, 'height') / 2, 5);
      expect(t.attributes['text-anchor']).toBe('middle');
    });
  });

  it('labels the rows and columns with the classes and the axes as scikit-learn does', () => {
    expect(byRole(svg, 'row-label').map((t) => t.text)).toEqual(['cat', 'dog']);
    expect(byRole(svg, 'column-label').map((t) => t.text)).toEqual(['cat', 'dog']);
    expect(byRole(svg, 'y-label').map((t) => t.text)).toEqual(['True label']);
    expect(byRole(svg, 'x-label').map((t) => t.text)).toEqual(['Predicted label']);
    expect(byRole(svg, 'title').map((t) => t.text)).toEqual(['Pets']);
    // The colour bar runs 0 to 4 beside the two 56-pixel cells: room for ticks 2 apart.
    expect(byRole(svg, 'colorbar-label').map((t) => t.text)).toEqual(['0', '2', '4']);
    const bands = byRole(svg, 'colorbar');
    expect(bands.length).toBeGreaterThan(10);
    // Bottom band light, top band dark.
    expect(bands[0]!.attributes['fill']).toMatch(/^#f/);
    expect(bands.at(-1)!.attributes['fill']).toMatch(/^#0[89]/);
  });

  it("normalises rows ('true'), columns ('pred') or the total ('all'), writing fractions", () => {
    const of = (normalize: 'true' | 'pred' | 'all') => {
      const elements = parseSvg(confusionMatrixChart(matrix, { normalize }).toSVG());
      return {
        text: byRole(elements, 'cell-text').map((t) => t.text),
        fill: byRole(elements, 'cell').map((c) => c.attributes['fill']),
      };
    };
    // Rows 4, 0 / 1, 3: 1, 0 / 0.25, 0.75, on a scale 0 to 1.
    expect(of('true')).toEqual({
      text: ['1.00', '0.00', '0.25', '0.75'],
      fill: [blues[8], blues[0], blues[2], blues[6]],
    });
    // Columns 4, 1 / 0, 3: 0.8, 0 / 0.2, 1.
    expect(of('pred').text).toEqual(['0.80', '0.00', '0.20', '1.00']);
    // Total 8: 0.5, 0, 0.125, 0.375, on a scale 0 to 0.5.
    expect(of('all')).toEqual({
      text: ['0.50', '0.00', '0.13', '0.38'],
      fill: [blues[8], blues[0], blues[2], blues[6]],
    });
  });

  it('labels classes 0, 1, 2, ... by default, takes a colormap, a format, and no text or bar', () => {
    const elements = parseSvg(
      confusionMatrixChart(
        [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
        {
          colormap: 'viridis',
          format: (v) => `${v * 100}%`,
          colorbar: false,
        },
      ).toSVG(),
    );
    expect(byRole(elements, 'row-label').map((t) => t.text)).toEqual(['0', '1', '2']);
    expect(byRole(elements, 'cell')[0]!.attributes['fill']).toBe('#fde725');
    expect(byRole(elements, 'cell')[1]!.attributes['fill']).toBe('#440154');
    expect(byRole(elements, 'cell-text')[0]!.text).toBe('100%');
    expect(byRole(elements, 'colorbar')).toEqual([]);
    const quiet = parseSvg(confusionMatrixChart(matrix, { cellText: false }).toSVG());
    expect(byRole(quiet, 'cell-text')).toEqual([]);
  });

  it('turns column labels that do not fit their cells', () => {
    const elements = parseSvg(
      confusionMatrixChart(matrix, { labels: ['airplane', 'automobile'], cellSize: 30 }).toSVG(),
    );
    const columns = byRole(elements, 'column-label');
    expect(columns.every((t) => t.attributes['transform']?.startsWith('rotate(-90'))).toBe(true);
  });

  it('refuses a matrix that is not square, wrong labels or values, naming them', () => {
    expect(() => confusionMatrixChart([[1, 2], [3]])).toThrow(
      'should be square (2x2), but row 1 has 1 values',
    );
    expect(() => confusionMatrixChart([])).toThrow('expected a square matrix');
    expect(() => confusionMatrixChart(matrix, { labels: ['a'] })).toThrow(
      '1 labels for a 2x2 matrix',
    );
    expect(() =>
      confusionMatrixChart([
        [1, -1],
        [0, 1],
      ]),
    ).toThrow('row 0 has -1');
    const bad = { normalize: 'rows' } as unknown as { normalize: 'true' };
    expect(() => confusionMatrixChart(matrix, bad)).toThrow(
      "normalize should be 'true', 'pred' or 'all', got 'rows'",
    );
    const colormap = { colormap: 'jet' } as unknown as { colormap: 'blues' };
    expect(() => confusionMatrixChart(matrix, colormap)).toThrow("got 'jet'");
  });
});
