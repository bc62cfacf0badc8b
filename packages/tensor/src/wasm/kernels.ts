// What every family of WebAssembly kernels keeps beside its runtime: compiled kernels by key,
// a metadata block for calls made on this thread, and typed views of the memory to write it.

import type { FunctionBuilder } from './encoder.js';
import type { WasmRuntime } from './runtime.js';

/** A compiled kernel: its bytes (to instantiate in workers) and this thread's instance's exports. */
export interface CompiledKernel {
  readonly key: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly exports: Record<string, unknown>;
}

/**
 * One call of a kernel whose export `run(start, end, meta)` covers [start, end) of `total`
 * units of work (elements, outputs, rows or planes): write the metadata into a block of
 * `metaBytes` bytes, then run [0, total) in one range or, when `parallel`, in disjoint ranges
 * at once on several threads (each instantiating `kernel.bytes` over the shared memory).
 */
export interface KernelCall {
  readonly kernel: CompiledKernel;
  readonly total: number;
  readonly metaBytes: number;
  readonly parallel: boolean;
  writeMeta(meta: number): void;
}

/** Runs a call whole on this thread, with the cache's metadata block. */
export function runCall(cache: KernelCache, call: KernelCall): void {
  if (call.total === 0) return;
  const meta = cache.meta(call.metaBytes);
  call.writeMeta(meta);
  (call.kernel.exports['run'] as (start: number, end: number, meta: number) => void)(
    0,
    call.total,
    meta,
  );
}

export class KernelCache {
  readonly runtime: WasmRuntime;
  readonly #kernels = new Map<string, CompiledKernel>();
  #meta = 0;
  #metaBytes = 0;
  #buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  #words: Int32Array<ArrayBuffer | SharedArrayBuffer> = new Int32Array(0);
  #doubles: Float64Array<ArrayBuffer | SharedArrayBuffer> = new Float64Array(0);

  constructor(runtime: WasmRuntime) {
    this.runtime = runtime;
  }

  /** Kernels compiled so far. */
  get size(): number {
    return this.#kernels.size;
  }

  /** The kernel for `key`, compiled from `build()`'s bytes on first use. */
  get(key: string, build: () => Uint8Array<ArrayBuffer>, imports = {}): CompiledKernel {
    let kernel = this.#kernels.get(key);
    if (!kernel) {
      const bytes = build();
      kernel = { key, bytes, exports: this.runtime.instantiate(bytes, imports) };
      this.#kernels.set(key, kernel);
    }
    return kernel;
  }

  /** This thread's metadata block, at least `bytes` long (reused by every call). */
  meta(bytes: number): number {
    if (bytes > this.#metaBytes) {
      if (this.#metaBytes > 0) this.runtime.free(this.#meta);
      const size = Math.max(256, bytes);
      const meta = this.runtime.alloc(size);
      if (meta === undefined) throw new RangeError('wasm kernels: out of memory for metadata');
      this.#meta = meta;
      this.#metaBytes = size;
    }
    return this.#meta;
  }

  /** The memory as int32 words (made again after a grow). */
  words(): Int32Array<ArrayBuffer | SharedArrayBuffer> {
    this.#refresh();
    return this.#words;
  }

  /** The memory as float64 values (made again after a grow). */
  doubles(): Float64Array<ArrayBuffer | SharedArrayBuffer> {
    this.#refresh();
    return this.#doubles;
  }

  #refresh(): void {
    const buffer = this.runtime.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#words = new Int32Array(buffer);
      this.#doubles = new Float64Array(buffer);
    }
  }
}

/** Locals that emitPosition sets: the innermost dim's size, and the element's position. */
export interface PositionLocals {
  /** The innermost dim's size. */
  readonly innerSize: number;
  /** The element's row (its index over the outer dims, flattened); left as idx[0]'s value. */
  readonly row: number;
  /** Its index along the innermost dim. */
  readonly column: number;
  /** Its index along each outer dim d (rank - 1 of them; idx[0] only when rank >= 2). */
  readonly idx: readonly number[];
}

/**
 * Emits the position of element `start` (row-major) in a shape of `rank` dims whose sizes
 * `loadSize(d)` pushes: where a kernel's range starts its odometer.
 */
