// A small RGB rasterizer, so that a chart becomes a PNG without a DOM or a canvas library:
// rectangles with their edges' partial pixels, anti-aliased polylines and circles (each
// pixel takes the share of it that the shape covers, from its centre's distance to the
// shape), text in the 5x7 bitmap font, and images scaled without smoothing.

import type { Rgb } from '../color.js';
import { glyphAdvance, glyphAscent, glyphCells, glyphWidth } from './font.js';

/** Where text sits against its (x, y): anchored by its start, middle or end. */
export type TextAnchor = 'start' | 'middle' | 'end';

/** An RGB image, 8 bits per channel, rows top to bottom, drawn on by the methods. */
export class Raster {
  /** The pixels: red, green, blue for each, row by row. */
  readonly data: Uint8Array;
  // Coverage of the shape being drawn, per pixel, so that the segments of one polyline
  // overlapping at a joint do not darken it twice; `#touched` lists the pixels to blend.
  #coverage: Float32Array | undefined;
  #touched: number[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
      throw new RangeError(`Raster: the size should be positive integers, got ${width}x${height}`);
    this.data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.data.set(background, i * 3);
  }

  /** The colour at pixel (x, y). */
  pixel(x: number, y: number): Rgb {
    const at = (y * this.width + x) * 3;
    return [this.data[at]!, this.data[at + 1]!, this.data[at + 2]!];
  }

  /** Mixes `color` into pixel number `index` (row-major) with weight `alpha` in [0, 1]. */
  #blend(index: number, color: Rgb, alpha: number): void {
    const at = index * 3;
    const data = this.data;
    if (alpha >= 1) {
      data[at] = color[0];
      data[at + 1] = color[1];
      data[at + 2] = color[2];
      return;
    }
    data[at] = Math.round(data[at]! + (color[0] - data[at]!) * alpha);
    data[at + 1] = Math.round(data[at + 1]! + (color[1] - data[at + 1]!) * alpha);
    data[at + 2] = Math.round(data[at + 2]! + (color[2] - data[at + 2]!) * alpha);
  }

  /** Fills a rectangle; a pixel its edge crosses takes the share of its area it covers. */
  fillRect(x: number, y: number, width: number, height: number, color: Rgb): void {
    if (!(width > 0 && height > 0)) return;
    const [x1, y1] = [x + width, y + height];
    const [left, right] = [Math.max(0, Math.floor(x)), Math.min(this.width, Math.ceil(x1))];
    const [top, bottom] = [Math.max(0, Math.floor(y)), Math.min(this.height, Math.ceil(y1))];
    for (let j = top; j < bottom; j++) {
      const coverY = Math.min(j + 1, y1) - Math.max(j, y);
      for (let i = left; i < right; i++) {
        const coverX = Math.min(i + 1, x1) - Math.max(i, x);
        this.#blend(j * this.width + i, color, coverX * coverY);
      }
    }
  }

  /** A polyline `lineWidth` pixels wide with round joins and caps; points as x0, y0, x1, y1, ... */
  polyline(points: ArrayLike<number>, lineWidth: number, color: Rgb): void {
    const n = Math.floor(points.length / 2);
    if (n === 0 || !(lineWidth > 0)) return;
    const half = Math.max(1, lineWidth) / 2;
    const alpha = Math.min(1, lineWidth);
    if (n === 1) this.#coverSegment(points[0]!, points[1]!, points[0]!, points[1]!, half);
    for (let k = 1; k < n; k++) {
      const [x0, y0] = [points[2 * k - 2]!, points[2 * k - 1]!];
      this.#coverSegment(x0, y0, points[2 * k]!, points[2 * k + 1]!, half);
    }
    this.#flush(color, alpha);
  }

  /** A filled circle. */
  circle(x: number, y: number, radius: number, color: Rgb): void {
    if (!(radius > 0)) return;
    this.#coverSegment(x, y, x, y, radius);
    this.#flush(color, 1);
  }

  /** Records the coverage of the pixels within `half` of the segment (x0, y0)-(x1, y1). */
  #coverSegment(x0: number, y0: number, x1: number, y1: number, half: number): void {
    if (![x0, y0, x1, y1].every(Number.isFinite)) return;
    this.#coverage ??= new Float32Array(this.width * this.height);
    const coverage = this.#coverage;
    const reach = half + 1;
    const left = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
    const right = Math.min(this.width - 1, Math.ceil(Math.max(x0, x1) + reach));
    const top = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
    const bottom = Math.min(this.height - 1, Math.ceil(Math.max(y0, y1) + reach));
    const [dx, dy] = [x1 - x0, y1 - y0];
    const length2 = dx * dx + dy * dy;
    for (let j = top; j <= bottom; j++) {
      for (let i = left; i <= right; i++) {
        // The distance from the pixel's centre to the nearest point of the segment.
        const [px, py] = [i + 0.5 - x0, j + 0.5 - y0];
        const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, (px * dx + py * dy) / length2));
        const distance = Math.hypot(px - t * dx, py - t * dy);
        const cover = Math.min(1, half + 0.5 - distance);
        if (cover <= 0) continue;
        const index = j * this.width + i;
        if (coverage[index] === 0) this.#touched.push(index);
        if (cover > coverage[index]!) coverage[index] = cover;
      }
    }
  }

  /** Blends the recorded coverage in `color` and clears it. */
  #flush(color: Rgb, alpha: number): void {
    const coverage = this.#coverage;
    if (!coverage) return;
    for (const index of this.#touched) {
      this.#blend(index, color, coverage[index]! * alpha);
      coverage[index] = 0;
    }
    this.#touched = [];
  }

  /**
   * Text in the bitmap font, each font cell `cell` pixels square, centred vertically on `y`
   * (on the capitals) and anchored at `x`; at angle -90 it reads upwards, turned about (x, y).
   * Returns its width in pixels.
   */
  text(
    x: number,
    y: number,
    text: string,
    cell: number,
    color: Rgb,
    options: { anchor?: TextAnchor; bold?: boolean; angle?: 0 | -90 } = {},
  ): number {
    const { anchor = 'start', bold = false, angle = 0 } = options;
    const chars = [...text];
    // Bold text thickens each stroke by a third of a cell (at least a pixel) to the right.
    const thicken = bold ? Math.max(1, Math.round(cell / 3)) : 0;
    const advance = glyphAdvance * cell + thicken;
    const width = chars.length === 0 ? 0 : chars.length * advance - (advance - glyphWidth * cell);
    const start = anchor === 'start' ? 0 : anchor === 'middle' ? -width / 2 : -width;
    // Along the text (u) and down from its top (v), in whole pixels so the cells stay sharp.
    const u0 = Math.round((angle === 0 ? x : -y) + start);
    const v0 = Math.round((angle === 0 ? y : x) - (glyphAscent * cell) / 2);
    chars.forEach((char, k) => {
      for (const [i, j] of glyphCells(char)) {
        const u = u0 + k * advance + i * cell;
        const v = v0 + j * cell;
        if (angle === 0) this.fillRect(u, v, cell + thicken, cell, color);
        // Turned: u runs up the page from -y, v runs right from x.
        else this.fillRect(v, -u - cell - thicken, cell, cell + thicken, color);
      }
    });
    return width;
  }

  /** An RGB image scaled to the box (x, y, width, height), each pixel its nearest source pixel. */
  image(
    x: number,
    y: number,
    width: number,
    height: number,
    pixels: { readonly data: Uint8Array; readonly width: number; readonly height: number },
  ): void {
    const [left, right] = [Math.max(0, Math.round(x)), Math.min(this.width, Math.round(x + width))];
    const [top, bottom] = [
      Math.max(0, Math.round(y)),
      Math.min(this.height, Math.round(y + height)),
    ];
    for (let j = top; j < bottom; j++) {
      const row = Math.min(pixels.height - 1, Math.floor(((j + 0.5 - y) / height) * pixels.height));
      for (let i = left; i < right; i++) {
        const column = Math.min(
          pixels.width - 1,
          Math.floor(((i + 0.5 - x) / width) * pixels.width),
        );
        const from = (Math.max(0, row) * pixels.width + Math.max(0, column)) * 3;
        this.data.set(pixels.data.subarray(from, from + 3), (j * this.width + i) * 3);
      }
    }
  }
}
