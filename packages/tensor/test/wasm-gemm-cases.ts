// The WebAssembly matmul's cases, checked against the JavaScript CPU kernel (cpu/matmul.ts,
// float64 sums) on the same float32 data. Shared by wasm-gemm.test.ts and the relaxed-SIMD
// child process of wasm-relaxed.node.test.ts, so each returns its failures as lines.

import { gemm as referenceGemm } from '../src/cpu/matmul.js';
import type { WasmGemm } from '../src/wasm/gemm.js';
import type { WasmRuntime } from '../src/wasm/runtime.js';

/** A small deterministic generator (mulberry32), so failures repeat. */
export function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * How an operand's elements lie in memory: row-major, column-major (a transposed tensor),
 * rows padded past their end, or every other column of a wider matrix.
 */
export type Layout = 'rows' | 'columns' | 'padded' | 'strided';
export const layouts: readonly Layout[] = ['rows', 'columns', 'padded', 'strided'];

/** An r×c operand: element (i, j) at data[offset + i * rowStride + j * colStride]. */
interface Operand {
  readonly data: Float32Array;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

function operand(rows: number, cols: number, layout: Layout, fill: () => number): Operand {
  const offset = layout === 'rows' ? 0 : 3;
  const strides: Record<Layout, [number, number]> = {
    rows: [cols, 1],
    columns: [1, rows],
    padded: [cols + 5, 1],
    strided: [2 * cols + 1, 2],
  };
  const [rowStride, colStride] = strides[layout];
  const length = offset + Math.max(0, (rows - 1) * rowStride + (cols - 1) * colStride + 1) + 4;
  const data = new Float32Array(length);
  for (let i = 0; i < length; i++) data[i] = fill();
  return { data, offset, rowStride, colStride };
}

/** |x| elementwise, in float64, for the error bound's scale. */
function absolute(o: Operand): {
  data: Float64Array;
  offset: number;
  rowStride: number;
  colStride: number;
} {
  return { ...o, data: Float64Array.from(o.data, Math.abs) };
}

/** Copies `data` into the runtime's memory; returns its byte offset. */
export function upload(runtime: WasmRuntime, data: Float32Array): number {
  const ptr = runtime.alloc(Math.max(4, data.length * 4));
  if (ptr === undefined) throw new Error('test: out of wasm memory');
  new Float32Array(runtime.buffer, ptr, data.length).set(data);
  return ptr;
}

/** The runtime's floats at byte `ptr` (a copy). */
export function download(runtime: WasmRuntime, ptr: number, length: number): Float32Array {
  return new Float32Array(runtime.buffer, ptr, length).slice();
}

/**
 * The first element of `got` (length of `ref`) that is off `ref` by more than float32
 * summation of k terms allows: k·2⁻²³ of the sum of the terms' magnitudes (`scale`), plus
 * one rounding of the result. Returns a description, or undefined.
 */
export function firstMismatch(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  scale: ArrayLike<number>,
  k: number,
): string | undefined {
  for (let i = 0; i < ref.length; i++) {
    const bound = (k + 2) * 2 ** -23 * scale[i]! + 2 ** -23 * Math.abs(ref[i]!) + 1e-30;
    const error = Math.abs(got[i]! - ref[i]!);
    if (!(error <= bound))
      return `element ${i}: got ${got[i]}, expected ${ref[i]} (±${bound.toExponential(2)})`;
  }
  return undefined;
}

export interface ProductCase {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: Layout;
  readonly b: Layout;
  readonly c: Layout;
  readonly accumulate: boolean;
  /** Compute C as a grid of row and column ranges, one sgemm call each, as workers would. */
  readonly split: boolean;
  readonly seed: number;
}

/**
 * Runs one product on `gemm` and returns a description of what went wrong, or undefined:
 * C's elements against the reference within float32 summation error, and C's memory outside
 * the product (padding, other columns) untouched.
 */
export function checkProduct(gemm: WasmGemm, c: ProductCase): string | undefined {
  const { runtime } = gemm;
  const next = generator(c.seed);
  const fill = () => next() * 2 - 1;
  const a = operand(c.m, c.k, c.a, fill);
  const b = operand(c.k, c.n, c.b, fill);
  const out = operand(c.m, c.n, c.c, fill);
  const before = out.data.slice();
  // What C must become: (C +) A·B in float64 sums, and the sums of magnitudes for the bound.
  const expected = Float64Array.from(out.data);
  const scale = new Float64Array(out.data.length);
  const matrix = (o: Operand, data: Float64Array | Float32Array) => ({ ...o, data });
  const product = new Float64Array(out.data.length);
  referenceGemm(a, b, matrix(out, product), c.m, c.k, c.n);
  referenceGemm(absolute(a), absolute(b), matrix(out, scale), c.m, c.k, c.n);
  const inside = new Set<number>();
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      const at = out.offset + i * out.rowStride + j * out.colStride;
      inside.add(at);
      expected[at] = (c.accumulate ? before[at]! : 0) + product[at]!;
      if (c.accumulate) scale[at] = scale[at]! + Math.abs(before[at]!);
    }
  }

  const pa = upload(runtime, a.data);
  const pb = upload(runtime, b.data);
  const pc = upload(runtime, out.data);
  const matrixAt = (ptr: number, o: Operand) => ({
    ptr: ptr + 4 * o.offset,
    rowStride: o.rowStride,
    colStride: o.colStride,
  });
  try {
    if (c.split) {
      // A 2×3 grid of ranges, each with its own scratch, as the worker pool calls them.
      const rows = [0, Math.floor(c.m / 2), c.m];
      const cols = [0, Math.floor(c.n / 3), Math.floor((2 * c.n) / 3), c.n];
      for (let r = 0; r < 2; r++) {
        for (let q = 0; q < 3; q++) {
          const [m0, m1, n0, n1] = [rows[r]!, rows[r + 1]!, cols[q]!, cols[q + 1]!];
          const scratch = runtime.alloc(gemm.scratchBytes(m1 - m0, n1 - n0, c.k))!;
          const [A, B, C] = [matrixAt(pa, a), matrixAt(pb, b), matrixAt(pc, out)];
          gemm.sgemmExport(
            A.ptr,
            A.rowStride,
            A.colStride,
            B.ptr,
            B.rowStride,
            B.colStride,
            C.ptr,
            C.rowStride,
            C.colStride,
            c.k,
            m0,
            m1,
            n0,
            n1,
            c.accumulate ? 1 : 0,
            scratch,
          );
          runtime.free(scratch);
        }
      }
    } else {
      gemm.matmul(matrixAt(pa, a), matrixAt(pb, b), matrixAt(pc, out), c.m, c.n, c.k, {
        accumulate: c.accumulate,
      });
    }
    const got = download(runtime, pc, out.data.length);
    for (let i = 0; i < got.length; i++) {
      if (!inside.has(i) && !Object.is(got[i], before[i])) {
        return `${describe(c)}: wrote element ${i} outside C (${before[i]} became ${got[i]})`;
      }
    }
    const pick = (values: ArrayLike<number>) => [...inside].map((i) => values[i]!);
    const mismatch = firstMismatch(pick(got), pick(expected), pick(scale), c.k);
    return mismatch && `${describe(c)}: ${mismatch}`;
  } finally {
    runtime.free(pa);
    runtime.free(pb);
    runtime.free(pc);
  }
}

