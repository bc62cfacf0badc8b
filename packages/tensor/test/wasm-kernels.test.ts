// The WebAssembly softmax, max pooling, gather and scatter kernels against the JavaScript
// kernels (cpu/softmax.ts, cpu/pool.ts, cpu/gather.ts) on the same data: results identical
// (Object.is per element of every storage), the same IndexError for a bad index, and a
// scatter with a bad index leaving its target untouched.

import { describe, expect, it } from 'vitest';
import type { WindowGeometry } from '../src/backend.js';
import { runGather, runScatter } from '../src/cpu/gather.js';
import { runMaxPool2d, runMaxPool2dBackward } from '../src/cpu/pool.js';
import { runSoftmax } from '../src/cpu/softmax.js';
import type { DType } from '../src/dtype.js';
import { IndexError } from '../src/errors.js';
import { WasmGather } from '../src/wasm/gather.js';
import { WasmPool } from '../src/wasm/pool.js';
import { WasmRuntime } from '../src/wasm/runtime.js';
import { WasmSoftmax } from '../src/wasm/softmax.js';
import { contiguous, randomView, Storages, seeded, sentinel, specials } from './wasm-harness.js';

const runtime = new WasmRuntime({ maximumBytes: 2 ** 28 });
const dtypes: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

const message = (index: number, size: number) =>
  `index ${index} is out of bounds for dimension with size ${size}`;

describe('wasm softmax matches the JavaScript kernel', () => {
  const softmax = new WasmSoftmax(runtime);
  it('rows of random values, special values and offsets, softmax and logSoftmax', () => {
    const random = seeded(21);
    const found: string[] = [];
    for (const dtype of ['float32', 'float64'] as const) {
      for (const log of [false, true]) {
        for (const [rows, n] of [
          [1, 1],
          [3, 10],
          [64, 10],
          [2, 1000],
          [5, 7],
        ] as const) {
          for (const withSpecials of [false, true]) {
            const count = rows * n;
            const values = Array.from({ length: count + 3 }, () =>
              withSpecials && random() < 0.2
                ? specials.float64[Math.floor(random() * specials.float64.length)]!
                : random() * 20 - 10,
            );
            const s = new Storages(runtime, [
              { dtype, values },
              { dtype, values: new Array(count + 2).fill(sentinel) },
            ]);
            const input = { storage: 0, shape: [rows, n], strides: [n, 1], offset: 3 };
            const out = { storage: 1, shape: [rows, n], strides: [n, 1], offset: 1 };
            runSoftmax(s.view(input), s.reference[0]!, log, s.view(out), s.reference[1]!);
            softmax.run(s.operand(input), log, s.operand(out));
            found.push(...s.differences().map((d) => `${dtype} log=${log} [${rows}, ${n}]: ${d}`));
            s.free();
          }
        }
      }
    }
    expect(found).toEqual([]);
  });
});

