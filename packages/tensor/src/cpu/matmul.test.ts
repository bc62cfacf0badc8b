// The packed CPU matmul against a plain float64 triple loop: sizes that leave ragged edge
// tiles and span several cache blocks, transposed, offset and padded operands, broadcast
// (stride-0) batches, and mixed dtypes.
import { describe, expect, it } from 'vitest';
import type { View } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { cpu } from './backend.js';
import { gemm, type Matrix, runMatmul } from './matmul.js';

/** A small deterministic generator (mulberry32), so failures repeat. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function filled(dtype: DType, length: number, seed: number): TypedArray {
  const next = generator(seed);
  const data = cpu.allocate(dtype, length).data;
  for (let i = 0; i < length; i++) {
    data[i] = dtype === 'int32' ? Math.floor(next() * 19) - 9 : next() * 2 - 1;
  }
  return data;
}

/**
 * Checks got[i] against the float64 products ref[i]: exact for int32, within one rounding to
 * float32 (plus float64 accumulation error) for float32, within accumulation error for float64.
 * `scale[i]` is sum_p |a[i][p] * b[p][j]|, which bounds the accumulation error.
 */
function expectClose(dtype: DType, got: number[], ref: number[], scale: number[], k: number): void {
  for (let i = 0; i < ref.length; i++) {
    const accumulation = scale[i]! * k * 2 ** -52;
    const rounding = dtype === 'float32' ? Math.abs(ref[i]!) * 2 ** -24 : 0;
    const error = Math.abs(got[i]! - ref[i]!);
    if (dtype === 'int32' ? error !== 0 : error > rounding + accumulation) {
      expect.fail(`element ${i}: got ${got[i]}, expected ${ref[i]} (error ${error})`);
    }
  }
}

const at = (x: Matrix, i: number, j: number): number =>
  x.data[x.offset + i * x.rowStride + j * x.colStride]!;

function reference(a: Matrix, b: Matrix, m: number, k: number, n: number) {
  const values: number[] = [];
  const scale: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let magnitude = 0;
      for (let p = 0; p < k; p++) {
        sum += at(a, i, p) * at(b, p, j);
        magnitude += Math.abs(at(a, i, p) * at(b, p, j));
      }
      values.push(sum);
      scale.push(magnitude);
    }
  }
  return { values, scale };
}

function read(c: Matrix, m: number, n: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) values.push(at(c, i, j));
  return values;
}

type Layout = 'rowMajor' | 'transposed' | 'padded' | 'everyOther';

/** A rows×cols matrix stored in one of several layouts, each at a nonzero offset. */
function matrix(
  layout: Layout,
  rows: number,
  cols: number,
  seed: number,
  dtype: DType = 'float32',
): Matrix {
  const offset = 3;
  const strides: Record<Layout, [number, number]> = {
    rowMajor: [cols, 1],
    transposed: [1, rows],
    padded: [cols + 5, 1],
    everyOther: [2 * cols, 2],
  };
  const [rowStride, colStride] = strides[layout];
  const length = offset + (rows - 1) * rowStride + (cols - 1) * colStride + 1;
  return { data: filled(dtype, length, seed), offset, rowStride, colStride };
}

describe('gemm', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 1],
    [3, 5, 2],
    [4, 4, 4],
    [5, 3, 7],
    [9, 17, 6],
    [13, 1, 11],
    [33, 65, 31],
    [64, 9, 70],
    // Vector products skip packing.
    [1, 50, 9],
    [9, 50, 1],
    [1, 300, 1],
    // k this long shrinks the cache blocks to a few tiles, so m and n span several blocks.
    [37, 2000, 41],
  ];
  for (const [m, k, n] of sizes) {
    it(`matches a float64 reference for ${m}x${k} · ${k}x${n}`, () => {
      const a = matrix('rowMajor', m, k, 1);
      const b = matrix('rowMajor', k, n, 2);
      const c = matrix('rowMajor', m, n, 3);
      gemm(a, b, c, m, k, n);
      const { values, scale } = reference(a, b, m, k, n);
      expectClose('float32', read(c, m, n), values, scale, k);
    });
  }

  const layouts: Layout[] = ['rowMajor', 'transposed', 'padded', 'everyOther'];
  for (const aLayout of layouts) {
    for (const bLayout of layouts) {
      it(`reads A ${aLayout} and B ${bLayout}, writing C through its strides`, () => {
        // Also as vector products (one row of A, one column of B), which skip packing.
        for (const [m, k, n] of [
          [7, 10, 9],
          [1, 10, 9],
          [7, 10, 1],
        ] as const) {
          const a = matrix(aLayout, m, k, 4);
          const b = matrix(bLayout, k, n, 5);
          const cLayout = layouts[(layouts.indexOf(aLayout) + layouts.indexOf(bLayout)) % 4]!;
          const c = matrix(cLayout, m, n, 6);
          const untouched = c.data.slice();
          gemm(a, b, c, m, k, n);
          const { values, scale } = reference(a, b, m, k, n);
          expectClose('float32', read(c, m, n), values, scale, k);
          // Elements of C's storage outside the matrix are left alone.
          const inside = new Set<number>();
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) inside.add(c.offset + i * c.rowStride + j * c.colStride);
          }
          for (let q = 0; q < untouched.length; q++) {
            if (!inside.has(q)) expect(c.data[q]).toBe(untouched[q]);
          }
        }
      });
    }
  }

  for (const size of [1, 5]) {
    it(`accumulates in float64 and rounds once (${size}x3 · 3x${size})`, () => {
      // 1 + 2^-30 - 1 is exact in float64 but loses the 2^-30 in float32 sums.
      const row = [1, 2 ** -30, -1];
      const a: Matrix = {
        data: new Float32Array(Array.from({ length: size }, () => row).flat()),
        offset: 0,
        rowStride: 3,
        colStride: 1,
      };
      const b: Matrix = {
        data: new Float32Array(3 * size).fill(1),
        offset: 0,
        rowStride: size,
        colStride: 1,
      };
      const c: Matrix = {
        data: new Float32Array(size * size),
        offset: 0,
        rowStride: size,
        colStride: 1,
      };
      gemm(a, b, c, size, 3, size);
      expect(Array.from(c.data)).toEqual(new Array(size * size).fill(2 ** -30));
    });
  }
});

