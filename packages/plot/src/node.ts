// @dl/plot/node: saving a chart to a file in Node, as plt.savefig.

import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Chart, RasterOptions } from './chart.js';

/**
 * Writes the chart to `path` as PNG or SVG, chosen by the extension (`.png`, `.svg`), like
 * plt.savefig. The file is written whole or not at all: to a temporary file beside it, then
 * renamed over it, so a reader never sees half a chart.
 */
export async function savePlot(
  chart: Chart,
  path: string,
  options: RasterOptions = {},
): Promise<void> {
  const extension = extname(path).toLowerCase();
  let bytes: Uint8Array | string;
  if (extension === '.png') bytes = chart.toPNG(options);
  else if (extension === '.svg') bytes = chart.toSVG();
  else throw new Error(`savePlot: the file should end in .png or .svg, got '${path}'`);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
