// The WebAssembly convolutions' cases, checked against the JavaScript CPU kernels
// (cpu/conv.ts, on float64 copies of the same float32 data). Shared by wasm-conv.test.ts and
// the relaxed-SIMD child process of wasm-relaxed.node.test.ts, so each returns its failures
// as lines.

import type { ConvGeometry, View } from '../src/backend.js';
import { cpu } from '../src/cpu/backend.js';
import { runConv2d, runConv2dBackwardInput, runConv2dBackwardWeight } from '../src/cpu/conv.js';
import {
  type ConvShape,
  convParamsBytes,
  convScratchBytes,
  type WasmConv,
} from '../src/wasm/conv.js';
import { download, firstMismatch, generator, upload } from './wasm-gemm-cases.js';

/** A convolution's shape from its input and kernel, with PyTorch's output size. */
export function convShape(
  batch: number,
  channels: number,
  size: readonly [number, number],
  outChannels: number,
  kernel: readonly [number, number],
  options: {
    stride?: readonly [number, number];
    padding?: readonly [number, number];
    dilation?: readonly [number, number];
    groups?: number;
  } = {},
): ConvShape {
  const { stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1 } = options;
  const out = (d: 0 | 1) =>
    Math.floor((size[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d]) + 1;
  return {
    batch,
    channels,
    height: size[0],
    width: size[1],
    outChannels,
    kernel,
    stride,
    padding,
    dilation,
    outSize: [out(0), out(1)],
    groups,
  };
}

function describe(s: ConvShape): string {
  return (
    `N=${s.batch} C=${s.channels} ${s.height}x${s.width} -> O=${s.outChannels} ${s.outSize.join('x')}, ` +
    `kernel ${s.kernel.join('x')} stride ${s.stride.join(',')} padding ${s.padding.join(',')} ` +
    `dilation ${s.dilation.join(',')} groups ${s.groups}`
  );
}

const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** A contiguous float64 view over `data` (the reference kernels read shapes and strides). */
function view(shape: readonly number[], data: Float64Array): View {
  const strides = shape.map((_, i) => product(shape.slice(i + 1)));
  return { storage: cpu.fromData('float64', data), dtype: 'float64', shape, strides, offset: 0 };
}

/** The three results in float64, and the same on magnitudes (the error bound's scale). */
function reference(s: ConvShape, x: Float32Array, w: Float32Array, gy: Float32Array) {
  const geometry: ConvGeometry = { ...s };
  const xShape = [s.batch, s.channels, s.height, s.width];
  const wShape = [s.outChannels, s.channels / s.groups, ...s.kernel];
  const yShape = [s.batch, s.outChannels, ...s.outSize];
  const run = (transform: (v: number) => number) => {
    const [xd, wd, gyd] = [x, w, gy].map((a) => Float64Array.from(a, transform)) as [
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    const y = new Float64Array(product(yShape));
    const dx = new Float64Array(product(xShape));
    const dw = new Float64Array(product(wShape));
    runConv2d(view(xShape, xd), xd, view(wShape, wd), wd, geometry, view(yShape, y), y);
    runConv2dBackwardInput(
      view(yShape, gyd),
      gyd,
      view(wShape, wd),
      wd,
      geometry,
      view(xShape, dx),
      dx,
    );
    runConv2dBackwardWeight(
      view(xShape, xd),
      xd,
      view(yShape, gyd),
      gyd,
      geometry,
      view(wShape, dw),
      dw,
    );
    return { y, dx, dw };
  };
  return { values: run((v) => v), scale: run(Math.abs) };
}

export interface ConvCase {
  readonly shape: ConvShape;
  /** Run each export over two image ranges, as two workers would. */
  readonly split: boolean;
  readonly seed: number;
}

/**
 * Runs conv2d, conv2dBackwardInput and conv2dBackwardWeight (overwriting, then accumulating
 * into a nonzero dw) on `conv`; returns what went wrong, or undefined.
 */
export function checkConv(conv: WasmConv, c: ConvCase): string | undefined {
  const { runtime } = conv;
  const s = c.shape;
  const next = generator(c.seed);
  const fill = (length: number) => Float32Array.from({ length }, () => next() * 2 - 1);
  const rows = (s.channels / s.groups) * s.kernel[0] * s.kernel[1];
  const x = fill(s.batch * s.channels * s.height * s.width);
  const w = fill(s.outChannels * rows);
  const gy = fill(s.batch * s.outChannels * s.outSize[0] * s.outSize[1]);
  const dw0 = fill(w.length);
  const { values, scale } = reference(s, x, w, gy);

  const pointers = {
    x: upload(runtime, x),
    w: upload(runtime, w),
    gy: upload(runtime, gy),
    y: upload(runtime, fill(gy.length)),
    dx: upload(runtime, fill(x.length)),
    dw: upload(runtime, fill(w.length)),
    dwAccumulated: upload(runtime, dw0),
  };
  const params = runtime.alloc(convParamsBytes)!;
  const scratchBytes = convScratchBytes(conv.config, s);
  const scratch = runtime.alloc(
    Math.max(scratchBytes.forward, scratchBytes.backwardInput, scratchBytes.backwardWeight),
  )!;
  // Each export over images 0..N-1, or over 0..h-1 then h..N-1 (accumulating dw the second time).
  const ranges = c.split && s.batch > 1 ? [0, Math.floor(s.batch / 2), s.batch] : [0, s.batch];
  const run = (
    exported: (p: number, n0: number, n1: number, scratch: number) => void,
    at: { x: number; w: number; y: number },
    accumulate: boolean,
  ) => {
    for (let r = 0; r + 1 < ranges.length; r++) {
      conv.writeParams(params, s, at, accumulate || r > 0);
      exported(params, ranges[r]!, ranges[r + 1]!, scratch);
    }
  };
  try {
    run(conv.conv2dExport, { x: pointers.x, w: pointers.w, y: pointers.y }, false);
    run(conv.conv2dBackwardInputExport, { x: pointers.dx, w: pointers.w, y: pointers.gy }, false);
    run(conv.conv2dBackwardWeightExport, { x: pointers.x, w: pointers.dw, y: pointers.gy }, false);
    run(
      conv.conv2dBackwardWeightExport,
      { x: pointers.x, w: pointers.dwAccumulated, y: pointers.gy },
      true,
    );
    const checks: [string, number, Float64Array, Float64Array, number][] = [
      ['conv2d', pointers.y, values.y, scale.y, rows],
      [
        'conv2dBackwardInput',
        pointers.dx,
        values.dx,
        scale.dx,
        (s.outChannels / s.groups) * s.kernel[0] * s.kernel[1],
      ],
      [
        'conv2dBackwardWeight',
        pointers.dw,
        values.dw,
        scale.dw,
        s.batch * s.outSize[0] * s.outSize[1],
      ],
      [
        'conv2dBackwardWeight accumulating',
        pointers.dwAccumulated,
        values.dw.map((v, i) => v + dw0[i]!),
        scale.dw.map((v, i) => v + Math.abs(dw0[i]!)),
        s.batch * s.outSize[0] * s.outSize[1] + 1,
      ],
    ];
    for (const [name, ptr, expected, bound, terms] of checks) {
      const mismatch = firstMismatch(
        download(runtime, ptr, expected.length),
        expected,
        bound,
        terms,
      );
      if (mismatch) return `${name} ${describe(s)}${c.split ? ' split' : ''}: ${mismatch}`;
    }
    return undefined;
  } finally {
    for (const ptr of [...Object.values(pointers), params, scratch]) runtime.free(ptr);
  }
}

/** The MNIST CNN's convolutions (1→32 3x3 on 28x28, 32→64 3x3 on 26x26), batch 3. */
export const mnistCases: ConvCase[] = [
  { shape: convShape(3, 1, [28, 28], 32, [3, 3]), split: false, seed: 1 },
  { shape: convShape(3, 32, [26, 26], 64, [3, 3]), split: true, seed: 2 },
];

/**
 * A seeded sweep over strides, padding, dilation and groups (square and not), small enough
 * that every combination kind appears.
 */
export function convCases(count: number, seed: number): ConvCase[] {
  const next = generator(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const groups = int(1, 3);
    const kernel: [number, number] = [int(1, 4), int(1, 3)];
    const shape = convShape(
      int(1, 3),
      groups * int(1, 3),
      [int(1, 13), int(1, 19)],
      groups * int(1, 5),
      kernel,
      {
        stride: [int(1, 3), int(1, 3)],
        padding: [int(0, 2), int(0, 2)],
        dilation: [int(1, 2), int(1, 3)],
        groups,
      },
    );
    if (shape.outSize[0] < 1 || shape.outSize[1] < 1) continue;
    cases.push({ shape, split: next() < 0.3, seed: cases.length + 1 });
  }
  return cases;
}

/** Runs the cases on `conv`; returns each failure's description. */
export function convFailures(conv: WasmConv, cases: readonly ConvCase[]): string[] {
  return cases.map((c) => checkConv(conv, c)).filter((f): f is string => f !== undefined);
}