describe('wasm max pooling matches the JavaScript kernels', () => {
  const pool = new WasmPool(runtime);
  it('values, indices and gradients over kernels, strides, padding and dilation', () => {
    const random = seeded(22);
    const found: string[] = [];
    for (let trial = 0; trial < 120; trial++) {
      const dtype = (['float32', 'float64', 'int32'] as const)[trial % 3]!;
      const [n, c] = [1 + Math.floor(random() * 2), 1 + Math.floor(random() * 3)];
      const [h, w] = [1 + Math.floor(random() * 9), 1 + Math.floor(random() * 9)];
      const kernel = [1 + Math.floor(random() * 3), 1 + Math.floor(random() * 3)] as const;
      const dilation = [1 + Math.floor(random() * 2), 1 + Math.floor(random() * 2)] as const;
      const stride = [1 + Math.floor(random() * 3), 1 + Math.floor(random() * 3)] as const;
      const padding = [
        Math.floor(random() * (Math.floor(kernel[0] / 2) + 1)),
        Math.floor(random() * (Math.floor(kernel[1] / 2) + 1)),
      ] as const;
      const extent = (size: number, k: number, s: number, p: number, d: number) =>
        Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
      const outSize = [
        extent(h, kernel[0], stride[0], padding[0], dilation[0]),
        extent(w, kernel[1], stride[1], padding[1], dilation[1]),
      ] as const;
      if (outSize[0] <= 0 || outSize[1] <= 0) continue;
      const g: WindowGeometry = { kernel, stride, padding, dilation, outSize, padValue: -Infinity };
      const inCount = n * c * h * w;
      const outCount = n * c * outSize[0] * outSize[1];
      const values = Array.from({ length: inCount + 1 }, () =>
        random() < 0.1
          ? [Number.NaN, -0, 0, Infinity, -Infinity][Math.floor(random() * 5)]!
          : Math.round(random() * 8) / 2,
      );
      const data =
        dtype === 'int32' ? values.map((v) => (Number.isFinite(v) ? Math.round(v) : 3)) : values;
      const s = new Storages(runtime, [
        { dtype, values: data },
        { dtype, values: new Array(outCount + 1).fill(sentinel) },
        { dtype: 'int32', values: new Array(outCount + 1).fill(sentinel) },
      ]);
      const input = {
        storage: 0,
        shape: [n, c, h, w],
        strides: contiguous([n, c, h, w]),
        offset: 1,
      };
      const outShape = [n, c, outSize[0], outSize[1]];
      const outView = { storage: 1, shape: outShape, strides: contiguous(outShape), offset: 1 };
      const indexView = { storage: 2, shape: outShape, strides: contiguous(outShape), offset: 0 };
      runMaxPool2d(
        s.view(input),
        s.reference[0]!,
        g,
        s.view(outView),
        s.reference[1]!,
        s.view(indexView),
        s.reference[2]!,
      );
      pool.maxPool2d(s.operand(input), g, s.operand(outView), s.operand(indexView));
      found.push(...s.differences().map((d) => `forward ${dtype} trial ${trial}: ${d}`));
      s.free();
      if (dtype === 'int32') continue;
      // The gradient through those indices (the JavaScript kernel's, so both read the same).
      const grads = Array.from({ length: outCount }, () => random() * 2 - 1);
      const b = new Storages(runtime, [
        { dtype, values: grads },
        { dtype: 'int32', values: Array.from(s.reference[2]!) },
        { dtype, values: new Array(inCount + 2).fill(sentinel) },
      ]);
      const gradView = { storage: 0, shape: outShape, strides: contiguous(outShape), offset: 0 };
      const dxView = {
        storage: 2,
        shape: [n, c, h, w],
        strides: contiguous([n, c, h, w]),
        offset: 2,
      };
      const idx = { ...indexView, storage: 1 };
      runMaxPool2dBackward(
        b.view(gradView),
        b.reference[0]!,
        b.view(idx),
        b.reference[1]!,
        b.view(dxView),
        b.reference[2]!,
      );
      pool.maxPool2dBackward(b.operand(gradView), b.operand(idx), b.operand(dxView));
      found.push(...b.differences().map((d) => `backward ${dtype} trial ${trial}: ${d}`));
      b.free();
    }
    expect(found).toEqual([]);
  });
});

