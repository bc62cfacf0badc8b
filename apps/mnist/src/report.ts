// What a run leaves besides checkpoints: history.json, curves.png (loss and accuracy per
// epoch, drawn with the rasterizer and encoded by @dl/vision) and report.html, one file with
// the same curves as inline SVG, the metrics table and the last confusion matrix.

import { join } from 'node:path';
import { encodePng, rawImage } from '@dl/vision';
import { writeFileAtomic } from './files.js';
import { Canvas, type Color } from './raster.js';

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  precision: number;
  recall: number;
  f1: number;
  confusion: number[][];
  seconds: number;
  imagesPerSecond: number;
}

export interface Series {
  name: string;
  color: Color;
  points: [number, number][];
}

const blue: Color = [31, 119, 180];
const orange: Color = [255, 127, 14];

export function curves(history: readonly EpochRecord[]): { loss: Series[]; accuracy: Series[] } {
  const of = (f: (r: EpochRecord) => number): [number, number][] =>
    history.map((r) => [r.epoch, f(r)]);
  return {
    loss: [
      { name: 'train', color: blue, points: of((r) => r.trainLoss) },
      { name: 'val', color: orange, points: of((r) => r.valLoss) },
    ],
    accuracy: [
      { name: 'train', color: blue, points: of((r) => 100 * r.trainAccuracy) },
      { name: 'val', color: orange, points: of((r) => 100 * r.valAccuracy) },
    ],
  };
}

