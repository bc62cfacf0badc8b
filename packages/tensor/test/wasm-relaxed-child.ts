// Run by wasm-relaxed.node.test.ts in a Node started with relaxed SIMD (a flag before Node 22):
// the matmul and convolution sweeps on the relaxed-SIMD (f32x4.relaxed_madd) kernels. Prints
// one JSON line: how many cases ran and which failed.

import { WasmConv } from '../src/wasm/conv.js';
import { WasmGemm } from '../src/wasm/gemm.js';
import { WasmRuntime } from '../src/wasm/runtime.js';
import { convCases, convFailures, mnistCases } from './wasm-conv-cases.js';
import { productCases, productFailures } from './wasm-gemm-cases.js';

const runtime = new WasmRuntime({ maximumBytes: 256 * 2 ** 20 });
if (!runtime.features.relaxedSimd) throw new Error('relaxed SIMD is not available in this Node');
const gemm = new WasmGemm(runtime, { relaxed: true });
const tiny = new WasmGemm(runtime, {
  relaxed: true,
  config: { mr: 3, nr: 8, kc: 7, mc: 6, nc: 24 },
});
const conv = new WasmConv(runtime, { relaxed: true });
const products = productCases(300, 21);
const tinyProducts = productCases(150, 7, false);
const convs = [...mnistCases, ...convCases(150, 11)];
const failures = [
  ...productFailures(gemm, products),
  ...productFailures(tiny, tinyProducts),
  ...convFailures(conv, convs),
];
console.log(
  JSON.stringify({
    products: products.length + tinyProducts.length,
    convs: convs.length,
    failures,
  }),
);
