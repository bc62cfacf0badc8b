// The CPU backend. Storage lives in one WebAssembly memory (wasm/runtime.ts) where the
// runtime has WebAssembly, so kernels compiled to WebAssembly read and write tensors in
// place; JavaScript sees each storage as a typed array over that memory. A tensor that does
// not fit (past the memory's limit), and every tensor of a backend made with
// `{ wasm: false }`, is a plain typed array instead. The JavaScript kernels (elementwise ones
// generated from the op's expressions) run on either, and are the reference every other
// backend is checked against.

import type {
  Backend,
  ConvGeometry,
  ReduceKind,
  Storage,
  View,
  WindowGeometry,
} from '../backend.js';
import { bytesPerElement, type DType, type TypedArray, typedArrayOf } from '../dtype.js';
import type { OutOfRangeMessage } from '../errors.js';
import type { Expr } from '../expr.js';
import { isContiguousLayout, numelOf } from '../shape.js';
import { nextTask, yieldIfBusy } from '../task.js';
import { type ConvShape, WasmConv } from '../wasm/conv.js';
import { WasmElementwise } from '../wasm/elementwise.js';
import { ModuleBuilder } from '../wasm/encoder.js';
import { WasmGather } from '../wasm/gather.js';
import type { WasmGemm } from '../wasm/gemm.js';
import { WasmPool } from '../wasm/pool.js';
import { WasmReduce } from '../wasm/reduce.js';
import { WasmRuntime } from '../wasm/runtime.js';
import { WasmSoftmax } from '../wasm/softmax.js';
import { threadPool } from '../wasm/threads.js';
import { runConv2d, runConv2dBackwardInput, runConv2dBackwardWeight } from './conv.js';
import { runElementwise } from './elementwise.js';
import { runGather, runScatter } from './gather.js';
import { offsetsOf } from './layout.js';
import { runMatmul, runWasmMatmul } from './matmul.js';
import { runMaxPool2d, runMaxPool2dBackward } from './pool.js';
import { runCumsum, runReduce } from './reduce.js';
import { runSoftmax } from './softmax.js';
import { runCol2im, runIm2col } from './window.js';

/**
 * A tensor's memory on the CPU: a typed array of its dtype, over the WebAssembly memory at
 * byte offset `ptr`, or on its own (`ptr` undefined).
 */
export class CpuStorage implements Storage {
  #data: TypedArray;
  #generation: number;
  #released = false;
  readonly #runtime: WasmRuntime | undefined;

  /** Number of elements (kept apart from the array, which a grow of the memory may detach). */
  readonly length: number;

  constructor(
    readonly backend: CpuBackend,
    readonly dtype: DType,
    data: TypedArray,
    /** Byte offset of element 0 in the backend's WebAssembly memory, if it lives there. */
    readonly ptr?: number,
    runtime?: WasmRuntime,
  ) {
    this.#runtime = runtime;
    this.#data = data;
    this.length = data.length;
    this.#generation = runtime?.generation ?? 0;
  }

  /** The elements, as a typed array (made again over the memory's new buffer after a grow). */
  get data(): TypedArray {
    const runtime = this.#runtime;
    if (runtime !== undefined && this.#generation !== runtime.generation) {
      this.#data = new typedArrayOf[this.dtype](
        runtime.buffer as ArrayBuffer,
        this.ptr,
        this.length,
      );
      this.#generation = runtime.generation;
    }
    return this.#data;
  }

  /** True for a storage outside the WebAssembly memory: the collector reclaims it. */
  get collectable(): boolean {
    return this.ptr === undefined;
  }

  /** @internal Gives the bytes back to the memory (once). */
  free(): void {
    if (this.#released || this.ptr === undefined) return;
    this.#released = true;
    this.#runtime!.free(this.ptr);
  }
}

/** Options of a CPU backend. */
export interface CpuBackendOptions {
  /**
   * Keep tensors in WebAssembly memory and run the WebAssembly kernels (true, the default,
   * where the runtime has WebAssembly), or only plain typed arrays and the JavaScript
   * kernels (false: the reference implementation).
   */
  readonly wasm?: boolean;
}