export function emitPosition(
  f: FunctionBuilder,
  start: number,
  rank: number,
  loadSize: (d: number) => void,
  { innerSize, row, column, idx }: PositionLocals,
): void {
  loadSize(rank - 1);
  f.set(innerSize);
  f.get(start).get(innerSize).op('i32.div_u').set(row);
  f.get(start).get(row).get(innerSize).op('i32.mul', 'i32.sub').set(column);
  for (let d = rank - 2; d >= 1; d--) {
    f.get(row);
    loadSize(d);
    f.op('i32.rem_u').set(idx[d]!);
    f.get(row);
    loadSize(d);
    f.op('i32.div_u').set(row);
  }
  if (rank >= 2) f.get(row).set(idx[0]!);
}

/** Where a strided loop finds its shape, operand bases and strides in the metadata block. */
export interface StridedLoop {
  readonly rank: number;
  readonly operands: number;
  /** Locals holding the range [start, end) and the metadata block's address. */
  readonly start: number;
  readonly end: number;
  readonly meta: number;
  /** Byte offsets in the metadata block of size d, operand k's base pointer and stride (bytes) along d. */
  shapeAt(d: number): number;
  baseAt(k: number): number;
  strideAt(k: number, d: number): number;
  /**
   * Emits one element's code: `pointers[k]` holds operand k's element address, `index` the
   * element's position in row-major order.
   */
  body(pointers: readonly number[], index: number): void;
}

/**
 * Emits a scalar loop over the elements [start, end) (row-major) of a strided shape: an
 * odometer over the outer dims, pointers stepping along the innermost.
 */
export function emitStridedLoop(f: FunctionBuilder, loop: StridedLoop): void {
  const { rank, operands, start, end, meta } = loop;
  const i32 = () => f.local('i32');
  const index = i32();
  const row = i32();
  const column = i32();
  const innerSize = i32();
  const idx = Array.from({ length: rank - 1 }, i32);
  const rowBase = Array.from({ length: operands }, i32);
  const q = Array.from({ length: operands }, i32);
  const innerStride = Array.from({ length: operands }, i32);
  const loadMeta = (offset: number) => f.get(meta).mem('i32.load', offset);

  f.get(start).set(index);
  emitPosition(f, start, rank, (d) => loadMeta(loop.shapeAt(d)), { innerSize, row, column, idx });
  for (let k = 0; k < operands; k++) {
    loadMeta(loop.baseAt(k));
    for (let d = 0; d < rank - 1; d++) {
      f.get(idx[d]!);
      loadMeta(loop.strideAt(k, d));
      f.op('i32.mul', 'i32.add');
    }
    f.set(rowBase[k]!);
    loadMeta(loop.strideAt(k, rank - 1)).set(innerStride[k]!);
    f.get(rowBase[k]!).get(column).get(innerStride[k]!).op('i32.mul', 'i32.add').set(q[k]!);
  }
  f.block().loop();
  f.get(index).get(end).op('i32.ge_u').brIf(1);
  loop.body(q, index);
  f.get(index).i32Const(1).op('i32.add').set(index);
  for (let k = 0; k < operands; k++) {
    f.get(q[k]!).get(innerStride[k]!).op('i32.add').set(q[k]!);
  }
  // At the end of a row: the odometer moves to the next one.
  f.get(column).i32Const(1).op('i32.add').tee(column).get(innerSize).op('i32.lt_u').brIf(0);
  f.i32Const(0).set(column);
  f.block();
  for (let d = rank - 2; d >= 0; d--) {
    for (let k = 0; k < operands; k++) {
      f.get(rowBase[k]!);
      loadMeta(loop.strideAt(k, d));
      f.op('i32.add').set(rowBase[k]!);
    }
    f.get(idx[d]!).i32Const(1).op('i32.add').tee(idx[d]!);
    loadMeta(loop.shapeAt(d));
    f.op('i32.lt_u').brIf(0);
    f.i32Const(0).set(idx[d]!);
    for (let k = 0; k < operands; k++) {
      f.get(rowBase[k]!);
      loadMeta(loop.strideAt(k, d));
      loadMeta(loop.shapeAt(d));
      f.op('i32.mul', 'i32.sub').set(rowBase[k]!);
    }
  }
  f.end();
  for (let k = 0; k < operands; k++) f.get(rowBase[k]!).set(q[k]!);
  f.br(0);
  f.end().end();
}