function describe(c: ProductCase): string {
  const flags = [c.accumulate ? 'accumulate' : '', c.split ? 'split' : ''].filter(Boolean);
  return `${c.m}x${c.k} (${c.a}) · ${c.k}x${c.n} (${c.b}) into ${c.c}${flags.length ? ` ${flags.join(' ')}` : ''}`;
}

/** Sizes with edge tiles of every kind: 0, 1, primes, and multiples of 2, 4 and 16 near them. */
export const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 13, 15, 16, 17, 31, 32, 33, 47, 48, 61, 64, 70];

/**
 * The seeded sweep: `count` products of sizes drawn from `sizes` (with some much larger k, m
 * and n to cross the cache blocks), in every layout, some accumulating, some split.
 */
export function productCases(count: number, seed: number, large = true): ProductCase[] {
  const next = generator(seed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  const cases: ProductCase[] = [];
  for (let i = 0; i < count; i++) {
    let [m, n, k] = [pick(sizes), pick(sizes), pick(sizes)];
    // Now and then one dimension spans several blocks of the default configuration.
    const grow = large ? next() : 1;
    if (grow < 0.04) k = 1100 + Math.floor(next() * 40);
    else if (grow < 0.07) m = 260 + Math.floor(next() * 20);
    else if (grow < 0.09) n = 2080 + Math.floor(next() * 40);
    cases.push({
      m,
      n,
      k,
      a: pick(layouts),
      b: pick(layouts),
      c: pick(layouts),
      accumulate: next() < 0.25,
      split: next() < 0.2,
      seed: i + 1,
    });
  }
  return cases;
}

/** Runs the sweep on `gemm`; returns each failure's description. */
export function productFailures(gemm: WasmGemm, cases: readonly ProductCase[]): string[] {
  return cases.map((c) => checkProduct(gemm, c)).filter((f): f is string => f !== undefined);
}
