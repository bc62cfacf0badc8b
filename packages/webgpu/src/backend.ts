// The WebGPU backend: @dl/tensor's Backend interface on a WebGPUDevice. Storage is a pooled
// GPU buffer; every kernel is a WGSL shader generated per (op, dtypes) and fed shapes,
// strides and scalars through a small metadata buffer, so one pipeline serves all shapes.
// Ops return at once; reading a tensor is the only wait.
// The declarations name Symbol.dispose (for `using`): the reference brings its type to
// users' compilers whatever their lib.
/// <reference lib="esnext.disposable" preserve="true" />

import {
  type Backend,
  type ConvGeometry,
  collapseDims,
  contiguousStrides,
  type DType,
  E,
  type Expr,
  IndexError,
  isContiguousLayout,
  type NumberKind,
  numelOf,
  type OutOfRangeMessage,
  type ReduceKind,
  type Storage,
  type TypedArray,
  typeExprs,
  unregisterDevice,
  type View,
  type WindowGeometry,
} from '@dl/tensor';
import {
  bindRanges,
  extentOf,
  halve,
  narrowView,
  type Splitter,
  splitSharedShape,
} from './binding.js';
import type { AdapterDescription, WebGPUDevice } from './device.js';
import { type ConvKind, planConv, relaidWeight } from './kernels/conv.js';
import {
  directConvBlock,
  directConvKey,
  directConvMeta,
  directConvShader,
  directConvTaps,
} from './kernels/conv-direct.js';
import {
  type ElementwiseOrder,
  type ElementwiseSpec,
  elementwiseGrid,
  elementwiseKey,
  elementwiseMeta,
  elementwiseShader,
  exprsText,
  rowItems,
  unrolledRank,
  vec4Chunk,
  vec4Inputs,
} from './kernels/elementwise.js';
import {
  cumsumMeta,
  cumsumShader,
  gatherShader,
  indexMeta,
  scatterShader,
} from './kernels/indexing.js';
import { type MatmulTarget, matmulTarget, planMatmul } from './kernels/matmul.js';
import { intMatmulMeta, intMatmulShader } from './kernels/matmul-int.js';
import { checkedMeta, MetaRangeError } from './kernels/meta.js';
import {
  maxPoolBackwardShader,
  maxPoolMeta,
  maxPoolScatterShader,
  maxPoolShader,
  windowsOverlap,
} from './kernels/pool.js';
import {
  argCombineShader,
  argValueDType,
  type ReduceMode,
  reduceMeta,
  reduceRowsShader,
  reduceShader,
} from './kernels/reduce.js';
import { serialSoftmaxLimit, softmaxMeta, softmaxShader } from './kernels/softmax.js';
import { grid, kindOfStorage, storageType } from './kernels/wgsl.js';
import { col2imShader, im2colShader, windowMeta } from './kernels/window.js';
import type { WebGPUOptions } from './open.js';
import { BufferPool, type CollectionPolicy, type PoolStats } from './pool.js';

/**
 * A tensor's memory on a WebGPU device: one GPU buffer holding `length` elements of
 * `dtype`, four bytes each (float32, int32 or bool as u32; float64 is refused).
 */
export class GPUStorage implements Storage {
  constructor(
    readonly backend: WebGPUBackend,
    readonly dtype: DType,
    readonly length: number,
    readonly buffer: GPUBuffer,
  ) {}
}

interface Shader {
  key: string;
  code: string;
}

/** One dispatch's shader, metadata and grid; `bind` lists the views to bind when not all. */
interface Program {
  shader: Shader;
  meta: Int32Array;
  workgroups: readonly [number, number?, number?];
  bind?: readonly View[];
  writable?: number;
  /** The index-check buffer, bound read_write at binding 1 ahead of the views (see indexCheck). */
  check?: GPUBuffer;
}

/**
 * For gather and scatter, whose three views meet at the same position in every dim but
 * `dim`: split the first other dim the index (the last view) has of size > 1.
 */
const splitIndexed =
  (dim: number): Splitter =>
  (views) => {
    const d = views[2]!.shape.findIndex((size, k) => k !== dim && size > 1);
    return d < 0 ? undefined : [d, d, d];
  };
/** For kernels over [N, ...] inputs and outputs: split the batch. */
const splitBatch: Splitter = (views) => (views[0]!.shape[0]! > 1 ? views.map(() => 0) : undefined);

/** Elements a kernel's 32-bit index arithmetic reaches at most (int32's largest value). */
const maxKernelElements = 2 ** 31 - 1;

/** Reductions over at most this many elements use one invocation per output. */
const serialReduceLimit = 256;

/** Reductions with at least this many outputs, along contiguous memory, use one invocation per output. */
const serialReduceOutputs = 256;
/** Invocations a rows reduction aims for (see #reduceRows), and its least part. */
const rowsReduceInvocations = 4096;
const rowsReduceChunk = 256;

/** softmax over fewer rows than this, each longer than softmaxSplitLength, runs in steps. */
const softmaxSplitRows = 64;
const softmaxSplitLength = 4096;
/** Fewer outputs than this, each over at least two chunks, split into chunks. */
const splitReduceOutputs = 64;
/** Elements of one output a split reduction's workgroup reduces at least. */
const splitReduceChunk = 4096;
/** Workgroups a split reduction aims for in all. */
const splitReduceWorkgroups = 256;

/** Input gradients with fewer input channels per group go through columns (see there). */
const fewChannels = 4;

/** What the backend takes of webgpu()'s options. */
export type BackendOptions = Pick<
  WebGPUOptions,
  'maxBindingSize' | 'elementwiseOrder' | 'checkIndices'
>;

/**
 * The WebGPU device as a dl backend: what `await webgpu()` returns and the name 'webgpu'
 * means. Ops record compute dispatches and return at once; work is submitted in batches
 * and reading a value (`await x.item()`) is the only wait. Dispose of it (`using`, or
 * destroy()) to free the device.
 */
