// Creating tensors: from JavaScript values, filled, ranges, identity, and random.

import {
  checkDType,
  checkOptionKeys,
  describeValue,
  dtypeOption,
  isOptionsObject,
  type ShapeArgs,
  shapeArgs,
} from '../args.js';
import { type DeviceLike, resolveDevice } from '../device.js';
import {
  checkInt32Scalar,
  type DType,
  dataDType,
  isFloating,
  type TypedArray,
  typedArrayOf,
} from '../dtype.js';
import { E } from '../expr.js';
import { emptyTensor, viewDescriptor } from '../internal.js';
import { type Generator, globalGenerator } from '../random.js';
import { checkShape, numelOf, type Shape } from '../shape.js';
import { StorageRef } from '../storage.js';
import { Tensor } from '../tensor.js';

/**
 * Where and how a new tensor is made: dtype (float32 by default, or as the data implies), device
 * ('cpu' by default) and whether it requires grad (false).
 */
export interface TensorOptions {
  dtype?: DType | undefined;
  device?: DeviceLike | undefined;
  requiresGrad?: boolean | undefined;
}

/** A Generator, or undefined for the global one (seeded by manualSeed). */
export type GeneratorLike = Generator | undefined;

/** TensorOptions of random tensors, with the Generator to draw from (the global one by default). */
export interface RandomOptions extends TensorOptions {
  generator?: GeneratorLike;
}

/** What tensor() accepts: a number or boolean, a typed array, or nested arrays of them. */
export type TensorData = number | boolean | TypedArray | readonly TensorData[];

/** Makes a leaf tensor of `dtype` on `device` holding `values` (already in row-major order). */
export function fromValues(
  values: TypedArray,
  shape: Shape,
  dtype: DType,
  options: TensorOptions,
): Tensor {
  const device = resolveDevice(options.device);
  const storage = new StorageRef(device.fromData(dtype, values));
  const t = new Tensor(storage, shape, contiguous(shape), 0, dtype);
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

function contiguous(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * A tensor from a number, a boolean, a typed array or nested arrays of them (torch.tensor).
 * Numbers become float32 (PyTorch's default dtype), booleans bool, typed arrays keep their
 * type (Int32Array gives int32); `{ dtype: 'int32' }` asks for integers.
 */
export function tensor(data: TensorData, options: TensorOptions = {}): Tensor {
  const shape: number[] = [];
  const flat: (number | boolean)[] = [];
  checkOptions('tensor', options);
  if (data instanceof Tensor) {
    throw new TypeError(
      'tensor: got a Tensor; copy one with t.clone() (or t.detach().clone() for a new leaf)',
    );
  }
  if (ArrayBuffer.isView(data)) {
    shape.push(data.length);
    const dtype = dtypeOption('tensor', options, typedArrayDType(data));
    const values = new typedArrayOf[dtype](data.length);
    values.set(data);
    return fromValues(values, shape, dtype, options);
  }
  // The shape comes from the first element at each depth; every sibling must match it.
  let probe: TensorData = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as TensorData;
    if (probe === undefined) break;
  }
  const walk = (value: TensorData, depth: number): void => {
    if (depth === shape.length) {
      if (typeof value !== 'number' && typeof value !== 'boolean') {
        throw new TypeError(
          `tensor: expected a number or boolean at depth ${depth}, got ${describeValue(value)}`,
        );
      }
      flat.push(value);
      return;
    }
    const items: readonly TensorData[] | TypedArray | undefined =
      Array.isArray(value) || ArrayBuffer.isView(value)
        ? (value as readonly TensorData[])
        : undefined;
    if (!items || items.length !== shape[depth]) {
      throw new Error(
        `tensor: expected sequence of length ${shape[depth]} at dim ${depth} (got ${items ? items.length : describe(value)})`,
      );
    }
    for (const item of items) walk(item as TensorData, depth + 1);
  };
  walk(data, 0);
  const dtype = dtypeOption('tensor', options, dataDType(flat));
  const values = new typedArrayOf[dtype](flat.length);
  for (let i = 0; i < flat.length; i++) values[i] = Number(flat[i]);
  return fromValues(values, shape, dtype, options);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? `an array of length ${value.length}` : describeValue(value);
}

const tensorOptionKeys = ['dtype', 'device', 'requiresGrad'];
const randomOptionKeys = [...tensorOptionKeys, 'generator'];

/** Refuses what is not an options object, keys it does not have, and a dtype dl lacks. */
function checkOptions(op: string, options: unknown, known = tensorOptionKeys): void {
  if (!isOptionsObject(options)) {
    throw new TypeError(
      `${op}: expected an options object such as { dtype: 'int32', device, requiresGrad: true }, got ${describeValue(options)}`,
    );
  }
  checkOptionKeys(op, options, known);
  if (options['dtype'] !== undefined) checkDType(op, options['dtype']);
}

function typedArrayDType(data: ArrayBufferView): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  return 'float32';
}

/**
 * A tensor of `shape` (an array, as in PyTorch: `full([2, 3], 7)`) filled with `value`
 * (float32 unless a dtype is given, bool for a boolean), computed on the device.
 */
export function full(shape: Shape, value: number | boolean, options: TensorOptions = {}): Tensor {
  return fill('full', shape, value, options);
}

function fill(op: string, shape: Shape, value: number | boolean, options: TensorOptions): Tensor {
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) {
    throw new TypeError(
      `${op}: the shape must be an array of sizes, as in ${op}([2, 3], 7), got ${describeValue(shape)}`,
    );
  }
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(
      `${op}: the fill value must be a number or a boolean, got ${describeValue(value)}`,
    );
  }
  checkOptions(op, options);
  const dims = checkShape(shape, op);
  const dtype = dtypeOption(op, options, typeof value === 'boolean' ? 'bool' : 'float32');
  if (dtype === 'int32') checkInt32Scalar('full', Number(value));
  const out = emptyTensor(dims, dtype, resolveDevice(options.device));
  if (out.numel() > 0)
    out.device.elementwise(E.param(0), [], viewDescriptor(out, 'full'), [Number(value)]);
  if (options.requiresGrad) out.requiresGrad_(true);
  return out;
}