interface Bounds {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function boundsOf(series: readonly Series[]): Bounds {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  let [x0, x1] = [Math.min(0, ...xs), Math.max(1, ...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1];
  const pad = (y1 - y0) * 0.1 || Math.abs(y0) * 0.1 || 1;
  [y0, y1] = [y0 - pad, y1 + pad];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  return { x0, x1, y0, y1 };
}

/** Whole epochs along the x axis, at most about ten of them. */
function xTicks(b: Bounds): number[] {
  const stride = Math.max(1, Math.ceil(Math.round(b.x1 - b.x0) / 10));
  const ticks: number[] = [];
  for (let x = Math.ceil(b.x0); x <= b.x1; x += stride) ticks.push(x);
  return ticks;
}

function tickLabel(value: number, span: number): string {
  return value.toFixed(span < 0.1 ? 3 : span < 1 ? 2 : span < 10 ? 1 : 0);
}

function drawPanel(canvas: Canvas, left: number, title: string, series: readonly Series[]): void {
  const grey: Color = [200, 200, 200];
  const dark: Color = [60, 60, 60];
  const [top, width, height] = [30, 340, 220];
  const plotLeft = left + 50;
  const b = boundsOf(series);
  const px = (x: number) => plotLeft + 12 + ((x - b.x0) / (b.x1 - b.x0)) * (width - 24);
  const py = (y: number) => top + height - ((y - b.y0) / (b.y1 - b.y0)) * height;
  canvas.text(plotLeft + width / 2 - Canvas.textWidth(title, 2) / 2, 6, title, dark, 2);
  for (let k = 0; k <= 4; k++) {
    const y = b.y0 + ((b.y1 - b.y0) * k) / 4;
    canvas.line(plotLeft, py(y), plotLeft + width, py(y), grey);
    const label = tickLabel(y, b.y1 - b.y0);
    canvas.text(plotLeft - 4 - Canvas.textWidth(label), py(y) - 3, label, dark);
  }
  for (const x of xTicks(b)) {
    canvas.line(px(x), top + height, px(x), top + height + 4, dark);
    canvas.text(px(x) - Canvas.textWidth(String(x)) / 2, top + height + 8, String(x), dark);
  }
  canvas.text(
    plotLeft + width / 2 - Canvas.textWidth('epoch') / 2,
    top + height + 20,
    'epoch',
    dark,
  );
  canvas.line(plotLeft, top, plotLeft, top + height, dark);
  canvas.line(plotLeft, top + height, plotLeft + width, top + height, dark);
  series.forEach((s, k) => {
    s.points.forEach(([x, y], i) => {
      const previous = s.points[i - 1];
      if (previous) canvas.line(px(previous[0]), py(previous[1]), px(x), py(y), s.color, 2);
      canvas.fillRect(px(x) - 3, py(y) - 3, 7, 7, s.color);
    });
    // The legend sits in the title row, right of the title, clear of the data.
    const lx = plotLeft + width - 60;
    canvas.fillRect(lx, 4 + k * 11, 12, 7, s.color);
    canvas.text(lx + 16, 4 + k * 11, s.name, dark);
  });
}

/** The loss and accuracy curves side by side as PNG bytes (800x290, RGB). */
export function curvesPng(history: readonly EpochRecord[]): Uint8Array {
  const canvas = new Canvas(800, 290);
  const { loss, accuracy } = curves(history);
  drawPanel(canvas, 0, 'loss', loss);
  drawPanel(canvas, 400, 'accuracy %', accuracy);
  return encodePng(rawImage(canvas.data, canvas.height, canvas.width, 3));
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

function svgChart(title: string, series: readonly Series[]): string {
  const [w, h, left, top] = [420, 260, 50, 30];
  const b = boundsOf(series);
  const px = (x: number) => (left + 12 + ((x - b.x0) / (b.x1 - b.x0)) * (w - left - 34)).toFixed(1);
  const py = (y: number) => (top + (1 - (y - b.y0) / (b.y1 - b.y0)) * (h - top - 30)).toFixed(1);
  const rgb = (c: Color) => `rgb(${c.join(',')})`;
  const ticks = [0, 1, 2, 3, 4].map((k) => b.y0 + ((b.y1 - b.y0) * k) / 4);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(title)}">
<text x="${w / 2}" y="18" text-anchor="middle" font-weight="bold">${escapeHtml(title)}</text>
${ticks.map((t) => `<line x1="${left}" x2="${w - 10}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${left - 4}" y="${py(t)}" text-anchor="end" font-size="10" dominant-baseline="middle">${tickLabel(t, b.y1 - b.y0)}</text>`).join('\n')}
${xTicks(b)
  .map((x) => `<text x="${px(x)}" y="${h - 18}" text-anchor="middle" font-size="10">${x}</text>`)
  .join('')}
<text x="${(w + left) / 2}" y="${h - 4}" text-anchor="middle" font-size="11">epoch</text>
${series
  .map(
    (
      s,
      k,
    ) => `<polyline fill="none" stroke="${rgb(s.color)}" stroke-width="2" points="${s.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ')}"/>
${s.points.map(([x, y]) => `<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${rgb(s.color)}"><title>${s.name} epoch ${x}: ${y.toFixed(4)}</title></circle>`).join('')}
<rect x="${w - 70}" y="${top + k * 14}" width="12" height="8" fill="${rgb(s.color)}"/><text x="${w - 54}" y="${top + 8 + k * 14}" font-size="11">${s.name}</text>`,
  )
  .join('\n')}
</svg>`;
}

export interface ReportInfo {
  title: string;
  settings: Record<string, string | number | boolean>;
}

/** One self-contained HTML page: settings, curves (SVG), per-epoch metrics, confusion matrix. */
export function reportHtml(history: readonly EpochRecord[], info: ReportInfo): string {
  const { loss, accuracy } = curves(history);
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const last = history.at(-1);
  const rows = history
    .map(
      (r) =>
        `<tr><td>${r.epoch}</td><td>${r.lr.toExponential(2)}</td><td>${r.trainLoss.toFixed(4)}</td><td>${pct(r.trainAccuracy)}</td><td>${r.valLoss.toFixed(4)}</td><td>${pct(r.valAccuracy)}</td><td>${pct(r.precision)}</td><td>${pct(r.recall)}</td><td>${pct(r.f1)}</td><td>${r.imagesPerSecond.toFixed(1)}</td></tr>`,
    )
    .join('\n');
  const confusion = last
    ? `<h2>Confusion matrix (epoch ${last.epoch}, rows: true class, columns: predicted)</h2>
<table class="cm"><tr><th></th>${last.confusion.map((_, j) => `<th>${j}</th>`).join('')}</tr>
${last.confusion.map((row, i) => `<tr><th>${i}</th>${row.map((n, j) => `<td class="${i === j ? 'diag' : n > 0 ? 'off' : ''}">${n}</td>`).join('')}</tr>`).join('\n')}</table>`
    : '';
  const settings = Object.entries(info.settings)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}.cm td.diag{background:#cde8cd}.cm td.off{background:#f8dada}
.charts{display:flex;gap:2em;flex-wrap:wrap}</style></head>
<body><h1>${escapeHtml(info.title)}</h1>
<table>${settings}</table>
<div class="charts">${svgChart('loss', loss)}${svgChart('accuracy %', accuracy)}</div>
<h2>Per epoch</h2>
<table><tr><th>epoch</th><th>lr</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>precision</th><th>recall</th><th>F1</th><th>images/s</th></tr>
${rows}</table>
${confusion}
</body></html>
`;
}

export async function writeReports(
  dir: string,
  history: readonly EpochRecord[],
  info: ReportInfo,
): Promise<void> {
  await writeFileAtomic(
    join(dir, 'history.json'),
    `${JSON.stringify({ ...info, epochs: history }, null, 2)}\n`,
  );
  await writeFileAtomic(join(dir, 'curves.png'), curvesPng(history));
  await writeFileAtomic(join(dir, 'report.html'), reportHtml(history, info));
}
