// Chart: what lineChart, confusionMatrixChart, imageGrid and figure return. A size and a
// list of marks, with one method per output: SVG text, an RGB image, PNG bytes, a canvas.

import { type CanvasContext, drawMarks } from './canvas.js';
import type { Mark } from './marks.js';
import { encodePngRgb } from './png.js';
import { rasterizeMarks } from './raster/draw.js';
import { marksToSvg } from './svg.js';

/** Options of a chart's raster outputs (toPNG, rasterize). */
export interface RasterOptions {
  /**
   * Device pixels per chart pixel (default 1): 2 gives an image twice as wide and high, for
   * a sharp picture on a high-density screen or in print.
   */
  scale?: number;
}

/** An 8-bit RGB image, rows top to bottom: the shape of `@dl/vision`'s RawImage. */
export interface RgbImage {
  /** Red, green, blue for each pixel, row by row. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
}

/**
 * A chart: its size in pixels and the marks it draws (rectangles, polylines, circles, text,
 * images), which every output draws the same way.
 */
export class Chart {
  /**
   * A chart of `width` x `height` pixels drawing `marks` in order (later ones on top), as
   * lineChart and the other builders make them; `title` names it for screen readers.
   */
  constructor(
    readonly width: number,
    readonly height: number,
    readonly marks: readonly Mark[],
    readonly title?: string,
  ) {
    if (!(width > 0 && height > 0 && Number.isFinite(width) && Number.isFinite(height)))
      throw new RangeError(`Chart: width and height should be positive, got ${width}x${height}`);
  }

  /** The chart as an SVG document: a string, made without a DOM. */
  toSVG(): string {
    return marksToSvg(this.marks, this.width, this.height, this.title);
  }

  /** The chart drawn by dl's own rasterizer, as RGB pixels. */
  rasterize(options: RasterOptions = {}): RgbImage {
    const raster = rasterizeMarks(this.marks, this.width, this.height, options.scale ?? 1);
    return { data: raster.data, width: raster.width, height: raster.height, channels: 3 };
  }

  /** The chart as PNG bytes (RGB), in any runtime. */
  toPNG(options: RasterOptions = {}): Uint8Array {
    const { data, width, height } = this.rasterize(options);
    return encodePngRgb(data, width, height);
  }

  /**
   * Draws the chart on a browser canvas's 2D context at its current transform, its top left
   * corner at the origin. For a sharp chart on a high-density screen, size the canvas
   * `devicePixelRatio` times the chart and `ctx.scale(devicePixelRatio, devicePixelRatio)` first.
   */
  drawOnCanvas(ctx: CanvasContext): void {
    drawMarks(ctx, this.marks);
  }
}
