// PyTorch's argument forms, read once for every op that takes them: shapes as separate sizes
// or one array (`zeros(2, 3)`, `zeros([2, 3])`), dims and keepdim positionally or as an
// options object (`sum(1, true)`, `sum({ dim: 1, keepdim: true })`), dtypes by name. Anything
// else is refused with a message that names what was passed and what is accepted.
//
// These functions read arguments as JavaScript passes them, so they see `unknown`s: each
// `as` below follows the check that makes it true, or hands a value on to the op's own
// check (a dim to normalizeDims, a size to checkShape), which names it if it is wrong.

import { type DType, isDType } from './dtype.js';
import type { Dims, VarianceOptions } from './ops/reduce.js';
import type { Shape } from './shape.js';

/** A value as an error message shows it: `'int64'`, `[2, '3']`, `{ dim: 1 }`, `a Tensor of shape [2]`. */
export function describeValue(value: unknown, depth = 0): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (depth > 1) return Array.isArray(value) ? '[...]' : '{...}';
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map((item: unknown) => describeValue(item, depth + 1));
    return `[${shown.join(', ')}${value.length > 8 ? ', ...' : ''}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    // Read structurally: this file sits below Tensor (shape.ts and dtype.ts use it).
    const name = value.constructor.name ? `a ${value.constructor.name}` : 'an object';
    const shape = 'shape' in value ? value.shape : undefined;
    return Array.isArray(shape) ? `${name} of shape [${shape.join(', ')}]` : name;
  }
  const entries = Object.entries(value).map(([k, v]) => `${k}: ${describeValue(v, depth + 1)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

/** Whether `value` is an options object: a plain object, not an array, a Tensor or a typed array. */
export function isOptionsObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Refuses keys of an options object that `op` does not know, naming the ones it does. */
export function checkOptionKeys(op: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const camel = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
      const hint = known.includes(camel)
        ? ` (did you mean '${camel}'? dl spells PyTorch's names in camelCase)`
        : '';
      throw new TypeError(
        `${op}: unknown option '${key}'${hint}; the options are ${known.join(', ')}`,
      );
    }
  }
}

/**
 * The arguments of a function that takes a shape: the sizes (`zeros(2, 3)`) or one array of
 * them (`zeros([2, 3])`), then an options object.
 */
export type ShapeArgs<O> =
  | [shape: Shape, options?: O | undefined]
  | [...sizes: number[]]
  | [...sizes: number[], options: O];

/** The shape and options of ShapeArgs; the sizes themselves are checked by checkShape. */
export function shapeArgs<O extends object>(op: string, args: readonly unknown[]): [Shape, O] {
  const last = args.at(-1);
  const hasOptions = args.length > 0 && (last === undefined || isOptionsObject(last));
  const sizes = hasOptions ? args.slice(0, -1) : args;
  const options = (hasOptions && last !== undefined ? last : {}) as O;
  const first = sizes[0];
  if (sizes.length === 1 && (Array.isArray(first) || ArrayBuffer.isView(first))) {
    return [Array.from(first as ArrayLike<number>), options];
  }
  if (sizes.length > 0 && sizes.every((size) => typeof size === 'number')) {
    return [sizes as number[], options];
  }
  throw new TypeError(
    `${op}: expected a shape: sizes (${op}(2, 3)) or one array of them (${op}([2, 3])), ` +
      `optionally followed by an options object; got (${args.map((a) => describeValue(a)).join(', ')})` +
      (sizes.length === 0 ? `; pass [] for a 0-d tensor` : ''),
  );
}

/** Sizes given to a method (`x.reshape(2, 3)` or `x.reshape([2, 3])`). */
export function sizesArgs(op: string, args: readonly unknown[]): number[] {
  const first = args[0];
  const sizes: readonly unknown[] =
    args.length === 1 && (Array.isArray(first) || ArrayBuffer.isView(first))
      ? Array.from(first as ArrayLike<unknown>)
      : args;
  if (sizes.every((size) => typeof size === 'number')) return sizes as number[];
  throw new TypeError(
    `${op}: expected sizes (x.${op}(2, 3)) or one array of them (x.${op}([2, 3])), got ` +
      `(${args.map((a) => describeValue(a)).join(', ')})`,
  );
}

/** The `dim` and `keepdim` of a reduction, as PyTorch's keywords. */
export interface ReduceOptions<D = number | readonly number[]> {
  dim?: D;
  keepdim?: boolean;
}

/** A reduction's arguments: `(dim?, keepdim?)`, `({ dim, keepdim })` or `(dim, { keepdim })`. */
export type ReduceArgs<D = number | readonly number[]> =
  | [dim?: D | undefined, keepdim?: boolean | undefined]
  | [options: ReduceOptions<D>]
  | [dim: D, options: { keepdim?: boolean }];

