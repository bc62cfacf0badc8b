// What a run leaves besides checkpoints: history.json, curves.png (loss and accuracy per
// epoch, drawn by @dl/plot) and report.html, one file with
// the same curves as inline SVG, the metrics table and the last confusion matrix.

import { join } from 'node:path';
import { type Chart, figure, lineChart } from '@dl/plot';
import { writeFileAtomic } from './files.js';

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

function curveCharts(history: readonly EpochRecord[]): { loss: Chart; accuracy: Chart } {
  const x = history.map((r) => r.epoch);
  const of = (f: (r: EpochRecord) => number) => history.map(f);
  const size = { width: 400, height: 290 };
  const chart = (title: string, train: number[], val: number[]) =>
    lineChart({
      series: [
        { name: 'train', values: train, x },
        { name: 'val', values: val, x },
      ],
      x: 'epoch',
      title,
      ...size,
    });
  return {
    loss: chart(
      'loss',
      of((r) => r.trainLoss),
      of((r) => r.valLoss),
    ),
    accuracy: chart(
      'accuracy %',
      of((r) => 100 * r.trainAccuracy),
      of((r) => 100 * r.valAccuracy),
    ),
  };
}

/** The loss and accuracy curves side by side as PNG bytes (800x290, RGB), drawn by @dl/plot. */
export function curvesPng(history: readonly EpochRecord[]): Uint8Array {
  const { loss, accuracy } = curveCharts(history);
  return figure([loss, accuracy]).toPNG();
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

export interface ReportInfo {
  title: string;
  settings: Record<string, string | number | boolean>;
}

/** One self-contained HTML page: settings, curves (SVG), per-epoch metrics, confusion matrix. */
export function reportHtml(history: readonly EpochRecord[], info: ReportInfo): string {
  const { loss, accuracy } = curveCharts(history);
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
<div class="charts">${loss.toSVG()}${accuracy.toSVG()}</div>
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
