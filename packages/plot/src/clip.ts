// Cuts a line's points into the pieces that lie in a box: segments leaving the box end at
// its edge (Liang-Barsky clipping), and a point that cannot be drawn (NaN, or not positive
// on a log scale: given as NaN here) breaks the line, as in matplotlib.

import type { Box } from './legend.js';

/** Clips the segment (x0, y0)-(x1, y1) to the box; undefined if none of it is inside. */
export function clipSegment(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  box: Box,
): [number, number, number, number] | undefined {
  const [dx, dy] = [x1 - x0, y1 - y0];
  let [t0, t1] = [0, 1];
  const edges: [number, number][] = [
    [-dx, x0 - box.x],
    [dx, box.x + box.width - x0],
    [-dy, y0 - box.y],
    [dy, box.y + box.height - y0],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return undefined;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return undefined;
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

/** The pieces (flat x, y lists) of the polyline through `xs`, `ys` that lie in the box. */
export function clipPolyline(xs: readonly number[], ys: readonly number[], box: Box): number[][] {
  const pieces: number[][] = [];
  let piece: number[] = [];
  const finish = () => {
    if (piece.length > 0) pieces.push(piece);
    piece = [];
  };
  const inside = (x: number, y: number) =>
    x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;
  for (let i = 0; i < xs.length; i++) {
    const [x, y] = [xs[i]!, ys[i]!];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      finish();
      continue;
    }
    const [px, py] = [xs[i - 1] ?? Number.NaN, ys[i - 1] ?? Number.NaN];
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      // The first point of a run: it starts a piece if it is inside.
      if (inside(x, y)) piece.push(x, y);
      continue;
    }
    const clipped = clipSegment(px, py, x, y, box);
    if (!clipped) {
      finish();
      continue;
    }
    const [ax, ay, bx, by] = clipped;
    // A segment entering the box starts a new piece at the edge.
    if (piece.length === 0 || piece.at(-2) !== ax || piece.at(-1) !== ay) {
      finish();
      piece.push(ax, ay);
    }
    piece.push(bx, by);
    if (bx !== x || by !== y) finish();
  }
  finish();
  return pieces;
}