export class WebGPUBackend implements Backend {
  readonly type = 'webgpu';
  readonly releasesMemory = true;
  readonly fusesElementwise = true;
  readonly runtime: WebGPUDevice;
  readonly #pool: BufferPool;
  readonly #shaders = new Map<string, string>();
  /** Elementwise shaders and how their params are passed, by elementwiseKey. */
  readonly #elementwisePrograms = new Map<string, { shader: Shader; params: NumberKind[] }>();
  /** What the matmul planner needs of the device: subgroup size, grid limits. */
  readonly #matmulTarget: MatmulTarget;

  /** Bytes a kernel binds of one buffer at most. */
  readonly #bindingLimit: number;

  /** How elementwise kernels walk their elements. */
  readonly #elementwiseOrder: ElementwiseOrder;

  /** Whether gather and scatter report out-of-range indices (webgpu()'s checkIndices). */
  readonly checkIndices: boolean;

  /** @internal webgpu() opens the device and makes the backend. */
  constructor(runtime: WebGPUDevice, collection?: CollectionPolicy, options: BackendOptions = {}) {
    const { maxBindingSize } = options;
    this.runtime = runtime;
    this.#elementwiseOrder =
      options.elementwiseOrder ?? (runtime.adapter.isFallbackAdapter ? 'rows' : 'interleaved');
    const limit = runtime.limits.maxStorageBufferBindingSize;
    if (maxBindingSize !== undefined && !(maxBindingSize >= 1024)) {
      throw new RangeError(
        `webgpu: maxBindingSize must be at least 1024 bytes, got ${maxBindingSize}`,
      );
    }
    this.#bindingLimit = Math.min(limit, maxBindingSize ?? limit);
    this.checkIndices = options.checkIndices ?? true;
    this.#matmulTarget = matmulTarget(runtime);
    this.#pool = new BufferPool(runtime, collection);
  }

  /** The adapter's vendor, architecture and description. */
  get adapter(): AdapterDescription {
    return this.runtime.adapter;
  }

  /** How elementwise kernels walk their elements (webgpu()'s elementwiseOrder option). */
  get elementwiseOrder(): ElementwiseOrder {
    return this.#elementwiseOrder;
  }

  /** The limits the device was opened with (raised to what the adapter supports). */
  get limits(): GPUSupportedLimits {
    return this.runtime.limits;
  }

  /** The optional WebGPU features the device has, such as 'shader-f16' and 'subgroups'. */
  get features(): ReadonlySet<string> {
    return this.runtime.features;
  }

  /** A short name for printing: `webgpu (adapter description)`. */
  toString(): string {
    return this.runtime.toString();
  }

  /** Buffers in use and kept for reuse by the pool. */
  poolStats(): PoolStats {
    return this.#pool.stats();
  }

  /** Bytes in free buffers the pool keeps for reuse (memory().pooled). */
  pooledBytes(): number {
    return this.#pool.stats().pooled;
  }

  /**
   * True once the device was lost or destroyed: memory() then counts none of its tensors,
   * and using them raises WebGPUDeviceLostError.
   */
  get isLost(): boolean {
    return this.runtime.isLost;
  }

  /** Submits recorded work now (it is submitted in batches otherwise). */
  flush(): void {
    this.runtime.flush();
  }

  /** Waits for all submitted work to finish. */
  synchronize(): Promise<void> {
    return this.runtime.synchronize();
  }

  /** Destroys the device; 'webgpu' then names the device opened before it, if one is open. */
  destroy(): void {
    unregisterDevice(this);
    this.#pool.trim();
    this.runtime.destroy();
  }

