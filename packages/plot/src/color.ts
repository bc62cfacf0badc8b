// Colours: the marks' RGB triples, what a user may write for one ('#1f77b4', '#f80'), the
// default cycle of series colours (matplotlib's tab10) and the colormaps of heatmaps.

/** A colour as red, green and blue, each 0 to 255. */
export type Rgb = readonly [number, number, number];

/** matplotlib's default colour cycle ('tab10'): the colours series take in turn. */
export const tab10: readonly Rgb[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
].map((hex) => parseColor(hex, 'tab10'));

/** Reads '#rrggbb' or '#rgb'; anything else is refused, naming `what` it was given for. */
export function parseColor(color: string, what: string): Rgb {
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (long) return [parseInt(long[1]!, 16), parseInt(long[2]!, 16), parseInt(long[3]!, 16)];
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(color);
  if (short) {
    const [r, g, b] = [1, 2, 3].map((i) => parseInt(short[i]!, 16) * 17);
    return [r!, g!, b!];
  }
  throw new Error(`${what}: a colour is written '#rrggbb' or '#rgb', got '${color}'`);
}

/** '#rrggbb'. */
export function hex(color: Rgb): string {
  return `#${color.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** Relative luminance in [0, 1] (sRGB weights), to choose dark or light text on a colour. */
export function luminance(color: Rgb): number {
  return (0.2126 * color[0] + 0.7152 * color[1] + 0.0722 * color[2]) / 255;
}

/** The colormaps a heatmap may use, by matplotlib's names. */
export type Colormap = 'blues' | 'viridis' | 'greys';

// Evenly spaced stops, interpolated linearly in RGB: colorbrewer's 9-class Blues and Greys
// (matplotlib's 'Blues' and 'Greys' are built from the same stops) and ten samples of
// matplotlib's viridis.
const stops: Record<Colormap, readonly Rgb[]> = {
  blues: [
    '#f7fbff',
    '#deebf7',
    '#c6dbef',
    '#9ecae1',
    '#6baed6',
    '#4292c6',
    '#2171b5',
    '#08519c',
    '#08306b',
  ].map((c) => parseColor(c, 'blues')),
  greys: [
    '#ffffff',
    '#f0f0f0',
    '#d9d9d9',
    '#bdbdbd',
    '#969696',
    '#737373',
    '#525252',
    '#252525',
    '#000000',
  ].map((c) => parseColor(c, 'greys')),
  viridis: [
    '#440154',
    '#482878',
    '#3e4989',
    '#31688e',
    '#26828e',
    '#1f9e89',
    '#35b779',
    '#6ece58',
    '#b5de2b',
    '#fde725',
  ].map((c) => parseColor(c, 'viridis')),
};

/** The colour of `t` in [0, 1] (clamped) on a colormap, rounded to whole RGB values. */
export function colormapColor(colormap: Colormap, t: number): Rgb {
  const table = stops[colormap];
  if (!table)
    throw new Error(`colormap should be 'blues', 'viridis' or 'greys', got '${colormap}'`);
  const position = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) * (table.length - 1);
  const i = Math.min(table.length - 2, Math.floor(position));
  const f = position - i;
  const a = table[i]!;
  const b = table[i + 1]!;
  const mix = (c: 0 | 1 | 2) => Math.round(a[c] + (b[c] - a[c]) * f);
  return [mix(0), mix(1), mix(2)];
}
