// lineChart: training histories as lines, what `plt.plot(losses, label='train')` with
// `plt.yscale('log')`, `plt.xlabel`, `plt.title` and `plt.legend()` draws in matplotlib.

import { Chart } from './chart.js';
import { clipPolyline } from './clip.js';
import { parseColor, type Rgb, tab10 } from './color.js';
import { type Box, type LegendEntry, type LegendLocation, legendMarks } from './legend.js';
import { type Mark, textWidth } from './marks.js';
import { checkOptionNames, checkSize } from './options.js';
import { dataDomain, drawable, makeScale, type Scale, type ScaleType } from './scale.js';
import { theme } from './theme.js';

/** One line of a line chart. */
export interface Series {
  /** Its name in the legend. */
  name: string;
  /** The y values, one a point; NaN (or a value that is not positive on a log scale) leaves a gap. */
  values: ArrayLike<number>;
  /**
   * The x value of each point (as many as `values`), for a series measured at other steps
   * than its neighbours (validation every 100 steps); by default 0, 1, 2, ... per step and
   * 1, 2, 3, ... per epoch.
   */
  x?: ArrayLike<number>;
  /** '#rrggbb' or '#rgb' (default: the next of matplotlib's colours). */
  color?: string;
  /** Line width in pixels (default 2). */
  lineWidth?: number;
  /** A dot at each point (default: when the series has at most 50 points). */
  markers?: boolean;
}

/** What lineChart draws, and how. */
export interface LineChartOptions {
  /** The lines. */
  series: readonly Series[];
  /** Whether a point is a step (default; points at 0, 1, 2, ...) or an epoch (at 1, 2, 3, ...); names the x axis. */
  x?: 'step' | 'epoch';
  title?: string;
  /** The x axis's label (default: 'step' or 'epoch', as `x`). */
  xLabel?: string;
  /** The y axis's label (default: none). */
  yLabel?: string;
  /** 'linear' (default) or 'log', as plt.yscale. */
  yScale?: ScaleType;
  /** The x axis's range [min, max], as plt.xlim (default: the data's). */
  xLimits?: readonly [number, number];
  /** The y axis's range [min, max], as plt.ylim (default: the data's, and 5% more each way). */
  yLimits?: readonly [number, number];
  /** Whether and where to show the legend (default: 'best' when there are two series or more). */
  legend?: boolean | LegendLocation;
  /** Grid lines at the ticks (default true). */
  grid?: boolean;
  /** Size in pixels (default 640 x 400). */
  width?: number;
  height?: number;
}

const optionNames = [
  'series',
  'x',
  'title',
  'xLabel',
  'yLabel',
  'yScale',
  'xLimits',
  'yLimits',
  'legend',
  'grid',
  'width',
  'height',
];
const seriesNames = ['name', 'values', 'x', 'color', 'lineWidth', 'markers'];

interface Line {
  name: string;
  xs: number[];
  ys: number[];
  color: Rgb;
  lineWidth: number;
  markers: boolean;
}

function readSeries(series: readonly Series[], perEpoch: boolean): Line[] {
  if (!Array.isArray(series) || series.length === 0)
    throw new Error("lineChart: 'series' should be a non-empty array of { name, values }");
  return series.map((s, k) => {
    const what = `lineChart: series ${k}${typeof s?.name === 'string' ? ` ('${s.name}')` : ''}`;
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string')
      throw new Error(`${what} should be { name: string, values: number[] }`);
    checkOptionNames(what, s, seriesNames);
    if (typeof s.values?.length !== 'number')
      throw new Error(`${what}: values should be an array of numbers, got ${typeof s.values}`);
    const ys = Array.from(s.values, Number);
    let xs: number[];
    if (s.x === undefined) xs = ys.map((_, i) => (perEpoch ? i + 1 : i));
    else {
      xs = Array.from(s.x, Number);
      if (xs.length !== ys.length)
        throw new Error(`${what}: x has ${xs.length} values but values has ${ys.length}`);
    }
    const lineWidth = s.lineWidth ?? 2;
    if (!(lineWidth > 0))
      throw new RangeError(`${what}: lineWidth should be positive, got ${lineWidth}`);
    return {
      name: s.name,
      xs,
      ys,
      color: s.color === undefined ? tab10[k % tab10.length]! : parseColor(s.color, what),
      lineWidth,
      markers: s.markers ?? ys.length <= 50,
    };
  });
}

function checkLimits(
  what: string,
  type: ScaleType,
  limits: readonly [number, number] | undefined,
): void {
  if (limits === undefined) return;
  const [low, high] = limits;
  if (!(drawable(type, low) && drawable(type, high) && low < high))
    throw new RangeError(
      `lineChart: ${what} should be [min, max] with min < max${type === 'log' ? ', both positive on a log scale' : ''}, got [${limits.join(', ')}]`,
    );
}