  /** Destroys the device (see destroy), for `using device = await webgpu()`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // ---- storage ----

  allocate(dtype: DType, length: number): GPUStorage {
    storageType(dtype); // refuses float64 with a clear message
    return new GPUStorage(
      this,
      dtype,
      length,
      this.#pool.acquire(Math.max(4, length * 4), `tensor ${dtype}[${length}]`),
    );
  }

  fromData(dtype: DType, data: TypedArray): GPUStorage {
    const storage = this.allocate(dtype, data.length);
    if (data.length > 0)
      this.runtime.write(
        storage.buffer,
        toStorageArray(dtype, data),
        0,
        `upload ${dtype}[${data.length}]`,
      );
    return storage;
  }

  async read(view: View): Promise<TypedArray> {
    const count = numelOf(view.shape);
    if (count === 0) return emptyArray(view.dtype);
    const temporary = isContiguousLayout(view.shape, view.strides)
      ? undefined
      : this.#compactCopy(view);
    const source = temporary ?? view;
    const buffer = this.#buffer(source);
    try {
      const bytes = await this.runtime.read(
        buffer,
        count * 4,
        `read ${view.dtype}[${view.shape.join(', ')}]`,
        source.offset * 4,
      );
      return fromStorageArray(view.dtype, bytes);
    } finally {
      if (temporary) this.release(temporary.storage);
    }
  }

  release(storage: Storage): void {
    if (storage instanceof GPUStorage) this.#pool.release(storage.buffer);
  }

  // ---- kernels ----

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
    const first = outs[0]!;
    if (numelOf(first.shape) === 0) return;
    const aliases = inputs.map((input) => outs.findIndex((o) => o.storage === input.storage));
    const buffers = 1 + outs.length + aliases.filter((a) => a < 0).length;
    if (buffers > this.limits.maxStorageBuffersPerShaderStage) {
      throw new Error(
        `webgpu: an elementwise kernel over ${outs.length} outputs and ${inputs.length} inputs needs ${buffers} storage buffers, more than this device's ${this.limits.maxStorageBuffersPerShaderStage}`,
      );
    }
    const shape = `[${first.shape.join(', ')}]`;
    const label =
      outs.length === 1
        ? `elementwise ${first.dtype}${shape}`
        : `fused update of ${outs.length} tensors ${shape}`;
    const dtypes = {
      exprs,
      exprText: exprsText(exprs),
      outs: outs.map((v) => v.dtype),
      inputs: inputs.map((v) => v.dtype),
      aliases,
      params: params.length,
    };
    this.#launch(label, [...outs, ...inputs], splitSharedShape, (views) => {
      const [o, i] = [views.slice(0, outs.length), views.slice(outs.length)];
      const collapsed = collapseDims(
        o[0]!.shape,
        views.map((v) => v.strides),
      );
      const rank = collapsed.shape.length;
      const rows = this.#elementwiseOrder === 'rows' && rank >= 1 && rank <= unrolledRank;
      const scalars = vec4Inputs(views, outs.length, collapsed);
      const vec4 = scalars && !scalars.some((scalar, k) => scalar && aliases[k]! >= 0);
      const spec = {
        ...dtypes,
        rank: rank <= unrolledRank ? rank : 0,
        rows,
        ...(vec4 ? { vec4: scalars } : {}),
      };
      const count = numelOf(o[0]!.shape);
      const program = this.#elementwiseProgram(spec);
      return {
        shader: program.shader,
        meta: elementwiseMeta(o, i, params, program.params, collapsed),
        workgroups: elementwiseGrid(
          vec4
            ? rows
              ? Math.ceil(count / 4 / vec4Chunk)
              : count / 4
            : rows
              ? rowItems(collapsed.shape)
              : count,
          this.limits.maxComputeWorkgroupsPerDimension,
        ),
        bind: [...o, ...i.filter((_, k) => aliases[k]! < 0)],
        writable: outs.length,
      };
    });
  }

  reduce(kind: ReduceKind, input: View, dims: readonly number[], out: View): void {
    const keptDims = input.shape.map((_, d) => d).filter((d) => !dims.includes(d));
    const outCount = numelOf(keptDims.map((d) => input.shape[d]!));
    if (outCount === 0) return;
    const redCount = numelOf(dims.map((d) => input.shape[d]!));
    // A view past what kernels index (a broadcast one: its storage may be small) is reduced
    // in halves, each within reach, and the halves combined.
    if (numelOf(input.shape) > maxKernelElements) {
      if (!this.#reduceInParts(kind, input, dims, out)) {
        throw new RangeError(
          `${kind} over [${input.shape.join(', ')}]: ${numelOf(input.shape)} elements, more than the ${maxKernelElements} (2^31 - 1) WebGPU kernels index with 32-bit integers, and no reduced dim to split`,
        );
      }
      return;
    }
    if (
      kind !== 'argmax' &&
      kind !== 'argmin' &&
      this.#reduceRows(kind, input, dims, keptDims, out)
    ) {
      return;
    }
    // Outputs along contiguous memory, many of them: one invocation each, neighbouring
    // lanes reading neighbouring elements (a workgroup per output would stride through rows).
    const kept = this.#collapsed(input, keptDims);
    const keptInner = kept.strides[0]![kept.shape.length - 1] === 1;
    const mode: ReduceMode =
      redCount <= serialReduceLimit || (keptInner && outCount >= serialReduceOutputs)
        ? 'serial'
        : outCount < splitReduceOutputs && redCount >= 2 * splitReduceChunk
          ? 'split'
          : 'workgroup';
    if (mode === 'split') {
      this.#reduceSplit(kind, input, dims, keptDims, out);
      return;
    }
    const shader = this.#shader(`reduce|${kind}|${input.dtype}|${out.dtype}|${mode}`, () =>
      reduceShader(kind, input.dtype, out.dtype, mode),
    );
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    this.#launch(
      `${kind} over [${input.shape.join(', ')}]`,
      [out, input],
      this.#reduceSplitter(input, keptDims),
      ([o, i]) => {
        const count = numelOf(o!.shape);
        return {
          shader,
          meta: this.#reduceMeta(i!, dims, keptDims, o!.offset, 0),
          workgroups:
            mode === 'workgroup'
              ? [Math.min(count, max), Math.ceil(count / max)]
              : grid(count, max),
        };
      },
      ([o, i]) => this.#reduceInParts(kind, i!, dims, o!),
    );
  }

  /**
   * A reduction over rows of contiguous elements (see reduceRowsShader), or false when the
   * reduced elements are not laid out so. One pass when the outputs are enough to fill the
   * device; else each output's elements are cut into parts of at least rowsReduceChunk
   * elements, which a second pass combines.
   */
  #reduceRows(
    kind: 'sum' | 'prod' | 'max' | 'min',
    input: View,
    dims: readonly number[],
    keptDims: readonly number[],
    out: View,
    maxParts = Number.POSITIVE_INFINITY,
  ): boolean {
    const reduced = this.#collapsed(input, dims);
    const rank = reduced.shape.length;
    if (rank > 2 || reduced.strides[0]![rank - 1] !== 1) return false;
    const outCount = numelOf(out.shape);
    const redCount = numelOf(reduced.shape);
    const wanted = Math.min(
      maxParts,
      Math.ceil(rowsReduceInvocations / outCount),
      Math.floor(redCount / rowsReduceChunk),
    );
    const chunk = Math.max(4, Math.ceil(redCount / Math.max(1, wanted) / 4) * 4);
    const parts = Math.max(1, Math.ceil(redCount / chunk));
    const [length, rowStride] = [
      reduced.shape[rank - 1]!,
      rank === 2 ? reduced.strides[0]![0]! : 0,
    ];
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    const program = (o: View, i: View, outOffset: number): Program => {
      // Four at a time when every row (and so every part) starts on a multiple of 4.
      const kept = this.#collapsed(i, keptDims);
      const vec4 =
        i.dtype === 'float32' &&
        i.offset % 4 === 0 &&
        length % 4 === 0 &&
        rowStride % 4 === 0 &&
        kept.strides[0]!.every((stride) => stride % 4 === 0);
      return {
        shader: this.#shader(`reduceRows|${kind}|${i.dtype}|${o.dtype}|${vec4}`, () =>
          reduceRowsShader(kind, i.dtype, o.dtype, vec4),
        ),
        meta: this.#reduceMeta(i, dims, keptDims, outOffset, chunk),
        workgroups: grid(outCount * parts, max),
      };
    };
    const label = `${kind} over [${input.shape.join(', ')}]`;
    if (parts === 1) {
      this.#launch(
        label,
        [out, input],
        this.#reduceSplitter(input, keptDims),
        ([o, i]) => program(o!, i!, o!.offset),
        ([o, i]) => this.#reduceInParts(kind, i!, dims, o!),
      );
      return true;
    }
    const partials = this.#temporary(out.dtype, [parts, ...out.shape]);
    let handledInParts = false;
    this.#launch(
      `${label} in ${parts} parts`,
      [partials, input],
      () => undefined,
      ([p, i]) => program(p!, i!, 0),
      // Too large to bind: halve a reduced dim instead (each half is reduced again).
      () => {
        handledInParts = this.#reduceInParts(kind, input, dims, out);
        return handledInParts;
      },
    );
    if (!handledInParts) {
      // The parts of each output in one more pass (a few thousand at most).
      const keptParts = out.shape.map((_, d) => d + 1);
      if (!this.#reduceRows(kind, partials, [0], keptParts, out, 1)) {
        this.reduce(kind, partials, [0], out);
      }
    }
    this.release(partials.storage);
    return true;
  }

  /** `dims` of `input`, collapsed where they are contiguous (size-1 dims dropped). */
  #collapsed(input: View, dims: readonly number[]): { shape: number[]; strides: number[][] } {
    return collapseDims(
      dims.map((d) => input.shape[d]!),
      [dims.map((d) => input.strides[d]!)],
    );
  }

  /** Splits along the first kept dim of size > 1: out's dim k is input's keptDims[k]. */
  #reduceSplitter(input: View, keptDims: readonly number[]): Splitter {
    return ([o, i]) => {
      const k = o!.shape.findIndex((d) => d > 1);
      if (k < 0 || i!.shape.length !== input.shape.length) return undefined;
      return [k, keptDims[k]!];
    };
  }

  /** Reduction metadata with kept and reduced dims each collapsed where they are contiguous. */
  #reduceMeta(
    input: View,
    dims: readonly number[],
    keptDims: readonly number[],
    outOffset: number,
    chunk: number,
  ): Int32Array {
    const kept = this.#collapsed(input, keptDims);
    const reduced = this.#collapsed(input, dims);
    return reduceMeta(
      kept.shape,
      kept.strides[0]!,
      input.offset,
      reduced.shape,
      reduced.strides[0]!,
      outOffset,
      chunk,
    );
  }

  /**
   * Few outputs over many elements: workgroups reduce chunks of each output's elements into
   * partial results [groups, ...out], and a second pass combines them.
   */
  #reduceSplit(
    kind: ReduceKind,
    input: View,
    dims: readonly number[],
    keptDims: readonly number[],
    out: View,
  ): void {
    const outCount = numelOf(out.shape);
    const redCount = numelOf(dims.map((d) => input.shape[d]!));
    const groups = Math.min(
      Math.ceil(redCount / splitReduceChunk),
      Math.max(2, Math.floor(splitReduceWorkgroups / outCount)),
    );
    const chunk = Math.ceil(redCount / groups);
    const isArg = kind === 'argmax' || kind === 'argmin';
    const partShape = [groups, ...out.shape];
    const values = this.#temporary(isArg ? argValueDType(input.dtype) : out.dtype, partShape);
    const indices = isArg ? this.#temporary('int32', partShape) : undefined;
    const shader = this.#shader(`reduce|${kind}|${input.dtype}|${out.dtype}|split`, () =>
      reduceShader(kind, input.dtype, out.dtype, 'split'),
    );
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    const label = `${kind} over [${input.shape.join(', ')}] in ${groups} parts`;
    const workgroups = groups * outCount;
    let handledInParts = false;
    this.#launch(
      label,
      indices ? [values, indices, input] : [values, input],
      () => undefined,
      (views) => ({
        shader,
        meta: this.#reduceMeta(views[views.length - 1]!, dims, keptDims, 0, chunk),
        workgroups: [Math.min(workgroups, max), Math.ceil(workgroups / max)],
        writable: indices ? 2 : 1,
      }),
      // Too large to bind: halve a reduced dim instead (each half splits again).
      () => {
        handledInParts = this.#reduceInParts(kind, input, dims, out);
        return handledInParts;
      },
    );
    if (handledInParts) {
      // The halves wrote `out`; the partials were never used.
    } else if (indices) {
      this.#argCombine(kind as 'argmax' | 'argmin', values, indices, out, 0);
    } else {
      this.reduce(kind, values, [0], out);
    }
    this.release(values.storage);
    if (indices) this.release(indices.storage);
  }

  /**
   * A reduction whose input is too large to bind even for one output: reduces each half of a
   * reduced dim into temporaries and combines them (each half may split again). argmax and
   * argmin keep both halves' extreme values and indices and pick per element, the first half
   * on ties, NaN first, as a whole reduction would.
   */
  #reduceInParts(kind: ReduceKind, input: View, dims: readonly number[], out: View): boolean {
    const dim = dims.find((d) => input.shape[d]! > 1);
    if (dim === undefined) return false;
    const size = input.shape[dim]!;
    const half = Math.ceil(size / 2);
    const halves = [narrowView(input, dim, 0, half), narrowView(input, dim, half, size)];
    const temporary = (dtype: DType): View => this.#temporary(dtype, [2, ...out.shape]);
    const part = (t: View, k: number): View => narrowView(t, 0, k, k + 1);
    const squeeze = (t: View): View => ({ ...t, shape: out.shape, strides: t.strides.slice(1) });
    const temporaries: View[] = [];
    if (kind === 'argmax' || kind === 'argmin') {
      const values = temporary(argValueDType(input.dtype));
      const indices = temporary('int32');
      temporaries.push(values, indices);
      for (const [k, h] of halves.entries()) {
        this.reduce(kind === 'argmax' ? 'max' : 'min', h, dims, squeeze(part(values, k)));
        this.reduce(kind, h, dims, squeeze(part(indices, k)));
      }
      this.#argCombine(kind, values, indices, out, half);
    } else {
      const partial = temporary(out.dtype);
      temporaries.push(partial);
      for (const [k, h] of halves.entries()) this.reduce(kind, h, dims, squeeze(part(partial, k)));
      this.reduce(kind, partial, [0], out);
    }
    for (const t of temporaries) this.release(t.storage);
    return true;
  }

  /** out = the index of the best of partial results [groups, ...out] (see argCombineShader). */
  #argCombine(
    kind: 'argmax' | 'argmin',
    values: View,
    indices: View,
    out: View,
    indexStep: number,
  ): void {
    const type = kindOfStorage(values.dtype);
    const shader = this.#shader(`argCombine|${kind}|${type}`, () => argCombineShader(kind, type));
    const [groups, outCount] = [values.shape[0]!, numelOf(out.shape)];
    this.#launch(
      `${kind} combining ${groups} parts`,
      [out, values, indices],
      () => undefined,
      ([o]) => ({
        shader,
        meta: checkedMeta([outCount, groups, o!.offset, indexStep]),
        workgroups: grid(outCount, this.limits.maxComputeWorkgroupsPerDimension),
      }),
    );
  }

  matmul(a: View, b: View, out: View): void {
    const label = `matmul [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`;
    // Splits a batch dim of size > 1; else the rows of a and out (b read whole) or the
    // columns of b and out (a read whole), whichever operand spans more.
    const splitter: Splitter = ([o, x, y]) => {
      const rank = o!.shape.length;
      const batch = o!.shape.slice(0, rank - 2).findIndex((d) => d > 1);
      if (batch >= 0) return [batch, batch, batch];
      const span = (v: View) => extentOf(v).hi - extentOf(v).lo;
      const [rows, columns] = [o!.shape[rank - 2]!, o!.shape[rank - 1]!];
      if (columns > 1 && (rows < 2 || span(y!) > span(x!))) return [rank - 1, null, rank - 1];
      return rows > 1 ? [rank - 2, rank - 2, null] : undefined;
    };
    if (out.dtype === 'int32') {
      // int32 @ int32: exact, wrapping products and sums (see matmul-int.ts).
      const shader = this.#shader('matmul|int32', () => intMatmulShader);
      this.#launch(label, [out, a, b], splitter, ([o, x, y]) => ({
        shader,
        meta: intMatmulMeta(x!, y!, o!),
        workgroups: grid(numelOf(o!.shape), this.limits.maxComputeWorkgroupsPerDimension),
      }));
      return;
    }
    this.#launch(label, [out, a, b], splitter, ([o, x, y]) => {
      const program = planMatmul(x!, y!, o!, this.#matmulTarget);
      return {
        shader: this.#shader(program.key, program.shader),
        meta: program.meta,
        workgroups: program.workgroups,
      };
    });
  }

  gather(input: View, dim: number, index: View, out: View, outOfRange: OutOfRangeMessage): void {
    const check = this.#indexCheck(outOfRange);
    const shader = this.#shader(`gather|${input.dtype}|${out.dtype}|${!!check}`, () =>
      gatherShader(input.dtype, out.dtype, !!check),
    );
    this.#launch(
      `gather along ${dim}`,
      [out, input, index],
      splitIndexed(dim),
      ([o, x, i]) => ({
        shader,
        meta: indexMeta(i!.shape, dim, input.shape[dim]!, i!, x!, o!, check?.site),
        workgroups: grid(numelOf(i!.shape), this.limits.maxComputeWorkgroupsPerDimension),
        ...(check ? { check: check.buffer } : {}),
      }),
      // A strided input spread past the limit: gather from a compact copy instead.
      ([o, x, i]) => {
        if (isContiguousLayout(x!.shape, x!.strides)) return false;
        const copy = this.#compactCopy(x!);
        this.gather(copy, dim, i!, o!, outOfRange);
        this.release(copy.storage);
        return true;
      },
    );
  }

  scatter(
    mode: 'assign' | 'add',
    target: View,
    dim: number,
    index: View,
    src: View,
    outOfRange: OutOfRangeMessage,
  ): void {
    const check = this.#indexCheck(outOfRange);
    const shader = this.#shader(`scatter|${mode}|${target.dtype}|${!!check}`, () =>
      scatterShader(mode, target.dtype, !!check),
    );
    this.#launch(
      `scatter (${mode}) along ${dim}`,
      [target, src, index],
      splitIndexed(dim),
      ([t, s, i]) => ({
        shader,
        meta: indexMeta(i!.shape, dim, target.shape[dim]!, i!, t!, s!, check?.site),
        workgroups: grid(numelOf(i!.shape), this.limits.maxComputeWorkgroupsPerDimension),
        ...(check ? { check: check.buffer } : {}),
      }),
    );
  }

  /** A site for a dispatch that checks its indices, unless checks are off. */
  #indexCheck(outOfRange: OutOfRangeMessage): { buffer: GPUBuffer; site: number } | undefined {
    if (!this.checkIndices) return undefined;
    return this.runtime.indexCheck((index, bound) => new IndexError(outOfRange(index, bound)));
  }

  cumsum(input: View, dim: number, out: View): void {
    const shader = this.#shader(`cumsum|${input.dtype}|${out.dtype}`, () =>
      cumsumShader(input.dtype, out.dtype),
    );
    // The leading dim may be split unless it is the scanned one (out stays contiguous).
    const splitter: Splitter = ([o]) => {
      const d = o!.shape.findIndex((size) => size > 1);
      return d < 0 || d === dim ? undefined : [d, d];
    };
    this.#launch(`cumsum along ${dim}`, [out, input], splitter, ([o, x]) => {
      const meta = cumsumMeta(x!.shape, x!.strides, x!.offset, dim, o!.offset);
      return {
        shader,
        meta,
        workgroups: grid(meta[0]!, this.limits.maxComputeWorkgroupsPerDimension),
      };
    });
  }

  im2col(input: View, geometry: WindowGeometry, out: View): void {
    const shader = this.#shader(`im2col|${input.dtype}|${out.dtype}`, () =>
      im2colShader(input.dtype, out.dtype),
    );
    this.#launch('im2col', [out, input], splitBatch, ([o, x]) => ({
      shader,
      meta: windowMeta(x!, geometry, x!.shape, o!.offset),
      workgroups: grid(numelOf(o!.shape), this.limits.maxComputeWorkgroupsPerDimension),
    }));
  }

  col2im(columns: View, geometry: WindowGeometry, out: View): void {
    const shader = this.#shader(`col2im|${columns.dtype}|${out.dtype}`, () =>
      col2imShader(columns.dtype, out.dtype),
    );
    this.#launch('col2im', [out, columns], splitBatch, ([o, c]) => ({
      shader,
      meta: windowMeta({ ...c!, strides: [...c!.strides, 0] }, geometry, o!.shape, o!.offset),
      workgroups: grid(
        numelOf(o!.shape.slice(0, -1)),
        this.limits.maxComputeWorkgroupsPerDimension,
      ),
    }));
  }

  maxPool2d(input: View, geometry: WindowGeometry, values: View, indices: View): void {
    const shader = this.#shader('maxPool2d', () => maxPoolShader);
    this.#launch(
      `maxPool2d of input [${input.shape.join(', ')}]`,
      [values, indices, input],
      splitBatch,
      ([v, i, x]) => ({
        shader,
        meta: maxPoolMeta(x!.shape, geometry, [v!.offset, i!.offset, x!.offset]),
        workgroups: elementwiseGrid(
          numelOf(v!.shape.slice(0, -1)),
          this.limits.maxComputeWorkgroupsPerDimension,
        ),
        writable: 2,
      }),
    );
  }

  maxPool2dBackward(grad: View, indices: View, geometry: WindowGeometry, out: View): void {
    // Windows that do not overlap send each gradient to its own position: zero the input
    // gradient and add them there (one iteration per output). Otherwise each input position
    // gathers from the windows that can hold it.
    const scatter = !windowsOverlap(geometry);
    if (scatter) this.elementwise(E.const(0), [], out);
    const shader = scatter
      ? this.#shader('maxPool2dScatter', () => maxPoolScatterShader)
      : this.#shader('maxPool2dBackward', () => maxPoolBackwardShader);
    this.#launch(
      `maxPool2d backward of grad [${grad.shape.join(', ')}]`,
      [out, grad, indices],
      splitBatch,
      ([o, g, i]) => ({
        shader,
        meta: maxPoolMeta(o!.shape, geometry, [o!.offset, g!.offset, i!.offset]),
        workgroups: elementwiseGrid(
          scatter ? numelOf(g!.shape.slice(0, -1)) : numelOf(o!.shape),
          this.limits.maxComputeWorkgroupsPerDimension,
        ),
      }),
    );
  }

  softmax(input: View, log: boolean, out: View): void {
    const n = input.shape[input.shape.length - 1] ?? 1;
    const count = numelOf(input.shape);
    if (count === 0) return;
    const rows = count / n;
    const label = `${log ? 'logSoftmax' : 'softmax'} over [${input.shape.join(', ')}]`;
    const asRows = (v: View): View => ({ ...v, shape: [rows, n], strides: [n, 1] });
    // A few long rows would leave most of the device idle in one workgroup each: there the
    // max and the sum are split reductions, and the elements one elementwise kernel.
    if (rows < softmaxSplitRows && n > softmaxSplitLength) {
      this.#softmaxInSteps(asRows(input), log, asRows(out));
      return;
    }
    // On CPU-backed WebGPU, rows enough to share out: one invocation per row beats a
    // workgroup per row, whose barriers cost more than its lanes save (lavapipe: 6 against
    // 10 ms over [1024, 1024]; SwiftShader: 35 against 138 ms).
    const serial =
      n <= serialSoftmaxLimit ||
      (this.runtime.adapter.isFallbackAdapter && rows >= softmaxSplitRows);
    const mode = serial ? 'serial' : 'workgroup';
    const shader = this.#shader(`softmax|${log}|${mode}`, () => softmaxShader(log, mode));
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    this.#launch(label, [asRows(out), asRows(input)], splitSharedShape, ([o, x]) => {
      const partRows = o!.shape[0]!;
      return {
        shader,
        meta: softmaxMeta(partRows, n, x!.offset, o!.offset),
        workgroups:
          mode === 'workgroup'
            ? [Math.min(partRows, max), Math.ceil(partRows / max)]
            : grid(partRows, max),
      };
    });
  }

  /** softmax of rows [rows, n] as max, exp(x - max), sum and a last elementwise kernel. */
  #softmaxInSteps(input: View, log: boolean, out: View): void {
    const [rows] = input.shape as [number, number];
    const rowMax = this.#temporary('float32', [rows, 1]);
    const rowSum = this.#temporary('float32', [rows, 1]);
    const exps = this.#temporary('float32', input.shape);
    this.reduce('max', input, [1], { ...rowMax, shape: [rows], strides: [1] });
    const broadcast = (v: View): View => ({ ...v, shape: input.shape, strides: [1, 0] });
    this.elementwise(E.exp(E.sub(E.input(0), E.input(1))), [input, broadcast(rowMax)], exps);
    this.reduce('sum', exps, [1], { ...rowSum, shape: [rows], strides: [1] });
    if (log) {
      const logSoftmax = E.sub(E.sub(E.input(0), E.input(1)), E.log(E.input(2)));
      this.elementwise(logSoftmax, [input, broadcast(rowMax), broadcast(rowSum)], out);
    } else this.elementwise(E.div(E.input(0), E.input(1)), [exps, broadcast(rowSum)], out);
    for (const t of [rowMax, rowSum, exps]) this.release(t.storage);
  }

  conv2d(input: View, weight: View, geometry: ConvGeometry, out: View): void {
    this.#conv('forward', input, weight, geometry, [weight, input, out]);
  }

  conv2dBackwardInput(grad: View, weight: View, geometry: ConvGeometry, out: View): void {
    // With few input channels per group the implicit GEMM's rows (input channels) leave
    // most lanes idle: multiply into columns [N, G, C/G * kh * kw, L] with the matmul
    // instead, whose rows are channels times kernel offsets, and fold them with col2im.
    if (out.shape[1]! / geometry.groups < fewChannels) {
      this.#convInputByColumns(grad, weight, geometry, out);
      return;
    }
    this.#conv('input', out, weight, geometry, [weight, grad, out]);
  }

  conv2dBackwardWeight(input: View, grad: View, geometry: ConvGeometry, out: View): void {
    this.#conv('weight', input, out, geometry, [grad, input, out]);
  }

  // ---- helpers ----

  #convInputByColumns(grad: View, weight: View, geometry: ConvGeometry, out: View): void {
    const [n, c] = out.shape as [number, number];
    const o = weight.shape[0]!;
    const groups = geometry.groups;
    const rows = (c / groups) * geometry.kernel[0] * geometry.kernel[1];
    const og = o / groups;
    const l = geometry.outSize[0] * geometry.outSize[1];
    const columns = this.#temporary('float32', [n, groups, rows, l]);
    try {
      this.matmul(
        { ...weight, shape: [n, groups, rows, og], strides: [0, og * rows, 1, rows] },
        { ...grad, shape: [n, groups, og, l], strides: contiguousStrides([n, groups, og, l]) },
        columns,
      );
      // col2im writes every element of out (it sums what each pixel receives), so out
      // needs no zeroing first.
      this.col2im(
        { ...columns, shape: [n, groups * rows, l], strides: [groups * rows * l, l, 1] },
        { ...geometry, padValue: 0 },
        out,
      );
    } finally {
      this.release(columns.storage);
    }
  }

  /**
   * Runs a convolution kernel for input and weight of these shapes, over its operands
   * [X, Y, out] (see kernels/conv-wgsl.ts). The weight gradient may be computed as partial
   * sums over chunks of the batch, which a reduction then adds up into out.
   */
  #conv(
    kind: ConvKind,
    input: View,
    weight: View,
    geometry: ConvGeometry,
    [x, y, out]: [View, View, View],
  ): void {
    for (const v of [x, y, out]) {
      if (v.dtype !== 'float32')
        throw new TypeError(`conv2d on WebGPU: expected float32 tensors, got ${v.dtype}`);
    }
    const [, cg, kh, kw] = weight.shape as [number, number, number, number];
    if (kind === 'forward' && cg * kh * kw <= directConvTaps) {
      this.#directConv(input, weight, geometry, out);
      return;
    }
    const program = planConv(
      kind,
      { input: input.shape, weight: weight.shape },
      geometry,
      { x, y, out },
      this.#matmulTarget,
    );
    const label = `conv2d ${kind === 'forward' ? '' : `backward (${kind}) `}of input [${input.shape.join(', ')}] and weight [${weight.shape.join(', ')}]`;
    const count = numelOf(out.shape);
    // The forward pass and the input gradient may split the batch (views [out, X, Y] with
    // X the weight, read whole); the weight gradient sums over the batch and does not split.
    const splitter: Splitter =
      kind === 'weight' ? () => undefined : ([o]) => (o!.shape[0]! > 1 ? [0, null, 0] : undefined);
    const launch = (target: View, xv: View, yv: View) =>
      this.#launch(label, [target, xv, yv], splitter, ([o, a, b]) => {
        const part =
          kind === 'forward'
            ? { input: b!.shape, weight: weight.shape }
            : kind === 'input'
              ? { input: o!.shape, weight: weight.shape }
              : { input: input.shape, weight: weight.shape };
        const plan = planConv(kind, part, geometry, { x: a!, y: b!, out: o! }, this.#matmulTarget, {
          x4: program.variant.x4,
          chunks: program.chunks,
        });
        return {
          shader: this.#shader(plan.key, plan.shader),
          meta: plan.meta,
          workgroups: plan.workgroups,
        };
      });
    if (program.variant.x4 && kind !== 'weight') {
      // The kernel reads the weight with its inner loop's channels last: copy it so.
      const relaid = this.#compactCopy(relaidWeight(kind, weight, geometry.groups));
      try {
        launch(out, relaid, y);
      } finally {
        this.release(relaid.storage);
      }
      return;
    }
    if (program.chunks === 1) {
      launch(out, x, y);
      return;
    }
    const partials = this.#temporary('float32', [program.chunks, count]);
    try {
      launch(partials, x, y);
      this.reduce('sum', partials, [0], { ...out, shape: [count], strides: [1] });
    } finally {
      this.release(partials.storage);
    }
  }

  /** conv2d with few taps per output (see conv-direct.ts); views contiguous, float32. */
  #directConv(input: View, weight: View, geometry: ConvGeometry, out: View): void {
    const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
    const slide = geometry.stride[1] === 1 && geometry.dilation[1] === 1;
    const block = directConvBlock(o, geometry.groups);
    const shader = this.#shader(directConvKey(cg, kh, kw, slide, block), () =>
      directConvShader(cg, kh, kw, slide, block),
    );
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    this.#launch(
      `conv2d of input [${input.shape.join(', ')}] and weight [${weight.shape.join(', ')}]`,
      [out, weight, input],
      ([v]) => (v!.shape[0]! > 1 ? [0, null, 0] : undefined),
      ([y, w, x]) => ({
        shader,
        meta: directConvMeta({
          input: x!.shape,
          outChannels: o,
          outSize: geometry.outSize,
          stride: geometry.stride,
          padding: geometry.padding,
          dilation: geometry.dilation,
          groups: geometry.groups,
          offsets: [w!.offset, x!.offset, y!.offset],
        }),
        workgroups: elementwiseGrid((y!.shape[0]! * o * geometry.outSize[0]) / block, max),
      }),
    );
  }

  /** A contiguous temporary of `shape`; release its storage when done. */
  #temporary(dtype: DType, shape: readonly number[]): View {
    const storage = this.allocate(dtype, numelOf(shape));
    return { storage, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
  }

  /** A contiguous copy of `view` in a temporary. */
  #compactCopy(view: View): View {
    const copy = this.#temporary(view.dtype, view.shape);
    this.elementwise(E.input(0), [view], copy);
    return copy;
  }

  /** The shader for `spec`, typed once (see @dl/tensor's typeExprs), and its params' kinds. */
  #elementwiseProgram(spec: ElementwiseSpec): { shader: Shader; params: NumberKind[] } {
    const key = elementwiseKey(spec);
    let program = this.#elementwisePrograms.get(key);
    if (!program) {
      const typed = typeExprs(spec.exprs, spec.inputs, spec.outs, spec.params);
      program = {
        shader: { key, code: elementwiseShader(spec, typed) },
        params: [...typed.params],
      };
      this.#elementwisePrograms.set(key, program);
    }
    return program;
  }

  #shader(key: string, build: () => string): Shader {
    let code = this.#shaders.get(key);
    if (code === undefined) {
      code = build();
      this.#shaders.set(key, code);
    }
    return { key, code };
  }

  /**
   * Dispatches the program `build` makes for `views` (the first `writable` bound read_write,
   * default 1). Buffers past the largest storage binding are bound by the range the views
   * touch; when that is still too large, the work is halved along the dims `splitter` names
   * and each half launched the same way.
   */
  #launch(
    label: string,
    views: readonly View[],
    splitter: Splitter,
    build: (views: readonly View[]) => Program,
    /** Computes what cannot be split another way; false when it cannot either. */
    fallback?: (views: readonly View[]) => boolean,
  ): void {
    const limit = this.#bindingLimit;
    const bound = bindRanges(
      views,
      (v) => this.#buffer(v),
      limit,
      this.limits.minStorageBufferOffsetAlignment,
    );
    if (bound) {
      // Kernels index elements with 32-bit integers: past 2^31 - 1 they would wrap.
      for (const view of bound.views) {
        const count = numelOf(view.shape);
        if (count > maxKernelElements) {
          throw new RangeError(
            `${label}: a view of shape [${view.shape.join(', ')}] has ${count} elements, more than the ${maxKernelElements} (2^31 - 1) WebGPU kernels index with 32-bit integers`,
          );
        }
      }
      let program: Program;
      try {
        program = build(bound.views);
      } catch (error) {
        if (error instanceof MetaRangeError) throw new RangeError(`${label}: ${error.message}`);
        throw error;
      }
      const bind = program.bind ?? bound.views;
      this.runtime.dispatch({
        label,
        code: program.shader.code,
        key: program.shader.key,
        meta: program.meta,
        bindings: [
          ...(program.check ? [program.check] : []),
          ...bind.map((v) => bound.bindings.get(this.#buffer(v))!),
        ],
        writable: (program.writable ?? 1) + (program.check ? 1 : 0),
        workgroups: program.workgroups,
      });
      return;
    }
    const halves = halve(views, splitter);
    if (!halves && fallback?.(views)) return;
    if (!halves) {
      const sizes = views.map((v) => `[${v.shape.join(', ')}]`).join(', ');
      throw new Error(
        `${label}: the tensors involved (${sizes}) need a storage binding larger than this device's limit of ${limit} bytes, and this kernel cannot split its work further`,
      );
    }
    for (const half of halves) this.#launch(label, half, splitter, build, fallback);
  }

  #buffer(view: View): GPUBuffer {
    const storage = view.storage;
    if (!(storage instanceof GPUStorage) || storage.backend !== this) {
      throw new Error(
        `webgpu backend: expected a tensor on ${this}, got one on ${storage.backend}`,
      );
    }
    return storage.buffer;
  }
}

function toStorageArray(dtype: DType, data: TypedArray): Float32Array | Int32Array | Uint32Array {
  switch (storageType(dtype)) {
    case 'f32':
      return data instanceof Float32Array ? data : Float32Array.from(data);
    case 'i32':
      return data instanceof Int32Array ? data : Int32Array.from(data);
    case 'u32':
      return Uint32Array.from(data, (v) => (v ? 1 : 0));
  }
}

function fromStorageArray(dtype: DType, bytes: ArrayBuffer): TypedArray {
  switch (storageType(dtype)) {
    case 'f32':
      return new Float32Array(bytes);
    case 'i32':
      return new Int32Array(bytes);
    case 'u32':
      return Uint8Array.from(new Uint32Array(bytes));
  }
}

function emptyArray(dtype: DType): TypedArray {
  return dtype === 'int32'
    ? new Int32Array(0)
    : dtype === 'bool'
      ? new Uint8Array(0)
      : new Float32Array(0);
}