/** Zeros of a shape given as sizes or one array: `zeros(2, 3)`, `zeros([2, 3], { dtype: 'int32' })`. */
export function zeros(...args: ShapeArgs<TensorOptions>): Tensor {
  const [shape, options] = shapeArgs<TensorOptions>('zeros', args);
  return fill('zeros', shape, 0, { ...options, dtype: options.dtype ?? 'float32' });
}

/** Ones of a shape given as sizes or one array: `ones(2, 3)`, `ones([2, 3])`. */
export function ones(...args: ShapeArgs<TensorOptions>): Tensor {
  const [shape, options] = shapeArgs<TensorOptions>('ones', args);
  return fill('ones', shape, 1, { ...options, dtype: options.dtype ?? 'float32' });
}

/** A tensor with unspecified contents: `empty(2, 3)`, `empty([2, 3])`. */
export function empty(...args: ShapeArgs<TensorOptions>): Tensor {
  const [shape, options] = shapeArgs<TensorOptions>('empty', args);
  checkOptions('empty', options);
  const out = emptyTensor(
    checkShape(shape, 'empty'),
    dtypeOption('empty', options, 'float32'),
    resolveDevice(options.device),
  );
  if (options.requiresGrad) out.requiresGrad_(true);
  return out;
}

function likeOptions(like: Tensor, options: TensorOptions): TensorOptions {
  if (!(like instanceof Tensor)) {
    throw new TypeError(
      `expected a Tensor to take the shape, dtype and device of, got ${describeValue(like)}`,
    );
  }
  return {
    dtype: options.dtype ?? like.dtype,
    device: options.device ?? like.device,
    requiresGrad: options.requiresGrad,
  };
}

/** Zeros with the shape of `like`, and its dtype and device unless `options` say otherwise. */
export function zerosLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return fill('zerosLike', like.shape, 0, likeOptions(like, options));
}

