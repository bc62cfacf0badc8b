// The WebGPU backend: @dl/tensor's Backend interface on a WebGPUDevice. Storage is a pooled
// GPU buffer; every kernel is a WGSL shader generated per (op, dtypes) and fed shapes,
// strides and scalars through a small metadata buffer, so one pipeline serves all shapes.
// Ops return at once; reading a tensor is the only wait.

import {
  type Backend,
  type ConvGeometry,
  collapseDims,
  contiguousStrides,
  type DType,
  type Expr,
  isContiguousLayout,
  numelOf,
  type ReduceKind,
  type Storage,
  type TypedArray,
  type View,
  type WindowGeometry,
} from '@dl/tensor';
import type { AdapterDescription, WebGPUDevice } from './device.js';
import { type ConvKind, planConv, relaidWeight } from './kernels/conv.js';
import { elementwiseKey, elementwiseMeta, elementwiseShader } from './kernels/elementwise.js';
import {
  cumsumMeta,
  cumsumShader,
  gatherShader,
  indexMeta,
  scatterShader,
} from './kernels/indexing.js';
import { type MatmulTarget, matmulTarget, planMatmul } from './kernels/matmul.js';
import { reduceMeta, reduceShader } from './kernels/reduce.js';
import { grid, storageType } from './kernels/wgsl.js';
import { col2imShader, im2colShader, windowMeta } from './kernels/window.js';
import { BufferPool, type CollectionPolicy, type PoolStats } from './pool.js';

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

/** Input gradients with fewer input channels per group go through columns (see there). */
const fewChannels = 4;

/** Reductions over more elements than this use a workgroup per output. */
const parallelReduceThreshold = 256;

export class WebGPUBackend implements Backend {
  readonly type = 'webgpu';
  readonly releasesMemory = true;
  readonly runtime: WebGPUDevice;
  readonly #pool: BufferPool;
  readonly #shaders = new Map<string, string>();
  /** What the matmul planner needs of the device: subgroup size, grid limits. */
  readonly #matmulTarget: MatmulTarget;

  constructor(runtime: WebGPUDevice, collection?: CollectionPolicy) {
    this.runtime = runtime;
    this.#matmulTarget = matmulTarget(runtime);
    this.#pool = new BufferPool(runtime, collection);
  }

  get adapter(): AdapterDescription {
    return this.runtime.adapter;
  }

  get limits(): GPUSupportedLimits {
    return this.runtime.limits;
  }

  get features(): ReadonlySet<string> {
    return this.runtime.features;
  }

  toString(): string {
    return this.runtime.toString();
  }

  /** Buffers in use and kept for reuse by the pool. */
  poolStats(): PoolStats {
    return this.#pool.stats();
  }

  /** Submits recorded work now (it is submitted in batches otherwise). */
  flush(): void {
    this.runtime.flush();
  }

  /** Waits for all submitted work to finish. */
  synchronize(): Promise<void> {
    return this.runtime.synchronize();
  }

