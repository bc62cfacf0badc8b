// The legend of a line chart: a framed box with a line sample and the name of each series,
// placed in a corner of the plot area, by default the one that hides the fewest points.

import { clipSegment } from './clip.js';
import type { Rgb } from './color.js';
import type { Mark } from './marks.js';
import { textWidth } from './marks.js';
import { theme } from './theme.js';

/** Where the legend goes, by matplotlib's names; 'best' picks the corner over the fewest data points. */
export type LegendLocation = 'best' | 'upper right' | 'upper left' | 'lower left' | 'lower right';

export interface LegendEntry {
  readonly name: string;
  readonly color: Rgb;
  readonly lineWidth: number;
  readonly marker: boolean;
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const row = 16;
const padding = 6;
const sample = 24;
const inset = 8;

/**
 * The legend's marks, in `location` of the plot area; for 'best', the corner where the
 * lines (`pieces`, each a flat x, y list) run the shortest way through the legend.
 */
export function legendMarks(
  entries: readonly LegendEntry[],
  plot: Box,
  location: LegendLocation,
  pieces: readonly (readonly number[])[],
): Mark[] {
  const width = Math.ceil(
    2 * padding + sample + 6 + Math.max(...entries.map((e) => textWidth(e.name, theme.tickSize))),
  );
  const height = 2 * padding + row * entries.length - 4;
  const corner = (where: Exclude<LegendLocation, 'best'>): Box => ({
    x: where.endsWith('left') ? plot.x + inset : plot.x + plot.width - inset - width,
    y: where.startsWith('upper') ? plot.y + inset : plot.y + plot.height - inset - height,
    width,
    height,
  });
  let box: Box;
  if (location === 'best') {
    // matplotlib's order breaks ties: upper right first.
    const candidates = (['upper right', 'upper left', 'lower left', 'lower right'] as const).map(
      corner,
    );
    const hidden = candidates.map((b) => hiddenLength(b, pieces));
    box = candidates[hidden.indexOf(Math.min(...hidden))]!;
  } else {
    box = corner(location);
  }
  const marks: Mark[] = [
    { kind: 'rect', ...box, fill: theme.background, stroke: theme.legendFrame, role: 'legend' },
  ];
  entries.forEach((entry, k) => {
    const y = box.y + padding + 6 + k * row;
    const x = box.x + padding;
    marks.push({
      kind: 'path',
      points: [x, y, x + sample, y],
      stroke: entry.color,
      width: entry.lineWidth,
      role: 'legend-line',
      label: entry.name,
    });
    if (entry.marker)
      marks.push({
        kind: 'circle',
        x: x + sample / 2,
        y,
        radius: 3,
        fill: entry.color,
        role: 'legend-marker',
        label: entry.name,
      });
    marks.push({
      kind: 'text',
      x: x + sample + 6,
      y,
      text: entry.name,
      size: theme.tickSize,
      color: theme.text,
      anchor: 'start',
      role: 'legend-label',
      label: entry.name,
    });
  });
  return marks;
}

/** How much of the lines the box would hide: their length inside it, a lone point as 4 pixels. */
function hiddenLength(box: Box, pieces: readonly (readonly number[])[]): number {
  let length = 0;
  for (const piece of pieces) {
    if (piece.length === 2) {
      const [x, y] = [piece[0]!, piece[1]!];
      const inside = x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;
      if (inside) length += 4;
    }
    for (let i = 2; i + 1 < piece.length; i += 2) {
      const clipped = clipSegment(piece[i - 2]!, piece[i - 1]!, piece[i]!, piece[i + 1]!, box);
      if (clipped) length += Math.hypot(clipped[2] - clipped[0], clipped[3] - clipped[1]);
    }
  }
  return length;
}
