// The WebAssembly SIMD matmul and convolutions (src/wasm/gemm.ts, conv.ts) against dl's
// JavaScript CPU kernels (cpu/matmul.ts, cpu/conv.ts) on the same float32 data in the same
// process, single-threaded: matmul 1024, the MLP's products (784-128-10, batch 64) forward
// and backward, and the MNIST CNN's second convolution with both gradients.
//
//   npx tsx --expose-gc bench/wasm-gemm.bench.ts            (f32x4.mul + f32x4.add)
//   npx tsx --expose-gc --experimental-wasm-relaxed-simd bench/wasm-gemm.bench.ts
//                                                           (f32x4.relaxed_madd, Node 20)
//
// Add words to run only the cases whose names hold one of them: `... wasm-gemm.bench.ts conv`.

import { loadavg } from 'node:os';
import { compare, formatTable } from '../../../tooling/bench/harness.ts';
import type { ConvGeometry, View } from '../src/backend.js';
import { cpu } from '../src/cpu/backend.js';
import { runConv2d, runConv2dBackwardInput, runConv2dBackwardWeight } from '../src/cpu/conv.js';
import { gemm as jsGemm } from '../src/cpu/matmul.js';
import { type ConvShape, WasmConv } from '../src/wasm/conv.js';
import { WasmRuntime } from '../src/wasm/runtime.js';

const filters = process.argv.slice(2);
const wanted = (name: string) => filters.length === 0 || filters.some((f) => name.includes(f));

const runtime = new WasmRuntime();
const conv = new WasmConv(runtime);
// The matmul as the CPU backend runs it: on the convolutions' module (one copy of the code).
const gemm = conv.gemm;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `wasm kernels: ${gemm.config.mr}×${gemm.config.nr} tile, ` +
    `${gemm.config.relaxed ? 'f32x4.relaxed_madd' : 'f32x4.mul + f32x4.add'}; load ${load()}`,
);

function random(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

/** `data` in the runtime's memory; returns its byte offset. */
function upload(data: Float32Array): number {
  const ptr = runtime.alloc(data.length * 4)!;
  new Float32Array(runtime.buffer, ptr, data.length).set(data);
  return ptr;
}

/**
 * C[m, n] = A[m, k] · B[k, n], where A is stored transposed (k × m) when `aT` and B when
 * `bT`, as the MLP's products see them.
 */
function matmulCase(name: string, m: number, n: number, k: number, aT = false, bT = false) {
  const a = random(m * k, 1);
  const b = random(k * n, 2);
  const [pa, pb, pc] = [upload(a), upload(b), upload(new Float32Array(m * n))];
  const aStrides = aT ? { rowStride: 1, colStride: m } : { rowStride: k, colStride: 1 };
  const bStrides = bT ? { rowStride: 1, colStride: k } : { rowStride: n, colStride: 1 };
  const c = new Float32Array(m * n);
  return {
    name,
    flops: 2 * m * n * k,
    ours: () =>
      gemm.matmul(
        { ptr: pa, ...aStrides },
        { ptr: pb, ...bStrides },
        { ptr: pc, rowStride: n, colStride: 1 },
        m,
        n,
        k,
      ),
    peer: () =>
      jsGemm(
        { data: a, offset: 0, ...aStrides },
        { data: b, offset: 0, ...bStrides },
        { data: c, offset: 0, rowStride: n, colStride: 1 },
        m,
        k,
        n,
      ),
  };
}

const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

function view(shape: readonly number[], data: Float32Array): View {
  const strides = shape.map((_, i) => product(shape.slice(i + 1)));
  return { storage: cpu.fromData('float32', data), dtype: 'float32', shape, strides, offset: 0 };
}

/** The MNIST CNN's second convolution (32→64, 3×3 on 26×26) over `batch` images. */
function convCases(batch: number) {
  const shape: ConvShape = {
    batch,
    channels: 32,
    height: 26,
    width: 26,
    outChannels: 64,
    kernel: [3, 3],
    stride: [1, 1],
    padding: [0, 0],
    dilation: [1, 1],
    outSize: [24, 24],
    groups: 1,
  };
  const geometry: ConvGeometry = { ...shape };
  const xShape = [batch, 32, 26, 26];
  const wShape = [64, 32, 3, 3];
  const yShape = [batch, 64, 24, 24];
  const [x, w, gy] = [
    random(product(xShape), 3),
    random(product(wShape), 4),
    random(product(yShape), 5),
  ];
  const [y, dx, dw] = [
    new Float32Array(gy.length),
    new Float32Array(x.length),
    new Float32Array(w.length),
  ];
  const [px, pw, pgy] = [upload(x), upload(w), upload(gy)];
  const [py, pdx, pdw] = [upload(y), upload(dx), upload(dw)];
  const flops = 2 * product(yShape) * 32 * 9;
  const label = `conv 32→64 3×3 26×26 batch ${batch}`;
  return [
    {
      name: `${label} forward`,
      flops,
      ours: () => conv.conv2d(shape, px, pw, py),
      peer: () => runConv2d(view(xShape, x), x, view(wShape, w), w, geometry, view(yShape, y), y),
    },
    {
      name: `${label} input gradient`,
      flops,
      ours: () => conv.conv2dBackwardInput(shape, pgy, pw, pdx),
      peer: () =>
        runConv2dBackwardInput(
          view(yShape, gy),
          gy,
          view(wShape, w),
          w,
          geometry,
          view(xShape, dx),
          dx,
        ),
    },
    {
      name: `${label} weight gradient`,
      flops,
      ours: () => conv.conv2dBackwardWeight(shape, px, pgy, pdw),
      peer: () =>
        runConv2dBackwardWeight(
          view(xShape, x),
          x,
          view(yShape, gy),
          gy,
          geometry,
          view(wShape, dw),
          dw,
        ),
    },
  ];
}

const cases = [
  matmulCase('matmul 1024', 1024, 1024, 1024),
  matmulCase('mlp x·W1ᵀ (64×784 · 784×128)', 64, 128, 784, false, true),
  matmulCase('mlp dy·W1 (64×128 · 128×784)', 64, 784, 128),
  matmulCase('mlp dyᵀ·x (128×64 · 64×784)', 128, 784, 64, true, false),
  matmulCase('mlp h·W2ᵀ (64×128 · 128×10)', 64, 10, 128, false, true),
  ...convCases(64),
].filter((c) => wanted(c.name));

const results = [];
for (const c of cases) results.push(await compare(c, { warmupMs: 300, samples: 7, maxMs: 10_000 }));
console.log(formatTable(results, { ours: 'wasm', peer: 'js' }));
console.log(`load after: ${load()}`);