/**
 * A line chart of one or more series against steps or epochs, with ticks, axis labels,
 * grid lines, a legend and a title:
 *
 * ```ts
 * const chart = lineChart({
 *   series: [{ name: 'train', values: trainLosses }, { name: 'val', values: valLosses }],
 *   x: 'epoch',
 *   yScale: 'log',
 *   title: 'loss',
 * });
 * chart.toSVG(); // or chart.toPNG(), chart.drawOnCanvas(ctx), savePlot(chart, 'loss.png')
 * ```
 */
export function lineChart(options: LineChartOptions): Chart {
  if (typeof options !== 'object' || options === null)
    throw new Error('lineChart: expected options { series: [{ name, values }], ... }');
  checkOptionNames('lineChart', options, optionNames);
  const { x: per = 'step', title, yScale = 'linear', grid = true } = options;
  if (per !== 'step' && per !== 'epoch')
    throw new Error(`lineChart: x should be 'step' or 'epoch', got '${String(per)}'`);
  if (yScale !== 'linear' && yScale !== 'log')
    throw new Error(`lineChart: yScale should be 'linear' or 'log', got '${String(yScale)}'`);
  const width = checkSize('lineChart', 'width', options.width, 640);
  const height = checkSize('lineChart', 'height', options.height, 400);
  const lines = readSeries(options.series, per === 'epoch');
  checkLimits('xLimits', 'linear', options.xLimits);
  checkLimits('yLimits', yScale, options.yLimits);
  const xLabel = options.xLabel ?? per;
  const yLabel = options.yLabel;

  // The domains: the limits given, else what the drawable points span.
  const points = (line: Line) =>
    line.xs.flatMap((x, i) => (drawable('linear', x) && drawable(yScale, line.ys[i]!) ? [i] : []));
  const shown = lines.map(points);
  const xDomain =
    options.xLimits ??
    dataDomain(
      'linear',
      lines.flatMap((l, k) => shown[k]!.map((i) => l.xs[i]!)),
      0,
    );
  const yDomain =
    options.yLimits ??
    dataDomain(
      yScale,
      lines.flatMap((l, k) => shown[k]!.map((i) => l.ys[i]!)),
      0.05,
    );
  if (!xDomain || !yDomain)
    throw new Error(
      `lineChart: no point can be drawn: every value is NaN or infinite${yScale === 'log' ? ', or not positive on the log scale' : ''}`,
    );
  const integerX = lines.every((l) => l.xs.every(Number.isInteger));

  // The margins around the plot area follow from the text in them.
  const top = title ? 14 + theme.titleSize + 12 : 14;
  const bottom = theme.tickLength + 8 + theme.tickSize + (xLabel ? 8 + theme.labelSize : 0) + 8;
  const plotTop = top;
  const plotBottom = height - bottom;
  if (plotBottom - plotTop < 20)
    throw new RangeError(`lineChart: a height of ${height} pixels leaves no room to plot`);
  const yAxis = makeScale(
    yScale,
    yDomain,
    [plotBottom, plotTop],
    Math.max(2, Math.floor((plotBottom - plotTop) / 50)),
  );
  const yTickWidth = Math.max(0, ...yAxis.ticks.map((t) => textWidth(t.label, theme.tickSize)));
  const left = Math.ceil(
    10 + (yLabel ? theme.labelSize + 10 : 0) + yTickWidth + theme.tickLength + 4,
  );
  // The x ticks' count depends on the width left; their labels reach past the right edge by half.
  const provisional = makeScale(
    'linear',
    xDomain,
    [left, width - 16],
    Math.max(2, Math.floor((width - 16 - left) / 80)),
    integerX,
  );
  const lastLabel = provisional.ticks.at(-1)?.label ?? '';
  const right = Math.ceil(Math.max(16, textWidth(lastLabel, theme.tickSize) / 2 + 4));
  const plot: Box = {
    x: left,
    y: plotTop,
    width: width - right - left,
    height: plotBottom - plotTop,
  };
  if (plot.width < 20)
    throw new RangeError(`lineChart: a width of ${width} pixels leaves no room to plot`);
  const xAxis = makeScale(
    'linear',
    xDomain,
    [plot.x, plot.x + plot.width],
    Math.max(2, Math.floor(plot.width / 80)),
    integerX,
  );

  const marks: Mark[] = [
    { kind: 'rect', x: 0, y: 0, width, height, fill: theme.background, role: 'background' },
  ];
  marks.push(...axisMarks(plot, xAxis, yAxis, grid));
  if (title)
    marks.push({
      kind: 'text',
      x: plot.x + plot.width / 2,
      y: 14 + theme.titleSize / 2,
      text: title,
      size: theme.titleSize,
      color: theme.text,
      anchor: 'middle',
      bold: true,
      role: 'title',
    });
  if (xLabel)
    marks.push({
      kind: 'text',
      x: plot.x + plot.width / 2,
      y: height - 8 - theme.labelSize / 2,
      text: xLabel,
      size: theme.labelSize,
      color: theme.text,
      anchor: 'middle',
      role: 'x-label',
    });
  if (yLabel)
    marks.push({
      kind: 'text',
      x: 10 + theme.labelSize / 2,
      y: plot.y + plot.height / 2,
      text: yLabel,
      size: theme.labelSize,
      color: theme.text,
      anchor: 'middle',
      angle: -90,
      role: 'y-label',
    });

  // The lines, cut to the plot area, then their markers on top.
  const drawn: number[][] = [];
  lines.forEach((line) => {
    const xs = line.xs.map((x) => (drawable('linear', x) ? xAxis.map(x) : Number.NaN));
    const ys = line.ys.map((y) => (drawable(yScale, y) ? yAxis.map(y) : Number.NaN));
    for (const piece of clipPolyline(xs, ys, plot)) {
      marks.push({
        kind: 'path',
        points: piece,
        stroke: line.color,
        width: line.lineWidth,
        role: 'series',
        label: line.name,
      });
      drawn.push(piece);
    }
  });
  lines.forEach((line) => {
    if (!line.markers) return;
    line.xs.forEach((x, i) => {
      const y = line.ys[i]!;
      if (!drawable('linear', x) || !drawable(yScale, y)) return;
      const [px, py] = [xAxis.map(x), yAxis.map(y)];
      if (px < plot.x || px > plot.x + plot.width || py < plot.y || py > plot.y + plot.height)
        return;
      marks.push({
        kind: 'circle',
        x: px,
        y: py,
        radius: 3,
        fill: line.color,
        role: 'marker',
        label: line.name,
        tooltip: `${line.name}, ${xLabel || 'x'} ${x}: ${y}`,
      });
    });
  });

  const legend = options.legend ?? lines.length > 1;
  if (legend !== false) {
    const entries: LegendEntry[] = lines.map((l) => ({
      name: l.name,
      color: l.color,
      lineWidth: l.lineWidth,
      marker: l.markers,
    }));
    marks.push(...legendMarks(entries, plot, legend === true ? 'best' : legend, drawn));
  }
  return new Chart(width, height, marks, title);
}