/** The dims (undefined: all) and keepdim of ReduceArgs. */
export function reduceArgs<D>(op: string, args: readonly unknown[]): [D | undefined, boolean] {
  const [first, second] = args;
  if (args.length > 2) throw reduceError(op, args);
  if (isOptionsObject(first)) {
    if (second !== undefined) throw reduceError(op, args);
    checkOptionKeys(op, first, ['dim', 'keepdim']);
    return [first['dim'] as D | undefined, keepdimOf(op, first['keepdim'])];
  }
  if (first !== undefined && !isDims(first)) throw reduceError(op, args);
  if (isOptionsObject(second)) {
    checkOptionKeys(op, second, ['keepdim']);
    return [first as D | undefined, keepdimOf(op, second['keepdim'])];
  }
  return [first as D | undefined, keepdimOf(op, second)];
}

function isDims(value: unknown): boolean {
  return typeof value === 'number' || Array.isArray(value);
}

function keepdimOf(op: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new TypeError(`${op}: keepdim must be true or false, got ${describeValue(value)}`);
  return value;
}

function reduceError(op: string, args: readonly unknown[]): TypeError {
  return new TypeError(
    `${op}: expected (dim, keepdim), ({ dim, keepdim }) or (dim, { keepdim }), with dim an ` +
      `integer or an array of integers and keepdim a boolean; got ` +
      `(${args.map((a) => describeValue(a)).join(', ')})`,
  );
}

/** var and std's arguments: `(dim?, options?)` or `({ dim, correction, unbiased, keepdim })`. */
export type VarianceArgs =
  | [dim?: Dims | undefined, options?: VarianceOptions | undefined]
  | [options: VarianceOptions & { dim?: Dims | undefined }];

const varianceKeys = ['correction', 'unbiased', 'keepdim'];

export function varianceArgs(op: string, args: VarianceArgs): [Dims | undefined, VarianceOptions] {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null && !isDimList(first) && second === undefined) {
    checkOptionKeys(op, first, ['dim', ...varianceKeys]);
    const { dim, ...options } = first;
    return [dim, options];
  }
  if (
    (first === undefined || typeof first === 'number' || Array.isArray(first)) &&
    (second === undefined || isOptionsObject(second))
  ) {
    if (second) checkOptionKeys(op, second, varianceKeys);
    return [first, second ?? {}];
  }
  throw new TypeError(
    `${op}: expected (dim, { correction, unbiased, keepdim }) or ({ dim, correction, unbiased, keepdim }); ` +
      `got (${args.map((a) => describeValue(a)).join(', ')})`,
  );
}

function isDimList(value: unknown): value is readonly number[] {
  return Array.isArray(value);
}

/** A dim given as itself or as `{ dim }` (`softmax(x, 1)`, `softmax(x, { dim: 1 })`). */
export function dimArg(op: string, value: number | { dim: number }): number {
  if (isOptionsObject(value)) {
    checkOptionKeys(op, value, ['dim']);
    return value['dim'] as number;
  }
  return value;
}

/**
 * What PyTorch's dtype names mean in dl, for the error that refuses them. int64 is not an
 * alias of int32: code that asks for 64 bits may hold values past 2^31, which int32 would
 * refuse or wrap, so the choice is left to the caller.
 */
const pytorchDTypes: Readonly<Record<string, string>> = {
  int64: "dl's integers are int32 (WebGPU has no 64-bit integers), so use 'int32'",
  long: "dl's integers are int32 (WebGPU has no 64-bit integers), so use 'int32'",
  int: "use 'int32'",
  int16: "dl's integers are int32, so use 'int32'",
  short: "dl's integers are int32, so use 'int32'",
  int8: "dl's integers are int32, so use 'int32'",
  uint8: "dl's integers are int32 ('bool' is stored in bytes), so use 'int32'",
  float: "use 'float32'",
  double: "use 'float64'",
  float16: "dl has no half precision, so use 'float32'",
  half: "dl has no half precision, so use 'float32'",
  bfloat16: "dl has no bfloat16, so use 'float32'",
  boolean: "use 'bool'",
};

/** Whether `name` is one of PyTorch's dtype names that dl does not have. */
export function isPyTorchDTypeName(name: string): boolean {
  return Object.hasOwn(pytorchDTypes, name.replace(/^torch\./, ''));
}

/** Returns `value` as a DType, or throws naming the dtypes dl has. */
export function checkDType(op: string, value: unknown): DType {
  if (isDType(value)) return value;
  const name = typeof value === 'string' ? value.replace(/^torch\./, '') : undefined;
  const hint =
    name !== undefined && Object.hasOwn(pytorchDTypes, name) ? pytorchDTypes[name] : undefined;
  throw new TypeError(
    `${op}: unknown dtype ${describeValue(value)}${hint ? `: ${hint}` : ''}; dl's dtypes are ` +
      `'float32', 'float64', 'int32' and 'bool'`,
  );
}

/** The dtype option of `options`, checked, or `fallback` when absent. */
export function dtypeOption<T>(
  op: string,
  options: { dtype?: DType | undefined },
  fallback: T,
): DType | T {
  return options.dtype === undefined ? fallback : checkDType(op, options.dtype);
}
