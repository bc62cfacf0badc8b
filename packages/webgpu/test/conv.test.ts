// The convolution kernels against the CPU backend: conv2d forward and both gradients (input
// and weight) through the tensor API over a grid of geometries (strides, padding, dilation,
// groups, odd sizes, channels not multiples of 4, batch 1, a grid folded past 65,535
// workgroups), then every kernel variant the planner can choose on a few of them.

import {
  type ConvGeometry,
  conv2d,
  convTranspose2d,
  cpu,
  type Storage,
  type Tensor,
  tensor,
  type View,
} from '@dl/tensor';
import { compareValues } from '@dl/tensor/testing';
import type { GPUStorage } from '@dl/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConvKind, type ConvVariant, planConv } from '../src/kernels/conv.js';
import { matmulTarget } from '../src/kernels/matmul.js';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

interface Case {
  name: string;
  input: [number, number, number, number];
  weight: [number, number, number, number];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

const cases: Case[] = [
  { name: 'MNIST conv1 shape, batch 2', input: [2, 1, 28, 28], weight: [32, 1, 3, 3] },
  { name: 'batch 1, odd sizes', input: [1, 3, 7, 9], weight: [5, 3, 3, 2] },
  { name: 'channels 6 -> 10', input: [3, 6, 11, 10], weight: [10, 6, 3, 3] },
  {
    name: 'stride [2, 3], padding [1, 2]',
    input: [2, 3, 9, 11],
    weight: [4, 3, 3, 3],
    stride: [2, 3],
    padding: [1, 2],
  },
  {
    name: 'dilation [2, 1], padding 2',
    input: [2, 2, 8, 8],
    weight: [3, 2, 3, 3],
    dilation: [2, 1],
    padding: [2, 2],
  },
  {
    name: 'stride 2 with padding larger than needed',
    input: [1, 2, 6, 5],
    weight: [3, 2, 2, 2],
    stride: [2, 2],
    padding: [1, 1],
  },
  { name: 'groups 2', input: [2, 4, 6, 6], weight: [6, 2, 3, 3], groups: 2, padding: [1, 1] },
  { name: 'depthwise', input: [2, 3, 5, 5], weight: [3, 1, 3, 3], groups: 3 },
  {
    // At most 16 taps per output: the forward pass runs the direct kernel (here 8 output
    // channels per invocation; the MNIST conv1 case above slides its window, this one does not).
    name: 'few taps: stride [1, 2], padding [2, 1], dilation [1, 2]',
    input: [2, 1, 9, 10],
    weight: [8, 1, 3, 2],
    stride: [1, 2],
    padding: [2, 1],
    dilation: [1, 2],
  },
  {
    // The direct kernel with 4 output channels per invocation and a sliding window.
    name: 'few taps: 2 channels, 2x2 kernel, padding 1',
    input: [2, 2, 7, 6],
    weight: [4, 2, 2, 2],
    padding: [1, 1],
  },
  { name: '1x1 kernel, 40 channels', input: [2, 40, 4, 5], weight: [70, 40, 1, 1] },
  { name: '32 -> 64 channels', input: [2, 32, 10, 10], weight: [64, 32, 3, 3] },
];

function values(length: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const numel = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

function expectClose(got: ArrayLike<number>, expected: ArrayLike<number>, what: string, k: number) {
  const problem = compareValues(Array.from(got), Array.from(expected), {
    rtol: 1e-4,
    atol: 1e-6 * k,
  });
  expect(problem, what).toBeUndefined();
}

describe.skipIf(!device)(`conv2d kernels on WebGPU in ${runtime}`, () => {
  const gpu = device!;
  afterAll(() => gpu.destroy());

  /** conv2d and both gradients of (conv2d * a fixed projection).sum() on `on`. */
  async function run(c: Case, on: typeof cpu | typeof gpu) {
    const x = tensor(values(numel(c.input), 1), { device: on })
      .reshape(c.input)
      .requiresGrad_();
    const w = tensor(values(numel(c.weight), 2), { device: on })
      .reshape(c.weight)
      .requiresGrad_();
    const options = {
      stride: c.stride ?? 1,
      padding: c.padding ?? 0,
      dilation: c.dilation ?? 1,
      groups: c.groups ?? 1,
    };
    const y: Tensor = conv2d(x, w, null, options);
    const projection = tensor(values(y.numel(), 3), { device: on }).reshape(y.shape);
    y.mul(projection).sum().backward();
    return [await y.data(), await x.grad!.data(), await w.grad!.data()] as const;
  }

  for (const c of cases) {
    it(`${c.name}: forward, input and weight gradients agree with the CPU`, async () => {
      const expected = await run(c, cpu);
      const got = await run(c, gpu);
      const k = c.weight[1] * c.weight[2] * c.weight[3];
      expectClose(got[0], expected[0], 'forward', k);
      expectClose(got[1], expected[1], 'input gradient', c.weight[0] * k);
      expectClose(got[2], expected[2], 'weight gradient', c.input[0] * c.input[2] * c.input[3]);
    }, 120_000);
  }

  it('convTranspose2d (the input-gradient kernel) agrees with the CPU', async () => {
    const compute = async (on: typeof cpu | typeof gpu) => {
      const x = tensor(values(2 * 4 * 5 * 4, 4), { device: on }).reshape([2, 4, 5, 4]);
      const w = tensor(values(4 * 3 * 3 * 2, 5), { device: on }).reshape([4, 3, 3, 2]);
      return convTranspose2d(x, w, null, {
        stride: [2, 3],
        padding: [1, 0],
        outputPadding: [1, 2],
        groups: 2,
      }).data();
    };
    expectClose(await compute(gpu), await compute(cpu), 'convTranspose2d', 20);
  });

  it('folds a grid of more than 65,535 workgroups', async () => {
    // Two input channels and a 3x3 kernel (18 taps: the implicit GEMM, not the direct
    // kernel) over 16 x 318 x 318 output pixels: 67,416 column tiles of 24, each output
    // checked against the sum computed here.
    const [n, c, o, size, k] = [16, 2, 8, 320, 3];
    const out = size - k + 1;
    const [xData, wData] = [values(n * c * size * size, 1), values(o * c * k * k, 2)];
    const y = conv2d(
      tensor(xData, { device: gpu }).reshape([n, c, size, size]),
      tensor(wData, { device: gpu }).reshape([o, c, k, k]),
    );
    const got = await y.data();
    const expected = new Float32Array(n * o * out * out);
    for (let b = 0; b < n; b++)
      for (let f = 0; f < o; f++)
        for (let py = 0; py < out; py++)
          for (let px = 0; px < out; px++) {
            let sum = 0;
            for (let ch = 0; ch < c; ch++)
              for (let i = 0; i < k; i++)
                for (let j = 0; j < k; j++)
                  sum +=
                    xData[((b * c + ch) * size + py + i) * size + px + j]! *
                    wData[((f * c + ch) * k + i) * k + j]!;
            expected[((b * o + f) * out + py) * out + px] = sum;
          }
    expectClose(got, expected, 'forward', c * k * k);
  }, 120_000);

  // Small tiles compile fast; the plan's own tile runs in the tests above.
  const small = { groups: 1, rows: 1, cols: 8 };
  const variants: (Partial<ConvVariant> & { chunks?: number })[] = [
    {},
    { ...small, broadcast: false },
    { ...small, vec4Out: false },
    { groups: 2, rows: 2, cols: 16, broadcast: false },
    { ...small, chunks: 1 },
    { ...small, chunks: 3 },
  ];
  const target = device ? matmulTarget(device.runtime) : {};
  const geometry: ConvGeometry = {
    kernel: [3, 2],
    stride: [2, 1],
    padding: [1, 1],
    dilation: [1, 2],
    outSize: [4, 8],
    groups: 2,
  };
  const input = [3, 6, 7, 8];
  const weight = [10, 3, 3, 2];
  const grad = [3, 10, 4, 8];
  for (const kind of ['forward', 'input', 'weight'] as ConvKind[]) {
    it(`${kind}: every variant agrees with the CPU`, async () => {
      // The backend method's operands, in its order; the kernel binds them as [X, Y] = [b, a].
      const shapes = {
        forward: [input, weight, grad],
        input: [grad, weight, input],
        weight: [input, grad, weight],
      }[kind];
      const [aShape, bShape, outShape] = shapes as [number[], number[], number[]];
      const view = (storage: Storage, shape: number[]): View => ({
        storage,
        dtype: 'float32',
        shape,
        strides: shape.map((_, i) => numel(shape.slice(i + 1))),
        offset: 0,
      });
      const [aData, bData] = [values(numel(aShape), 6), values(numel(bShape), 7)];
      const cpuOut = view(cpu.allocate('float32', numel(outShape)), outShape);
      const ca = view(cpu.fromData('float32', aData), aShape);
      const cb = view(cpu.fromData('float32', bData), bShape);
      if (kind === 'forward') cpu.conv2d(ca, cb, geometry, cpuOut);
      else if (kind === 'input') cpu.conv2dBackwardInput(ca, cb, geometry, cpuOut);
      else cpu.conv2dBackwardWeight(ca, cb, geometry, cpuOut);
      const expected = await cpu.read(cpuOut);

      const a = view(gpu.fromData('float32', aData), aShape);
      const b = view(gpu.fromData('float32', bData), bShape);
      for (const override of variants) {
        if (override.chunks !== undefined && kind !== 'weight') continue;
        const program = planConv(
          kind,
          { input, weight },
          geometry,
          { x: b, y: a, out: a },
          target,
          override,
        );
        const partial = gpu.allocate('float32', program.chunks * numel(outShape));
        gpu.runtime.dispatch({
          label: program.key,
          code: program.shader(),
          key: program.key,
          meta: program.meta,
          bindings: [partial, b.storage, a.storage].map((s) => (s as GPUStorage).buffer),
          workgroups: program.workgroups,
        });
        const partials = await gpu.read(view(partial, [program.chunks, numel(outShape)]));
        const got = new Float32Array(numel(outShape));
        partials.forEach((v, i) => {
          got[i % got.length]! += v;
        });
        expectClose(got, expected, `variant ${program.key}, ${program.chunks} chunks`, 100);
        gpu.release(partial);
      }
    }, 180_000);
  }
});
