// The peers' WebAssembly CPU backends in Node: TensorFlow.js's wasm backend (its .wasm files
// located in node_modules) and jax-js's wasm backend (on the Web Worker shim of
// peers.node.ts, without which it runs single-threaded in Node), and one line each saying
// how they run: SIMD, relaxed SIMD, threads.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs-core';
import { useTfBackend } from '../../../tooling/bench/tfjs.ts';

/**
 * Starts tfjs's wasm backend on the .wasm files installed with it, and returns how it runs.
 * In Node it is single-threaded: tfjs turns its WASM_HAS_MULTITHREAD_SUPPORT flag off there
 * (tensorflow/tfjs#3830), and forcing the flag on fails at start-up (Emscripten's pthread
 * workers are started from a blob: URL, which Node's Worker refuses: ERR_WORKER_PATH).
 */
export async function startTfjsWasm(tf: typeof Tf): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const folder = join(
    dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'dist',
  );
  wasm.setWasmPaths(`${folder}/`);
  await useTfBackend(tf, 'wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = wasm.getThreadsCount();
  return `tfjs-wasm ${wasm.version_wasm}: ${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'} (tfjs turns threads off in Node)`;
}

/** The WebAssembly feature jax-js 0.1.25 probes for its relaxed-SIMD multiply-add. */
const relaxedMadd = '0061736d0100000001080160037b7b7b017b030201000a0d010b00200020012002fd85020b';

/** Whether this runtime validates relaxed-SIMD code (Node 20 does not without a flag). */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(Buffer.from(relaxedMadd, 'hex'));
}

/**
 * How a jax-js instance's wasm backend ran (`label` names it): on a pool of worker threads
 * (started at its first kernel, one per navigator.hardwareConcurrency), each large kernel in
 * chunks, one per worker (kernels under 512 elements per worker use fewer); or, where there
 * was no Worker when jax-js loaded, on the main thread.
 */
export function describeJaxWasm(label: string, workers: { readonly started: number }): string {
  const threads =
    workers.started === 0
      ? 'main thread only (no Worker when it loaded)'
      : `${workers.started} worker threads (navigator.hardwareConcurrency ${navigator.hardwareConcurrency})`;
  return `${label}: SIMD where a kernel allows, relaxed SIMD ${hasRelaxedSimd() ? 'yes' : 'no'}, ${threads}`;
}
