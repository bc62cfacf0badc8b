// Tensor: an n-dimensional array on a device, with autograd. Its methods are thin: each
// calls the op's function in ops/, where the op's shape rule, kernel and derivative live.
// The declarations name Symbol.dispose (for `using`): the reference brings its type to
// users' compilers whatever their lib.
/// <reference lib="esnext.disposable" preserve="true" />

import {
  type BackwardOptions,
  type GradAlgebra,
  type GradHook,
  type Node,
  backward as runBackward,
  type Variable,
} from '@dl/autograd';
import {
  checkOptionKeys,
  dimArg,
  isOptionsObject,
  type ReduceArgs,
  reduceArgs,
  sizesArgs,
  type VarianceArgs,
  varianceArgs,
} from './args.js';
import type { Backend } from './backend.js';
import { type DeviceLike, resolveDevice, resolveDeviceOrDType } from './device.js';
import { type DType, isFloating, type TypedArray } from './dtype.js';
import { formatTensor, formatUnread, inspect } from './format.js';
import { checkTensor } from './internal.js';
import type { ClampArgs } from './ops/clamp.js';
import * as clampOps from './ops/clamp.js';
import * as creation from './ops/creation.js';
import type { Scalar } from './ops/elementwise.js';
import * as ew from './ops/elementwise.js';
import type { IndexOptions, IndexSpec } from './ops/indexing.js';
import * as indexing from './ops/indexing.js';
import * as inplace from './ops/inplace.js';
import * as linalg from './ops/linalg.js';
import * as nnOps from './ops/nn.js';
import type { Dims, ValuesIndices } from './ops/reduce.js';
import * as reduce from './ops/reduce.js';
import * as shapeOps from './ops/shape.js';
import { isContiguousLayout, normalizeDim, numelOf, type Shape } from './shape.js';
import type { StorageRef, TensorShare } from './storage.js';
import { transfer, transferAsync } from './transfer.js';

/** A tensor's elements as nested arrays (toArray, tolist): numbers, or booleans for bool. */
export type NestedArray = number | boolean | NestedArray[];

/** Reads of at most this many elements are kept for printing (PyTorch prints them in full). */
const printedLimit = 1000;

interface LastRead {
  /** Weakly: a storage replaced under the tensor (nn's replaceData) is not kept for this. */
  readonly storageRef: WeakRef<StorageRef>;
  readonly storageOffset: number;
  readonly version: number;
  readonly values: TypedArray;
}

/** What `registerHook` returns: call `remove()` to unregister the hook. */
export interface HookHandle {
  /** Unregisters the hook; calling it again does nothing. */
  remove(): void;
}

const creationListeners: ((t: Tensor) => void)[] = [];

const noHooks: readonly GradHook<Tensor>[] = Object.freeze([]);

const gradAlgebra: GradAlgebra<Tensor> = {
  add: (a, b) => a.add(b),
  onesLike: (like) => creation.onesLike(like),
  detach: (value) => value.detach(),
  checkGrad: (value, grad, what) => {
    if (
      grad.shape.length !== value.shape.length ||
      grad.shape.some((d, i) => d !== value.shape[i])
    ) {
      throw new Error(
        `${what}: mismatch in shape: grad_output has a shape of [${grad.shape.join(', ')}] ` +
          `and output has a shape of [${value.shape.join(', ')}]`,
      );
    }
  },
};

/**
 * An n-dimensional array of one dtype on one device, with autograd: PyTorch's `torch.Tensor`.
 * Tensors are made by creation functions (`tensor`, `zeros`, `randn`, ...) and ops; ops record the
 * graph when an input requires grad. Reading values is asynchronous (`await t.data()`, `await
 * t.item()`); the `Sync` forms work on the CPU only. Memory is freed at garbage collection, or at
 * once by dispose(), `using` or tidy().
 */
export class Tensor implements Variable<Tensor> {
  /** Sizes of each dimension. */
  readonly shape: readonly number[];
  /** The element type: 'float32', 'int32', 'bool' or 'float64'. */
  readonly dtype: DType;
  /** @internal The storage this tensor (and its views) read. */
  readonly storageRef: StorageRef;
  /** Offset of the first element in the storage, in elements. */
  readonly storageOffset: number;
  /** The accumulated gradient, after backward() (leaves, and tensors that retainGrad()). */
  grad: Tensor | null = null;
  readonly #strides: readonly number[];
  #requiresGrad = false;
  #gradFn: Node<Tensor> | null = null;
  /** Made by the first registerHook on this leaf (few tensors have hooks). */
  #gradHooks: GradHook<Tensor>[] | undefined;
  #disposed = false;
  #isView = false;
  /** The values of the last data() (small tensors only), for toString on asynchronous devices. */
  #lastRead: LastRead | undefined;
  /** Set when this tensor shares its storage with earlier ones (see StorageRef.retainTensor). */
  #share: TensorShare | undefined;

  /** @internal Tensors are made by ops and creation functions (`tensor`, `zeros`, ...). */
  constructor(
    storage: StorageRef,
    shape: Shape,
    strides: readonly number[],
    offset: number,
    dtype: DType,
  ) {
    this.storageRef = storage;
    this.shape = frozen(shape);
    this.#strides = frozen(strides);
    this.storageOffset = offset;
    this.dtype = dtype;
    this.#share = storage.retainTensor(this);
    for (const listener of creationListeners) listener(this);
  }

