// Draws a chart's marks on a Raster, `scale` device pixels to a chart pixel.

import type { Mark } from '../marks.js';
import { Raster } from './raster.js';

/** The font cell in device pixels for text of `size` chart pixels: whole pixels, so the text stays sharp. */
export function fontCell(size: number, scale: number): number {
  return Math.max(1, Math.round((size * scale) / 10));
}

/** The marks drawn in order on a white raster of (width x height) x scale pixels. */
export function rasterizeMarks(
  marks: readonly Mark[],
  width: number,
  height: number,
  scale: number,
): Raster {
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new RangeError(`rasterize: scale should be a positive number, got ${scale}`);
  const raster = new Raster(
    Math.max(1, Math.round(width * scale)),
    Math.max(1, Math.round(height * scale)),
  );
  for (const mark of marks) {
    switch (mark.kind) {
      case 'rect': {
        const [x, y, w, h] = [
          mark.x * scale,
          mark.y * scale,
          mark.width * scale,
          mark.height * scale,
        ];
        if (mark.fill) raster.fillRect(x, y, w, h, mark.fill);
        if (mark.stroke) {
          const line = Math.min(scale, w / 2, h / 2);
          raster.fillRect(x, y, w, line, mark.stroke);
          raster.fillRect(x, y + h - line, w, line, mark.stroke);
          raster.fillRect(x, y + line, line, h - 2 * line, mark.stroke);
          raster.fillRect(x + w - line, y + line, line, h - 2 * line, mark.stroke);
        }
        break;
      }
      case 'path':
        raster.polyline(
          mark.points.map((v) => v * scale),
          mark.width * scale,
          mark.stroke,
        );
        break;
      case 'circle':
        raster.circle(mark.x * scale, mark.y * scale, mark.radius * scale, mark.fill);
        break;
      case 'text':
        raster.text(
          mark.x * scale,
          mark.y * scale,
          mark.text,
          fontCell(mark.size, scale),
          mark.color,
          {
            anchor: mark.anchor,
            bold: mark.bold ?? false,
            angle: mark.angle ?? 0,
          },
        );
        break;
      case 'image':
        raster.image(
          mark.x * scale,
          mark.y * scale,
          mark.width * scale,
          mark.height * scale,
          mark.pixels,
        );
        break;
      default:
        mark satisfies never;
    }
  }
  return raster;
}
