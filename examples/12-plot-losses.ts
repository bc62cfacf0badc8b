// Plotting the training and validation loss curves: a small regression trained for some
// epochs, its losses drawn as an SVG line chart (what `plt.plot(train_losses,
// label="train"); plt.legend(); plt.savefig("losses.svg")` does in a PyTorch course). dl
// has no plotting of its own: the scales and line paths come from d3-scale and d3-shape,
// which only compute (no DOM), and the SVG is written as text.
//
//   pnpm example 12-plot-losses [--device cpu|webgpu]

import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nn from '@dl/nn';
import { Adam } from '@dl/optim';
import { manualSeed, noGrad, rand } from '@dl/tensor';
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

// Learn y = sin(3x) on [-1, 1] from noisy samples; validate on fresh ones.
const makeData = (n: number) => {
  const x = rand([n, 1], { device }).mul(2).sub(1);
  return {
    x,
    y: x
      .mul(3)
      .sin()
      .add(rand([n, 1], { device }).sub(0.5).mul(0.1)),
  };
};
const train = makeData(256);
const validation = makeData(128);
const model = new nn.Sequential(
  new nn.Linear(1, 32),
  new nn.Tanh(),
  new nn.Linear(32, 32),
  new nn.Tanh(),
  new nn.Linear(32, 1),
).to(device);
const optimizer = new Adam(model.parameters(), { lr: 0.01 });

const epochs = 100;
const trainLosses: number[] = [];
const validationLosses: number[] = [];
for (let epoch = 0; epoch < epochs; epoch++) {
  model.train();
  const loss = nn.F.mseLoss(model.call(train.x), train.y);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  model.eval();
  const validationLoss = noGrad(() => nn.F.mseLoss(model.call(validation.x), validation.y));
  trainLosses.push(await loss.item());
  validationLosses.push(await validationLoss.item());
}
console.log(
  `loss: epoch 1 train ${trainLosses[0]!.toFixed(4)}, validation ${validationLosses[0]!.toFixed(4)}; ` +
    `epoch ${epochs} train ${trainLosses.at(-1)!.toFixed(4)}, validation ${validationLosses.at(-1)!.toFixed(4)}`,
);
assert.ok(trainLosses.at(-1)! < trainLosses[0]! / 5, 'the training loss falls');
assert.ok(validationLosses.at(-1)! < validationLosses[0]! / 5, 'the validation loss falls');

// The chart: 640x400, the epochs along x, the loss along y (from 0), a line per curve.
const width = 640;
const height = 400;
const margin = { top: 20, right: 20, bottom: 50, left: 60 };
const x = scaleLinear()
  .domain([1, epochs])
  .range([margin.left, width - margin.right]);
const y = scaleLinear()
  .domain([0, Math.max(...trainLosses, ...validationLosses)])
  .nice()
  .range([height - margin.bottom, margin.top]);
const path = line<number>()
  .x((_, i) => x(i + 1))
  .y((loss) => y(loss));
const curves = [
  { label: 'train', color: '#1f77b4', losses: trainLosses },
  { label: 'validation', color: '#ff7f0e', losses: validationLosses },
];
const formatLoss = y.tickFormat();
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  `<rect width="${width}" height="${height}" fill="white"/>`,
  // Axes, ticks and grid lines.
  ...x
    .ticks(8)
    .map(
      (epoch) =>
        `<line x1="${x(epoch)}" x2="${x(epoch)}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#eee"/>` +
        `<text x="${x(epoch)}" y="${height - margin.bottom + 18}" text-anchor="middle">${epoch}</text>`,
    ),
  ...y
    .ticks(6)
    .map(
      (loss) =>
        `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(loss)}" y2="${y(loss)}" stroke="#eee"/>` +
        `<text x="${margin.left - 8}" y="${y(loss)}" text-anchor="end" dominant-baseline="middle">${formatLoss(loss)}</text>`,
    ),
  `<path d="M${margin.left},${margin.top}V${height - margin.bottom}H${width - margin.right}" fill="none" stroke="black"/>`,
  `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 10}" text-anchor="middle">epoch</text>`,
  `<text transform="translate(16 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">MSE loss</text>`,
  // The curves and their legend.
  ...curves.map(
    ({ label, color, losses }, i) =>
      `<path class="curve" data-label="${label}" d="${path(losses)}" fill="none" stroke="${color}" stroke-width="2"/>` +
      `<line x1="${width - 150}" x2="${width - 126}" y1="${margin.top + 10 + 18 * i}" y2="${margin.top + 10 + 18 * i}" stroke="${color}" stroke-width="2"/>` +
      `<text x="${width - 120}" y="${margin.top + 10 + 18 * i}" dominant-baseline="middle">${label}</text>`,
  ),
  '</svg>',
].join('\n');

const folder = join(tmpdir(), 'dl-examples');
await mkdir(folder, { recursive: true });
const file = join(folder, 'loss-curves.svg');
await writeFile(file, svg);
console.log(`wrote ${file}`);

// Check the file: an SVG with one path per curve, a point per epoch, each at its loss.
const written = await readFile(file, 'utf8');
assert.ok(written.startsWith('<svg ') && written.trimEnd().endsWith('</svg>'));
const paths = [...written.matchAll(/<path class="curve" data-label="(\w+)" d="([^"]+)"/g)];
assert.deepEqual(
  paths.map((match) => match[1]),
  ['train', 'validation'],
);
for (const [index, match] of paths.entries()) {
  const points = [...match[2]!.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map(([, px, py]) => [
    Number(px),
    Number(py),
  ]);
  const losses = curves[index]!.losses;
  assert.equal(points.length, epochs, 'a point per epoch');
  points.forEach(([px, py], i) => {
    // (d3-shape writes coordinates to 3 decimals.)
    assert.ok(Math.abs(px! - x(i + 1)) <= 5e-4, 'each point sits at its epoch');
    assert.ok(Math.abs(py! - y(losses[i]!)) <= 5e-4, 'and at its loss');
  });
  // A falling loss is a line that ends lower on the chart (larger SVG y) than it starts.
  assert.ok(points.at(-1)![1]! > points[0]![1]!);
}