describe('wasm gather and scatter match the JavaScript kernels', () => {
  const kernels = new WasmGather(runtime);

  /** A random input layout, dim and in-range index of at most the input's sizes. */
  function setup(random: () => number, dtype: DType, rank: number) {
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 5));
    const dim = Math.floor(random() * rank);
    const indexShape = shape.map((size, d) =>
      d === dim ? 1 + Math.floor(random() * 6) : 1 + Math.floor(random() * size),
    );
    const indexCount = indexShape.reduce((a, b) => a * b, 1);
    const indices = Array.from({ length: indexCount }, () => Math.floor(random() * shape[dim]!));
    const { storage, view } = randomView(shape, dtype, random, true);
    return { shape, dim, indexShape, indexCount, indices, storage, view };
  }

  it('gather over every dtype, rank and layout', () => {
    const random = seeded(23);
    const found: string[] = [];
    for (let trial = 0; trial < 200; trial++) {
      const dtype = dtypes[trial % 4]!;
      const { dim, indexShape, indexCount, indices, storage, view } = setup(
        random,
        dtype,
        1 + (trial % 4),
      );
      // Index and out viewed transposed-free but offset.
      const s = new Storages(runtime, [
        storage,
        { dtype: 'int32', values: [0, ...indices] },
        { dtype, values: new Array(indexCount + 1).fill(dtype === 'bool' ? 1 : sentinel) },
      ]);
      const input = { ...view, storage: 0 };
      const index = { storage: 1, shape: indexShape, strides: contiguous(indexShape), offset: 1 };
      const out = { storage: 2, shape: indexShape, strides: contiguous(indexShape), offset: 1 };
      runGather(
        s.view(input),
        s.reference[0]!,
        dim,
        s.view(index),
        s.reference[1]!,
        s.view(out),
        s.reference[2]!,
        message,
      );
      kernels.gather(s.operand(input), dim, s.operand(index), s.operand(out), message);
      found.push(...s.differences().map((d) => `gather ${dtype} trial ${trial}: ${d}`));
      s.free();
    }
    expect(found).toEqual([]);
  });

  it('scatter and scatter-add, repeated indices included', () => {
    const random = seeded(24);
    const found: string[] = [];
    for (let trial = 0; trial < 200; trial++) {
      const dtype = dtypes[trial % 4]!;
      const mode = trial % 8 < 4 ? 'assign' : 'add';
      if (mode === 'add' && dtype === 'bool') continue;
      const { shape, dim, indexShape, indexCount, indices } = setup(random, dtype, 1 + (trial % 4));
      const count = shape.reduce((a, b) => a * b, 1);
      const draw = () =>
        dtype === 'bool'
          ? Math.round(random())
          : dtype === 'int32'
            ? Math.floor(random() * 2 ** 32 - 2 ** 31)
            : random() * 20 - 10;
      const s = new Storages(runtime, [
        { dtype, values: Array.from({ length: count }, draw) },
        { dtype: 'int32', values: indices },
        { dtype, values: Array.from({ length: indexCount + 2 }, draw) },
      ]);
      const target = { storage: 0, shape, strides: contiguous(shape), offset: 0 };
      const index = { storage: 1, shape: indexShape, strides: contiguous(indexShape), offset: 0 };
      const src = { storage: 2, shape: indexShape, strides: contiguous(indexShape), offset: 2 };
      runScatter(
        mode,
        s.view(target),
        s.reference[0]!,
        dim,
        s.view(index),
        s.reference[1]!,
        s.view(src),
        s.reference[2]!,
        message,
      );
      kernels.scatter(mode, s.operand(target), dim, s.operand(index), s.operand(src), message);
      found.push(...s.differences().map((d) => `scatter ${mode} ${dtype} trial ${trial}: ${d}`));
      s.free();
    }
    expect(found).toEqual([]);
  });

  it('an index out of range raises the same IndexError; scatter leaves the target untouched', () => {
    for (const bad of [-1, 3, 2 ** 31 - 1, -(2 ** 31)]) {
      const s = new Storages(runtime, [
        { dtype: 'float32', values: [1, 2, 3, 4, 5, 6] },
        { dtype: 'int32', values: [0, 2, bad, 1, bad, 0] },
        { dtype: 'float32', values: new Array(6).fill(sentinel) },
      ]);
      const input = { storage: 0, shape: [2, 3], strides: [3, 1], offset: 0 };
      const index = { storage: 1, shape: [2, 3], strides: [3, 1], offset: 0 };
      const out = { storage: 2, shape: [2, 3], strides: [3, 1], offset: 0 };
      const expected = (() => {
        try {
          runGather(
            s.view(input),
            s.reference[0]!,
            1,
            s.view(index),
            s.reference[1]!,
            s.view(out),
            s.reference[2]!,
            message,
          );
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(expected).toBeInstanceOf(IndexError);
      expect(() =>
        kernels.gather(s.operand(input), 1, s.operand(index), s.operand(out), message),
      ).toThrow(new IndexError((expected as Error).message));
      const before = Array.from(s.wasm(0));
      expect(() =>
        kernels.scatter('add', s.operand(input), 1, s.operand(index), s.operand(out), message),
      ).toThrow(new IndexError(message(bad, 3)));
      expect(Array.from(s.wasm(0))).toEqual(before);
      s.free();
    }
  });
});