/** Ones with the shape of `like`, and its dtype and device unless `options` say otherwise. */
export function onesLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return fill('onesLike', like.shape, 1, likeOptions(like, options));
}

/**
 * `value` everywhere, with the shape of `like`, and its dtype and device unless `options` say
 * otherwise.
 */
export function fullLike(like: Tensor, value: number, options: TensorOptions = {}): Tensor {
  return fill('fullLike', like.shape, value, likeOptions(like, options));
}

/**
 * A tensor with unspecified contents and the shape of `like`, and its dtype and device unless
 * `options` say otherwise.
 */
export function emptyLike(like: Tensor, options: TensorOptions = {}): Tensor {
  return empty(like.shape, likeOptions(like, options));
}

/** arange's arguments: up to three numbers, then options (`arange(5, { dtype: 'float32' })`). */
export type ArangeArgs =
  | [end: number, options?: TensorOptions]
  | [start: number, end: number, options?: TensorOptions]
  | [start: number, end: number | undefined, step: number, options?: TensorOptions];

/**
 * Values from start (inclusive) to end (exclusive) by step: arange(5), arange(2, 5),
 * arange(0, 1, 0.25). int32 when all arguments are integers, else float32.
 */
export function arange(...args: ArangeArgs): Tensor {
  const last = args.at(-1);
  const options: TensorOptions = isOptionsObject(last) ? last : {};
  const numbers: unknown[] = isOptionsObject(last) || last === undefined ? args.slice(0, -1) : args;
  if (
    numbers.length === 0 ||
    numbers.length > 3 ||
    numbers.some((n) => n !== undefined && typeof n !== 'number')
  ) {
    throw new TypeError(
      `arange: expected (end), (start, end) or (start, end, step), numbers, then options; got (${args.map((a) => describeValue(a)).join(', ')})`,
    );
  }
  checkOptions('arange', options);
  const [start, end, step = 1] = numbers as [number, number | undefined, number | undefined];
  const [from, to] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  if (!Number.isFinite(from) || !Number.isFinite(to))
    throw new RangeError(`arange: unsupported range: ${from} -> ${to}`);
  if ((to - from) / step < 0) {
    throw new RangeError(
      `arange: upper bound and larger bound inconsistent with step sign (${from} -> ${to}, step ${step})`,
    );
  }
  const length = Math.max(0, Math.ceil((to - from) / step));
  const dtype = dtypeOption(
    'arange',
    options,
    [from, to, step].every(Number.isInteger) ? 'int32' : 'float32',
  );
  const values = new typedArrayOf[dtype](length);
  for (let i = 0; i < length; i++) values[i] = from + i * step;
  return fromValues(values, [length], dtype, options);
}

/** `steps` values evenly spaced from start to end, both included. */
export function linspace(
  start: number,
  end: number,
  steps: number,
  options: TensorOptions = {},
): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new RangeError(
      `linspace: number of steps must be non-negative, got ${describeValue(steps)}`,
    );
  checkOptions('linspace', options);
  const dtype = dtypeOption('linspace', options, 'float32');
  const values = new typedArrayOf[dtype](steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Both halves are computed from their own end, as PyTorch does, so the last value is exact.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++)
    values[i] = i < half ? start + i * step : end - (steps - 1 - i) * step;
  return fromValues(values, [steps], dtype, options);
}

