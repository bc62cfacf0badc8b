// The WebAssembly SIMD matmul against the JavaScript CPU kernel: a seeded sweep of odd
// shapes, transposed and strided operands, accumulation, ranges of C computed separately (as
// worker threads do), batches, and a configuration with tiny blocks that makes small
// products cross every cache block and edge.

import { describe, expect, it } from 'vitest';
import { WasmGemm } from '../src/wasm/gemm.js';
import { WasmRuntime } from '../src/wasm/runtime.js';
import {
  checkProduct,
  download,
  firstMismatch,
  generator,
  layouts,
  productCases,
  productFailures,
  sizes,
  upload,
} from './wasm-gemm-cases.js';

const runtime = new WasmRuntime({ maximumBytes: 256 * 2 ** 20 });
const variants = runtime.features.relaxedSimd ? [false, true] : [false];

describe.each(variants)('wasm sgemm (relaxed SIMD: %s)', (relaxed) => {
  const gemm = new WasmGemm(runtime, { relaxed });

  it('matches the JavaScript kernel over a seeded sweep of shapes and layouts', () => {
    const cases = productCases(300, 21);
    expect(productFailures(gemm, cases)).toEqual([]);
  });

  it('covers every size pair with every layout of A and B at a prime k', () => {
    const failures: string[] = [];
    for (const m of [1, 2, 3, 17]) {
      for (const n of sizes) {
        for (const a of layouts) {
          const b = layouts[(n + m) % layouts.length]!;
          const c = layouts[(3 * n + m) % layouts.length]!;
          const failure = checkProduct(gemm, {
            m,
            n,
            k: 29,
            a,
            b,
            c,
            accumulate: false,
            split: false,
            seed: n,
          });
          if (failure) failures.push(failure);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('writes zeros for k = 0 and leaves C alone when accumulating', () => {
    for (const accumulate of [false, true]) {
      const failure = checkProduct(gemm, {
        m: 5,
        n: 19,
        k: 0,
        a: 'rows',
        b: 'rows',
        c: 'padded',
        accumulate,
        split: false,
        seed: 3,
      });
      expect(failure).toBeUndefined();
    }
  });

  it('runs a batch with a broadcast operand', () => {
    const [batch, m, n, k] = [3, 9, 21, 14];
    const next = generator(5);
    const a = Float32Array.from({ length: batch * m * k }, () => next() * 2 - 1);
    const b = Float32Array.from({ length: k * n }, () => next() * 2 - 1);
    const pa = upload(runtime, a);
    const pb = upload(runtime, b);
    const pc = upload(runtime, new Float32Array(batch * m * n));
    gemm.matmul(
      { ptr: pa, rowStride: k, colStride: 1 },
      { ptr: pb, rowStride: n, colStride: 1 },
      { ptr: pc, rowStride: n, colStride: 1 },
      m,
      n,
      k,
      { batch, strides: { a: 4 * m * k, b: 0, c: 4 * m * n } },
    );
    const got = download(runtime, pc, batch * m * n);
    // Sums by hand, in float64.
    const expected: number[] = [];
    const scale: number[] = [];
    for (let t = 0; t < batch; t++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          let magnitude = 0;
          for (let p = 0; p < k; p++) {
            const term = a[(t * m + i) * k + p]! * b[p * n + j]!;
            sum += term;
            magnitude += Math.abs(term);
          }
          expected.push(sum);
          scale.push(magnitude);
        }
      }
    }
    expect(firstMismatch(got, expected, scale, k)).toBeUndefined();
    for (const ptr of [pa, pb, pc]) runtime.free(ptr);
  });
});

describe('wasm sgemm with tiny blocks', () => {
  // 3×8 tiles (no vector packing of A), k in blocks of 7, A in blocks of 6 rows, B in blocks
  // of 24 columns: small products cross every block boundary.
  const gemm = new WasmGemm(runtime, {
    relaxed: false,
    config: { mr: 3, nr: 8, kc: 7, mc: 6, nc: 24 },
  });
  const wide = new WasmGemm(runtime, {
    relaxed: false,
    config: { mr: 4, nr: 12, kc: 5, mc: 8, nc: 36 },
  });

  it('matches the JavaScript kernel over a seeded sweep', () => {
    expect(productFailures(gemm, productCases(200, 7, false))).toEqual([]);
    expect(productFailures(wide, productCases(120, 8, false))).toEqual([]);
  });
});
