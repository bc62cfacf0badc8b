// The rasterizer's pictures, through toPNG and decoded with fast-png: the background, each
// series' colour at its data points (where the axes put them, computed from the SVG's plot
// area), the heatmap's cells, an image grid's pixels, text, and the scale option.

import { describe, expect, it } from 'vitest';
import { confusionMatrixChart, figure, imageGrid, lineChart } from '../src/index.ts';
import { byRole, decodePng, num, parseSvg, plotArea } from './svg.ts';

describe('toPNG', () => {
  const train = [4, 3, 2, 1];
  const val = [3.5, 2.5, 1.5, 0.5];
  const chart = lineChart({
    series: [
      { name: 'train', values: train },
      { name: 'val', values: val },
    ],
    x: 'epoch',
    yLimits: [0, 5],
    title: 'Loss',
    width: 400,
    height: 300,
    legend: false,
  });
  const plot = plotArea(parseSvg(chart.toSVG()));
  const px = (epoch: number) => plot.x + ((epoch - 1) / 3) * plot.width;
  const py = (loss: number) => plot.y + plot.height - (loss / 5) * plot.height;

  it('is a PNG of the chart size on a white background', () => {
    const bytes = chart.toPNG();
    expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const png = decodePng(bytes);
    expect([png.width, png.height]).toEqual([400, 300]);
    expect(png.at(1, 1)).toBe('#ffffff');
    expect(png.at(399, 299)).toBe('#ffffff');
    // Inside the plot, away from lines and grid: white.
    expect(png.at(px(1.5), py(4.6))).toBe('#ffffff');
  });

  it("has each series' colour at its data points", () => {
    const png = decodePng(chart.toPNG());
    // The last series is drawn on top; these points are far apart, so each shows its own colour.
    train.forEach((loss, i) => {
      expect(png.at(px(i + 1), py(loss))).toBe('#1f77b4');
    });
    val.forEach((loss, i) => {
      expect(png.at(px(i + 1), py(loss))).toBe('#ff7f0e');
    });
    // Halfway between two points, on the line.
    expect(png.at(px(2.5), py(2.5))).toBe('#1f77b4');
  });

  it('draws a flat line in its full colour along its row, and nothing 4 pixels off it', () => {
    const flat = lineChart({
      series: [{ name: 'a', values: [2, 2, 2], markers: false, color: '#ff0000' }],
      yLimits: [0, 4],
      width: 300,
      height: 200,
    });
    const area = plotArea(parseSvg(flat.toSVG()));
    const png = decodePng(flat.toPNG());
    const y = area.y + area.height / 2;
    for (const t of [0.1, 0.3, 0.5, 0.7, 0.9])
      expect(png.at(area.x + t * area.width, y)).toBe('#ff0000');
    // 4 pixels off the line (and off the grid line at step 1): background.
    expect(png.at(area.x + 0.4 * area.width, y - 4)).toBe('#ffffff');
    expect(png.at(area.x + 0.4 * area.width, y + 4)).toBe('#ffffff');
  });

  it('writes the title and tick labels in dark pixels', () => {
    const png = decodePng(chart.toPNG());
    const dark = (x0: number, y0: number, x1: number, y1: number) => {
      let count = 0;
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) if (png.at(x, y) === '#222222') count++;
      return count;
    };
    // The title's band above the plot, around its centre.
    expect(dark(150, 10, 250, plot.y - 4)).toBeGreaterThan(40);
    // Left of the plot, the y tick labels.
    expect(dark(0, plot.y, plot.x - 4, plot.y + plot.height)).toBeGreaterThan(40);
    // No ink in the margin right of the plot.
    expect(dark(plot.x + plot.width + 2, plot.y, 400, plot.y + plot.height)).toBe(0);
  });

  it('scales the picture with { scale: 2 }', () => {
    const png = decodePng(chart.toPNG({ scale: 2 }));
    expect([png.width, png.height]).toEqual([800, 600]);
    train.forEach((loss, i) => {
      expect(png.at(2 * px(i + 1), 2 * py(loss))).toBe('#1f77b4');
    });
    expect(() => chart.toPNG({ scale: 0 })).toThrow('scale should be a positive number, got 0');
  });

  it('fills heatmap cells with their colours', () => {
    const heatmap = confusionMatrixChart([
      [4, 0],
      [1, 3],
    ]);
    const cells = byRole(parseSvg(heatmap.toSVG()), 'cell');
    const png = decodePng(heatmap.toPNG());
    // Near each cell's corner, clear of the text at its centre.
    const colours = cells.map((c) => png.at(num(c, 'x') + 4, num(c, 'y') + 4));
    expect(colours).toEqual(['#08306b', '#f7fbff', '#c6dbef', '#2171b5']);
    // The text of the dark cell is white.
    const [cell] = cells;
    const centre = [
      num(cell!, 'x') + num(cell!, 'width') / 2,
      num(cell!, 'y') + num(cell!, 'height') / 2,
    ] as const;
    let white = 0;
    for (let dy = -4; dy <= 4; dy++)
      for (let dx = -4; dx <= 4; dx++)
        if (png.at(centre[0] + dx, centre[1] + dy) === '#ffffff') white++;
    expect(white).toBeGreaterThan(5);
  });

  it("shows an image grid's pixels, each source pixel a block", () => {
    const grid = imageGrid({ shape: [1, 3, 2, 2], data: [1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1] });
    const [image] = byRole(parseSvg(grid.toSVG()), 'image');
    const [x, y] = [num(image!, 'x'), num(image!, 'y')];
    const png = decodePng(grid.toPNG());
    // 2x2 shown as 64x64: each source pixel is a 32-pixel block; red, green / blue, white.
    const block = (column: number, row: number) => [
      png.at(x + 32 * column + 1, y + 32 * row + 1),
      png.at(x + 32 * column + 16, y + 32 * row + 16),
      png.at(x + 32 * column + 31, y + 32 * row + 31),
    ];
    expect(block(0, 0)).toEqual(['#ff0000', '#ff0000', '#ff0000']);
    expect(block(1, 0)).toEqual(['#00ff00', '#00ff00', '#00ff00']);
    expect(block(0, 1)).toEqual(['#0000ff', '#0000ff', '#0000ff']);
    expect(block(1, 1)).toEqual(['#ffffff', '#ffffff', '#ffffff']);
  });

  it('puts charts side by side with figure', () => {
    const both = figure([chart, chart], { title: 'Run' });
    expect([both.width, both.height]).toEqual([800, 300 + 10 + 15 + 6]);
    const svg = parseSvg(both.toSVG());
    const frames = byRole(svg, 'plot-area');
    expect(frames.map((f) => num(f, 'x') - num(frames[0]!, 'x'))).toEqual([0, 400]);
    expect(byRole(svg, 'title').map((t) => t.text)).toEqual(['Run', 'Loss', 'Loss']);
    const png = decodePng(both.toPNG());
    const top = 10 + 15 + 6;
    train.forEach((loss, i) => {
      expect(png.at(px(i + 1), top + py(loss))).toBe('#1f77b4');
      expect(png.at(400 + px(i + 1), top + py(loss))).toBe('#1f77b4');
    });
    expect(() => figure([])).toThrow('a non-empty array of charts');
  });
});
