/**
 * \@dl/plot/node: saving a chart to a PNG or SVG file in Node, as plt.savefig. Writes are
 * atomic: a temporary file in the same folder, flushed to disk, then renamed over the target.
 *
 * @module \@dl/plot/node
 */

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Chart, RasterOptions } from './chart.js';

/**
 * Writes the chart to `path` as PNG or SVG, chosen by the extension (`.png`, `.svg`), like
 * plt.savefig; `options.scale` sets a PNG's device pixels per chart pixel. The file is
 * written whole or not at all: to a temporary file beside it, flushed, then renamed over it,
 * so a reader never sees half a chart and a failure leaves any previous file as it was.
 */
export async function savePlot(
  chart: Chart,
  path: string,
  options: RasterOptions = {},
): Promise<void> {
  const extension = extname(path).toLowerCase();
  let contents: Uint8Array | string;
  if (extension === '.png') contents = chart.toPNG(options);
  else if (extension === '.svg') contents = chart.toSVG();
  else throw new Error(`savePlot: the file should end in .png or .svg, got '${path}'`);
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(contents);
    await file.sync();
    await file.close();
    await rename(temporary, path);
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}
