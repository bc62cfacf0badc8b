// The WebAssembly reductions and cumsum against the JavaScript kernels (cpu/reduce.ts) on the
// same data: every kind, dtype and layout (contiguous, transposed, sliced, broadcast), special
// values, empty reductions and ranges run piecewise. Results must be identical (Object.is).

import { describe, expect, it } from 'vitest';
import type { ReduceKind } from '../src/backend.js';
import { runCumsum, runReduce } from '../src/cpu/reduce.js';
import type { DType } from '../src/dtype.js';
import { type ReduceCall, WasmReduce } from '../src/wasm/reduce.js';
import { WasmRuntime } from '../src/wasm/runtime.js';
import {
  randomView,
  type StorageSpec,
  Storages,
  seeded,
  sentinel,
  type ViewSpec,
} from './wasm-harness.js';

const runtime = new WasmRuntime({ maximumBytes: 2 ** 28 });
const reductions = new WasmReduce(runtime);

const dtypes: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];
const kinds: readonly ReduceKind[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];

/** The output dtypes a reduction of `input` may be asked for. */
function outTypes(kind: ReduceKind, input: DType): DType[] {
  if (kind === 'argmax' || kind === 'argmin') return ['int32'];
  if (kind === 'max' || kind === 'min') return [input];
  return input === 'int32' || input === 'bool' ? ['int32', 'float32'] : [input];
}

/** Runs `call` over [0, total) cut at `cuts` (as a thread pool would), or whole. */
function runPieces(
  reduce: () => ReduceCall,
  cuts: readonly number[] | undefined,
  whole: () => void,
) {
  if (!cuts) {
    whole();
    return;
  }
  const call = reduce();
  if (call.fill !== undefined || call.total === 0) {
    whole();
    return;
  }
  const meta = runtime.alloc(call.metaBytes)!;
  call.writeMeta(meta);
  const run = call.kernel.exports['run'] as (start: number, end: number, meta: number) => void;
  const points = [0, ...cuts.filter((c) => c < call.total), call.total];
  for (let i = 0; i + 1 < points.length; i++) run(points[i]!, points[i + 1]!, meta);
  runtime.free(meta);
}

function reduceDifferences(
  kind: ReduceKind,
  input: StorageSpec,
  view: Omit<ViewSpec, 'storage'>,
  dims: readonly number[],
  outType: DType,
  cuts?: readonly number[],
): string[] {
  const keptCount = view.shape.filter((_, d) => !dims.includes(d)).reduce((a, b) => a * b, 1);
  const s = new Storages(runtime, [
    input,
    { dtype: outType, values: new Array(keptCount + 2).fill(sentinel) },
  ]);
  try {
    const inView = { ...view, storage: 0 };
    const outView = { storage: 1, shape: [keptCount], strides: [1], offset: 0 };
    runReduce(kind, s.view(inView), s.reference[0]!, dims, s.reference[1]!, outType);
    runPieces(
      () => reductions.prepareReduce(kind, s.operand(inView), dims, s.operand(outView)),
      cuts,
      () => reductions.reduce(kind, s.operand(inView), dims, s.operand(outView)),
    );
    return s
      .differences()
      .map((d) => `${kind} ${input.dtype}->${outType} [${view.shape}] dims [${dims}]: ${d}`);
  } finally {
    s.free();
  }
}

function cumsumDifferences(
  input: StorageSpec,
  view: Omit<ViewSpec, 'storage'>,
  dim: number,
  outType: DType,
  cuts?: readonly number[],
): string[] {
  const count = view.shape.reduce((a, b) => a * b, 1);
  const s = new Storages(runtime, [
    input,
    { dtype: outType, values: new Array(count + 2).fill(sentinel) },
  ]);
  try {
    const inView = { ...view, storage: 0 };
    const outView = { storage: 1, shape: view.shape, strides: [], offset: 0 };
    runCumsum(s.view(inView), s.reference[0]!, dim, s.reference[1]!, outType);
    runPieces(
      () => reductions.prepareCumsum(s.operand(inView), dim, s.operand(outView)),
      cuts,
      () => reductions.cumsum(s.operand(inView), dim, s.operand(outView)),
    );
    return s
      .differences()
      .map((d) => `cumsum ${input.dtype}->${outType} [${view.shape}] dim ${dim}: ${d}`);
  } finally {
    s.free();
  }
}

/** A random subset of `rank` dims, sorted (one dim for argmax/argmin). */
function randomDims(rank: number, kind: ReduceKind, random: () => number): number[] {
  if (rank === 0) return [];
  if (kind === 'argmax' || kind === 'argmin') return [Math.floor(random() * rank)];
  const dims = Array.from({ length: rank }, (_, d) => d).filter(() => random() < 0.5);
  return dims.length > 0 ? dims : [Math.floor(random() * rank)];
}