/** The identity matrix (n × m, m = n by default): `eye(3)`, `eye(2, 3)`, `eye(3, { dtype })`. */
export function eye(
  n: number,
  mOrOptions?: number | TensorOptions,
  options: TensorOptions = {},
): Tensor {
  if (typeof mOrOptions === 'object') return eye(n, n, mOrOptions);
  const m = mOrOptions ?? n;
  checkShape([n, m], 'eye');
  checkOptions('eye', options);
  const dtype = dtypeOption('eye', options, 'float32');
  const values = new typedArrayOf[dtype](n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return fromValues(values, [n, m], dtype, options);
}

function randomValues(
  shape: Shape,
  op: string,
  options: RandomOptions,
  draw: (g: Generator) => number,
): Tensor {
  const dims = checkShape(shape, op);
  checkOptions(op, options, randomOptionKeys);
  const dtype = dtypeOption(op, options, 'float32');
  if (!isFloating(dtype))
    throw new TypeError(`${op}: expected a floating point dtype, got ${dtype}`);
  const generator = options.generator ?? globalGenerator();
  const values = new typedArrayOf[dtype](numelOf(dims));
  for (let i = 0; i < values.length; i++) values[i] = draw(generator);
  return fromValues(values, dims, dtype, options);
}

/** Uniform on [0, 1): `rand(2, 3)`, `rand([2, 3], { generator })`. */
export function rand(...args: ShapeArgs<RandomOptions>): Tensor {
  const [shape, options] = shapeArgs<RandomOptions>('rand', args);
  return randomValues(shape, 'rand', options, (g) => g.nextFloat());
}

/** Standard normal: `randn(2, 3)`, `randn([2, 3], { generator })`. */
export function randn(...args: ShapeArgs<RandomOptions>): Tensor {
  const [shape, options] = shapeArgs<RandomOptions>('randn', args);
  return randomValues(shape, 'randn', options, (g) => g.nextNormal());
}

/** randint's arguments: `(low, high, shape, options?)` or `(high, shape, options?)`. */
export type RandintArgs =
  | [low: number, high: number, shape: Shape, options?: RandomOptions]
  | [high: number, shape: Shape, options?: RandomOptions];

function hasLow(args: RandintArgs): args is [number, number, Shape, RandomOptions?] {
  return typeof args[1] === 'number';
}

/** Integers uniform in [low, high) (low 0 by default), int32: `randint(0, 10, [3])`, `randint(10, [3])`. */
export function randint(...args: RandintArgs): Tensor {
  const [low, high, shape, options = {}] = hasLow(args) ? args : [0, ...args];
  if (typeof low !== 'number' || typeof high !== 'number' || !Array.isArray(shape)) {
    throw new TypeError(
      `randint: expected (low, high, shape) or (high, shape), with the shape an array ([3] or [2, 3]); got (${args.map((a) => describeValue(a)).join(', ')})`,
    );
  }
  const dims = checkShape(shape, 'randint');
  if (!(high > low))
    throw new RangeError(`randint: expected low < high, got low=${low}, high=${high}`);
  checkOptions('randint', options, randomOptionKeys);
  const dtype = dtypeOption('randint', options, 'int32');
  const generator = options.generator ?? globalGenerator();
  const values = new typedArrayOf[dtype](numelOf(dims));
  for (let i = 0; i < values.length; i++)
    values[i] = generator.nextInt(Math.ceil(low), Math.ceil(high));
  return fromValues(values, dims, dtype, options);
}

/** A random permutation of 0..n-1 (int32). */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`randperm: n must be a non-negative integer, got ${describeValue(n)}`);
  checkOptions('randperm', options, randomOptionKeys);
  const dtype = dtypeOption('randperm', options, 'int32');
  const generator = options.generator ?? globalGenerator();
  const values = new typedArrayOf[dtype](n);
  for (let i = 0; i < n; i++) values[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.nextInt(0, i + 1);
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
  return fromValues(values, [n], dtype, options);
}

/**
 * Uniform on [0, 1), with the shape of `like`, and its dtype and device unless `options` say
 * otherwise.
 */
export function randLike(like: Tensor, options: RandomOptions = {}): Tensor {
  const merged = { ...likeOptions(like, options), generator: options.generator };
  return randomValues(like.shape, 'randLike', merged, (g) => g.nextFloat());
}

/**
 * Standard normal, with the shape of `like`, and its dtype and device unless `options` say
 * otherwise.
 */
export function randnLike(like: Tensor, options: RandomOptions = {}): Tensor {
  const merged = { ...likeOptions(like, options), generator: options.generator };
  return randomValues(like.shape, 'randnLike', merged, (g) => g.nextNormal());
}
