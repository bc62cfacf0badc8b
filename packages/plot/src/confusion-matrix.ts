// confusionMatrixChart: a confusion matrix as a heatmap with the count (or fraction) in each
// cell, class labels and a colour bar, as scikit-learn's ConfusionMatrixDisplay draws it.

import { Chart } from './chart.js';
import { type Colormap, colormapColor, luminance } from './color.js';
import { type Mark, textWidth } from './marks.js';
import { checkOptionNames, checkSize } from './options.js';
import { makeScale } from './scale.js';
import { theme } from './theme.js';

/** What confusionMatrixChart draws, and how. */
export interface ConfusionMatrixChartOptions {
  /** The classes' names, in row (and column) order (default: 0, 1, 2, ...). */
  labels?: readonly string[];
  /**
   * Divide each count by its row's sum ('true': the recall of each class on the diagonal),
   * its column's ('pred': the precision) or the total ('all'), as scikit-learn's `normalize`.
   */
  normalize?: 'true' | 'pred' | 'all';
  title?: string;
  /** 'blues' (default), 'viridis' or 'greys'. */
  colormap?: Colormap;
  /** The value in each cell (default: when the cells are 20 pixels or larger). */
  cellText?: boolean;
  /** How a cell's value is written (default: whole counts as they are, fractions with 2 decimals). */
  format?: (value: number) => string;
  /** A colour bar beside the matrix (default true). */
  colorbar?: boolean;
  /** The side of a cell in pixels (default: what fits 360 pixels, between 20 and 56). */
  cellSize?: number;
}

const optionNames = [
  'labels',
  'normalize',
  'title',
  'colormap',
  'cellText',
  'format',
  'colorbar',
  'cellSize',
];

/** The matrix as rows of numbers, checked square. */
function readMatrix(matrix: readonly ArrayLike<number>[]): number[][] {
  if (!Array.isArray(matrix) || matrix.length === 0)
    throw new Error(
      'confusionMatrixChart: expected a square matrix as an array of rows of numbers',
    );
  const n = matrix.length;
  return matrix.map((row: ArrayLike<number>, i: number) => {
    if (typeof row?.length !== 'number' || row.length !== n)
      throw new Error(
        `confusionMatrixChart: the matrix should be square (${n}x${n}), but row ${i} has ${row?.length ?? 'no'} values`,
      );
    return Array.from(row, (v: number) => {
      if (!Number.isFinite(v) || v < 0)
        throw new RangeError(
          `confusionMatrixChart: row ${i} has ${v}; counts are finite and not negative`,
        );
      return v;
    });
  });
}

/** Each count divided by its row's, column's or the total sum (0 where that sum is 0, as scikit-learn). */
function normalized(
  counts: number[][],
  normalize: 'true' | 'pred' | 'all' | undefined,
): number[][] {
  if (normalize === undefined) return counts;
  const divide = (v: number, by: number) => (by === 0 ? 0 : v / by);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  if (normalize === 'true') return counts.map((row) => row.map((v) => divide(v, sum(row))));
  if (normalize === 'pred') {
    const columns = counts.map((_, j) => sum(counts.map((row) => row[j]!)));
    return counts.map((row) => row.map((v, j) => divide(v, columns[j]!)));
  }
  if (normalize === 'all') {
    const total = sum(counts.map(sum));
    return counts.map((row) => row.map((v) => divide(v, total)));
  }
  throw new RangeError(
    `confusionMatrixChart: normalize should be 'true', 'pred' or 'all', got '${String(normalize)}'`,
  );
}

/**
 * A confusion matrix as a heatmap: `matrix[i][j]` samples of true class i predicted as j
 * (what `@dl/data/metrics`' confusionMatrix returns), rows labelled 'True label' and
 * columns 'Predicted label', each cell coloured by its value from the colormap's lightest
 * (the smallest value, or 0) to its darkest (the largest), with the value written in it.
 */
