// savePlot from @dl/plot/node: PNG or SVG by the extension, written through a temporary
// file renamed into place, and nothing left behind when it fails.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineChart } from '../src/index.ts';
import { savePlot } from '../src/node.ts';
import { decodePng } from './svg.ts';

const folder = mkdtempSync(join(tmpdir(), 'dl-plot-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const chart = lineChart({ series: [{ name: 'loss', values: [3, 2, 1] }], width: 200, height: 150 });

describe('savePlot', () => {
  it('writes a PNG for .png (at the scale asked) and an SVG for .svg', async () => {
    await savePlot(chart, join(folder, 'curves.png'));
    await savePlot(chart, join(folder, 'sharp.PNG'), { scale: 2 });
    await savePlot(chart, join(folder, 'curves.svg'));
    const png = decodePng(readFileSync(join(folder, 'curves.png')));
    expect([png.width, png.height]).toEqual([200, 150]);
    expect(decodePng(readFileSync(join(folder, 'sharp.PNG'))).width).toBe(400);
    expect(readFileSync(join(folder, 'curves.svg'), 'utf8')).toBe(chart.toSVG());
    expect(readdirSync(folder).sort()).toEqual(['curves.png', 'curves.svg', 'sharp.PNG']);
  });

  it('replaces a file whole', async () => {
    const path = join(folder, 'replaced.svg');
    writeFileSync(path, 'old');
    await savePlot(chart, path);
    expect(readFileSync(path, 'utf8')).toBe(chart.toSVG());
  });

  it('refuses another extension, and leaves nothing when the folder is missing', async () => {
    await expect(savePlot(chart, join(folder, 'curves.jpg'))).rejects.toThrow(
      "savePlot: the file should end in .png or .svg, got '",
    );
    await expect(savePlot(chart, join(folder, 'missing', 'curves.png'))).rejects.toThrow(/ENOENT/);
    expect(
      readdirSync(folder).filter((name) => name.includes('.tmp') || name.endsWith('.jpg')),
    ).toEqual([]);
  });
});