  destroy(): void {
    this.#pool.trim();
    this.runtime.destroy();
  }

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
    let source = view;
    let temporary: GPUStorage | undefined;
    if (!isContiguousLayout(view.shape, view.strides)) {
      temporary = this.allocate(view.dtype, count);
      source = {
        storage: temporary,
        dtype: view.dtype,
        shape: view.shape,
        strides: contiguousStrides(view.shape),
        offset: 0,
      };
      this.elementwise({ kind: 'input', index: 0 }, [view], source);
    }
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
      if (temporary) this.release(temporary);
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
    const count = numelOf(out.shape);
    if (count === 0) return;
    const collapsed = collapseDims(out.shape, [out.strides, ...inputs.map((v) => v.strides)]);
    const meta = elementwiseMeta(out, inputs, params, collapsed);
    const key = elementwiseKey(
      expr,
      inputs.map((v) => v.dtype),
      out.dtype,
      params.length,
    );
    const code = this.#shader(key, () =>
      elementwiseShader(
        expr,
        inputs.map((v) => v.dtype),
        out.dtype,
        params.length,
      ),
    );
    this.#run(
      `elementwise ${out.dtype}[${out.shape.join(', ')}]`,
      code,
      meta,
      [out, ...inputs],
      grid(count, this.limits.maxComputeWorkgroupsPerDimension),
    );
  }

  reduce(kind: ReduceKind, input: View, dims: readonly number[], out: View): void {
    const kept = { shape: [] as number[], strides: [] as number[] };
    const reduced = { shape: [] as number[], strides: [] as number[] };
    for (let d = 0; d < input.shape.length; d++) {
      const target = dims.includes(d) ? reduced : kept;
      target.shape.push(input.shape[d]!);
      target.strides.push(input.strides[d]!);
    }
    const outCount = numelOf(kept.shape);
    if (outCount === 0) return;
    const redCount = numelOf(reduced.shape);
    const parallel = redCount > parallelReduceThreshold;
    const meta = reduceMeta(kept.shape, kept.strides, input.offset, reduced.shape, reduced.strides);
    const key = `reduce|${kind}|${input.dtype}|${out.dtype}|${parallel}`;
    const code = this.#shader(key, () => reduceShader(kind, input.dtype, out.dtype, parallel));
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    const workgroups: [number, number] = parallel
      ? [Math.min(outCount, max), Math.ceil(outCount / max)]
      : grid(outCount, max);
    this.#run(`${kind} over [${input.shape.join(', ')}]`, code, meta, [out, input], workgroups);
  }

  matmul(a: View, b: View, out: View): void {
    const program = planMatmul(a, b, out, this.#matmulTarget);
    this.#run(
      `matmul [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`,
      this.#shader(program.key, program.shader),
      program.meta,
      [out, a, b],
      program.workgroups,
    );
  }

  gather(input: View, dim: number, index: View, out: View): void {
    const meta = indexMeta(index.shape, dim, input.shape[dim]!, index, input, out);
    const code = this.#shader(`gather|${input.dtype}|${out.dtype}`, () =>
      gatherShader(input.dtype, out.dtype),
    );
    this.#run(
      `gather along ${dim}`,
      code,
      meta,
      [out, input, index],
      grid(numelOf(index.shape), this.limits.maxComputeWorkgroupsPerDimension),
    );
  }

  scatter(mode: 'assign' | 'add', target: View, dim: number, index: View, src: View): void {
    const meta = indexMeta(index.shape, dim, target.shape[dim]!, index, target, src);
    const code = this.#shader(`scatter|${mode}|${target.dtype}`, () =>
      scatterShader(mode, target.dtype),
    );
    this.#run(
      `scatter (${mode}) along ${dim}`,
      code,
      meta,
      [target, src, index],
      grid(numelOf(index.shape), this.limits.maxComputeWorkgroupsPerDimension),
    );
  }

  cumsum(input: View, dim: number, out: View): void {
    const meta = cumsumMeta(input.shape, input.strides, input.offset, dim);
    const code = this.#shader(`cumsum|${input.dtype}|${out.dtype}`, () =>
      cumsumShader(input.dtype, out.dtype),
    );
    this.#run(
      `cumsum along ${dim}`,
      code,
      meta,
      [out, input],
      grid(meta[0]!, this.limits.maxComputeWorkgroupsPerDimension),
    );
  }

  im2col(input: View, geometry: WindowGeometry, out: View): void {
    const meta = windowMeta(input, geometry, input.shape);
    const code = this.#shader(`im2col|${input.dtype}|${out.dtype}`, () =>
      im2colShader(input.dtype, out.dtype),
    );
    this.#run(
      'im2col',
      code,
      meta,
      [out, input],
      grid(numelOf(out.shape), this.limits.maxComputeWorkgroupsPerDimension),
    );
  }

  col2im(columns: View, geometry: WindowGeometry, out: View): void {
    const padded = { ...columns, strides: [...columns.strides, 0] };
    const meta = windowMeta(padded, geometry, out.shape);
    const code = this.#shader(`col2im|${columns.dtype}|${out.dtype}`, () =>
      col2imShader(columns.dtype, out.dtype),
    );
    this.#run(
      'col2im',
      code,
      meta,
      [out, columns],
      grid(numelOf(out.shape), this.limits.maxComputeWorkgroupsPerDimension),
    );
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
    const storage = this.allocate('float32', n * groups * rows * l);
    const shape = [n, groups, rows, l];
    const columns: View = {
      storage,
      dtype: 'float32',
      shape,
      strides: contiguousStrides(shape),
      offset: 0,
    };
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
      this.release(storage);
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
    const program = planConv(
      kind,
      { input: input.shape, weight: weight.shape },
      geometry,
      { x, y, out },
      this.#matmulTarget,
    );
    const label = `conv2d ${kind === 'forward' ? '' : `backward (${kind}) `}of input [${input.shape.join(', ')}] and weight [${weight.shape.join(', ')}]`;
    const shader = this.#shader(program.key, program.shader);
    const count = numelOf(out.shape);
    if (program.variant.x4 && kind !== 'weight') {
      // The kernel reads the weight with its inner loop's channels last: copy it so.
      const source = relaidWeight(kind, weight, geometry.groups);
      const storage = this.allocate('float32', numelOf(weight.shape));
      const relaid: View = {
        storage,
        dtype: 'float32',
        shape: source.shape,
        strides: contiguousStrides(source.shape),
        offset: 0,
      };
      try {
        this.elementwise({ kind: 'input', index: 0 }, [source], relaid);
        this.#run(label, shader, program.meta, [out, relaid, y], program.workgroups);
      } finally {
        this.release(storage);
      }
      return;
    }
    if (program.chunks === 1) {
      this.#run(label, shader, program.meta, [out, x, y], program.workgroups);
      return;
    }
    const partial = this.allocate('float32', program.chunks * count);
    const partials: View = {
      storage: partial,
      dtype: 'float32',
      shape: [program.chunks, count],
      strides: [count, 1],
      offset: 0,
    };
    try {
      this.#run(label, shader, program.meta, [partials, x, y], program.workgroups);
      this.reduce('sum', partials, [0], { ...out, shape: [count], strides: [1] });
    } finally {
      this.release(partial);
    }
  }

  #shader(key: string, build: () => string): Shader {
    let code = this.#shaders.get(key);
    if (code === undefined) {
      code = build();
      this.#shaders.set(key, code);
    }
    return { key, code };
  }

  /** Dispatches `shader` over the views' buffers (the first is written), with `meta` at binding 0. */
  #run(
    label: string,
    shader: Shader,
    meta: Int32Array,
    views: readonly View[],
    workgroups: readonly [number, number, number?],
  ): void {
    this.runtime.dispatch({
      label,
      code: shader.code,
      key: shader.key,
      meta,
      bindings: views.map((v) => this.#buffer(v)),
      workgroups,
    });
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
