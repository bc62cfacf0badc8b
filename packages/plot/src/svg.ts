// A chart's marks as an SVG document: plain text, no DOM. Each mark's role becomes its
// class and its label a data-label, so a page's CSS or a test can find them.

import { hex } from './color.js';
import type { Mark, MarkTags } from './marks.js';
import { encodeBase64, encodePngRgb } from './png.js';

/** A coordinate with at most two decimals, as short as it can be written. */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Text with &, <, > and " escaped for an attribute or element content. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );
}

function tags(mark: MarkTags): string {
  return (
    (mark.role ? ` class="${escapeXml(mark.role)}"` : '') +
    (mark.label !== undefined ? ` data-label="${escapeXml(mark.label)}"` : '')
  );
}

/** The element, closed, with the mark's tooltip as a <title> child if it has one. */
function element(name: string, attributes: string, mark: MarkTags): string {
  return mark.tooltip === undefined
    ? `<${name}${attributes}${tags(mark)}/>`
    : `<${name}${attributes}${tags(mark)}><title>${escapeXml(mark.tooltip)}</title></${name}>`;
}

function markSvg(mark: Mark): string {
  switch (mark.kind) {
    case 'rect': {
      const fill = mark.fill ? hex(mark.fill) : 'none';
      // The rasterizer draws a rectangle's outline inside it; SVG centres a stroke on the edge.
      const [x, y, w, h] = mark.stroke
        ? [mark.x + 0.5, mark.y + 0.5, mark.width - 1, mark.height - 1]
        : [mark.x, mark.y, mark.width, mark.height];
      const stroke = mark.stroke ? ` stroke="${hex(mark.stroke)}"` : '';
      return element(
        'rect',
        ` x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}" fill="${fill}"${stroke}`,
        mark,
      );
    }
    case 'path': {
      const points: string[] = [];
      for (let i = 0; i + 1 < mark.points.length; i += 2)
        points.push(`${num(mark.points[i]!)},${num(mark.points[i + 1]!)}`);
      return element(
        'polyline',
        ` points="${points.join(' ')}" fill="none" stroke="${hex(mark.stroke)}" stroke-width="${num(mark.width)}" stroke-linejoin="round" stroke-linecap="round"`,
        mark,
      );
    }
    case 'circle':
      return element(
        'circle',
        ` cx="${num(mark.x)}" cy="${num(mark.y)}" r="${num(mark.radius)}" fill="${hex(mark.fill)}"`,
        mark,
      );
    case 'text': {
      const anchor = mark.anchor === 'start' ? '' : ` text-anchor="${mark.anchor}"`;
      const bold = mark.bold ? ' font-weight="bold"' : '';
      const turn = mark.angle
        ? ` transform="rotate(${mark.angle} ${num(mark.x)} ${num(mark.y)})"`
        : '';
      // dy 0.35em puts the baseline so that the capitals are centred on y.
      return `<text x="${num(mark.x)}" y="${num(mark.y)}" dy="0.35em" font-size="${num(mark.size)}" fill="${hex(mark.color)}"${anchor}${bold}${turn}${tags(mark)}>${escapeXml(mark.text)}</text>`;
    }
    case 'image': {
      const png = encodeBase64(
        encodePngRgb(mark.pixels.data, mark.pixels.width, mark.pixels.height),
      );
      return element(
        'image',
        ` x="${num(mark.x)}" y="${num(mark.y)}" width="${num(mark.width)}" height="${num(mark.height)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,${png}"`,
        mark,
      );
    }
    default:
      return mark satisfies never;
  }
}

/** An SVG document of `width` x `height` pixels drawing the marks in order. */
export function marksToSvg(
  marks: readonly Mark[],
  width: number,
  height: number,
  title: string | undefined,
): string {
  const label = title ? ` role="img" aria-label="${escapeXml(title)}"` : ' role="img"';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="sans-serif"${label}>`,
    ...marks.map(markSvg),
    '</svg>',
    '',
  ].join('\n');
}