  /** @internal Calls `listener` for every tensor created until the returned function is called (tidy). */
  static onCreate(listener: (t: Tensor) => void): () => void {
    creationListeners.push(listener);
    return () => {
      const i = creationListeners.indexOf(listener);
      if (i >= 0) creationListeners.splice(i, 1);
    };
  }

  // ---- attributes ----

  /** The device (backend) holding the data: prints as `cpu` or `webgpu (...)`. */
  get device(): Backend {
    return this.storageRef.backend;
  }

  /** The number of dimensions (0 for a scalar). */
  get ndim(): number {
    return this.shape.length;
  }

  /** Same as ndim (PyTorch's `dim()`). */
  dim(): number {
    return this.shape.length;
  }

  /** The number of elements (the product of the shape). */
  numel(): number {
    return numelOf(this.shape);
  }

  /** The shape, or the size of one dimension. */
  size(): readonly number[];
  size(dim: number): number;
  size(dim?: number): number | readonly number[] {
    return dim === undefined ? this.shape : this.shape[normalizeDim(dim, this.ndim, 'size')]!;
  }

  /** Element strides, or the stride of one dimension. */
  stride(): readonly number[];
  stride(dim: number): number;
  stride(dim?: number): number | readonly number[] {
    return dim === undefined
      ? this.#strides
      : this.#strides[normalizeDim(dim, this.ndim, 'stride')]!;
  }

