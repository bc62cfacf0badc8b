// A tiny training run through the binary (128 images, one epoch, CPU): the files it leaves,
// the metrics it reports checked against the saved model evaluated here, and predict on a PNG.

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from '@dl/nn/node';
import { noGrad, stack, type Tensor } from '@dl/tensor';
import { decodePng, encodePng, MNIST, models, rawImage, transforms } from '@dl/vision';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli, tempDir } from './cli.ts';

const testLimit = 100;
const out = tempDir('train');
let run: CliResult;

interface History {
  settings: Record<string, unknown>;
  epochs: {
    epoch: number;
    trainLoss: number;
    valLoss: number;
    valAccuracy: number;
    precision: number;
    recall: number;
    f1: number;
    confusion: number[][];
  }[];
}

const normalize = transforms.compose<Tensor>([
  transforms.toTensor(),
  transforms.normalize([0.1307], [0.3081]),
]);

async function trainedModel(): Promise<models.DigitRecognizer> {
  const model = new models.DigitRecognizer();
  model.loadStateDict(await load(join(out, 'best.safetensors')));
  model.eval();
  return model;
}

beforeAll(async () => {
  run = await runCli([
    'train',
    '--device',
    'cpu',
    '--limit',
    '128',
    '--batch-size',
    '32',
    '--test-limit',
    String(testLimit),
    '--out',
    out,
  ]);
}, 180_000);

describe('dl-mnist train (tiny run)', () => {
  it('exits 0 and reports the test accuracy', () => {
    expect(run.stderr).not.toContain('dl-mnist:');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('device: cpu');
    expect(run.stdout).toMatch(/test accuracy: \d+\.\d\d% \(100 images\)/);
  });

  it('writes a history whose metrics match the saved model evaluated independently', async () => {
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as History;
    expect(history.epochs).toHaveLength(1);
    const [epoch] = history.epochs;
    // Better than chance (ln 10 = 2.303) after four Adam steps.
    expect(epoch!.valLoss).toBeLessThan(2.3);
    expect(epoch!.trainLoss).toBeGreaterThan(0);

    const test = new MNIST({ train: false });
    const labels = Array.from(test.targets.slice(0, testLimit), Number);
    const images: Tensor[] = [];
    for (let i = 0; i < testLimit; i++) images.push(normalize(test.getItem(i)[0]));
    const model = await trainedModel();
    const output = noGrad(() => model.forward(stack(images)));
    const predicted = Array.from(await output.argmax(1).data());
    const correct = predicted.filter((p, i) => p === labels[i]).length;
    expect(epoch!.valAccuracy).toBeCloseTo(correct / testLimit, 10);
    const expectedConfusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    labels.forEach((label, i) => {
      expectedConfusion[label]![predicted[i]!]!++;
    });
    expect(epoch!.confusion).toEqual(expectedConfusion);
    // Mean NLL over the 100 images, from the log-probabilities.
    const logp = await output.data();
    const nll = -labels.reduce((s, label, i) => s + logp[i * 10 + label]!, 0) / testLimit;
    expect(epoch!.valLoss).toBeCloseTo(nll, 4);
    for (const score of [epoch!.precision, epoch!.recall, epoch!.f1]) {
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
  });

  it('draws the curves as an 800x290 PNG and writes a self-contained HTML report', () => {
    const png = decodePng(new Uint8Array(readFileSync(join(out, 'curves.png'))));
    expect([png.width, png.height, png.channels]).toEqual([800, 290, 3]);
    // Both series are drawn: some pixels carry each line colour.
    const colours = new Set<string>();
    for (let i = 0; i < png.data.length; i += 3)
      colours.add(`${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`);
    expect(colours).toContain('31,119,180');
    expect(colours).toContain('255,127,14');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('Confusion matrix (epoch 1');
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it('predicts a test digit given as an RGB PNG with the probabilities of the model', async () => {
    const test = new MNIST({ train: false });
    const [image, label] = test.getItem(0); // a 7
    const model = await trainedModel();
    const expected = Array.from(
      await noGrad(() => model.forward(normalize(image).unsqueeze(0)).exp()).data(),
    );
    // Grey replicated into RGB: the luma of (v, v, v) is v again.
    const rgb = new Uint8Array(28 * 28 * 3);
    image.data.forEach((v, i) => {
      rgb.fill(v, i * 3, i * 3 + 3);
    });
    const path = join(out, 'digit.png');
    await writeFile(path, encodePng(rawImage(rgb, 28, 28, 3)));
    const r = await runCli(['predict', join(out, 'best.safetensors'), path, '--device', 'cpu']);
    expect(r.code).toBe(0);
    const printed = [...r.stdout.matchAll(/^ {2}(\d): (\d\.\d{4})/gm)].map((m) => Number(m[2]));
    expect(printed).toHaveLength(10);
    printed.forEach((p, k) => {
      expect(p).toBeCloseTo(expected[k]!, 4);
    });
    const top = expected.indexOf(Math.max(...expected));
    expect(r.stdout).toContain(`prediction: ${top} `);
    expect(label).toBe(7);
  });

  it('predicts the same digit drawn dark on white at twice the size', async () => {
    const test = new MNIST({ train: false });
    const [image] = test.getItem(0);
    const model = await trainedModel();
    const expected = Array.from(
      await noGrad(() => model.forward(normalize(image).unsqueeze(0)).exp()).data(),
    );
    // Each pixel doubled and inverted: resizing 56 -> 28 (bilinear, half-pixel centres)
    // averages two equal pixels, and the inversion is undone, giving the 28x28 image back.
    const big = new Uint8Array(56 * 56);
    for (let y = 0; y < 56; y++) {
      for (let x = 0; x < 56; x++) big[y * 56 + x] = 255 - image.data[(y >> 1) * 28 + (x >> 1)]!;
    }
    const path = join(out, 'digit-big.png');
    await writeFile(path, encodePng(rawImage(big, 56, 56, 1)));
    const r = await runCli(['predict', join(out, 'best.safetensors'), path, '--device', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('56x56, inverted');
    const printed = [...r.stdout.matchAll(/^ {2}(\d): (\d\.\d{4})/gm)].map((m) => Number(m[2]));
    printed.forEach((p, k) => {
      expect(p).toBeCloseTo(expected[k]!, 3);
    });
  });
});
