// The WebAssembly SIMD convolutions against the JavaScript CPU kernels: the MNIST CNN's
// shapes, a seeded sweep over stride, padding, dilation and groups, image ranges run
// separately (as worker threads do), and a configuration with tiny blocks that makes small
// convolutions cross every cache block.

import { describe, expect, it } from 'vitest';
import { convScratchBytes, WasmConv } from '../src/wasm/conv.js';
import { WasmGemm } from '../src/wasm/gemm.js';
import { WasmRuntime } from '../src/wasm/runtime.js';
import { ThreadPool } from '../src/wasm/threads.js';
import { convCases, convFailures, convShape, mnistCases } from './wasm-conv-cases.js';
import { productCases, productFailures } from './wasm-gemm-cases.js';

const runtime = new WasmRuntime({ maximumBytes: 256 * 2 ** 20 });
const variants = runtime.features.relaxedSimd ? [false, true] : [false];

describe.each(variants)('wasm conv2d (relaxed SIMD: %s)', (relaxed) => {
  const conv = new WasmConv(runtime, { relaxed });

  it("matches the JavaScript kernels on the MNIST CNN's convolutions", () => {
    expect(convFailures(conv, mnistCases)).toEqual([]);
  });

  it('matches the JavaScript kernels over strides, padding, dilation and groups', () => {
    expect(convFailures(conv, convCases(150, 11))).toEqual([]);
  });

  it('matches them on an image wider than a block of columns, with padding', () => {
    const shape = convShape(2, 3, [45, 50], 20, [5, 5], { padding: [2, 2] });
    expect(convFailures(conv, [{ shape, split: true, seed: 4 }])).toEqual([]);
  });

  it("runs the matmul on the module's own sgemm, matching the JavaScript kernel", () => {
    expect(conv.gemm.config).toEqual(conv.config);
    expect(productFailures(conv.gemm, productCases(120, 23))).toEqual([]);
  });
});

describe('wasm conv2d with tiny blocks', () => {
  // k in blocks of 7, 6 rows of A and 24 columns of B per block, 3×8 tiles.
  const conv = new WasmConv(runtime, {
    relaxed: false,
    config: { mr: 3, nr: 8, kc: 7, mc: 6, nc: 24 },
  });

  it('matches the JavaScript kernels over a seeded sweep', () => {
    expect(convFailures(conv, convCases(100, 12))).toEqual([]);
    expect(convFailures(conv, mnistCases)).toEqual([]);
  });

  it('runs its matmul with the same tiny blocks', () => {
    expect(conv.gemm.config).toEqual({ mr: 3, nr: 8, kc: 7, mc: 6, nc: 24, relaxed: false });
    expect(productFailures(conv.gemm, productCases(100, 7, false))).toEqual([]);
  });

  it('matches them where blocks of columns or of k hold whole output rows', () => {
    // 6 output columns: the 24-column blocks and the 6-step blocks of k hold whole rows, the
    // case unfolded row by row; padding along y puts some of those rows in the padding.
    const shapes = [
      convShape(2, 3, [8, 8], 4, [3, 3]),
      convShape(2, 2, [13, 8], 3, [3, 3], { stride: [2, 1], padding: [2, 0] }),
      convShape(1, 2, [9, 8], 3, [2, 3], { dilation: [3, 1], padding: [1, 0] }),
    ];
    const cases = shapes.map((shape, i) => ({ shape, split: i === 0, seed: 30 + i }));
    expect(convFailures(conv, cases)).toEqual([]);
  });
});

describe('wasm gemm on a module compiled elsewhere', () => {
  it('refuses a configuration of its own, and a pool the module was not registered with', () => {
    const conv = new WasmConv(runtime, { relaxed: false });
    const module = { config: conv.config, exports: {}, threads: undefined };
    expect(() => new WasmGemm(runtime, { module, config: { kc: 8 } })).toThrow(
      'wasm gemm: relaxed and config come from the module when one is given',
    );
    const pool = new ThreadPool(runtime, { threads: 1 });
    expect(() => new WasmGemm(runtime, { module, pool })).toThrow(
      'wasm gemm: the module given was not registered with the pool given',
    );
    pool.close();
  });
});

describe('wasm conv2d memory', () => {
  it('needs scratch for one image at most, whatever the batch', () => {
    const conv = new WasmConv(runtime, { relaxed: false });
    const mnist = (batch: number) => convShape(batch, 32, [26, 26], 64, [3, 3]);
    const one = convScratchBytes(conv.config, mnist(1));
    const thousand = convScratchBytes(conv.config, mnist(1000));
    expect(thousand).toEqual(one);
    // One image's im2col matrix is 288 × 576 floats (663 KB); no export needs more than that
    // plus the packed weights.
    for (const bytes of Object.values(one)) expect(bytes).toBeLessThan(2 * 288 * 576 * 4);
  });
});
