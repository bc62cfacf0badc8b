// gather and scatter along one dim as WebAssembly, with the JavaScript kernels' semantics
// (cpu/gather.ts): an index outside [0, size) raises IndexError with the op's message, for the
// first such index in row-major order; scatter checks every index before writing, so a bad one
// leaves the target untouched. Values are copied bit for bit; scatter's 'add' adds as the
// JavaScript kernel does (in f64, rounded once, for floats; wrapping for int32).
//
// Exports: gather's `run(start, end, meta)` and scatter's `check(start, end, meta)` return the
// position of the first bad index in [start, end), or -1; scatter's `write(start, end, meta)`
// writes. Gather's ranges may run at once on several threads; scatter's writes may collide
// (two indices naming one element), so they run in order on one thread.

import type { View } from '../backend.js';
import { collapseDims } from '../cpu/layout.js';
import { bytesPerElement, type DType } from '../dtype.js';
import { IndexError, type OutOfRangeMessage } from '../errors.js';
import type { WasmOperand } from './elementwise.js';
import { type FunctionBuilder, ModuleBuilder } from './encoder.js';
import { emitStridedLoop, KernelCache } from './kernels.js';
import type { WasmRuntime } from './runtime.js';

/** Metadata: shape, then per operand (target, index, values) base and strides, then the dim's size and stride. */
class GatherMeta {
  constructor(readonly rank: number) {}
  shapeAt(d: number): number {
    return 4 * d;
  }
  baseAt(k: number): number {
    return 4 * (this.rank + k * (this.rank + 1));
  }
  strideAt(k: number, d: number): number {
    return this.baseAt(k) + 4 * (1 + d);
  }
  get sizeAt(): number {
    return this.baseAt(3);
  }
  get dimStrideAt(): number {
    return this.sizeAt + 4;
  }
  get bytes(): number {
    return this.dimStrideAt + 4;
  }
}

/** Loads one element's bits (a copy keeps NaN payloads and -0). */
function copy(f: FunctionBuilder, dtype: DType, load: boolean): void {
  const size = bytesPerElement[dtype];
  if (load) f.mem(size === 8 ? 'i64.load' : size === 4 ? 'i32.load' : 'i32.load8_u');
  else f.mem(size === 8 ? 'i64.store' : size === 4 ? 'i32.store' : 'i32.store8');
}

function compileGather(
  rank: number,
  dtype: DType,
  scatter: 'assign' | 'add' | undefined,
  memory: ModuleBuilder['memory'],
): Uint8Array<ArrayBuffer> {
  const layout = new GatherMeta(rank);
  const m = new ModuleBuilder(memory);
  const loop = (f: FunctionBuilder, body: (q: readonly number[], index: number) => void) => {
    emitStridedLoop(f, {
      rank,
      operands: 3,
      start: 0,
      end: 1,
      meta: 2,
      shapeAt: (d) => layout.shapeAt(d),
      baseAt: (k) => layout.baseAt(k),
      strideAt: (k, d) => layout.strideAt(k, d),
      body,
    });
  };
  /** Pushes the index at q[1], leaving it in local `i`; returns from the function with the position if out of range. */
  const readIndex = (f: FunctionBuilder, q: readonly number[], index: number, i: number) => {
    f.get(q[1]!).mem('i32.load').tee(i);
    f.get(2).mem('i32.load', layout.sizeAt).op('i32.ge_u').if().get(index).op('return').end();
  };
  /** The target element's address: q[0] + i * the dim's stride. */
  const target = (f: FunctionBuilder, q: readonly number[], i: number) => {
    f.get(q[0]!).get(i);
    f.get(2).mem('i32.load', layout.dimStrideAt);
    f.op('i32.mul', 'i32.add');
  };
  if (scatter === undefined) {
    m.func(
      ['i32', 'i32', 'i32'],
      ['i32'],
      (f) => {
        const i = f.local('i32');
        loop(f, (q, index) => {
          readIndex(f, q, index, i);
          f.get(q[2]!);
          target(f, q, i);
          copy(f, dtype, true);
          copy(f, dtype, false);
        });
        f.i32Const(-1);
      },
      'run',
    );
    return m.encode();
  }
  m.func(
    ['i32', 'i32', 'i32'],
    ['i32'],
    (f) => {
      const i = f.local('i32');
      loop(f, (q, index) => readIndex(f, q, index, i));
      f.i32Const(-1);
    },
    'check',
  );
  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) => {
      const i = f.local('i32');
      const at = f.local('i32');
      loop(f, (q) => {
        f.get(q[1]!).mem('i32.load').set(i);
        target(f, q, i);
        f.tee(at);
        if (scatter === 'assign') {
          f.get(q[2]!);
          copy(f, dtype, true);
          copy(f, dtype, false);
          return;
        }
        // t[p] + v as the JavaScript kernel computes and stores it.
        switch (dtype) {
          case 'float32':
            f.get(at).mem('f32.load').op('f64.promote_f32');
            f.get(q[2]!).mem('f32.load').op('f64.promote_f32', 'f64.add', 'f32.demote_f64');
            f.mem('f32.store');
            return;
          case 'float64':
            f.get(at).mem('f64.load').get(q[2]!).mem('f64.load').op('f64.add').mem('f64.store');
            return;
          case 'int32':
            f.get(at).mem('i32.load').get(q[2]!).mem('i32.load').op('i32.add').mem('i32.store');
            return;
          case 'bool':
            f.get(at).mem('i32.load8_u').get(q[2]!).mem('i32.load8_u').op('i32.add');
            f.mem('i32.store8');
            return;
          default:
            dtype satisfies never;
        }
      });
    },
    'write',
  );
  return m.encode();
}