export function confusionMatrixChart(
  matrix: readonly ArrayLike<number>[],
  options: ConfusionMatrixChartOptions = {},
): Chart {
  checkOptionNames('confusionMatrixChart', options, optionNames);
  const counts = readMatrix(matrix);
  const n = counts.length;
  const { normalize, title, colormap = 'blues', colorbar = true } = options;
  const values = normalized(counts, normalize);
  const labels = options.labels ? [...options.labels] : counts.map((_, i) => String(i));
  if (labels.length !== n)
    throw new Error(`confusionMatrixChart: ${labels.length} labels for a ${n}x${n} matrix`);
  colormapColor(colormap, 0); // refuses an unknown colormap
  const cell = checkSize(
    'confusionMatrixChart',
    'cellSize',
    options.cellSize,
    Math.max(20, Math.min(56, Math.floor(360 / n))),
  );
  const cellText = options.cellText ?? cell >= 20;
  const integers = values.every((row) => row.every(Number.isInteger));
  const format = options.format ?? ((v: number) => (integers ? String(v) : v.toFixed(2)));

  // The colour scale runs from min(0, smallest) to the largest value.
  const flat = values.flat();
  const low = Math.min(0, ...flat);
  const high = Math.max(...flat) > low ? Math.max(...flat) : low + 1;
  const color = (v: number) => colormapColor(colormap, (v - low) / (high - low));

  // Column labels turn upwards when they do not fit their cells.
  const labelWidth = Math.max(...labels.map((l) => textWidth(l, theme.tickSize)));
  const turned = labelWidth > cell - 4;
  const columnLabelsHeight = turned ? labelWidth : theme.tickSize;
  const left = Math.ceil(10 + theme.labelSize + 10 + labelWidth + theme.tickLength + 4);
  const top = title ? 14 + theme.titleSize + 12 : 14;
  const side = cell * n;
  const bottomOfMatrix = top + side;
  const height = Math.ceil(
    bottomOfMatrix + theme.tickLength + 4 + columnLabelsHeight + 10 + theme.labelSize + 10,
  );
  const barLeft = left + side + 16;
  const barWidth = 14;
  const bar = colorbar
    ? makeScale('linear', [low, high], [bottomOfMatrix, top], Math.max(2, Math.floor(side / 40)))
    : undefined;
  const barLabels = bar ? Math.max(...bar.ticks.map((t) => textWidth(t.label, theme.tickSize))) : 0;
  const width = Math.ceil(
    bar ? barLeft + barWidth + theme.tickLength + 4 + barLabels + 12 : left + side + 16,
  );

  const marks: Mark[] = [
    { kind: 'rect', x: 0, y: 0, width, height, fill: theme.background, role: 'background' },
  ];
  values.forEach((row, i) => {
    row.forEach((v, j) => {
      const fill = color(v);
      const tooltip = `true ${labels[i]}, predicted ${labels[j]}: ${format(v)}`;
      marks.push({
        kind: 'rect',
        x: left + j * cell,
        y: top + i * cell,
        width: cell,
        height: cell,
        fill,
        role: 'cell',
        label: `${i},${j}`,
        tooltip,
      });
      if (cellText)
        marks.push({
          kind: 'text',
          x: left + (j + 0.5) * cell,
          y: top + (i + 0.5) * cell,
          text: format(v),
          size: theme.tickSize,
          color: luminance(fill) < 0.5 ? theme.background : theme.text,
          anchor: 'middle',
          role: 'cell-text',
          label: `${i},${j}`,
        });
    });
  });
  marks.push({
    kind: 'rect',
    x: left,
    y: top,
    width: side,
    height: side,
    stroke: theme.frame,
    role: 'plot-area',
  });
  labels.forEach((label, k) => {
    const middle = (k + 0.5) * cell;
    marks.push({
      kind: 'text',
      x: left - theme.tickLength - 4,
      y: top + middle,
      text: label,
      size: theme.tickSize,
      color: theme.text,
      anchor: 'end',
      role: 'row-label',
    });
    marks.push(
      turned
        ? {
            kind: 'text',
            x: left + middle,
            y: bottomOfMatrix + theme.tickLength + 4,
            text: label,
            size: theme.tickSize,
            color: theme.text,
            anchor: 'end',
            angle: -90,
            role: 'column-label',
          }
        : {
            kind: 'text',
            x: left + middle,
            y: bottomOfMatrix + theme.tickLength + 4 + theme.tickSize / 2,
            text: label,
            size: theme.tickSize,
            color: theme.text,
            anchor: 'middle',
            role: 'column-label',
          },
    );
  });
  marks.push({
    kind: 'text',
    x: 10 + theme.labelSize / 2,
    y: top + side / 2,
    text: 'True label',
    size: theme.labelSize,
    color: theme.text,
    anchor: 'middle',
    angle: -90,
    role: 'y-label',
  });
  marks.push({
    kind: 'text',
    x: left + side / 2,
    y: height - 10 - theme.labelSize / 2,
    text: 'Predicted label',
    size: theme.labelSize,
    color: theme.text,
    anchor: 'middle',
    role: 'x-label',
  });
  if (title)
    marks.push({
      kind: 'text',
      x: left + side / 2,
      y: 14 + theme.titleSize / 2,
      text: title,
      size: theme.titleSize,
      color: theme.text,
      anchor: 'middle',
      bold: true,
      role: 'title',
    });
  if (bar) {
    // The bar is a stack of thin bands, so every output draws the same colours.
    const bands = Math.max(2, Math.round(side / 2));
    for (let b = 0; b < bands; b++) {
      const t = (b + 0.5) / bands;
      marks.push({
        kind: 'rect',
        x: barLeft,
        y: bottomOfMatrix - ((b + 1) * side) / bands,
        width: barWidth,
        height: side / bands,
        fill: colormapColor(colormap, t),
        role: 'colorbar',
      });
    }
    marks.push({
      kind: 'rect',
      x: barLeft,
      y: top,
      width: barWidth,
      height: side,
      stroke: theme.frame,
      role: 'colorbar-frame',
    });
    for (const t of bar.ticks) {
      const y = bar.map(t.value);
      marks.push({
        kind: 'path',
        points: [barLeft + barWidth, y, barLeft + barWidth + theme.tickLength, y],
        stroke: theme.frame,
        width: 1,
        role: 'tick',
      });
      marks.push({
        kind: 'text',
        x: barLeft + barWidth + theme.tickLength + 4,
        y,
        text: t.label,
        size: theme.tickSize,
        color: theme.text,
        anchor: 'start',
        role: 'colorbar-label',
      });
    }
  }
  return new Chart(width, height, marks, title ?? 'confusion matrix');
}
