// WebGPU backend benchmarks in Node: the suite (suite.ts) on Dawn's adapter (lavapipe on a
// machine without a GPU), dl and both peers in this process. Run with `pnpm bench`, or only
// the cases whose names hold a word: `pnpm --filter @dl/webgpu bench conv2`. The same table
// in Chromium (SwiftShader): webgpu.chromium.ts.

import * as dawn from 'webgpu';
import { hostLine, provideNavigatorGpu } from '../../../tooling/bench/peers.node.ts';
import { runSuite } from './suite.ts';

// tfjs registers its WebGPU backend at import when navigator.gpu exists: import it after.
provideNavigatorGpu(dawn);
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
const jax = await import('@jax-js/jax');
await runSuite({ tf, jax }, process.argv[2] ?? '', hostLine());
// tfjs and jax-js hold devices of their own, which keep Node's event loop alive.
process.exit(0);
