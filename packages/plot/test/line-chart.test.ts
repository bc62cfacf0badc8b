// lineChart's SVG: each series a polyline with one point per value where the axes put it
// (computed here from the plot area and the limits), the ticks and their labels, the
// legend, log scales, gaps and clipping; and the errors a wrong call meets.

import { describe, expect, it } from 'vitest';
import { lineChart } from '../src/index.ts';
import { byRole, num, parseSvg, plotArea, polylinePoints } from './svg.ts';

function close(actual: number, expected: number): void {
  expect(actual).toBeCloseTo(expected, 1);
}

describe('lineChart', () => {
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
    yLabel: 'MSE',
    width: 400,
    height: 300,
  });
  const svg = parseSvg(chart.toSVG());
  const plot = plotArea(svg);
  // Epochs 1 to 4 across the plot's width, losses 0 to 5 up its height.
  const px = (epoch: number) => plot.x + ((epoch - 1) / 3) * plot.width;
  const py = (loss: number) => plot.y + plot.height - (loss / 5) * plot.height;

  it('is an SVG of the asked size, titled', () => {
    expect(svg[0]!.name).toBe('svg');
    expect(svg[0]!.attributes).toMatchObject({ width: '400', height: '300', 'aria-label': 'Loss' });
    expect(chart.width).toBe(400);
    expect(byRole(svg, 'title').map((e) => e.text)).toEqual(['Loss']);
    expect(byRole(svg, 'x-label').map((e) => e.text)).toEqual(['epoch']);
    expect(
      byRole(svg, 'y-label').map((e) => [
        e.text,
        e.attributes['transform']?.startsWith('rotate(-90'),
      ]),
    ).toEqual([['MSE', true]]);
    // The plot area lies inside the chart.
    expect(plot.x).toBeGreaterThan(0);
    expect(plot.x + plot.width).toBeLessThan(400);
    expect(plot.y + plot.height).toBeLessThan(300);
  });

  it('draws each series as one polyline with a point per value at its epoch and loss', () => {
    const lines = byRole(svg, 'series');
    expect(lines.map((l) => [l.name, l.attributes['data-label'], l.attributes['stroke']])).toEqual([
      ['polyline', 'train', '#1f77b4'],
      ['polyline', 'val', '#ff7f0e'],
    ]);
    for (const [k, values] of [train, val].entries()) {
      const points = polylinePoints(lines[k]!);
      expect(points).toHaveLength(4);
      points.forEach(([x, y], i) => {
        close(x, px(i + 1));
        close(y, py(values[i]!));
      });
    }
  });

  it('puts a marker on each point of a short series', () => {
    const markers = byRole(svg, 'marker');
    expect(markers).toHaveLength(8);
    const trainMarkers = markers.filter((m) => m.attributes['data-label'] === 'train');
    trainMarkers.forEach((m, i) => {
      close(num(m, 'cx'), px(i + 1));
      close(num(m, 'cy'), py(train[i]!));
      expect(m.attributes['fill']).toBe('#1f77b4');
    });
    expect(trainMarkers[2]!.text).toBe('train, epoch 3: 2');
  });

  it('labels whole-number ticks on both axes, each at its value', () => {
    const xLabels = byRole(svg, 'x-tick-label');
    expect(xLabels.map((t) => t.text)).toEqual(['1', '2', '3', '4']);
    xLabels.forEach((t, i) => {
      close(num(t, 'x'), px(i + 1));
    });
    const yLabels = byRole(svg, 'y-tick-label');
    expect(yLabels.map((t) => t.text)).toEqual(['0', '1', '2', '3', '4', '5']);
    yLabels.forEach((t, i) => {
      close(num(t, 'y'), py(i));
    });
    expect(yLabels.every((t) => t.attributes['text-anchor'] === 'end')).toBe(true);
    // A grid line at each tick, inside the plot area.
    expect(byRole(svg, 'grid')).toHaveLength(4 + 6);
  });

  it('has a legend with an entry per series, in its colour', () => {
    expect(byRole(svg, 'legend-label').map((t) => t.text)).toEqual(['train', 'val']);
    expect(byRole(svg, 'legend-line').map((l) => l.attributes['stroke'])).toEqual([
      '#1f77b4',
      '#ff7f0e',
    ]);
    const [box] = byRole(svg, 'legend');
    // Falling lines leave the upper right corner free: 'best' puts the legend there.
    expect(num(box!, 'x') + num(box!, 'width')).toBeGreaterThan(plot.x + plot.width - 20);
    expect(num(box!, 'y')).toBeLessThan(plot.y + 20);
  });

  it('places the legend in the emptiest corner, or where it is told', () => {
    // Rising from lower left to upper right: the upper left corner is free.
    const rising = {
      series: [
        { name: 'a', values: [0, 1, 2] },
        { name: 'b', values: [0.2, 1.2, 2.2] },
      ],
    };
    const boxOf = (legend?: 'lower right') => {
      const elements = parseSvg(lineChart({ ...rising, ...(legend ? { legend } : {}) }).toSVG());
      const [box] = byRole(elements, 'legend');
      return { box: box!, plot: plotArea(elements) };
    };
    const best = boxOf();
    expect(num(best.box, 'x')).toBeLessThan(best.plot.x + 20);
    expect(num(best.box, 'y')).toBeLessThan(best.plot.y + 20);
    const told = boxOf('lower right');
    expect(num(told.box, 'x') + num(told.box, 'width')).toBeGreaterThan(
      told.plot.x + told.plot.width - 20,
    );
    expect(num(told.box, 'y') + num(told.box, 'height')).toBeGreaterThan(
      told.plot.y + told.plot.height - 20,
    );
    // One series: no legend unless asked for.
    expect(
      byRole(parseSvg(lineChart({ series: [{ name: 'a', values: [1, 2] }] }).toSVG()), 'legend'),
    ).toEqual([]);
    expect(
      byRole(
        parseSvg(lineChart({ series: [{ name: 'a', values: [1, 2] }], legend: true }).toSVG()),
        'legend',
      ),
    ).toHaveLength(1);
  });

  it('counts steps from 0, or takes the x of each point', () => {
    const elements = parseSvg(
      lineChart({
        series: [
          { name: 'loss', values: [2, 1, 0, 1, 2] },
          { name: 'val', values: [1, 0], x: [0, 4] },
        ],
        yLimits: [0, 2],
      }).toSVG(),
    );
    const area = plotArea(elements);
    const [loss, valLine] = byRole(elements, 'series').map(polylinePoints);
    // Steps 0 to 4 span the width.
    loss!.forEach(([x], i) => {
      close(x, area.x + (i / 4) * area.width);
    });
    expect(valLine).toHaveLength(2);
    close(valLine![1]![0], area.x + area.width);
    close(valLine![1]![1], area.y + area.height);
    expect(byRole(elements, 'x-label').map((e) => e.text)).toEqual(['step']);
    expect(byRole(elements, 'x-tick-label').map((e) => e.text)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('pads the data by 5% up and down when no limits are given', () => {
    const elements = parseSvg(lineChart({ series: [{ name: 'a', values: [10, 30] }] }).toSVG());
    const area = plotArea(elements);
    // The y axis runs from 9 to 31: 10 sits 1/22 of the height above the bottom.
    const [points] = byRole(elements, 'series').map(polylinePoints);
    close(points![0]![1], area.y + area.height - (1 / 22) * area.height);
    close(points![1]![1], area.y + (1 / 22) * area.height);
    close(points![0]![0], area.x);
    close(points![1]![0], area.x + area.width);
  });

  // 250 pixels high leaves room for about 3 ticks, so only the powers of ten are labelled.
  it('on a log scale, puts each power of ten equally far apart and labels them', () => {
    const values = [1, 10, 100, 1000];
    const elements = parseSvg(
      lineChart({
        series: [{ name: 'loss', values }],
        yScale: 'log',
        yLimits: [1, 1000],
        height: 250,
      }).toSVG(),
    );
    const area = plotArea(elements);
    const [points] = byRole(elements, 'series').map(polylinePoints);
    points!.forEach(([, y], i) => {
      close(y, area.y + area.height - (i / 3) * area.height);
    });
    const labelled = byRole(elements, 'y-tick-label');
    expect(labelled.map((t) => t.text)).toEqual(['1', '10', '100', '1000']);
    labelled.forEach((t, i) => {
      close(num(t, 'y'), area.y + area.height - (i / 3) * area.height);
    });
    // 2 to 9 times each power get short, unlabelled ticks: 8 for each of 3 decades.
    const ticks = byRole(elements, 'tick').filter((t) => {
      const [[x0], [x1]] = polylinePoints(t) as [[number, number], [number, number]];
      return x1 - x0 === 2;
    });
    expect(ticks).toHaveLength(24);
  });

  it('labels small values on a log scale as 1e-5', () => {
    const elements = parseSvg(
      lineChart({
        series: [{ name: 'lr', values: [1e-5, 1e-3] }],
        yScale: 'log',
        yLimits: [1e-5, 1e-3],
        height: 250,
      }).toSVG(),
    );
    expect(byRole(elements, 'y-tick-label').map((t) => t.text)).toEqual([
      '1e-5',
      '0.0001',
      '0.001',
    ]);
  });

  it('breaks the line at NaN, and at values a log scale cannot show', () => {
    const gaps = (options: Parameters<typeof lineChart>[0]) =>
      byRole(parseSvg(lineChart(options).toSVG()), 'series').map((l) => polylinePoints(l).length);
    expect(gaps({ series: [{ name: 'a', values: [1, 2, Number.NaN, 4, 5, 6] }] })).toEqual([2, 3]);
    expect(gaps({ series: [{ name: 'a', values: [1, 0, 10, 100] }], yScale: 'log' })).toEqual([
      1, 2,
    ]);
    expect(gaps({ series: [{ name: 'a', values: [1, -1, 10, 100] }], yScale: 'log' })).toEqual([
      1, 2,
    ]);
    // The markers skip them too.
    expect(
      byRole(
        parseSvg(lineChart({ series: [{ name: 'a', values: [1, Number.NaN, 3] }] }).toSVG()),
        'marker',
      ),
    ).toHaveLength(2);
  });

  it('cuts a line at the plot area when the limits leave points out', () => {
    const elements = parseSvg(
      lineChart({
        series: [{ name: 'a', values: [1, 10, 1] }],
        x: 'epoch',
        yLimits: [0, 5],
      }).toSVG(),
    );
    const area = plotArea(elements);
    const pieces = byRole(elements, 'series').map(polylinePoints);
    expect(pieces).toHaveLength(2);
    // y = 5 is crossed 4/9 of the way from epoch 1 to 2 and back 5/9 of the way from 2 to 3.
    const x = (epoch: number) => area.x + ((epoch - 1) / 2) * area.width;
    close(pieces[0]![1]![0], x(1 + 4 / 9));
    close(pieces[0]![1]![1], area.y);
    close(pieces[1]![0]![0], x(2 + 5 / 9));
    close(pieces[1]![0]![1], area.y);
    // The point outside gets no marker.
    expect(byRole(elements, 'marker')).toHaveLength(2);
  });

  it('takes colours, widths and markers per series, and hides the grid when asked', () => {
    const elements = parseSvg(
      lineChart({
        series: [{ name: 'a', values: [1, 2, 3], color: '#0a0', lineWidth: 3, markers: false }],
        grid: false,
      }).toSVG(),
    );
    const [line] = byRole(elements, 'series');
    expect(line!.attributes).toMatchObject({ stroke: '#00aa00', 'stroke-width': '3' });
    expect(byRole(elements, 'marker')).toEqual([]);
    expect(byRole(elements, 'grid')).toEqual([]);
    // A long series has no markers by default.
    const long = lineChart({ series: [{ name: 'a', values: new Float32Array(51).fill(1) }] });
    expect(byRole(parseSvg(long.toSVG()), 'marker')).toEqual([]);
  });

  it('escapes text', () => {
    const svg = lineChart({
      series: [{ name: 'a<b & "c"', values: [1, 2] }],
      title: '<x>',
      legend: true,
    }).toSVG();
    expect(svg).toContain('&lt;x&gt;');
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(byRole(parseSvg(svg), 'legend-label')[0]!.text).toBe('a<b & "c"');
  });

  it('refuses what it cannot draw, saying why', () => {
    expect(() => lineChart({ series: [] })).toThrow("'series' should be a non-empty array");
    expect(() => lineChart({ series: [{ name: 'a', values: [1, 2], x: [1] }] })).toThrow(
      "series 0 ('a'): x has 1 values but values has 2",
    );
    expect(() => lineChart({ series: [{ name: 'a', values: [Number.NaN] }] })).toThrow(
      'no point can be drawn',
    );
    expect(() => lineChart({ series: [{ name: 'a', values: [0, -1] }], yScale: 'log' })).toThrow(
      'not positive on the log scale',
    );
    expect(() =>
      lineChart({ series: [{ name: 'a', values: [1] }], yScale: 'log', yLimits: [0, 1] }),
    ).toThrow(
      'yLimits should be [min, max] with min < max, both positive on a log scale, got [0, 1]',
    );
    expect(() => lineChart({ series: [{ name: 'a', values: [1], color: 'red' }] })).toThrow(
      "'#rrggbb' or '#rgb', got 'red'",
    );
    // A matplotlib spelling is answered with dl's.
    const ylabel = { series: [{ name: 'a', values: [1] }], ylabel: 'loss' } as Parameters<
      typeof lineChart
    >[0];
    expect(() => lineChart(ylabel)).toThrow("unknown option 'ylabel'; did you mean 'yLabel'?");
    expect(() => lineChart({ series: [{ name: 'a', values: [1] }], width: 0 })).toThrow(
      'width should be a positive whole number',
    );
    expect(() => lineChart({ series: [{ name: 'a', values: [1] }], height: 30 })).toThrow(
      'leaves no room to plot',
    );
  });
});
