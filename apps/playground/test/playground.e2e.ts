// End-to-end test of the playground in headless Chromium (Debian's, through Playwright) on
// the Vite dev server: the page trains the small CNN for a few steps on WebGPU with the loss
// going down, classifies MNIST test digits drawn on the canvas by mouse from their pixels
// with the shipped checkpoint, saves the trained model to IndexedDB (and as a download) and
// restores it after a reload, and falls back to the CPU with a notice when WebGPU is off.

import { mkdirSync, readFileSync } from 'node:fs';
import { fromBytes } from '@dl/nn';
import { MNIST } from '@dl/vision';
import { type Browser, chromium, type Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { chromiumArgs, chromiumPath } from '../../../tooling/vitest/projects.ts';

const appDir = new URL('..', import.meta.url).pathname;
const artifacts = new URL('../test-results/', import.meta.url).pathname;
const testSet = new MNIST({ train: false });

let server: ViteDevServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
  server = await createServer({
    root: appDir,
    configFile: `${appDir}vite.config.ts`,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  await server.listen();
  url = server.resolvedUrls?.local[0] ?? '';
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(b: Browser, query = ''): Promise<Page> {
  const page = await b.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}${query}`);
  await page.waitForFunction(() => window.playground?.ready || window.playground?.error, null, {
    timeout: 60_000,
  });
  expect(errors).toEqual([]);
  expect(await page.evaluate(() => window.playground.error)).toBeUndefined();
  return page;
}

/** Draws MNIST test image `index` on the canvas: one stroke per run of inked pixels in a row. */
async function drawDigit(page: Page, index: number): Promise<void> {
  const [image] = testSet.getItem(index);
  const box = await page.locator('#sketch').boundingBox();
  if (!box) throw new Error('the canvas is not visible');
  const cell = box.width / 28;
  const at = (col: number, row: number) =>
    [box.x + (col + 0.5) * cell, box.y + (row + 0.5) * cell] as const;
  await page.click('#clear');
  for (let row = 0; row < 28; row++) {
    let col = 0;
    while (col < 28) {
      if ((image.data[row * 28 + col] ?? 0) < 128) {
        col++;
        continue;
      }
      const start = col;
      while (col < 28 && (image.data[row * 28 + col] ?? 0) >= 128) col++;
      await page.mouse.move(...at(start, row));
      await page.mouse.down();
      await page.mouse.move(...at(col - 1, row), { steps: 2 });
      await page.mouse.up();
    }
  }
  await page.waitForFunction(() => !window.playground.predicting && window.playground.prediction);
}

describe('playground in Chromium', () => {
  let page: Page;

  beforeAll(async () => {
    page = await openPage(browser);
  }, 90_000);

  test('opens WebGPU and loads the shipped checkpoint', async () => {
    const state = await page.evaluate(() => window.playground);
    if (inject('requireWebGPU')) expect(state.webgpu).toBe(true);
    if (state.webgpu) {
      expect(state.device).toMatch(/^webgpu/);
      expect(await page.locator('#notice').isHidden()).toBe(true);
    }
    expect(state.model).toBe('digit-recognizer');
    expect(state.checkpointLoaded).toBe(true);
  });

  test('classifies test digits drawn by mouse with the shipped checkpoint', async () => {
    // The first five test images: 7, 2, 1, 0, 4.
    for (const index of [0, 1, 2, 3, 4]) {
      await drawDigit(page, index);
      const prediction = await page.evaluate(() => window.playground.prediction);
      const label = testSet.targets[index];
      expect(prediction?.digit, `test image ${index} (a ${label})`).toBe(label);
      expect(prediction?.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(await page.locator('#predicted').textContent()).toMatch(new RegExp(`^${label} `));
    }
  }, 60_000);

  test('trains the small CNN for a few steps with the loss going down', async () => {
    await page.selectOption('#model', 'small-cnn');
    await page.waitForFunction(() => window.playground.model === 'small-cnn');
    await page.fill('#batch', '64');
    await page.fill('#lr', '0.005');
    await page.click('#start');
    await page.waitForFunction(() => window.playground.losses.length >= 12, null, {
      timeout: 60_000,
    });
    await page.click('#start'); // pause
    await page.waitForFunction(() => document.querySelector('#start')?.textContent === 'Resume');
    const losses = await page.evaluate(() => window.playground.losses);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // An untrained 10-way classifier starts near ln 10 = 2.30.
    expect(losses[0]).toBeGreaterThan(2);
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)) - 0.2);
    expect(Number(await page.locator('#speed').textContent())).toBeGreaterThan(0);
    // The loss chart (@dl/plot on a canvas) has drawn its line in the loss colour, #d9480f.
    const lossPixels = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#chart canvas');
      const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; data && i < data.length; i += 4)
        if (data[i] === 0xd9 && data[i + 1] === 0x48 && data[i + 2] === 0x0f) count++;
      return count;
    });
    expect(lossPixels).toBeGreaterThan(20);
    mkdirSync(artifacts, { recursive: true });
    await drawDigit(page, 0);
    await page.screenshot({ path: `${artifacts}playground.png`, fullPage: true });
  }, 90_000);

  test('saves the trained model to IndexedDB, downloads it, restores it after a reload and opens the download', async () => {
    // The small CNN trained (and paused) by the test above.
    expect(await page.evaluate(() => window.playground.model)).toBe('small-cnn');
    await drawDigit(page, 0);
    const before = await page.evaluate(() => window.playground.prediction?.probabilities);
    await page.click('#save');
    await page.waitForFunction(() => window.playground.saves === 1 || window.playground.error);
    expect(await page.evaluate(() => window.playground.error)).toBeUndefined();

    const downloading = page.waitForEvent('download');
    await page.click('#download');
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('small-cnn.safetensors');
    const downloaded = fromBytes(new Uint8Array(readFileSync(await download.path())));
    expect(downloaded.size).toBeGreaterThan(2);

    await page.reload();
    await page.waitForFunction(() => window.playground?.ready || window.playground?.error, null, {
      timeout: 60_000,
    });
    const state = await page.evaluate(() => window.playground);
    expect(state.error).toBeUndefined();
    expect(state.restored).toBe('small-cnn');
    expect(state.model).toBe('small-cnn');
    expect(state.checkpointLoaded).toBe(false);
    expect(await page.locator('#model').inputValue()).toBe('small-cnn');
    await drawDigit(page, 0);
    const after = await page.evaluate(() => window.playground.prediction?.probabilities);
    expect(after).toHaveLength(10);
    for (let d = 0; d < 10; d++) expect(after?.[d], `digit ${d}`).toBeCloseTo(before?.[d] ?? -1, 5);

    // A freshly initialised small CNN predicts otherwise; opening the downloaded file restores it.
    await page.selectOption('#model', 'digit-recognizer');
    await page.selectOption('#model', 'small-cnn');
    await page.waitForFunction(() => window.playground.model === 'small-cnn');
    await drawDigit(page, 0);
    const fresh = await page.evaluate(() => window.playground.prediction?.probabilities);
    expect(fresh?.some((p, d) => Math.abs(p - (before?.[d] ?? 0)) > 1e-3)).toBe(true);
    await page.setInputFiles('#open', await download.path());
    await page.waitForFunction(() => window.playground.opened || window.playground.error);
    expect(await page.evaluate(() => window.playground.error)).toBeUndefined();
    await drawDigit(page, 0);
    const opened = await page.evaluate(() => window.playground.prediction?.probabilities);
    for (let d = 0; d < 10; d++)
      expect(opened?.[d], `digit ${d}`).toBeCloseTo(before?.[d] ?? -1, 5);
  }, 90_000);
});

test('falls back to the CPU backend with a visible notice when WebGPU is off', async () => {
  const noGpu = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs.filter((a) => !/webgpu|vulkan/i.test(a)), '--disable-gpu'],
  });
  try {
    const page = await openPage(noGpu);
    const state = await page.evaluate(() => window.playground);
    expect(state.webgpu).toBe(false);
    expect(state.device).toBe('cpu');
    await expect.poll(() => page.locator('#notice').isVisible()).toBe(true);
    expect(await page.locator('#notice').textContent()).toMatch(/WebGPU is unavailable/);
    await drawDigit(page, 1);
    expect(await page.evaluate(() => window.playground.prediction?.digit)).toBe(testSet.targets[1]);
  } finally {
    await noGpu.close();
  }
}, 90_000);
