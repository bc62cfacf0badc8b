// The CPU backend: storage is a typed array; kernels are plain loops (elementwise ones
// generated from the op's expression). It is the reference every other backend is
// checked against, and is always available as the device 'cpu'.

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
import { yieldIfBusy } from '../task.js';
import { runConv2d, runConv2dBackwardInput, runConv2dBackwardWeight } from './conv.js';
import { runElementwise } from './elementwise.js';
import { runGather, runScatter } from './gather.js';
import { offsetsOf } from './layout.js';
import { runMatmul } from './matmul.js';
import { runMaxPool2d, runMaxPool2dBackward } from './pool.js';
import { runCumsum, runReduce } from './reduce.js';
import { runSoftmax } from './softmax.js';
import { runCol2im, runIm2col } from './window.js';

/** A tensor's memory on the CPU: a typed array of its dtype. */
export class CpuStorage implements Storage {
  constructor(
    readonly backend: CpuBackend,
    readonly dtype: DType,
    readonly data: TypedArray,
  ) {}
  get length(): number {
    return this.data.length;
  }
}

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
  readonly releasesMemory = false;
  #maxAllocationBytes = defaultMaxAllocationBytes;

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
    return new CpuStorage(this, dtype, new typedArrayOf[dtype](length));
  }

  fromData(dtype: DType, data: TypedArray): CpuStorage {
    this.#checkSize(dtype, data.length);
    const copy = new typedArrayOf[dtype](data.length);
    copy.set(data);
    return new CpuStorage(this, dtype, copy);
  }

  async read(view: View): Promise<TypedArray> {
    const data = this.readSync(view);
    // The loop awaiting this read may create all its tensors within one task otherwise,
    // and the collector could not free them (see task.ts).
    await yieldIfBusy();
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

  release(): void {
    // Typed arrays are reclaimed by the garbage collector.
  }

  elementwise(
    expr: Expr,
    inputs: readonly View[],
    out: View,
    params: readonly number[] = [],
  ): void {
    runElementwise(
      [expr],
      inputs.map((view) => ({ view, data: this.#data(view) })),
      [{ view: out, data: this.#data(out) }],
      params,
    );
  }

  elementwiseMulti(
    exprs: readonly Expr[],
    inputs: readonly View[],
    outs: readonly View[],
    params: readonly number[] = [],
  ): void {
    runElementwise(
      exprs,
      inputs.map((view) => ({ view, data: this.#data(view) })),
      outs.map((view) => ({ view, data: this.#data(view) })),
      params,
    );
  }

  reduce(kind: ReduceKind, input: View, dims: readonly number[], out: View): void {
    runReduce(kind, input, this.#data(input), dims, this.#data(out), out.dtype);
  }

  matmul(a: View, b: View, out: View): void {
    runMatmul(a, this.#data(a), b, this.#data(b), out, this.#data(out));
  }

  gather(input: View, dim: number, index: View, out: View, outOfRange: OutOfRangeMessage): void {
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
    const [t, idx, s] = [this.#data(target), this.#data(index), this.#data(src)];
    runScatter(mode, target, t, dim, index, idx, src, s, outOfRange);
  }

  cumsum(input: View, dim: number, out: View): void {
    runCumsum(input, this.#data(input), dim, this.#data(out), out.dtype);
  }

  im2col(input: View, geometry: WindowGeometry, out: View): void {
    runIm2col(input, this.#data(input), geometry, this.#data(out));
  }

  col2im(columns: View, geometry: WindowGeometry, out: View): void {
    runCol2im(columns, this.#data(columns), geometry, out, this.#data(out));
  }

  conv2d(input: View, weight: View, geometry: ConvGeometry, out: View): void {
    const [x, w, y] = [this.#data(input), this.#data(weight), this.#data(out)];
    runConv2d(input, x, weight, w, geometry, out, y);
  }

  conv2dBackwardInput(grad: View, weight: View, geometry: ConvGeometry, out: View): void {
    const [gy, w, dx] = [this.#data(grad), this.#data(weight), this.#data(out)];
    runConv2dBackwardInput(grad, gy, weight, w, geometry, out, dx);
  }

  conv2dBackwardWeight(input: View, grad: View, geometry: ConvGeometry, out: View): void {
    const [x, gy, dw] = [this.#data(input), this.#data(grad), this.#data(out)];
    runConv2dBackwardWeight(input, x, grad, gy, geometry, out, dw);
  }

  maxPool2d(input: View, geometry: WindowGeometry, values: View, indices: View): void {
    const [x, v, idx] = [this.#data(input), this.#data(values), this.#data(indices)];
    runMaxPool2d(input, x, geometry, values, v, indices, idx);
  }

  maxPool2dBackward(grad: View, indices: View, _geometry: WindowGeometry, out: View): void {
    const [gy, idx, dx] = [this.#data(grad), this.#data(indices), this.#data(out)];
    runMaxPool2dBackward(grad, gy, indices, idx, out, dx);
  }

  softmax(input: View, log: boolean, out: View): void {
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