/** What a CPU backend runs on, as `cpu.info` reports it. */
export interface CpuInfo {
  /** Where tensors live and which kernels run: 'wasm' or 'javascript'. */
  readonly kernels: 'wasm' | 'javascript';
  /** Why the kernels are JavaScript, when they are. */
  readonly reason?: string;
  /** WebAssembly 128-bit SIMD. */
  readonly simd: boolean;
  /** Relaxed SIMD (fused multiply-add) in the matmul and convolution kernels. */
  readonly relaxedSimd: boolean;
  /** Whether the WebAssembly memory is shared (needed for worker threads). */
  readonly sharedMemory: boolean;
  /** Threads that run large matmuls and convolutions, this one included (1: no workers). */
  readonly threads: number;
  /** Why that many threads. */
  readonly threadsReason: string;
}

let sharedRuntime: WasmRuntime | undefined;
/** The backend whose pooledBytes reports the shared memory's free bytes. */
let poolOwner: CpuBackend | undefined;
let runtimeError: string | undefined;

/** The one WebAssembly memory of every CPU backend, made on first use; undefined if none. */
function wasmRuntime(): WasmRuntime | undefined {
  if (sharedRuntime || runtimeError !== undefined) return sharedRuntime;
  try {
    const runtime = new WasmRuntime();
    if (!runtime.features.simd) {
      runtimeError = "this runtime's WebAssembly has no SIMD";
      return undefined;
    }
    // A page's Content Security Policy may refuse to compile WebAssembly (script-src
    // without 'wasm-unsafe-eval'): find out now, not at the first kernel.
    try {
      runtime.instantiate(new ModuleBuilder(runtime.memoryImport).encode());
    } catch (error) {
      runtimeError = `WebAssembly compilation is refused here, as a Content Security Policy without 'wasm-unsafe-eval' in script-src does (${(error as Error).message})`;
      return undefined;
    }
    // A loop that never yields to the event loop frees nothing until it does (see task.ts);
    // past this many bytes its tensors become plain arrays the collector reclaims itself.
    runtime.limitBytes = Math.min(runtime.limitBytes, defaultWasmMemoryLimit);
    sharedRuntime = runtime;
  } catch (error) {
    runtimeError = `WebAssembly is not available here (${(error as Error).message})`;
  }
  return sharedRuntime;
}

/** The WebAssembly kernels over the shared memory, compiled as they are first used. */
interface WasmKernels {
  readonly elementwise: WasmElementwise;
  readonly gemm: WasmGemm;
  readonly conv: WasmConv;
  readonly reduce: WasmReduce;
  readonly softmax: WasmSoftmax;
  readonly pool: WasmPool;
  readonly gather: WasmGather;
}

let sharedKernels: WasmKernels | undefined;

function kernelsFor(runtime: WasmRuntime): WasmKernels {
  if (!sharedKernels) {
    const pool = threadPool(runtime);
    // The convolutions' module holds the matmul too: its gemm runs on that one copy.
    const conv = new WasmConv(runtime, { pool });
    sharedKernels = {
      elementwise: new WasmElementwise(runtime),
      gemm: conv.gemm,
      conv,
      reduce: new WasmReduce(runtime),
      softmax: new WasmSoftmax(runtime),
      pool: new WasmPool(runtime),
      gather: new WasmGather(runtime),
    };
  }
  return sharedKernels;
}

const inMemory = (view: View) => (view.storage as CpuStorage).ptr !== undefined;

/** A view as the WebAssembly kernels take it: its storage's byte offset, and the view. */
const operand = (view: View) => ({ ptr: (view.storage as CpuStorage).ptr!, view });

/** Byte offset of a view's first element in the WebAssembly memory. */
const ptrOf = (view: View) =>
  (view.storage as CpuStorage).ptr! + view.offset * bytesPerElement[view.dtype];

/** The convolution's sizes from its input [N, C, H, W] and weight [O, C / groups, kh, kw]. */
function convShape(input: View, weight: View, geometry: ConvGeometry): ConvShape {
  const [batch, channels, height, width] = input.shape as [number, number, number, number];
  return { ...geometry, batch, channels, height, width, outChannels: weight.shape[0]! };
}

