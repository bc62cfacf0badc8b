// im2col and col2im against the per-element definition, over strides, padding, dilation,
// windows that fall wholly in the padding, and strided inputs and columns.
import { describe, expect, it } from 'vitest';
import type { View, WindowGeometry } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { cpu } from './backend.js';
import { runCol2im, runIm2col } from './window.js';

interface Case {
  name: string;
  size: [number, number, number, number];
  kernel: [number, number];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  padValue?: number;
}

const cases: Case[] = [
  { name: 'a 3x3 kernel, no padding', size: [2, 3, 6, 7], kernel: [3, 3] },
  { name: 'padding 1', size: [1, 2, 5, 5], kernel: [3, 3], padding: [1, 1] },
  {
    name: 'stride 2 and uneven padding',
    size: [2, 1, 7, 6],
    kernel: [3, 2],
    stride: [2, 3],
    padding: [1, 2],
  },
  { name: 'dilation 2', size: [1, 2, 9, 8], kernel: [3, 3], dilation: [2, 2], padding: [2, 1] },
  // Padding wider than the kernel: whole rows and columns of windows read only padding.
  {
    name: 'padding past the kernel',
    size: [1, 1, 3, 4],
    kernel: [2, 2],
    padding: [3, 3],
    stride: [2, 1],
  },
  {
    name: 'max-pool padding value',
    size: [1, 2, 5, 5],
    kernel: [2, 2],
    stride: [2, 2],
    padding: [1, 1],
    padValue: -Infinity,
  },
];

function geometryOf(test: Case): WindowGeometry {
  const [, , h, w] = test.size;
  const stride = test.stride ?? [1, 1];
  const padding = test.padding ?? [0, 0];
  const dilation = test.dilation ?? [1, 1];
  const count = (size: number, d: 0 | 1) =>
    Math.floor((size + 2 * padding[d] - dilation[d] * (test.kernel[d] - 1) - 1) / stride[d]) + 1;
  return {
    kernel: test.kernel,
    stride,
    padding,
    dilation,
    outSize: [count(h, 0), count(w, 1)],
    padValue: test.padValue ?? 0,
  };
}

/** A [N, C, H, W] float32 view whose W and H are swapped in memory, at an offset: strided. */
function stridedInput([n, c, h, w]: [number, number, number, number]): {
  view: View;
  data: TypedArray;
} {
  const values = new Float32Array(5 + n * c * h * w);
  for (let i = 0; i < values.length; i++) values[i] = i + 1;
  const storage = cpu.fromData('float32', values);
  const strides = [c * h * w, h * w, 1, h];
  return {
    view: { storage, dtype: 'float32', shape: [n, c, h, w], strides, offset: 5 },
    data: storage.data,
  };
}

function element(view: View, data: TypedArray, index: number[]): number {
  let p = view.offset;
  for (const [d, i] of index.entries()) p += i * view.strides[d]!;
  return data[p]!;
}

/** For each column entry: the input position it reads ([b, ch, row, col]), or null in padding. */
function windows(size: [number, number, number, number], g: WindowGeometry): (number[] | null)[] {
  const [n, c, h, w] = size;
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.outSize;
  const sources: (number[] | null)[] = [];
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let y = 0; y < oh; y++)
            for (let x = 0; x < ow; x++) {
              const row = y * g.stride[0] - g.padding[0] + i * g.dilation[0];
              const col = x * g.stride[1] - g.padding[1] + j * g.dilation[1];
              sources.push(row >= 0 && row < h && col >= 0 && col < w ? [b, ch, row, col] : null);
            }
  return sources;
}

describe('im2col', () => {
  for (const test of cases) {
    it(`unfolds windows: ${test.name}`, () => {
      const g = geometryOf(test);
      const { view: input, data: x } = stridedInput(test.size);
      const sources = windows(test.size, g);
      const out = new Float32Array(sources.length);
      runIm2col(input, x, g, out);
      const expected = sources.map((s) => (s === null ? g.padValue : element(input, x, s)));
      expect(Array.from(out)).toEqual(expected);
    });
  }
});

describe('col2im', () => {
  for (const test of cases.filter((t) => t.padValue === undefined)) {
    it(`sums columns back into the image: ${test.name}`, () => {
      const g = geometryOf(test);
      const [n, c, h, w] = test.size;
      const sources = windows(test.size, g);
      const rows = c * g.kernel[0] * g.kernel[1];
      const length = g.outSize[0] * g.outSize[1];
      // Columns stored [N, L, rows] and viewed as [N, rows, L]: strided.
      const data = new Float32Array(n * rows * length);
      for (let q = 0; q < data.length; q++) data[q] = (q % 13) - 6;
      const columnStorage = cpu.fromData('float32', data);
      const columns: View = {
        storage: columnStorage,
        dtype: 'float32',
        shape: [n, rows, length],
        strides: [rows * length, 1, rows],
        offset: 0,
      };
      // The image is a slice of a larger, nonzero buffer: only its elements change.
      const image = new Float32Array(3 + n * c * h * w).fill(0.5);
      const imageStorage = cpu.fromData('float32', image);
      const out: View = {
        storage: imageStorage,
        dtype: 'float32',
        shape: [n, c, h, w],
        strides: [c * h * w, h * w, w, 1],
        offset: 3,
      };
      const y = imageStorage.data;
      runCol2im(columns, columnStorage.data, g, out, y);
      const expected = Array.from(image);
      sources.forEach((s, q) => {
        if (s === null) return;
        const [b, r, l] = [
          Math.floor(q / (rows * length)),
          Math.floor(q / length) % rows,
          q % length,
        ];
        const [, ch, row, col] = s as [number, number, number, number];
        expected[3 + ((b * c + ch) * h + row) * w + col]! +=
          data[b * rows * length + l * rows + r]!;
      });
      expect(Array.from(y)).toEqual(expected);
    });
  }
});