describe('wasm reductions match the JavaScript kernels', () => {
  it('every kind, dtype and layout, with special values', () => {
    const random = seeded(11);
    const found: string[] = [];
    for (let trial = 0; trial < 600; trial++) {
      const kind = kinds[trial % kinds.length]!;
      const inType = dtypes[Math.floor(trial / kinds.length) % dtypes.length]!;
      const rank = 1 + Math.floor(random() * 4);
      const shape = Array.from(
        { length: rank },
        () => 1 + Math.floor(random() * (rank > 2 ? 5 : 9)),
      );
      const { storage, view } = randomView(shape, inType, random, true);
      // Products of many random values overflow: keep most near 1.
      const values =
        kind === 'prod' && inType !== 'bool'
          ? Array.from(storage.values, (v) => (random() < 0.8 ? 1 + (v % 3) / 10 : v))
          : storage.values;
      const dims = randomDims(rank, kind, random);
      for (const outType of outTypes(kind, inType)) {
        const cuts =
          trial % 4 === 0 ? [Math.floor(random() * 5), 3 + Math.floor(random() * 9)] : undefined;
        found.push(
          ...reduceDifferences(kind, { dtype: inType, values }, view, dims, outType, cuts),
        );
      }
    }
    expect(found).toEqual([]);
  });

  it('long contiguous rows and columns: vectors across outputs and long walks', () => {
    const random = seeded(12);
    const found: string[] = [];
    for (const [rows, cols] of [
      [1, 10_000],
      [10_000, 1],
      [64, 128],
      [3, 4099],
      [257, 5],
    ] as const) {
      for (const inType of dtypes) {
        const values = Array.from({ length: rows * cols }, () =>
          inType === 'bool'
            ? Math.round(random())
            : inType === 'int32'
              ? Math.floor(random() * 2e9 - 1e9)
              : random() * 2 - 1,
        );
        for (const kind of kinds) {
          for (const dims of [[0], [1], [0, 1]]) {
            if ((kind === 'argmax' || kind === 'argmin') && dims.length > 1) continue;
            for (const outType of outTypes(kind, inType)) {
              found.push(
                ...reduceDifferences(
                  kind,
                  { dtype: inType, values },
                  { shape: [rows, cols], strides: [cols, 1], offset: 0 },
                  dims,
                  outType,
                ),
              );
            }
          }
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('NaN wins max and min and gives argmax its first position; ties give the first', () => {
    const values = [1, 3, Number.NaN, 3, Number.NaN, -0, 0, -Infinity];
    const found: string[] = [];
    for (const kind of kinds) {
      for (const n of [1, 2, 3, 6, 8]) {
        found.push(
          ...reduceDifferences(
            kind,
            { dtype: 'float32', values: values.slice(0, n) },
            { shape: [n], strides: [1], offset: 0 },
            [0],
            outTypes(kind, 'float32')[0]!,
          ),
        );
        // Columns: several outputs walked at once, one lane each.
        found.push(
          ...reduceDifferences(
            kind,
            { dtype: 'float64', values: [...values, ...values.slice().reverse()] },
            { shape: [2, 8], strides: [8, 1], offset: 0 },
            [0],
            outTypes(kind, 'float64')[0]!,
          ),
        );
      }
    }
    expect(found).toEqual([]);
  });

  it('signed zeros: max and min keep the first of -0 and +0, as the JavaScript kernel', () => {
    // Columns (-0, +0), (+0, -0), ... walked in lanes; rows walked one by one.
    const top = [-0, 0, -0, 0, 0, -0, 1, -1];
    const bottom = [0, -0, -0, 0, -0, 0, -1, 1];
    const found: string[] = [];
    for (const kind of kinds) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const dims of [[0], [1]]) {
          found.push(
            ...reduceDifferences(
              kind,
              { dtype, values: [...top, ...bottom] },
              { shape: [2, 8], strides: [8, 1], offset: 0 },
              dims,
              outTypes(kind, dtype)[0]!,
            ),
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('a reduction over no elements stores the starting value', () => {
    const found: string[] = [];
    for (const kind of ['sum', 'prod', 'max', 'min'] as const) {
      for (const inType of dtypes) {
        for (const outType of outTypes(kind, inType)) {
          found.push(
            ...reduceDifferences(
              kind,
              { dtype: inType, values: [] },
              { shape: [3, 0], strides: [0, 1], offset: 0 },
              [1],
              outType,
            ),
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('cumsum along every dim of random layouts', () => {
    const random = seeded(13);
    const found: string[] = [];
    for (let trial = 0; trial < 200; trial++) {
      const inType = dtypes[trial % dtypes.length]!;
      const rank = 1 + Math.floor(random() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 6));
      const { storage, view } = randomView(shape, inType, random, true);
      const dim = Math.floor(random() * rank);
      const outType = inType === 'int32' || inType === 'bool' ? 'int32' : inType;
      const cuts =
        trial % 3 === 0 ? [Math.floor(random() * 4), 2 + Math.floor(random() * 8)] : undefined;
      found.push(...cumsumDifferences(storage, view, dim, outType, cuts));
    }
    expect(found).toEqual([]);
  });
});