/** A gather or scatter call's layout: [target with the dim's stride 0, index, values]. */
interface Prepared {
  readonly rank: number;
  readonly shape: readonly number[];
  readonly strides: readonly (readonly number[])[];
  readonly total: number;
}

/** gather and scatter over one WasmRuntime's memory (Backend.gather's and Backend.scatter's semantics). */
export class WasmGather {
  readonly #cache: KernelCache;

  constructor(runtime: WasmRuntime) {
    this.#cache = new KernelCache(runtime);
  }

  /** out[...] = input[..., index[...], ...] along `dim`; index is int32. */
  gather(
    input: WasmOperand,
    dim: number,
    index: WasmOperand,
    out: WasmOperand,
    outOfRange: OutOfRangeMessage,
  ): void {
    const layout = this.#layout(input.view, dim, index.view, out.view);
    if (layout.total === 0) return;
    const kernel = this.#kernel(layout.rank, input.view.dtype, undefined);
    const meta = this.#writeMeta(layout, [input, index, out], input.view, dim);
    const run = kernel.exports['run'] as (start: number, end: number, meta: number) => number;
    const bad = run(0, layout.total, meta);
    if (bad >= 0) this.#throw(index, bad, input.view.shape[dim]!, outOfRange);
  }

  /** target[..., index[...], ...] = src[...] (or +=) along `dim`; nothing is written if an index is out of range. */
  scatter(
    mode: 'assign' | 'add',
    target: WasmOperand,
    dim: number,
    index: WasmOperand,
    src: WasmOperand,
    outOfRange: OutOfRangeMessage,
  ): void {
    if (src.view.dtype !== target.view.dtype) {
      throw new TypeError(
        `wasm scatter: src is ${src.view.dtype} but target is ${target.view.dtype}`,
      );
    }
    const layout = this.#layout(target.view, dim, index.view, src.view);
    if (layout.total === 0) return;
    const kernel = this.#kernel(layout.rank, target.view.dtype, mode);
    const meta = this.#writeMeta(layout, [target, index, src], target.view, dim);
    const check = kernel.exports['check'] as (start: number, end: number, meta: number) => number;
    const bad = check(0, layout.total, meta);
    if (bad >= 0) this.#throw(index, bad, target.view.shape[dim]!, outOfRange);
    (kernel.exports['write'] as (start: number, end: number, meta: number) => void)(
      0,
      layout.total,
      meta,
    );
  }

  #kernel(rank: number, dtype: DType, scatter: 'assign' | 'add' | undefined) {
    const cache = this.#cache;
    return cache.get(`${rank}|${dtype}|${scatter ?? 'gather'}`, () =>
      compileGather(rank, dtype, scatter, cache.runtime.memoryImport),
    );
  }

  #layout(
    target: Pick<View, 'strides'>,
    dim: number,
    index: Pick<View, 'shape' | 'strides'>,
    values: Pick<View, 'strides'>,
  ): Prepared {
    const targetStrides = target.strides.map((s, d) => (d === dim ? 0 : s));
    const { shape, strides } = collapseDims(index.shape, [
      targetStrides,
      index.strides,
      values.strides,
    ]);
    let total = 1;
    for (const size of index.shape) total *= size;
    return { rank: shape.length, shape, strides, total };
  }

  #writeMeta(
    layout: Prepared,
    operands: readonly WasmOperand[],
    target: Pick<View, 'shape' | 'strides' | 'dtype'>,
    dim: number,
  ): number {
    const meta = new GatherMeta(layout.rank);
    const ptr = this.#cache.meta(meta.bytes);
    const words = this.#cache.words();
    const at = (offset: number) => (ptr + offset) >> 2;
    for (let d = 0; d < layout.rank; d++) words[at(meta.shapeAt(d))] = layout.shape[d]!;
    for (const [k, o] of operands.entries()) {
      const size = bytesPerElement[o.view.dtype];
      words[at(meta.baseAt(k))] = o.ptr + o.view.offset * size;
      for (let d = 0; d < layout.rank; d++) {
        words[at(meta.strideAt(k, d))] = layout.strides[k]![d]! * size;
      }
    }
    words[at(meta.sizeAt)] = target.shape[dim]!;
    words[at(meta.dimStrideAt)] = target.strides[dim]! * bytesPerElement[target.dtype];
    return ptr;
  }

  /** Throws the IndexError for the index at row-major position `position`. */
  #throw(index: WasmOperand, position: number, size: number, outOfRange: OutOfRangeMessage): never {
    const { shape, strides, offset } = index.view;
    let element = offset;
    let rest = position;
    for (let d = shape.length - 1; d >= 0; d--) {
      element += (rest % shape[d]!) * strides[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    const value = this.#cache.words()[(index.ptr >> 2) + element]!;
    throw new IndexError(outOfRange(value, size));
  }
}