/** A View over fresh storage holding `data`, with the given shape and strides. */
function viewOf(
  dtype: DType,
  shape: number[],
  strides: number[],
  offset: number,
  seed: number,
): { view: View; data: TypedArray } {
  let length = offset + 1;
  for (const [d, size] of shape.entries()) length += (size - 1) * strides[d]!;
  const storage = cpu.fromData(dtype, filled(dtype, length, seed));
  return { view: { storage, dtype, shape, strides, offset }, data: storage.data };
}

function contiguousStrides(shape: number[]): number[] {
  const strides: number[] = [];
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d]!;
  }
  return strides;
}

/** Matrix `index` (in row-major order of the batch dims) of a batched view, as a Matrix. */
function slice(view: View, data: TypedArray, index: number): Matrix {
  const rank = view.shape.length;
  let offset = view.offset;
  let rest = index;
  for (let d = rank - 3; d >= 0; d--) {
    offset += (rest % view.shape[d]!) * view.strides[d]!;
    rest = Math.floor(rest / view.shape[d]!);
  }
  return { data, offset, rowStride: view.strides[rank - 2]!, colStride: view.strides[rank - 1]! };
}

interface BatchedCase {
  name: string;
  batch: number[];
  m: number;
  k: number;
  n: number;
  /** Strides of A and B as [batch..., row, column]; contiguous when absent. */
  aStrides?: number[];
  bStrides?: number[];
  dtypes?: [DType, DType, DType];
}

describe('runMatmul', () => {
  const cases: BatchedCase[] = [
    { name: 'a plain batch', batch: [3], m: 5, k: 6, n: 7 },
    { name: 'two batch dims', batch: [2, 3], m: 4, k: 3, n: 5 },
    // conv2d's kernels: one A for every image.
    { name: 'A broadcast over the batch', batch: [4], m: 6, k: 9, n: 11, aStrides: [0, 9, 1] },
    // x @ W for a 3-d x: becomes one 12-row product.
    { name: 'B broadcast, A contiguous', batch: [2, 2], m: 3, k: 5, n: 6, bStrides: [0, 0, 6, 1] },
    {
      name: 'B broadcast, A transposed in each batch',
      batch: [3],
      m: 5,
      k: 4,
      n: 6,
      aStrides: [20, 1, 5],
      bStrides: [0, 6, 1],
    },
    {
      name: 'B broadcast, one row per batch',
      batch: [5, 1],
      m: 1,
      k: 7,
      n: 3,
      bStrides: [0, 0, 3, 1],
    },
    {
      name: 'A broadcast in one batch dim, B in the other',
      batch: [2, 3],
      m: 4,
      k: 5,
      n: 6,
      aStrides: [20, 0, 5, 1],
      bStrides: [0, 30, 6, 1],
    },
    {
      name: 'both broadcast',
      batch: [3],
      m: 5,
      k: 5,
      n: 5,
      aStrides: [0, 5, 1],
      bStrides: [0, 1, 5],
    },
    { name: 'float64', batch: [2], m: 6, k: 7, n: 5, dtypes: ['float64', 'float64', 'float64'] },
    { name: 'int32', batch: [2], m: 6, k: 7, n: 5, dtypes: ['int32', 'int32', 'int32'] },
    {
      name: 'int32 times float32',
      batch: [2],
      m: 6,
      k: 7,
      n: 5,
      dtypes: ['int32', 'float32', 'float32'],
    },
  ];
  for (const test of cases) {
    it(`matches a float64 reference: ${test.name}`, () => {
      const { batch, m, k, n } = test;
      const [aType, bType, outType] = test.dtypes ?? ['float32', 'float32', 'float32'];
      const aShape = [...batch, m, k];
      const bShape = [...batch, k, n];
      const outShape = [...batch, m, n];
      const a = viewOf(aType, aShape, test.aStrides ?? contiguousStrides(aShape), 2, 7);
      const b = viewOf(bType, bShape, test.bStrides ?? contiguousStrides(bShape), 1, 8);
      // The output is a slice of a larger buffer: a nonzero offset and padded rows.
      const outStrides = contiguousStrides([...batch, m, n + 2]);
      const out = viewOf(outType, outShape, outStrides, 4, 9);
      runMatmul(a.view, a.data, b.view, b.data, out.view, out.data);
      const count = batch.reduce((x, y) => x * y, 1);
      for (let index = 0; index < count; index++) {
        const { values, scale } = reference(
          slice(a.view, a.data, index),
          slice(b.view, b.data, index),
          m,
          k,
          n,
        );
        expectClose(outType, read(slice(out.view, out.data, index), m, n), values, scale, k);
      }
    });
  }
});
