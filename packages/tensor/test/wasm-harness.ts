// Runs a WebAssembly kernel and the JavaScript reference kernel on copies of the same storages
// and lists every element where the storages then differ (Object.is: NaN equals NaN, -0 is
// not 0). Shared by the wasm kernel tests.

import type { View } from '../src/backend.js';
import { cpu } from '../src/cpu/backend.js';
import { runElementwise } from '../src/cpu/elementwise.js';
import { bytesPerElement, type DType, type TypedArray, typedArrayOf } from '../src/dtype.js';
import { type Expr, exprKey } from '../src/expr.js';
import type { WasmElementwise } from '../src/wasm/elementwise.js';
import type { WasmRuntime } from '../src/wasm/runtime.js';

/** A storage's dtype and initial values. */
export interface StorageSpec {
  readonly dtype: DType;
  readonly values: ArrayLike<number>;
}

/** A view of storage `storage` (an index into the storages). */
export interface ViewSpec {
  readonly storage: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Storages in wasm memory and reference copies of them. */
export class Storages {
  readonly ptrs: number[];
  readonly reference: TypedArray[];
  readonly #cpuStorages;

  constructor(
    readonly runtime: WasmRuntime,
    readonly specs: readonly StorageSpec[],
  ) {
    this.ptrs = specs.map(({ dtype, values }) => {
      const ptr = runtime.alloc(Math.max(1, values.length) * bytesPerElement[dtype]);
      if (ptr === undefined) throw new Error('test: wasm memory exhausted');
      // The memory's buffer may be shared; a typed array over either kind reads the same.
      new typedArrayOf[dtype](runtime.buffer as ArrayBuffer, ptr, values.length).set(
        Array.from(values),
      );
      return ptr;
    });
    this.#cpuStorages = specs.map(({ dtype, values }) =>
      cpu.fromData(dtype, typedArrayOf[dtype].from(Array.from(values))),
    );
    this.reference = this.#cpuStorages.map((s) => s.data);
  }

  /** The reference side's View of `spec`. */
  view(spec: ViewSpec): View {
    const storage = this.#cpuStorages[spec.storage]!;
    return {
      storage,
      dtype: storage.dtype,
      shape: spec.shape,
      strides: spec.strides,
      offset: spec.offset,
    };
  }

  /** The wasm side's operand for `spec`. */
  operand(spec: ViewSpec): { ptr: number; view: View } {
    return { ptr: this.ptrs[spec.storage]!, view: this.view(spec) };
  }

  /** Storage k as it is now in wasm memory. */
  wasm(k: number): TypedArray {
    const { dtype, values } = this.specs[k]!;
    return new typedArrayOf[dtype](
      this.runtime.buffer as ArrayBuffer,
      this.ptrs[k]!,
      values.length,
    );
  }

  /** Every element where the wasm storages differ from the reference ones (at most `limit`). */
  differences(limit = 8): string[] {
    const out: string[] = [];
    for (const [k, expected] of this.reference.entries()) {
      const actual = this.wasm(k);
      for (let i = 0; i < expected.length && out.length < limit; i++) {
        if (!Object.is(actual[i], expected[i])) {
          out.push(`storage ${k}[${i}]: wasm ${actual[i]}, reference ${expected[i]}`);
        }
      }
    }
    return out;
  }

  free(): void {
    for (const ptr of this.ptrs) this.runtime.free(ptr);
  }
}

/** A seeded generator of uniform numbers in [0, 1) (a 32-bit LCG, then xorshift). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    let x = state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Contiguous strides of `shape`. */
export function contiguous(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d]!;
  }
  return strides;
}

/** Floats every kernel treats apart, and their neighbours (float32 storage rounds them). */
const floatSpecials = [
  Number.NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  -1.5,
  2.5,
  -2.5,
  3,
  -3,
  7,
  -7,
  0.49999999999999994,
  2 ** 31,
  -(2 ** 31),
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 31 - 0.5,
  -(2 ** 31) - 0.5,
  2147483648.5,
  -2147483649.5,
  4294967296,
  1e-310,
  -1e-310,
  5e-324,
  1.401298464324817e-45,
  -1.1754942106924411e-38,
  3.4028234663852886e38,
  -3.4028235677973366e38,
  1e300,
  -1e300,
  0.1,
  1e-7,
  123.456,
  Math.PI,
  -65504.25,
  6,
  -20,
];

