// drawOnCanvas in headless Chromium: a chart drawn on a real 2D canvas has the white
// background, each series' colour at its data points (where the SVG's plot area puts
// them), the heatmap's cell colours and an image grid's pixels; and a scaled context for
// high-density screens draws the same picture twice as large.

import { describe, expect, it } from 'vitest';
import { type Chart, confusionMatrixChart, imageGrid, lineChart } from '../src/index.ts';
import { byRole, num, type Pixels, parseSvg, pixelsOf, plotArea } from './svg.ts';

function draw(chart: Chart, scale = 1): Pixels {
  const canvas = document.createElement('canvas');
  canvas.width = chart.width * scale;
  canvas.height = chart.height * scale;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D context');
  ctx.scale(scale, scale);
  chart.drawOnCanvas(ctx);
  const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return pixelsOf(image.data, canvas.width, canvas.height, 4);
}

describe('drawOnCanvas', () => {
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

  it("draws the background and each series' colour at its data points", () => {
    const pixels = draw(chart);
    expect(pixels.at(1, 1)).toBe('#ffffff');
    expect(pixels.at(px(1.5), py(4.6))).toBe('#ffffff');
    train.forEach((loss, i) => {
      expect(pixels.at(px(i + 1), py(loss))).toBe('#1f77b4');
    });
    val.forEach((loss, i) => {
      expect(pixels.at(px(i + 1), py(loss))).toBe('#ff7f0e');
    });
  });

  it('draws text: the title puts ink above the plot', () => {
    const pixels = draw(chart);
    let ink = 0;
    for (let y = 4; y < plot.y - 2; y++)
      for (let x = 150; x < 250; x++) if (pixels.at(x, y) !== '#ffffff') ink++;
    expect(ink).toBeGreaterThan(20);
  });

  it('draws twice as large on a context scaled by 2', () => {
    const pixels = draw(chart, 2);
    expect(pixels.width).toBe(800);
    train.forEach((loss, i) => {
      expect(pixels.at(2 * px(i + 1), 2 * py(loss))).toBe('#1f77b4');
    });
  });

  it('fills heatmap cells with their colours', () => {
    const heatmap = confusionMatrixChart([
      [4, 0],
      [1, 3],
    ]);
    const cells = byRole(parseSvg(heatmap.toSVG()), 'cell');
    const pixels = draw(heatmap);
    expect(cells.map((c) => pixels.at(num(c, 'x') + 4, num(c, 'y') + 4))).toEqual([
      '#08306b',
      '#f7fbff',
      '#c6dbef',
      '#2171b5',
    ]);
  });

  it("shows an image grid's pixels as blocks", () => {
    const grid = imageGrid({ shape: [1, 3, 2, 2], data: [1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1] });
    const [image] = byRole(parseSvg(grid.toSVG()), 'image');
    const [x, y] = [num(image!, 'x'), num(image!, 'y')];
    const pixels = draw(grid);
    expect([
      pixels.at(x + 16, y + 16),
      pixels.at(x + 48, y + 16),
      pixels.at(x + 16, y + 48),
      pixels.at(x + 48, y + 48),
    ]).toEqual(['#ff0000', '#00ff00', '#0000ff', '#ffffff']);
  });

  it('draws on an OffscreenCanvas too, as the rasterizer does at the data points', () => {
    const canvas = new OffscreenCanvas(chart.width, chart.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D context');
    chart.drawOnCanvas(ctx);
    const pixels = pixelsOf(ctx.getImageData(0, 0, 400, 300).data, 400, 300, 4);
    const raster = chart.rasterize();
    const rasterPixels = pixelsOf(raster.data, raster.width, raster.height, 3);
    for (const [values, epoch] of [
      [train, 1],
      [train, 3],
      [val, 2],
      [val, 4],
    ] as const) {
      const [x, y] = [px(epoch), py(values[epoch - 1]!)];
      expect(pixels.at(x, y)).toBe(rasterPixels.at(x, y));
    }
  });
});
