// The WebGPU benchmark suite (suite.ts) in headless Chromium on SwiftShader, dl and both
// peers in the page. Run by `pnpm bench` after the Node table, through
// vitest.bench.chromium.config.ts; DL_BENCH_FILTER picks cases by name.

import { inject, it } from 'vitest';
import { runSuite } from './suite.ts';

it('benchmarks dl, tfjs and jax-js on WebGPU in Chromium', async () => {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  const jax = await import('@jax-js/jax');
  await runSuite({ tf, jax }, inject('benchFilter'), `Chromium: ${navigator.userAgent}`);
});