/** V8's gc(), which takes options when exposed (--expose-gc). */
type Gc = (options?: { type: 'major'; execution: 'async' }) => void;

/** What Node lends the collection policy (found without a static `node:` import). */
interface NodeProcess {
  getBuiltinModule?(name: string): unknown;
}

let gc: Gc | undefined | null;

/**
 * V8's gc() in Node (exposed at run time, as --expose-gc would), or null elsewhere. Tensors
 * nobody disposed are freed when the collector finds them, and it does not see the
 * WebAssembly memory they hold: a batch of 1000 images makes few objects and much memory,
 * and the heap alone would not ask for a collection before the memory had grown for several
 * batches. So the allocator asks for one (below) as WebGPU's buffer pool does.
 */
function collector(): Gc | null {
  if (gc !== undefined) return gc;
  gc = null;
  const exposed = (globalThis as { gc?: Gc }).gc;
  if (exposed) {
    gc = exposed;
    return gc;
  }
  const process = (globalThis as { process?: NodeProcess }).process;
  try {
    const v8 = process?.getBuiltinModule?.('node:v8') as
      | { setFlagsFromString(flags: string): void }
      | undefined;
    const vm = process?.getBuiltinModule?.('node:vm') as
      | { runInNewContext(code: string): unknown }
      | undefined;
    if (v8 && vm) {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as Gc;
    }
  } catch {
    gc = null;
  }
  return gc;
}

/** No collection is asked for below this many bytes in use. */
const collectionFloor = 16 * 2 ** 20;
/** The fewest bytes in use since the last collection asked for (what survives it, roughly). */
let lowSinceCollection = 0;

/** True, and the threshold moved on, when the bytes in use doubled since the last collection. */
function collectionDue(runtime: WasmRuntime): boolean {
  const inUse = runtime.allocatedBytes;
  lowSinceCollection = Math.min(lowSinceCollection, inUse);
  if (inUse <= Math.max(collectionFloor, 2 * lowSinceCollection) || !collector()) return false;
  lowSinceCollection = inUse;
  return true;
}

/** The WebAssembly memory's default limit: 2 GiB. */
const defaultWasmMemoryLimit = 2 ** 31;

/**
 * The most bytes one CPU tensor may take by default: 4 GiB, what a GPU buffer can hold on
 * most devices. Beyond it an allocation is refused at once, instead of the process being
 * killed when the pages are touched.
 */
const defaultMaxAllocationBytes = 2 ** 32;

const gib = (bytes: number) => `${Number((bytes / 2 ** 30).toPrecision(4))} GiB`;

/**
 * The CPU backend, always available as the device `cpu` (the `cpu` export is its one instance).
 * Kernels are plain JavaScript loops; reads are synchronous as well as asynchronous. It is the
 * reference every other backend is tested against.
 */
export class CpuBackend implements Backend {
  readonly type = 'cpu';
  /** True when tensors live in WebAssembly memory, freed explicitly (or when collected). */
  readonly releasesMemory: boolean;
  readonly #runtime: WasmRuntime | undefined;
  readonly #reason: string | undefined;
  #maxAllocationBytes = defaultMaxAllocationBytes;
  #kernels: WasmKernels | undefined;

