// Draws a chart's marks on a browser canvas (CanvasRenderingContext2D or
// OffscreenCanvasRenderingContext2D), at the context's current transform.

import { hex } from './color.js';
import type { Mark } from './marks.js';

/**
 * What drawOnCanvas uses of a canvas's 2D context. A `CanvasRenderingContext2D` or an
 * `OffscreenCanvasRenderingContext2D` is one; it is spelled out here so that the package's
 * types do not need the DOM library.
 */
export interface CanvasContext {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  lineJoin: string;
  lineCap: string;
  font: string;
  textAlign: string;
  textBaseline: string;
  /** Saves the state (styles, transform) for restore(). */
  save(): void;
  /** Restores the state saved last. */
  restore(): void;
  /** Moves the origin. */
  translate(x: number, y: number): void;
  /** Turns the axes by `angle` radians. */
  rotate(angle: number): void;
  /** Starts a new path. */
  beginPath(): void;
  /** Starts a subpath at (x, y). */
  moveTo(x: number, y: number): void;
  /** A straight line to (x, y). */
  lineTo(x: number, y: number): void;
  /** A circular arc. */
  arc(x: number, y: number, radius: number, startAngle: number, endAngle: number): void;
  /** Outlines the path. */
  stroke(): void;
  /** Fills the path. */
  fill(): void;
  /** Fills a rectangle. */
  fillRect(x: number, y: number, width: number, height: number): void;
  /** Fills text at (x, y). */
  fillText(text: string, x: number, y: number): void;
}

/** Draws the marks in order; images go pixel run by pixel run, so the transform applies to them. */
export function drawMarks(ctx: CanvasContext, marks: readonly Mark[]): void {
  ctx.save();
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  ctx.textBaseline = 'alphabetic';
  for (const mark of marks) {
    switch (mark.kind) {
      case 'rect':
        if (mark.fill) {
          ctx.fillStyle = hex(mark.fill);
          ctx.fillRect(mark.x, mark.y, mark.width, mark.height);
        }
        if (mark.stroke) {
          // As the rasterizer: a 1-pixel outline inside the rectangle.
          const { x, y, width, height } = mark;
          ctx.fillStyle = hex(mark.stroke);
          ctx.fillRect(x, y, width, 1);
          ctx.fillRect(x, y + height - 1, width, 1);
          ctx.fillRect(x, y + 1, 1, height - 2);
          ctx.fillRect(x + width - 1, y + 1, 1, height - 2);
        }
        break;
      case 'path': {
        const points = mark.points;
        if (points.length < 2) break;
        ctx.strokeStyle = hex(mark.stroke);
        ctx.lineWidth = mark.width;
        ctx.beginPath();
        ctx.moveTo(points[0]!, points[1]!);
        // A single point is a dot: a zero-length line with round caps.
        if (points.length === 2) ctx.lineTo(points[0]!, points[1]!);
        for (let i = 2; i + 1 < points.length; i += 2) ctx.lineTo(points[i]!, points[i + 1]!);
        ctx.stroke();
        break;
      }
      case 'circle':
        ctx.fillStyle = hex(mark.fill);
        ctx.beginPath();
        ctx.arc(mark.x, mark.y, mark.radius, 0, 2 * Math.PI);
        ctx.fill();
        break;
      case 'text':
        ctx.fillStyle = hex(mark.color);
        ctx.font = `${mark.bold ? 'bold ' : ''}${mark.size}px sans-serif`;
        ctx.textAlign = mark.anchor === 'middle' ? 'center' : mark.anchor;
        ctx.save();
        ctx.translate(mark.x, mark.y);
        if (mark.angle) ctx.rotate((mark.angle * Math.PI) / 180);
        // As in the SVG (dy 0.35em): the baseline below y, so the capitals are centred on it.
        ctx.fillText(mark.text, 0, 0.35 * mark.size);
        ctx.restore();
        break;
      case 'image':
        drawImage(ctx, mark);
        break;
      default:
        mark satisfies never;
    }
  }
  ctx.restore();
}

/** Each row of the image as runs of equal pixels, one fillRect a run. */
function drawImage(ctx: CanvasContext, mark: Extract<Mark, { kind: 'image' }>): void {
  const { data, width, height } = mark.pixels;
  const [sx, sy] = [mark.width / width, mark.height / height];
  for (let row = 0; row < height; row++) {
    let start = 0;
    while (start < width) {
      const at = (row * width + start) * 3;
      let end = start + 1;
      while (
        end < width &&
        data[(row * width + end) * 3] === data[at] &&
        data[(row * width + end) * 3 + 1] === data[at + 1] &&
        data[(row * width + end) * 3 + 2] === data[at + 2]
      )
        end++;
      ctx.fillStyle = hex([data[at]!, data[at + 1]!, data[at + 2]!]);
      ctx.fillRect(mark.x + start * sx, mark.y + row * sy, (end - start) * sx, sy);
      start = end;
    }
  }
}
