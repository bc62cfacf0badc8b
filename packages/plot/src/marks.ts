// The marks a chart is made of: rectangles, polylines, circles, text and images in the
// chart's own coordinates (pixels, y down). Every output (SVG, the rasterizer for PNG, a
// browser canvas) draws the same list, so the three agree.

import type { Rgb } from './color.js';

/** What every mark may carry to be found again: an SVG class and a `data-label`. */
export interface MarkTags {
  /** What the mark is in its chart ('series', 'grid', 'tick-label', 'cell', ...): the SVG class. */
  readonly role?: string;
  /** The series, class or image it belongs to: the SVG `data-label`. */
  readonly label?: string;
  /** A tooltip (an SVG `<title>`), such as a heatmap cell's value. */
  readonly tooltip?: string;
}

/** A filled rectangle, optionally outlined (1 pixel, inside its bounds). */
export interface RectMark extends MarkTags {
  readonly kind: 'rect';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly fill?: Rgb;
  readonly stroke?: Rgb;
}

/** A polyline with round joins and caps: points as x0, y0, x1, y1, ... */
export interface PathMark extends MarkTags {
  readonly kind: 'path';
  readonly points: readonly number[];
  readonly stroke: Rgb;
  /** Line width in pixels. */
  readonly width: number;
}

/** A filled circle. */
export interface CircleMark extends MarkTags {
  readonly kind: 'circle';
  readonly x: number;
  readonly y: number;
  readonly radius: number;
  readonly fill: Rgb;
}

/**
 * One line of text, vertically centred on `y` (on its capitals), anchored at `x` by its
 * start, middle or end; `angle` -90 turns it to read upwards about (x, y).
 */
export interface TextMark extends MarkTags {
  readonly kind: 'text';
  readonly x: number;
  readonly y: number;
  readonly text: string;
  /** Font size in pixels. */
  readonly size: number;
  readonly color: Rgb;
  readonly anchor: 'start' | 'middle' | 'end';
  readonly bold?: boolean;
  readonly angle?: 0 | -90;
}

/** An RGB image (8 bits per channel, row-major), scaled to its box with no smoothing. */
export interface ImageMark extends MarkTags {
  readonly kind: 'image';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly pixels: { readonly data: Uint8Array; readonly width: number; readonly height: number };
}

/** Anything a chart draws. */
export type Mark = RectMark | PathMark | CircleMark | TextMark | ImageMark;

/** The mark moved by (dx, dy). */
export function translateMark(mark: Mark, dx: number, dy: number): Mark {
  switch (mark.kind) {
    case 'path':
      return { ...mark, points: mark.points.map((v, i) => v + (i % 2 === 0 ? dx : dy)) };
    case 'rect':
    case 'circle':
    case 'text':
    case 'image':
      return { ...mark, x: mark.x + dx, y: mark.y + dy };
    default:
      return mark satisfies never;
  }
}

/** The width a line of text takes at `size` pixels, as the layout reckons it (0.6 em a character). */
export function textWidth(text: string, size: number): number {
  return [...text].length * size * 0.6;
}
