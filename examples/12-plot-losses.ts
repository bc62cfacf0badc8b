// Plotting the training and validation loss curves: a small regression trained for some
// epochs, its losses drawn as a line chart with @dl/plot and saved as SVG and PNG (what
// `plt.plot(train_losses, label="train"); plt.plot(val_losses, label="validation");
// plt.yscale("log"); plt.legend(); plt.savefig("losses.svg")` does in a PyTorch course).
//
//   pnpm example 12-plot-losses [--device cpu|webgpu]

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nn from '@dl/nn';
import { Adam } from '@dl/optim';
import { lineChart } from '@dl/plot';
import { savePlot } from '@dl/plot/node';
import { manualSeed, noGrad, rand } from '@dl/tensor';
import { decodePng } from '@dl/vision';
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

// The chart: the epochs along x, the loss along y on a log scale from the power of ten
// below the smallest loss to the one above the largest, a line per curve and a legend.
const colors = { train: '#1f77b4', validation: '#ff7f0e' };
const low = 10 ** Math.floor(Math.log10(Math.min(...trainLosses, ...validationLosses)));
const high = 10 ** Math.ceil(Math.log10(Math.max(...trainLosses, ...validationLosses)));
const chart = lineChart({
  series: [
    { name: 'train', values: trainLosses, color: colors.train },
    { name: 'validation', values: validationLosses, color: colors.validation },
  ],
  x: 'epoch',
  yScale: 'log',
  yLimits: [low, high],
  yLabel: 'MSE loss',
  title: 'Learning sin(3x)',
});

const folder = join(tmpdir(), 'dl-examples');
await mkdir(folder, { recursive: true });
const svgFile = join(folder, 'loss-curves.svg');
const pngFile = join(folder, 'loss-curves.png');
await savePlot(chart, svgFile);
await savePlot(chart, pngFile, { scale: 2 });
console.log(`wrote ${svgFile} and ${pngFile}`);

// Check the SVG: a polyline per curve with a point per epoch, each where the axes put it.
const svg = await readFile(svgFile, 'utf8');
assert.ok(svg.startsWith('<svg ') && svg.trimEnd().endsWith('</svg>'));
// The plot area's frame is a rect drawn half a pixel inside the area's edges.
const frame =
  /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*class="plot-area"/.exec(
    svg,
  );
assert.ok(frame, 'the chart has a plot area');
const [left, top, width, height] = frame.slice(1).map(Number) as [number, number, number, number];
const plot = { left: left - 0.5, top: top - 0.5, width: width + 1, height: height + 1 };
// Epoch 1 at the left edge and the last at the right; log10(loss) from low to high upwards.
const xOf = (epoch: number) => plot.left + ((epoch - 1) / (epochs - 1)) * plot.width;
const yOf = (loss: number) =>
  plot.top + plot.height - (Math.log10(loss / low) / Math.log10(high / low)) * plot.height;
const lines = [
  ...svg.matchAll(/<polyline points="([^"]+)"[^>]*class="series" data-label="(\w+)"/g),
];
assert.deepEqual(
  lines.map((match) => match[2]),
  ['train', 'validation'],
);
for (const [index, match] of lines.entries()) {
  const points = match[1]!.split(' ').map((pair) => pair.split(',').map(Number));
  const losses = [trainLosses, validationLosses][index]!;
  assert.equal(points.length, epochs, 'a point per epoch');
  points.forEach(([px, py], i) => {
    // (The SVG writes coordinates to 2 decimals.)
    assert.ok(Math.abs(px! - xOf(i + 1)) <= 0.006, 'each point sits at its epoch');
    assert.ok(Math.abs(py! - yOf(losses[i]!)) <= 0.006, 'and at its loss');
  });
  // A falling loss is a line that ends lower on the chart (larger SVG y) than it starts.
  assert.ok(points.at(-1)![1]! > points[0]![1]!);
}
assert.match(svg, /class="legend-label" data-label="train">train</);
assert.match(svg, /class="legend-label" data-label="validation">validation</);

// Check the PNG: twice the chart's size, a white background, and each curve drawn in its
// colour (counting pixels of exactly that colour: a 2-pixel line covers many fully).
const png = decodePng(await readFile(pngFile));
assert.deepEqual([png.width, png.height], [2 * chart.width, 2 * chart.height]);
const count = (hex: string) => {
  const rgb = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.data.length; i += png.channels) {
    if (png.data[i] === rgb[0] && png.data[i + 1] === rgb[1] && png.data[i + 2] === rgb[2]) n++;
  }
  return n;
};
assert.deepEqual([...png.data.subarray(0, 3)], [255, 255, 255], 'a white background');
assert.ok(count(colors.train) > 500, 'the training curve is drawn');
assert.ok(count(colors.validation) > 500, 'the validation curve is drawn');