  constructor(options: CpuBackendOptions = {}) {
    this.#runtime = options.wasm === false ? undefined : wasmRuntime();
    this.#reason =
      options.wasm === false
        ? 'made with { wasm: false }'
        : this.#runtime
          ? undefined
          : runtimeError;
    this.releasesMemory = this.#runtime !== undefined;
    if (this.#runtime) poolOwner ??= this;
  }

  /** Where tensors live and which kernels run, and why. */
  get info(): CpuInfo {
    const runtime = this.#runtime;
    const pool = runtime ? threadPool(runtime).info : undefined;
    return {
      kernels: runtime ? 'wasm' : 'javascript',
      ...(this.#reason === undefined ? {} : { reason: this.#reason }),
      simd: runtime?.features.simd ?? false,
      relaxedSimd: runtime?.features.relaxedSimd ?? false,
      sharedMemory: runtime?.shared ?? false,
      threads: pool?.threads ?? 1,
      threadsReason: pool?.reason ?? 'the JavaScript kernels run on this thread only',
    };
  }

  /**
   * The most bytes of tensors kept in WebAssembly memory (2 GiB by default, at most 4 GiB);
   * tensors past it are plain typed arrays. Shared by every CPU backend.
   */
  get wasmMemoryLimit(): number {
    return this.#runtime?.limitBytes ?? 0;
  }

  /** Throws a RangeError unless `bytes` is a number >= 0 (and an Error without WebAssembly). */
  set wasmMemoryLimit(bytes: number) {
    const runtime = this.#runtime;
    if (!runtime) throw new Error(`cpu: no WebAssembly memory here (${this.#reason})`);
    if (!(bytes >= 0)) {
      throw new RangeError(`cpu: wasmMemoryLimit must be a number of bytes >= 0, got ${bytes}`);
    }
    runtime.limitBytes = Math.min(bytes, runtime.maximumPages * 65536);
  }

  /**
   * Bytes of freed WebAssembly memory kept for reuse, for memory().pooled (counted by the
   * first CPU backend made, as every CPU backend shares the memory).
   */
  pooledBytes(): number {
    return poolOwner === this ? (this.#runtime?.freeBytes ?? 0) : 0;
  }

  /** Prints as `cpu`. */
  toString(): string {
    return 'cpu';
  }

  /**
   * The most bytes one tensor's storage may take (4 GiB by default); larger tensors are
   * refused with an error. Raise it (up to Infinity) on a machine that has the memory.
   */
  get maxAllocationBytes(): number {
    return this.#maxAllocationBytes;
  }

  /** Throws a RangeError unless `bytes` is positive. */
  set maxAllocationBytes(bytes: number) {
    if (!(bytes > 0)) {
      throw new RangeError(`cpu: maxAllocationBytes must be a positive number, got ${bytes}`);
    }
    this.#maxAllocationBytes = bytes;
  }

  allocate(dtype: DType, length: number): CpuStorage {
    this.#checkSize(dtype, length);
    const runtime = this.#runtime;
    const ptr = runtime?.alloc(length * bytesPerElement[dtype]);
    if (ptr === undefined) return new CpuStorage(this, dtype, new typedArrayOf[dtype](length));
    const data = new typedArrayOf[dtype](runtime!.buffer as ArrayBuffer, ptr, length);
    return new CpuStorage(this, dtype, data, ptr, runtime);
  }

  fromData(dtype: DType, data: TypedArray): CpuStorage {
    // Growing an unshared memory detaches every array over it, `data` too if it is one.
    const source = data.buffer === this.#runtime?.buffer ? data.slice() : data;
    const storage = this.allocate(dtype, source.length);
    storage.data.set(source);
    return storage;
  }

  async read(view: View): Promise<TypedArray> {
    const data = this.readSync(view);
    // The loop awaiting this read may create all its tensors within one task otherwise,
    // and the collector could not free them (see task.ts).
    await yieldIfBusy();
    if (this.#runtime && collectionDue(this.#runtime)) {
      // Much memory since the last collection: the tensors of this task are handed to the
      // registry when it ends, then a collection finds the garbage ones and their finalizers
      // free them in the next tasks, before the code awaiting this read makes more.
      await nextTask();
      collector()?.();
      await nextTask();
      await nextTask();
    }
    return data;
  }

  readSync(view: View): TypedArray {
    const data = this.#data(view);
    const count = numelOf(view.shape);
    if (isContiguousLayout(view.shape, view.strides)) {
      return data.slice(view.offset, view.offset + count);
    }
    const out = new typedArrayOf[view.dtype](count);
    const offsets = offsetsOf(view.shape, view.strides, view.offset);
    for (let i = 0; i < count; i++) out[i] = data[offsets[i]!]!;
    return out;
  }

  release(storage: Storage): void {
    // Storage outside the WebAssembly memory is reclaimed by the garbage collector.
    if (storage instanceof CpuStorage) {
      storage.free();
      if (this.#runtime) {
        lowSinceCollection = Math.min(lowSinceCollection, this.#runtime.allocatedBytes);
      }
    }
  }

  elementwise(
    expr: Expr,
    inputs: readonly View[],
    out: View,
    params: readonly number[] = [],
  ): void {
    this.elementwiseMulti([expr], inputs, [out], params);
  }

  elementwiseMulti(
    exprs: readonly Expr[],
    inputs: readonly View[],
    outs: readonly View[],
    params: readonly number[] = [],
  ): void {
    const wasm = this.#wasm(inputs, outs);
    if (wasm) {
      wasm.elementwise.run(
        exprs,
        inputs.map((view) => ({ ptr: (view.storage as CpuStorage).ptr!, view })),
        outs.map((view) => ({ ptr: (view.storage as CpuStorage).ptr!, view })),
        params,
      );
      return;
    }
    runElementwise(
      exprs,
      inputs.map((view) => ({ view, data: this.#data(view) })),
      outs.map((view) => ({ view, data: this.#data(view) })),
      params,
    );
  }

  reduce(kind: ReduceKind, input: View, dims: readonly number[], out: View): void {
    const wasm = this.#wasm([input], [out]);
    if (wasm) {
      wasm.reduce.reduce(kind, operand(input), dims, operand(out));
      return;
    }
    runReduce(kind, input, this.#data(input), dims, this.#data(out), out.dtype);
  }

  matmul(a: View, b: View, out: View): void {
    const wasm = out.dtype === 'float32' ? this.#wasm([a, b], [out]) : undefined;
    if (wasm) {
      runWasmMatmul(wasm.gemm, a, b, out);
      return;
    }
    runMatmul(a, this.#data(a), b, this.#data(b), out, this.#data(out));
  }

  gather(input: View, dim: number, index: View, out: View, outOfRange: OutOfRangeMessage): void {
    const wasm = this.#wasm([input, index], [out]);
    if (wasm) {
      wasm.gather.gather(operand(input), dim, operand(index), operand(out), outOfRange);
      return;
    }
    const [x, idx, y] = [this.#data(input), this.#data(index), this.#data(out)];
    runGather(input, x, dim, index, idx, out, y, outOfRange);
  }

  scatter(
    mode: 'assign' | 'add',
    target: View,
    dim: number,
    index: View,
    src: View,
    outOfRange: OutOfRangeMessage,
  ): void {
    const wasm = src.dtype === target.dtype ? this.#wasm([index, src], [target]) : undefined;
    if (wasm) {
      wasm.gather.scatter(mode, operand(target), dim, operand(index), operand(src), outOfRange);
      return;
    }
    const [t, idx, s] = [this.#data(target), this.#data(index), this.#data(src)];
    runScatter(mode, target, t, dim, index, idx, src, s, outOfRange);
  }

  cumsum(input: View, dim: number, out: View): void {
    const wasm = this.#wasm([input], [out]);
    if (wasm) {
      wasm.reduce.cumsum(operand(input), dim, operand(out));
      return;
    }
    runCumsum(input, this.#data(input), dim, this.#data(out), out.dtype);
  }

  im2col(input: View, geometry: WindowGeometry, out: View): void {
    runIm2col(input, this.#data(input), geometry, this.#data(out));
  }

  col2im(columns: View, geometry: WindowGeometry, out: View): void {
    runCol2im(columns, this.#data(columns), geometry, out, this.#data(out));
  }

  conv2d(input: View, weight: View, geometry: ConvGeometry, out: View): void {
    const wasm = this.#wasmConv(input, weight, out);
    if (wasm) {
      wasm.conv.conv2d(convShape(input, weight, geometry), ptrOf(input), ptrOf(weight), ptrOf(out));
      return;
    }
    const [x, w, y] = [this.#data(input), this.#data(weight), this.#data(out)];
    runConv2d(input, x, weight, w, geometry, out, y);
  }

  conv2dBackwardInput(grad: View, weight: View, geometry: ConvGeometry, out: View): void {
    const wasm = this.#wasmConv(grad, weight, out);
    if (wasm) {
      const shape = convShape(out, weight, geometry);
      wasm.conv.conv2dBackwardInput(shape, ptrOf(grad), ptrOf(weight), ptrOf(out));
      return;
    }
    const [gy, w, dx] = [this.#data(grad), this.#data(weight), this.#data(out)];
    runConv2dBackwardInput(grad, gy, weight, w, geometry, out, dx);
  }

  conv2dBackwardWeight(input: View, grad: View, geometry: ConvGeometry, out: View): void {
    const wasm = this.#wasmConv(input, grad, out);
    if (wasm) {
      const shape = convShape(input, out, geometry);
      wasm.conv.conv2dBackwardWeight(shape, ptrOf(input), ptrOf(grad), ptrOf(out));
      return;
    }
    const [x, gy, dw] = [this.#data(input), this.#data(grad), this.#data(out)];
    runConv2dBackwardWeight(input, x, grad, gy, geometry, out, dw);
  }

  maxPool2d(input: View, geometry: WindowGeometry, values: View, indices: View): void {
    const wasm = this.#wasm([input], [values, indices]);
    if (wasm) {
      wasm.pool.maxPool2d(operand(input), geometry, operand(values), operand(indices));
      return;
    }
    const [x, v, idx] = [this.#data(input), this.#data(values), this.#data(indices)];
    runMaxPool2d(input, x, geometry, values, v, indices, idx);
  }

  maxPool2dBackward(grad: View, indices: View, _geometry: WindowGeometry, out: View): void {
    const wasm = this.#wasm([grad, indices], [out]);
    if (wasm) {
      wasm.pool.maxPool2dBackward(operand(grad), operand(indices), operand(out));
      return;
    }
    const [gy, idx, dx] = [this.#data(grad), this.#data(indices), this.#data(out)];
    runMaxPool2dBackward(grad, gy, indices, idx, out, dx);
  }

  softmax(input: View, log: boolean, out: View): void {
    const wasm = this.#wasm([input], [out]);
    if (wasm) {
      wasm.softmax.run(operand(input), log, operand(out));
      return;
    }
    runSoftmax(input, this.#data(input), log, out, this.#data(out));
  }

  #checkSize(dtype: DType, length: number): void {
    const bytes = length * bytesPerElement[dtype];
    if (bytes > this.#maxAllocationBytes) {
      throw new RangeError(
        `cpu: a ${dtype} tensor of ${length} elements needs ${bytes} bytes (${gib(bytes)}), more than the CPU backend's limit of ${gib(this.#maxAllocationBytes)} per tensor; set cpu.maxAllocationBytes to allow it`,
      );
    }
  }

  /**
   * The WebAssembly kernels, when every operand lives in the WebAssembly memory (a tensor past
   * its limit is computed by the JavaScript kernels instead).
   */
  #wasm(inputs: readonly View[], outs: readonly View[]): WasmKernels | undefined {
    const runtime = this.#runtime;
    if (!runtime) return undefined;
    for (const view of outs) if (!inMemory(view)) return undefined;
    for (const view of inputs) if (!inMemory(view)) return undefined;
    this.#kernels ??= kernelsFor(runtime);
    return this.#kernels;
  }

  /** The WebAssembly kernels for a float32 convolution over contiguous views in memory. */
  #wasmConv(a: View, b: View, out: View): WasmKernels | undefined {
    if (out.dtype !== 'float32') return undefined;
    // Backend.conv2d's views are contiguous; their offsets are added to the pointers.
    return this.#wasm([a, b], [out]);
  }

  #data(view: View): TypedArray {
    const storage = view.storage;
    if (!(storage instanceof CpuStorage)) {
      throw new Error(`cpu backend: expected a cpu tensor, got one on ${storage.backend}`);
    }
    return storage.data;
  }
}

/** The CPU device, always available. */
export const cpu: CpuBackend = new CpuBackend();
