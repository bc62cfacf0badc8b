// WebGPU backend benchmarks in Node: the suite (suite.ts) on Dawn's adapter (lavapipe on a
// machine without a GPU), dl and both peers in this process. Run with `pnpm bench`, or only
// the cases whose names hold a word: `pnpm --filter @dl/webgpu bench conv2`. The same table
// in Chromium (SwiftShader): webgpu.chromium.ts.

import { cpus } from 'node:os';
import { create, globals } from 'webgpu';
import { runSuite } from './suite.ts';

// The peers find WebGPU at navigator.gpu with the GPU* classes as globals, as in a browser.
Object.assign(globalThis, globals);
const gpu = create(['backend=vulkan']);
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu, userAgent: `Node.js ${process.version}`, hardwareConcurrency: cpus().length },
  configurable: true,
});
// tfjs registers its WebGPU backend at import when navigator.gpu exists: import it after.
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
const jax = await import('@jax-js/jax');
const cpu = cpus();
await runSuite(
  { tf, jax },
  process.argv[2] ?? '',
  `node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}`,
);
// tfjs and jax-js hold devices of their own, which keep Node's event loop alive.
process.exit(0);
