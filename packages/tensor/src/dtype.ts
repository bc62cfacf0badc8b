// Element types, their typed arrays, and PyTorch's type promotion.

/** The element types: PyTorch's torch.float32, int32, bool and float64. WebGPU has no float64. */
export type DType = 'float32' | 'int32' | 'bool' | 'float64';

/**
 * The typed array holding each dtype's values: Float32Array, Int32Array, Uint8Array (bool, as 0 and
 * 1), Float64Array.
 */
export type TypedArray = Float32Array | Int32Array | Uint8Array | Float64Array;

export const typedArrayOf = {
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
  float64: Float64Array,
} as const satisfies Record<DType, { new (length: number): TypedArray }>;

export const bytesPerElement: Record<DType, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  float64: 8,
};

/** Whether `dtype` is float32 or float64 (PyTorch's `dtype.is_floating_point`). */
export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** The result type of an operation on two tensors, as torch.promote_types. */
export function promoteTypes(a: DType, b: DType): DType {
  return rank[a] >= rank[b] ? a : b;
}

/**
 * The result type of tensor ⊙ scalar: a scalar only raises the category (bool → int →
 * float), never the width, as in PyTorch (`int32 tensor + 2.5` is float32, `float32 + 1`
 * stays float32).
 */
export function promoteWithScalar(dtype: DType, scalar: number | boolean): DType {
  if (typeof scalar === 'boolean') return dtype;
  if (Number.isInteger(scalar)) return dtype === 'bool' ? 'int32' : dtype;
  return isFloating(dtype) ? dtype : 'float32';
}

/**
 * The dtype numbers given as tensor data become: float32, as PyTorch's default dtype
 * (JavaScript cannot tell `2.0` from `2`, so whole numbers are no exception); bool when
 * every value is a boolean. int32 only when asked for, or from an Int32Array.
 */
export function dataDType(values: ArrayLike<number | boolean>): DType {
  let allBool = values.length > 0;
  for (let i = 0; i < values.length && allBool; i++) {
    if (typeof values[i] !== 'boolean') allBool = false;
  }
  return allBool ? 'bool' : 'float32';
}

/**
 * The dtype of scalar operands on their own, as Python scalars: bool, int32 when every
 * number is whole, else float32 (`where(mask, 1, 0)` is int32, `where(mask, 1, 0.5)` float32).
 */
export function scalarsDType(values: ArrayLike<number | boolean>): DType {
  let allBool = values.length > 0;
  let allInt = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'boolean') allBool = false;
    if (typeof v === 'number' && !Number.isInteger(v)) allInt = false;
  }
  if (allBool) return 'bool';
  return allInt ? 'int32' : 'float32';
}

/**
 * A scalar stored into an int32 tensor (a fill value, a clamp bound, a where branch): past
 * int32's range it is refused, with PyTorch's words, rather than wrapped.
 */
/** int32's range. */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/**
 * `value` as an int32 operand of `op`: ±Infinity (an absent bound, max pooling's padding)
 * becomes int32's extreme, which bounds nothing; any other value must fit int32.
 */
export function int32Operand(op: string, value: number): number {
  if (value === Infinity) return INT32_MAX;
  if (value === -Infinity) return INT32_MIN;
  return checkInt32Scalar(op, value);
}

export function checkInt32Scalar(op: string, value: number): number {
  if (!(value >= INT32_MIN && value <= INT32_MAX)) {
    throw new RangeError(
      `${op}: value cannot be converted to type int32 without overflow: ${value}`,
    );
  }
  return value;
}

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(typedArrayOf, value);
}