/** A 1-pixel line on the pixel grid: at a half-pixel position, so that it stays sharp. */
const sharp = (v: number) => Math.round(v - 0.5) + 0.5;

/** The grid, the frame, the ticks and their labels. */
function axisMarks(plot: Box, xAxis: Scale, yAxis: Scale, grid: boolean): Mark[] {
  const marks: Mark[] = [];
  const bottom = plot.y + plot.height;
  const right = plot.x + plot.width;
  const xTicks = xAxis.ticks.filter(
    (t) => t.value >= xAxis.domain[0] && t.value <= xAxis.domain[1],
  );
  const yTicks = yAxis.ticks.filter(
    (t) => t.value >= yAxis.domain[0] && t.value <= yAxis.domain[1],
  );
  if (grid) {
    for (const t of xTicks) {
      const x = sharp(xAxis.map(t.value));
      marks.push({
        kind: 'path',
        points: [x, plot.y, x, bottom],
        stroke: theme.grid,
        width: 1,
        role: 'grid',
      });
    }
    for (const t of yTicks) {
      if (t.label === '') continue;
      const y = sharp(yAxis.map(t.value));
      marks.push({
        kind: 'path',
        points: [plot.x, y, right, y],
        stroke: theme.grid,
        width: 1,
        role: 'grid',
      });
    }
  }
  marks.push({ kind: 'rect', ...plot, stroke: theme.frame, role: 'plot-area' });
  for (const t of xTicks) {
    const x = sharp(xAxis.map(t.value));
    marks.push({
      kind: 'path',
      points: [x, bottom, x, bottom + theme.tickLength],
      stroke: theme.frame,
      width: 1,
      role: 'tick',
    });
    marks.push({
      kind: 'text',
      x: xAxis.map(t.value),
      y: bottom + theme.tickLength + 4 + theme.tickSize / 2,
      text: t.label,
      size: theme.tickSize,
      color: theme.text,
      anchor: 'middle',
      role: 'x-tick-label',
    });
  }
  for (const t of yTicks) {
    const y = sharp(yAxis.map(t.value));
    // A log scale's unlabelled ticks (2 to 9 times a power of ten) are shorter.
    const length = t.label === '' ? theme.tickLength / 2 : theme.tickLength;
    marks.push({
      kind: 'path',
      points: [plot.x - length, y, plot.x, y],
      stroke: theme.frame,
      width: 1,
      role: 'tick',
    });
    if (t.label !== '')
      marks.push({
        kind: 'text',
        x: plot.x - theme.tickLength - 4,
        y: yAxis.map(t.value),
        text: t.label,
        size: theme.tickSize,
        color: theme.text,
        anchor: 'end',
        role: 'y-tick-label',
      });
  }
  return marks;
}
