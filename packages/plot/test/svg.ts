// A small reader of the SVG the charts write, for the tests: every element with its
// attributes and, for <text> and <title>, its text; and PNG pixels, decoded with fast-png.

import { decode } from 'fast-png';

export interface Element {
  name: string;
  attributes: Record<string, string>;
  /** The text inside, unescaped, as the DOM's textContent. */
  text: string;
}

const unescapeXml = (s: string) =>
  s.replace(
    /&(amp|lt|gt|quot);/g,
    (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"' })[e] ?? '',
  );

/** The elements of an SVG document in order, checking that it is well formed (tags balance). */
export function parseSvg(svg: string): Element[] {
  const elements: Element[] = [];
  const open: Element[] = [];
  const tag = /<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  let end = 0;
  for (const match of svg.matchAll(tag)) {
    if (match.index !== end) throw new Error(`not XML at ${end}: ${svg.slice(end, end + 40)}`);
    end = match.index + match[0].length;
    const [, closing, name, attributeText, selfClosing, text] = match;
    if (text !== undefined) {
      // Each open element gets it, as the DOM's textContent.
      for (const parent of open) parent.text += unescapeXml(text);
      if (open.length === 0 && text.trim() !== '')
        throw new Error(`text outside the root: ${text}`);
      continue;
    }
    if (closing) {
      const element = open.pop();
      if (element?.name !== name) throw new Error(`</${name}> closes <${element?.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of (attributeText ?? '').matchAll(/([\w:-]+)="([^"]*)"/g))
      attributes[key!] = unescapeXml(value!);
    const element = { name: name!, attributes, text: '' };
    elements.push(element);
    if (!selfClosing) open.push(element);
  }
  if (end !== svg.length) throw new Error('trailing characters');
  if (open.length > 0) throw new Error(`<${open[0]!.name}> is not closed`);
  return elements;
}

/** The elements whose class is `role`. */
export function byRole(elements: readonly Element[], role: string): Element[] {
  return elements.filter((e) => e.attributes['class'] === role);
}

/** An attribute as a number. */
export function num(element: Element, name: string): number {
  const value = element.attributes[name];
  if (value === undefined) throw new Error(`<${element.name}> has no ${name}`);
  return Number(value);
}

/** A polyline's points as [x, y] pairs. */
export function polylinePoints(element: Element): [number, number][] {
  return (element.attributes['points'] ?? '')
    .split(' ')
    .map((pair) => pair.split(',').map(Number) as [number, number]);
}

/** The plot area (inside edges of its frame): the frame is drawn as a rect inset by half a pixel. */
export function plotArea(elements: readonly Element[]): {
  x: number;
  y: number;
  width: number;
  height: number;
} {
  const [frame] = byRole(elements, 'plot-area');
  if (!frame) throw new Error('no plot area');
  return {
    x: num(frame, 'x') - 0.5,
    y: num(frame, 'y') - 0.5,
    width: num(frame, 'width') + 1,
    height: num(frame, 'height') + 1,
  };
}

export interface Pixels {
  width: number;
  height: number;
  /** '#rrggbb' of pixel (x, y). */
  at(x: number, y: number): string;
}

/** PNG bytes decoded with fast-png (8-bit RGB or RGBA). */
export function decodePng(bytes: Uint8Array): Pixels {
  const png = decode(bytes);
  if (png.depth !== 8) throw new Error(`a ${png.depth}-bit PNG`);
  return pixelsOf(png.data, png.width, png.height, png.channels);
}

/** Pixels of RGB or RGBA data. */
export function pixelsOf(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
): Pixels {
  return {
    width,
    height,
    at(x, y) {
      if (x < 0 || y < 0 || x >= width || y >= height)
        throw new Error(`(${x}, ${y}) is outside ${width}x${height}`);
      const i = (Math.floor(y) * width + Math.floor(x)) * channels;
      return `#${[0, 1, 2].map((c) => data[i + c]!.toString(16).padStart(2, '0')).join('')}`;
    },
  };
}