  /** Whether the elements lie in row-major order with no gaps (no copy needed to flatten). */
  isContiguous(): boolean {
    return isContiguousLayout(this.shape, this.#strides);
  }

  // ---- autograd ----

  /**
   * Whether autograd records operations on this tensor. Settable on leaves of a floating dtype only
   * (requiresGrad_).
   */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  set requiresGrad(value: boolean) {
    this.requiresGrad_(value);
  }

  /** Sets requiresGrad in place and returns this tensor. Only leaves can change it. */
  requiresGrad_(value = true): this {
    if (this.#gradFn) {
      throw new Error(
        'you can only change requiresGrad flags of leaf tensors. If you want to use a ' +
          'computed tensor in a graph of its own, use detach() first.',
      );
    }
    if (value && !isFloating(this.dtype)) {
      throw new Error(
        `only tensors of floating point dtype can require gradients (this one is ${this.dtype})`,
      );
    }
    this.#requiresGrad = value;
    return this;
  }

  /** The operation that produced this tensor, or null for a leaf. */
  get gradFn(): Node<Tensor> | null {
    return this.#gradFn;
  }

  /** True for a tensor no recorded operation produced (created by the user, or under noGrad). */
  get isLeaf(): boolean {
    return this.#gradFn === null;
  }

  /** The hooks registerHook added to this leaf, run on its gradient before it is accumulated. */
  get gradHooks(): readonly GradHook<Tensor>[] {
    return this.#gradHooks ?? noHooks;
  }

  /** True when this tensor is a view (reshape, slice, transpose, ...) of another tensor's storage. */
  get isView(): boolean {
    return this.#isView;
  }

  /** @internal Marks the tensor as a view (viewOf does). */
  markView(): void {
    this.#isView = true;
  }

  /** @internal Makes this tensor the output of `node` (ops call this through `record`). */
  attachGradFn(node: Node<Tensor>): void {
    this.#gradFn = node;
    this.#requiresGrad = true;
  }

  /**
   * Computes the gradient of this tensor with respect to the graph's leaves and accumulates
   * it into their `.grad`. A tensor with more than one element needs `gradient`.
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    this.assertAlive('backward');
    if (!gradient && this.numel() !== 1) {
      throw new Error(
        `grad can be implicitly created only for scalar outputs (this tensor has shape [${this.shape.join(', ')}]); pass a gradient of the same shape`,
      );
    }
    runBackward(gradAlgebra, [this], [gradient ?? creation.onesLike(this)], options);
  }

  /** Keeps this non-leaf tensor's gradient in `.grad` after backward(). */
  retainGrad(): this {
    if (!this.#requiresGrad)
      throw new Error("can't retainGrad on a tensor that has requiresGrad=false");
    if (this.#gradFn) this.#gradFn.retained = new WeakRef(this);
    return this;
  }

  /** Runs `hook` on this tensor's gradient during backward; it may return a replacement. */
  registerHook(hook: (grad: Tensor) => Tensor | undefined): HookHandle {
    if (!this.#requiresGrad) {
      throw new Error("cannot register a hook on a tensor that doesn't require gradient");
    }
    let list = this.#gradFn ? this.#gradFn.preHooks : this.#gradHooks;
    if (!list) {
      list = [];
      this.#gradHooks = list;
    }
    list.push(hook);
    return {
      remove: () => {
        const i = list.indexOf(hook);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }

  /** A tensor sharing this one's data, cut off from the graph. */
  detach(): Tensor {
    this.assertAlive('detach');
    return new Tensor(this.storageRef, this.shape, this.#strides, this.storageOffset, this.dtype);
  }

  // ---- reading values (the only waits) ----

  /** The elements, row-major, in a typed array (Float32Array, Int32Array, Uint8Array for bool). */
  async data(): Promise<TypedArray> {
    this.assertAlive('data');
    const { storageRef, storageOffset } = this;
    const version = storageRef.version;
    const values = await this.device.read(this.#view());
    // Kept for printing (toString cannot wait for a device), while the storage is unchanged.
    if (values.length <= printedLimit)
      this.#lastRead = {
        storageRef: new WeakRef(storageRef),
        storageOffset,
        version,
        values: values.slice(),
      };
    return values;
  }

  /** The single value of a one-element tensor (bool as 0 or 1). */
  async item(): Promise<number> {
    this.#checkItem();
    return (await this.data())[0]!;
  }

  /** The elements as nested arrays, like PyTorch's tolist(). */
  async toArray(): Promise<NestedArray> {
    return nest(await this.data(), this.shape, this.dtype === 'bool');
  }

  /** PyTorch's name for toArray(): the elements as nested arrays (a number for a 0-d tensor). */
  async tolist(): Promise<NestedArray> {
    return this.toArray();
  }

  /** data(), synchronously; only on devices that keep data on the CPU. */
  dataSync(): TypedArray {
    this.assertAlive('dataSync');
    const device = this.device;
    if (!device.readSync) {
      throw new Error(
        `dataSync: tensors on ${device} can only be read asynchronously; use await t.data()`,
      );
    }
    return device.readSync(this.#view());
  }

  /** item(), synchronously; only on devices that keep data on the CPU. */
  itemSync(): number {
    this.#checkItem();
    return this.dataSync()[0]!;
  }

  /** toArray(), synchronously; only on devices that keep data on the CPU. */
  toArraySync(): NestedArray {
    return nest(this.dataSync(), this.shape, this.dtype === 'bool');
  }

  /**
   * PyTorch's printed form: `tensor([[1., 2.], [3., 4.]], requiresGrad=true)`. Reads
   * synchronously on the CPU. On a device that reads asynchronously it never waits: it prints
   * the values of this tensor's last read while they are unchanged, and otherwise what is
   * known without them: `tensor(<not read yet: await t.format()>, size=[2, 3], dtype=float32,
   * device='webgpu')`.
   */
  toString(): string {
    if (this.#disposed) return formatUnread(this, '<disposed>');
    if (this.device.readSync) return formatTensor(this, this.dataSync());
    const last = this.#lastRead;
    if (
      last?.storageRef.deref() === this.storageRef &&
      last.storageOffset === this.storageOffset &&
      last.version === this.storageRef.version
    ) {
      return formatTensor(this, last.values);
    }
    return formatUnread(this, '<not read yet: await t.format()>');
  }

  /** What Node's console.log and util.inspect print: the same as toString(). */
  [inspect](): string {
    return this.toString();
  }

  /** The printed form, reading the values from any device. */
  async format(): Promise<string> {
    return formatTensor(this, await this.data());
  }

  // ---- devices and dtypes ----

  /**
   * A copy on another device (`'cpu'`, `'webgpu'` once `await webgpu()` opened one, or a
   * device object), or converted to another dtype; itself if nothing changes.
   */
  to(target: DeviceLike | DType): Tensor {
    const resolved = resolveDeviceOrDType(target, 'to');
    return typeof resolved === 'string' ? ew.toDType(this, resolved) : transfer(this, resolved);
  }

  /** to('cpu'). From a device that reads asynchronously, use toAsync('cpu'). */
  cpu(): Tensor {
    return this.to('cpu');
  }

  /** to(device) for any pair of devices, including reading back from a GPU. */
  async toAsync(target: DeviceLike): Promise<Tensor> {
    return transferAsync(this, resolveDevice(target, 'toAsync'));
  }

  /** A float32 copy (itself if already float32). */
  float(): Tensor {
    return ew.toDType(this, 'float32');
  }

  /** A float64 copy (itself if already float64); the CPU only. */
  double(): Tensor {
    return ew.toDType(this, 'float64');
  }

  /** An int32 copy, truncated toward zero (itself if already int32). */
  int(): Tensor {
    return ew.toDType(this, 'int32');
  }

  /** A bool copy: true where nonzero (itself if already bool). */
  bool(): Tensor {
    return ew.toDType(this, 'bool');
  }

  // ---- memory ----

  /**
   * Enqueues the computation of this tensor's values now. Elementwise results on backends
   * that fuse them are otherwise computed when first needed (by another op or a read); this
   * does not wait for the device (reading a value does).
   */
  realize(): this {
    this.assertAlive('realize');
    this.storageRef.materialize();
    return this;
  }

  /** Releases this tensor's share of its storage now instead of at garbage collection. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.storageRef.dropTensor(this.#share);
  }

  /** True once dispose() has released this tensor; using it then throws. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** dispose(), for `using x = ...`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- arithmetic ----

  /** this + alpha · other, broadcasting (alpha defaults to 1), like torch.add. */
  add(other: Tensor | Scalar, options: { alpha?: number } = {}): Tensor {
    return options.alpha === undefined || options.alpha === 1
      ? ew.binary('add', this, other)
      : ew.binary('add', this, scaled(other, options.alpha));
  }
  /** this - alpha · other, broadcasting (alpha defaults to 1), like torch.sub. */
  sub(other: Tensor | Scalar, options: { alpha?: number } = {}): Tensor {
    return options.alpha === undefined || options.alpha === 1
      ? ew.binary('sub', this, other)
      : ew.binary('sub', this, scaled(other, options.alpha));
  }
  /** this · other elementwise, broadcasting. */
  mul(other: Tensor | Scalar): Tensor {
    return ew.binary('mul', this, other);
  }
  /** True division; roundingMode 'trunc' or 'floor' gives C-style or floor division. */
  div(other: Tensor | Scalar, options: { roundingMode?: 'trunc' | 'floor' } = {}): Tensor {
    const mode = options.roundingMode;
    return ew.binary(
      mode === 'trunc' ? 'divTrunc' : mode === 'floor' ? 'divFloor' : 'div',
      this,
      other,
    );
  }
  /**
   * The remainder of floor division, with the sign of the divisor (Python's %, torch.remainder).
   */
  remainder(other: Tensor | Scalar): Tensor {
    return ew.binary('remainder', this, other);
  }
  /** this raised to `exponent` elementwise. */
  pow(exponent: Tensor | number): Tensor {
    return typeof exponent === 'number'
      ? ew.unary('powScalar', this, [exponent])
      : ew.binary('pow', this, exponent);
  }
  /** The larger of the two elementwise, broadcasting; NaN if either is NaN. */
  maximum(other: Tensor): Tensor {
    return ew.binary('maximum', this, other);
  }
  /** The smaller of the two elementwise, broadcasting; NaN if either is NaN. */
  minimum(other: Tensor): Tensor {
    return ew.binary('minimum', this, other);
  }
  /** atan2(this, other) elementwise, in radians: the angle of the point (other, this). */
  atan2(other: Tensor): Tensor {
    return ew.binary('atan2', this, other);
  }
  /** -x elementwise. */
  neg(): Tensor {
    return ew.unary('neg', this);
  }
  /** |x| elementwise. */
  abs(): Tensor {
    return ew.unary('abs', this);
  }
  /** e^x elementwise. */
  exp(): Tensor {
    return ew.unary('exp', this);
  }
  /** The natural logarithm elementwise (-Infinity at 0, NaN below). */
  log(): Tensor {
    return ew.unary('log', this);
  }
  /** log(1 + x), accurate for small x. */
  log1p(): Tensor {
    return ew.unary('log1p', this);
  }
  /** e^x - 1, accurate for small x. */
  expm1(): Tensor {
    return ew.unary('expm1', this);
  }
  /** The square root elementwise (NaN below 0). */
  sqrt(): Tensor {
    return ew.unary('sqrt', this);
  }
  /** 1 / sqrt(x) elementwise. */
  rsqrt(): Tensor {
    return ew.unary('rsqrt', this);
  }
  /** The sine elementwise, in radians. */
  sin(): Tensor {
    return ew.unary('sin', this);
  }
  /** The cosine elementwise, in radians. */
  cos(): Tensor {
    return ew.unary('cos', this);
  }
  /** The tangent elementwise, in radians. */
  tan(): Tensor {
    return ew.unary('tan', this);
  }
  /** The hyperbolic tangent elementwise. */
  tanh(): Tensor {
    return ew.unary('tanh', this);
  }
  /** 1 / (1 + e^-x) elementwise. */
  sigmoid(): Tensor {
    return ew.unary('sigmoid', this);
  }
  /** max(x, 0) elementwise. */
  relu(): Tensor {
    return ew.unary('relu', this);
  }
  /** GELU; approximate 'tanh' uses the tanh formula. */
  gelu(options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
    return ew.unary(options.approximate === 'tanh' ? 'geluTanh' : 'gelu', this);
  }
  /** x · sigmoid(x) elementwise (SiLU, also called swish). */
  silu(): Tensor {
    return ew.unary('silu', this);
  }
  /** x · tanh(softplus(x)) elementwise. */
  mish(): Tensor {
    return ew.unary('mish', this);
  }
  /**
   * log(1 + e^(beta·x)) / beta elementwise (beta 1), and x itself where beta·x > threshold (20),
   * like F.softplus.
   */
  softplus(options: { beta?: number; threshold?: number } = {}): Tensor {
    return ew.unary('softplus', this, [options.beta ?? 1, options.threshold ?? 20]);
  }
  /** x where x > 0, else negativeSlope · x. */
  leakyRelu(negativeSlope = 0.01): Tensor {
    return ew.unary('leakyRelu', this, [negativeSlope]);
  }
  /** x where x > 0, else alpha · (e^x - 1). */
  elu(alpha = 1): Tensor {
    return ew.unary('elu', this, [alpha]);
  }
  /** x clamped into [minVal, maxVal]. */
  hardtanh(minVal = -1, maxVal = 1): Tensor {
    return ew.unary('hardtanh', this, [minVal, maxVal]);
  }
  /** The error function elementwise. */
  erf(): Tensor {
    return ew.unary('erf', this);
  }
  /** -1, 0 or 1 by the sign of each element. */
  sign(): Tensor {
    return ew.unary('sign', this);
  }
  /** Rounds down elementwise. */
  floor(): Tensor {
    return ew.unary('floor', this);
  }
  /** Rounds up elementwise. */
  ceil(): Tensor {
    return ew.unary('ceil', this);
  }
  /** Rounds half to even, as PyTorch does. */
  round(): Tensor {
    return ew.unary('round', this);
  }
  /** Rounds toward zero elementwise. */
  trunc(): Tensor {
    return ew.unary('trunc', this);
  }
  /** 1 / x elementwise. */
  reciprocal(): Tensor {
    return ew.unary('reciprocal', this);
  }
  /** x · x elementwise. */
  square(): Tensor {
    return ew.unary('square', this);
  }
  /**
   * Clamps into [min, max]: each bound a number or a tensor that broadcasts with this one
   * (differentiable), and either may be omitted (null or undefined): `clamp(0, 1)`,
   * `clamp(null, 1)`, or as PyTorch's keywords, `clamp({ min: 0 })`.
   */
  clamp(...args: ClampArgs): Tensor {
    return clampOps.clamp(this, ...clampOps.clampBounds('clamp', args));
  }
  /** PyTorch's alias of clamp. */
  clip(...args: ClampArgs): Tensor {
    return clampOps.clamp(this, ...clampOps.clampBounds('clip', args));
  }
  /** A bool tensor: true where the element is NaN. */
  isnan(): Tensor {
    return ew.unary('isnan', this);
  }
  /** A bool tensor: true where the element is +Infinity or -Infinity. */
  isinf(): Tensor {
    return ew.unary('isinf', this);
  }
  /** A bool tensor: true where the element is neither NaN nor infinite. */
  isfinite(): Tensor {
    return ew.unary('isfinite', this);
  }
  /** A bool tensor: true where the element is zero (false). */
  logicalNot(): Tensor {
    return ew.unary('logicalNot', this);
  }
  /** A bool tensor: true where both are nonzero, broadcasting. */
  logicalAnd(other: Tensor | Scalar): Tensor {
    return ew.binary('logicalAnd', this, other);
  }
  /** A bool tensor: true where either is nonzero, broadcasting. */
  logicalOr(other: Tensor | Scalar): Tensor {
    return ew.binary('logicalOr', this, other);
  }
  /** A bool tensor: true where exactly one is nonzero, broadcasting. */
  logicalXor(other: Tensor | Scalar): Tensor {
    return ew.binary('logicalXor', this, other);
  }
  /** A bool tensor: this == other elementwise, broadcasting (PyTorch's `==`). */
  eq(other: Tensor | Scalar): Tensor {
    return ew.binary('eq', this, other);
  }
  /** A bool tensor: this != other elementwise, broadcasting. */
  ne(other: Tensor | Scalar): Tensor {
    return ew.binary('ne', this, other);
  }
  /** A bool tensor: this < other elementwise, broadcasting. */
  lt(other: Tensor | Scalar): Tensor {
    return ew.binary('lt', this, other);
  }
  /** A bool tensor: this <= other elementwise, broadcasting. */
  le(other: Tensor | Scalar): Tensor {
    return ew.binary('le', this, other);
  }
  /** A bool tensor: this > other elementwise, broadcasting. */
  gt(other: Tensor | Scalar): Tensor {
    return ew.binary('gt', this, other);
  }
  /** A bool tensor: this >= other elementwise, broadcasting. */
  ge(other: Tensor | Scalar): Tensor {
    return ew.binary('ge', this, other);
  }
  /** PyTorch's `x.where(condition, y)`: elements of this tensor where condition holds, else y. */
  where(condition: Tensor, other: Tensor | Scalar): Tensor {
    return ew.where(condition, this, other);
  }

  // ---- reductions ----

  // Each takes PyTorch's positional form (`sum(1, true)`) or its keywords as an options
  // object (`sum({ dim: 1, keepdim: true })`, `sum(1, { keepdim: true })`); no dim: all dims.

  /**
   * The sum over dims (all when none are given): `sum()`, `sum(1)`, `sum([0, 1], true)`, `sum({
   * dim: 1, keepdim: true })`. Bool sums to int32.
   */
  sum(...args: ReduceArgs): Tensor {
    return reduce.sum(this, ...reduceArgs<Dims>('sum', args));
  }
  /** The mean over dims, with sum's arguments; floating dtypes only. */
  mean(...args: ReduceArgs): Tensor {
    return reduce.mean(this, ...reduceArgs<Dims>('mean', args));
  }
  /** The product over dims, with sum's arguments. */
  prod(...args: ReduceArgs): Tensor {
    return reduce.prod(this, ...reduceArgs<Dims>('prod', args));
  }
  /**
   * The maximum of all elements; `{ values, indices }` along a dim (`max(1)`,
   * `max({ dim: 1, keepdim: true })`); or, given a tensor, the elementwise maximum (maximum).
   */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(dim: number, options: { keepdim?: boolean }): ValuesIndices;
  max(options: { dim: number; keepdim?: boolean }): ValuesIndices;
  max(...args: unknown[]): Tensor | ValuesIndices {
    return reduce.maxOrMin(this, 'max', args);
  }
  /** The minimum of all elements, `{ values, indices }` along a dim, or the elementwise minimum. */
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(dim: number, options: { keepdim?: boolean }): ValuesIndices;
  min(options: { dim: number; keepdim?: boolean }): ValuesIndices;
  min(...args: unknown[]): Tensor | ValuesIndices {
    return reduce.maxOrMin(this, 'min', args);
  }
  /** The maximum over dims, with sum's arguments, without indices (torch.amax). */
  amax(...args: ReduceArgs): Tensor {
    return reduce.amax(this, ...reduceArgs<Dims>('amax', args));
  }
  /** The minimum over dims, with sum's arguments, without indices (torch.amin). */
  amin(...args: ReduceArgs): Tensor {
    return reduce.amin(this, ...reduceArgs<Dims>('amin', args));
  }
  /**
   * The int32 index of the maximum along a dim (`argmax(1)`, `argmax({ dim: 1, keepdim: true })`),
   * or in the flattened tensor when no dim is given.
   */
  argmax(...args: ReduceArgs<number>): Tensor {
    return reduce.argmax(this, ...reduceArgs<number>('argmax', args));
  }
  /** The int32 index of the minimum, with argmax's arguments. */
  argmin(...args: ReduceArgs<number>): Tensor {
    return reduce.argmin(this, ...reduceArgs<number>('argmin', args));
  }
  /** Variance over dims: `var(1)`, `var(1, { correction: 0 })`, `var({ dim: 1, keepdim: true })`. */
  var(...args: VarianceArgs): Tensor {
    return reduce.variance(this, ...varianceArgs('var', args));
  }
  /** Standard deviation, with var's arguments. */
  std(...args: VarianceArgs): Tensor {
    return reduce.std(this, ...varianceArgs('std', args));
  }
  /** log(sum(exp(x))) over the given dims, computed without overflow; dim is required. */
  logsumexp(...args: ReduceArgs): Tensor {
    const [dim, keepdim] = reduceArgs<Dims>('logsumexp', args);
    if (dim === undefined) throw new TypeError('logsumexp: dim is required (logsumexp(1))');
    return reduce.logsumexp(this, dim, keepdim);
  }
  /**
   * The p-norm (2 by default; 1, Infinity, or any p > 0) over dims or all elements:
   * `norm()`, `norm(1, 0)`, `norm({ p: 2, dim: 1, keepdim: true })`.
   */
  norm(p?: number, dim?: Dims, keepdim?: boolean): Tensor;
  norm(options: { p?: number; dim?: Dims; keepdim?: boolean }): Tensor;
  norm(
    p: number | { p?: number; dim?: Dims; keepdim?: boolean } = 2,
    dim?: Dims,
    keepdim = false,
  ): Tensor {
    if (isOptionsObject(p)) {
      checkOptionKeys('norm', p, ['p', 'dim', 'keepdim']);
      return reduce.norm(this, p.p ?? 2, p.dim, p.keepdim ?? false);
    }
    return reduce.norm(this, p, dim, keepdim);
  }
  /** Cumulative sums along a dim: `cumsum(1)` or `cumsum({ dim: 1 })`. */
  cumsum(dim: number | { dim: number }): Tensor {
    return reduce.cumsum(this, dimArg('cumsum', dim));
  }
  /**
   * A bool tensor: whether every element is nonzero, over dims (all when none are given); true over
   * no elements.
   */
  all(...args: ReduceArgs): Tensor {
    return reduce.all(this, ...reduceArgs<Dims>('all', args));
  }
  /**
   * A bool tensor: whether some element is nonzero, over dims (all when none are given); false over
   * no elements.
   */
  any(...args: ReduceArgs): Tensor {
    return reduce.any(this, ...reduceArgs<Dims>('any', args));
  }

  // ---- shape ----

  /** A tensor with this data and another shape (-1 infers one size); a view when possible. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return shapeOps.reshape(this, sizesArgs('reshape', shape));
  }
  /** Like reshape, but always a view; throws when the strides do not allow one. */
  view(...shape: number[] | [readonly number[]]): Tensor {
    return shapeOps.view(this, sizesArgs('view', shape));
  }
  /** view(other.shape): this tensor's data viewed with another tensor's shape. */
  viewAs(other: Tensor): Tensor {
    checkTensor('viewAs', other, 'other');
    return shapeOps.view(this, other.shape);
  }
  /** A view with the dims reordered: `permute(2, 0, 1)` or `permute([2, 0, 1])`. */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return shapeOps.permute(this, sizesArgs('permute', dims));
  }
  /** A view with two dims swapped. */
  transpose(dim0: number, dim1: number): Tensor {
    return shapeOps.transpose(this, dim0, dim1);
  }
  /** The transpose of a tensor of at most 2 dims (itself below 2); throws above. */
  t(): Tensor {
    return shapeOps.t(this);
  }
  /** The transpose of a 2-d tensor (PyTorch's `.T` for matrices). */
  get T(): Tensor {
    return this.ndim < 2 ? this : this.permute([...this.shape.keys()].reverse());
  }
  /** A view without the dims of size 1 (all of them, or those among `dim`). */
  squeeze(dim?: number | readonly number[]): Tensor {
    return shapeOps.squeeze(this, dim);
  }
  /** A view with a new dim of size 1 at `dim`. */
  unsqueeze(dim: number): Tensor {
    return shapeOps.unsqueeze(this, dim);
  }
  /**
   * A view broadcast to a larger shape, without copying: dims of size 1 repeat, -1 keeps a size,
   * new dims go in front.
   */
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return shapeOps.expand(this, sizesArgs('expand', shape));
  }
  /** expand(other.shape). */
  expandAs(other: Tensor): Tensor {
    checkTensor('expandAs', other, 'other');
    return shapeOps.expand(this, other.shape);
  }
  /** The dims from startDim to endDim merged into one (a view when possible). */
  flatten(startDim = 0, endDim = -1): Tensor {
    return shapeOps.flatten(this, startDim, endDim);
  }
  /** Dim `dim` split into `sizes` (one may be -1): the inverse of flatten. */
  unflatten(dim: number, sizes: readonly number[]): Tensor {
    return shapeOps.unflatten(this, dim, sizes);
  }
  /** A row-major copy, or this tensor itself when it already is one. */
  contiguous(): Tensor {
    return shapeOps.contiguous(this);
  }
  /** A copy with its own memory; gradients flow back to this tensor. */
  clone(): Tensor {
    return shapeOps.clone(this);
  }
  /** A view of `length` elements along `dim` from `start`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return shapeOps.narrow(this, dim, start, length);
  }
  /** The view at `index` along `dim`, with that dim removed (PyTorch's `x[:, index]` for dim 1). */
  select(dim: number, index: number): Tensor {
    return shapeOps.select(this, dim, index);
  }
  /**
   * Views of pieces along `dim`: of `sizeOrSections` elements each (the last may be smaller), or of
   * the listed sizes.
   */
  split(sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return shapeOps.split(this, sizeOrSections, dim);
  }
  /** At most `chunks` views of equal size along `dim` (the last may be smaller). */
  chunk(chunks: number, dim = 0): Tensor[] {
    return shapeOps.chunk(this, chunks, dim);
  }
  /** The views along `dim`, each with that dim removed. */
  unbind(dim = 0): Tensor[] {
    return shapeOps.unbind(this, dim);
  }
  /** A copy with the order of elements reversed along `dims`. */
  flip(dims: number | readonly number[]): Tensor {
    return shapeOps.flip(this, dims);
  }
  /** Elements shifted along `dims` with wraparound; without dims, along the flattened tensor. */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    return shapeOps.roll(this, shifts, dims);
  }
  /**
   * The tensor tiled `repeats` times along each dim (a copy; new leading dims when repeats is
   * longer), like torch.Tensor.repeat.
   */
  repeat(...repeats: number[] | [readonly number[]]): Tensor {
    return shapeOps.repeat(this, sizesArgs('repeat', repeats));
  }
  /**
   * A view with the dims in `source` moved to the positions in `destination`, the others keeping
   * their order.
   */
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor {
    return shapeOps.movedim(this, source, destination);
  }

  // ---- indexing ----

  /**
   * NumPy-style indexing: integers, `slice(start, stop, step)`, `null` (new axis), `'...'`
   * and index tensors, or the same written as a string: `x.index('::2, 1, None, ...')`.
   */
  index(spec: IndexSpec): Tensor {
    return indexing.index(this, spec);
  }
  /**
   * The entries at the int32 indices `index` (1-d) along `dim`. Throws an IndexError for an index
   * out of range (on WebGPU, at the next read).
   */
  indexSelect(dim: number, index: Tensor, options?: IndexOptions): Tensor {
    return indexing.indexSelect(this, dim, index, options);
  }
  /**
   * out[i][j] = this[index[i][j]][j] for dim 0 (and likewise for other dims), like torch.gather;
   * `index` is int32 and has this tensor's ndim.
   */
  gather(dim: number, index: Tensor, options?: IndexOptions): Tensor {
    return indexing.gather(this, dim, index, options);
  }
  /**
   * A copy with `src` written at `index` along `dim` (the inverse of gather), like torch.scatter.
   */
  scatter(dim: number, index: Tensor, src: Tensor | number, options?: IndexOptions): Tensor {
    return indexing.scatter(this, dim, index, src, options);
  }
  /** A copy with `src` added at `index` along `dim`; repeated indices accumulate. */
  scatterAdd(dim: number, index: Tensor, src: Tensor, options?: IndexOptions): Tensor {
    return indexing.scatterAdd(this, dim, index, src, options);
  }
  /** A copy with `value` where the bool `mask` (broadcast to this shape) is true. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return indexing.maskedFill(this, mask, value);
  }
  /** The lower triangle of the last two dims (on and below `diagonal`), zeros elsewhere. */
  tril(diagonal = 0): Tensor {
    return indexing.tril(this, diagonal);
  }
  /** The upper triangle of the last two dims (on and above `diagonal`), zeros elsewhere. */
  triu(diagonal = 0): Tensor {
    return indexing.triu(this, diagonal);
  }

  // ---- linear algebra ----

  /**
   * The matrix product, like torch.matmul: vectors, matrices, and batches whose leading dims
   * broadcast (PyTorch's `@`).
   */
  matmul(other: Tensor): Tensor {
    return linalg.matmul(this, other);
  }
  /** The product of two matrices [n, k] @ [k, m]. */
  mm(other: Tensor): Tensor {
    return linalg.mm(this, other);
  }
  /** The product of a matrix [n, k] and a vector [k]. */
  mv(vector: Tensor): Tensor {
    return linalg.mv(this, vector);
  }
  /** The dot product of two 1-d tensors of the same length. */
  dot(other: Tensor): Tensor {
    return linalg.dot(this, other);
  }
  /** Batched matrix product: [b, n, k] @ [b, k, m]. */
  bmm(other: Tensor): Tensor {
    return linalg.bmm(this, other);
  }
  /** The outer product of two 1-d tensors: [n] and [m] give [n, m]. */
  outer(other: Tensor): Tensor {
    return linalg.outer(this, other);
  }

  // ---- neural-network helpers as methods ----

  /** Softmax along a dim: `softmax(1)` or `softmax({ dim: 1 })`. */
  softmax(dim: number | { dim: number }): Tensor {
    return nnOps.softmaxOf(this, dimArg('softmax', dim));
  }
  /** log(softmax(x)) along a dim, computed stably: `logSoftmax(1)` or `logSoftmax({ dim: 1 })`. */
  logSoftmax(dim: number | { dim: number }): Tensor {
    return nnOps.logSoftmaxOf(this, dimArg('logSoftmax', dim));
  }

  // ---- in place ----

  /** In place: this += alpha · other. Returns this tensor. */
  add_(other: Tensor | Scalar, options: { alpha?: number } = {}): this {
    return inplace.apply(this, 'add_', (self) => self.add(other, options), true);
  }
  /** In place: this -= alpha · other. Returns this tensor. */
  sub_(other: Tensor | Scalar, options: { alpha?: number } = {}): this {
    return inplace.apply(this, 'sub_', (self) => self.sub(other, options), true);
  }
  /** In place: this *= other. Returns this tensor. */
  mul_(other: Tensor | Scalar): this {
    return inplace.apply(this, 'mul_', (self) => self.mul(other), true);
  }
  /** In place: this /= other, with div's roundingMode. Returns this tensor. */
  div_(other: Tensor | Scalar, options: { roundingMode?: 'trunc' | 'floor' } = {}): this {
    return inplace.apply(this, 'div_', (self) => self.div(other, options), true);
  }
  /** In place: this = this ** exponent. Returns this tensor. */
  pow_(exponent: Tensor | number): this {
    return inplace.apply(this, 'pow_', (self) => self.pow(exponent), true);
  }
  /** In place: this = -this. Returns this tensor. */
  neg_(): this {
    return inplace.apply(this, 'neg_', (self) => self.neg(), true);
  }
  /** In place: relu. Returns this tensor. */
  relu_(): this {
    return inplace.apply(this, 'relu_', (self) => self.relu(), true);
  }
  /** In place: sqrt. Returns this tensor. */
  sqrt_(): this {
    return inplace.apply(this, 'sqrt_', (self) => self.sqrt(), true);
  }
  /** In place: clamp, with clamp's arguments. Returns this tensor. */
  clamp_(...args: ClampArgs): this {
    return clampOps.clamp_(this, ...clampOps.clampBounds('clamp_', args));
  }
  /** In place: fills with zeros. Returns this tensor. */
  zero_(): this {
    return inplace.fill(this, 'zero_', 0);
  }
  /** In place: fills with `value`. Returns this tensor. */
  fill_(value: number | boolean): this {
    return inplace.fill(this, 'fill_', Number(value));
  }
  /** Copies `source` (broadcast to this shape, converted to this dtype) into this tensor. */
  copy_(source: Tensor): this {
    return inplace.apply(this, 'copy_', () => inplace.broadcastTo(source, this));
  }
  /** Fills with values drawn uniformly from [low, high), from the global generator. */
  uniform_(low = 0, high = 1, generator?: creation.GeneratorLike): this {
    return inplace.overwrite(
      this,
      'uniform_',
      creation
        .rand(this.shape, { dtype: this.dtype, generator })
        .mul(high - low)
        .add(low),
    );
  }
  /** Fills with values drawn from a normal distribution. */
  normal_(mean = 0, std = 1, generator?: creation.GeneratorLike): this {
    return inplace.overwrite(
      this,
      'normal_',
      creation.randn(this.shape, { dtype: this.dtype, generator }).mul(std).add(mean),
    );
  }
  /** In place: maskedFill. Returns this tensor. */
  maskedFill_(mask: Tensor, value: number): this {
    return inplace.apply(this, 'maskedFill_', (self) => self.maskedFill(mask, value));
  }

  // ---- helpers ----

  #view() {
    return {
      storage: this.storageRef.storage,
      dtype: this.dtype,
      shape: this.shape,
      strides: this.#strides,
      offset: this.storageOffset,
    };
  }

  /** @internal Throws, naming `op`, when this tensor was disposed (every op that uses it calls this). */
  assertAlive(op: string): void {
    if (this.#disposed) {
      throw new Error(
        `${op}: a tensor of shape [${this.shape.join(', ')}] (${this.dtype}) was disposed: its memory has been released, so it cannot be used any more`,
      );
    }
  }

  #checkItem(): void {
    if (this.numel() !== 1) {
      throw new Error(
        `a Tensor with ${this.numel()} elements cannot be converted to a scalar (item())`,
      );
    }
  }
}

/** Shared shapes and strides: freezing a new array costs more than the rest of a small op. */
const noDims: readonly number[] = Object.freeze([]);
const unitStride: readonly number[] = Object.freeze([1]);

/**
 * `values` itself when frozen already (another tensor's shape), a shared frozen array for []
 * and [1] (a 0-d shape, the strides of a vector), else a frozen copy.
 */
function frozen(values: readonly number[]): readonly number[] {
  if (Object.isFrozen(values)) return values;
  if (values.length === 0) return noDims;
  if (values.length === 1 && values[0] === 1) return unitStride;
  return Object.freeze([...values]);
}

function scaled(other: Tensor | Scalar, alpha: number): Tensor | Scalar {
  return typeof other === 'object' ? other.mul(alpha) : Number(other) * alpha;
}

function nest(data: TypedArray, shape: Shape, asBoolean: boolean): NestedArray {
  const value = (i: number): number | boolean => (asBoolean ? data[i] !== 0 : data[i]!);
  if (shape.length === 0) return value(0);
  let position = 0;
  const build = (dim: number): NestedArray[] => {
    const size = shape[dim]!;
    const out: NestedArray[] = new Array(size);
    for (let i = 0; i < size; i++)
      out[i] = dim === shape.length - 1 ? value(position++) : build(dim + 1);
    return out;
  };
  return build(0);
}
