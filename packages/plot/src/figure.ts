// figure: several charts side by side in one, as matplotlib's subplots: the loss and the
// accuracy of a run next to each other in one image.

import { Chart } from './chart.js';
import { type Mark, translateMark } from './marks.js';
import { checkOptionNames, checkSize } from './options.js';
import { theme } from './theme.js';

/** How figure lays its charts out. */
export interface FigureOptions {
  /** Charts per row (default: all in one row). */
  columns?: number;
  /** A title over all of them. */
  title?: string;
}

/**
 * The charts in one chart, `columns` to a row in the order given, each row as high as its
 * tallest chart, with an optional title over them:
 * `figure([lossChart, accuracyChart]).toPNG()`.
 */
export function figure(charts: readonly Chart[], options: FigureOptions = {}): Chart {
  checkOptionNames('figure', options, ['columns', 'title']);
  if (!Array.isArray(charts) || charts.length === 0 || !charts.every((c) => c instanceof Chart))
    throw new Error('figure: expected a non-empty array of charts');
  const columns = checkSize('figure', 'columns', options.columns, charts.length);
  const rows: Chart[][] = [];
  for (let i = 0; i < charts.length; i += columns) rows.push(charts.slice(i, i + columns));
  const { title } = options;
  const top = title ? 10 + theme.titleSize + 6 : 0;
  const width = Math.max(...rows.map((row) => row.reduce((sum, c) => sum + c.width, 0)));
  const height = top + rows.reduce((sum, row) => sum + Math.max(...row.map((c) => c.height)), 0);
  const marks: Mark[] = [
    { kind: 'rect', x: 0, y: 0, width, height, fill: theme.background, role: 'background' },
  ];
  if (title)
    marks.push({
      kind: 'text',
      x: width / 2,
      y: 10 + theme.titleSize / 2,
      text: title,
      size: theme.titleSize,
      color: theme.text,
      anchor: 'middle',
      bold: true,
      role: 'title',
    });
  let y = top;
  for (const row of rows) {
    let x = 0;
    for (const chart of row) {
      marks.push(...chart.marks.map((mark) => translateMark(mark, x, y)));
      x += chart.width;
    }
    y += Math.max(...row.map((c) => c.height));
  }
  return new Chart(
    width,
    height,
    marks,
    title ??
      charts
        .map((c) => c.title)
        .filter(Boolean)
        .join(', '),
  );
}