/** Special values of each dtype: every one the kernels treat apart, and neighbours. */
export const specials: Record<DType, readonly number[]> = {
  float32: floatSpecials,
  float64: floatSpecials,
  int32: [
    0,
    1,
    -1,
    2,
    -2,
    3,
    -3,
    7,
    -7,
    31,
    32,
    33,
    -33,
    100,
    -100,
    46341,
    -46341,
    65536,
    2 ** 30,
    2 ** 31 - 1,
    -(2 ** 31),
    -(2 ** 31) + 1,
  ],
  bool: [0, 1, 1, 0],
};

/** Output storages start with this, so an element left unwritten shows. */
export const sentinel = 77;

/** A view of `shape` over a fresh storage: contiguous, broadcast, transposed or sliced. */
export function randomView(
  shape: readonly number[],
  dtype: DType,
  random: () => number,
  input: boolean,
): { storage: StorageSpec; view: Omit<ViewSpec, 'storage'> } {
  const rank = shape.length;
  const kind = Math.floor(random() * (input ? 4 : 3));
  // Storage shape: the view's, with broadcast dims of size 1 (inputs) and padding (slices).
  const dims = shape.map((d) => (kind === 3 && random() < 0.5 ? 1 : d + (kind === 2 ? 1 : 0)));
  const order = Array.from({ length: rank }, (_, d) => d);
  if (kind === 1) order.sort(() => random() - 0.5);
  // Strides of the storage laid out in `order` (outermost first).
  const strides = new Array<number>(rank).fill(0);
  let step = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[order[i]!] = step;
    step *= dims[order[i]!]!;
  }
  const offset = Math.floor(random() * 3);
  const length = step + offset;
  const values = Array.from({ length }, () => {
    const pool = specials[dtype];
    return random() < 0.3
      ? pool[Math.floor(random() * pool.length)]!
      : dtype === 'bool'
        ? Math.round(random())
        : dtype === 'int32'
          ? Math.floor(random() * 200 - 100)
          : random() * 20 - 10;
  });
  const viewStrides = strides.map((s, d) => (dims[d] === 1 && shape[d] !== 1 ? 0 : s));
  return {
    storage: {
      dtype,
      values: input ? values : values.map(() => (dtype === 'bool' ? 1 : sentinel)),
    },
    view: {
      shape,
      strides: kind === 0 ? contiguous(shape) : viewStrides,
      offset: kind === 0 ? 0 : offset,
    },
  };
}

/**
 * Runs `exprs` on both kernels and returns where the storages differ. `ranges` (cut points in
 * [0, total]) runs the wasm kernel piecewise.
 */
export function elementwiseDifferences(
  runtime: WasmRuntime,
  kernels: WasmElementwise,
  exprs: readonly Expr[],
  storages: readonly StorageSpec[],
  inputs: readonly ViewSpec[],
  outs: readonly ViewSpec[],
  params: readonly number[] = [],
  cuts?: readonly number[],
): string[] {
  const s = new Storages(runtime, storages);
  try {
    runElementwise(
      exprs,
      inputs.map((v) => ({ view: s.view(v), data: s.reference[v.storage]! })),
      outs.map((v) => ({ view: s.view(v), data: s.reference[v.storage]! })),
      params,
    );
    const wasmInputs = inputs.map((v) => s.operand(v));
    const wasmOuts = outs.map((v) => s.operand(v));
    if (cuts) {
      const call = kernels.prepare(exprs, wasmInputs, wasmOuts, params);
      const meta = runtime.alloc(call.metaBytes)!;
      call.writeMeta(meta);
      const points = [0, ...cuts.filter((c) => c < call.total), call.total];
      for (let i = 0; i + 1 < points.length; i++) call.kernel.run(points[i]!, points[i + 1]!, meta);
      runtime.free(meta);
    } else {
      kernels.run(exprs, wasmInputs, wasmOuts, params);
    }
    const found = s.differences();
    return found.map(
      (d) => `${exprs.map(exprKey).join('; ')} [${storages.map((x) => x.dtype)}]: ${d}`,
    );
  } finally {
    s.free();
  }
}

/** A contiguous view of a whole storage of `length` elements. */
export const flat = (storage: number, length: number): ViewSpec => ({
  storage,
  shape: [length],
  strides: [1],
  offset: 0,
});

export const filled = (dtype: DType, length: number, value = sentinel): StorageSpec => ({
  dtype,
  values: new Array<number>(length).fill(dtype === 'bool' ? 1 : value),
});
