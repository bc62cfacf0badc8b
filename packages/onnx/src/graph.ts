// The ONNX graph being built while tracing: nodes, initializers (read from their tensors when
// the model is written, so tracing never waits), unique value names, and attribute helpers.

import type { DType, Tensor } from '@dl/tensor';
import { type AttributeMessage, AttributeType, DataType, type NodeMessage } from './proto.js';

/** ONNX element types of dl's dtypes. */
export const elemTypes: Record<DType, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int32: DataType.INT32,
  bool: DataType.BOOL,
};

/** Attribute constructors: ONNX needs each attribute's type spelled out (1 and 1.0 differ). */
export const attr = {
  int: (name: string, i: number): AttributeMessage => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): AttributeMessage => ({ name, type: AttributeType.FLOAT, f }),
  ints: (name: string, ints: readonly number[]): AttributeMessage => ({
    name,
    type: AttributeType.INTS,
    ints: [...ints],
  }),
  string: (name: string, s: string): AttributeMessage => ({
    name,
    type: AttributeType.STRING,
    s: new TextEncoder().encode(s),
  }),
  strings: (name: string, values: readonly string[]): AttributeMessage => ({
    name,
    type: AttributeType.STRINGS,
    strings: values.map((s) => new TextEncoder().encode(s)),
  }),
};

/** An initializer: a tensor whose values are read at the end, or bytes already known. */
export interface PendingInitializer {
  name: string;
  dims: readonly number[];
  dataType: number;
  tensor?: Tensor;
  /** The tensor's values are written converted to this dtype. */
  as?: DType;
  raw?: Uint8Array;
  /** The values of small int64 initializers (shapes, axes), for passes that read them. */
  ints?: readonly number[];
}

export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: PendingInitializer[] = [];
  readonly #taken = new Set<string>();
  readonly #constants = new Map<Tensor, Map<DType, string>>();

  constructor(readonly opset: number) {}

  /** `base`, or `base_1`, `base_2`, ... if taken. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.#taken.has(name); i++) name = `${base}_${i}`;
    this.#taken.add(name);
    return name;
  }

  /** Reserves a name as given (graph inputs); false if already taken. */
  claim(name: string): boolean {
    if (this.#taken.has(name)) return false;
    this.#taken.add(name);
    return true;
  }

  /** Adds a node named after its scope and op; returns its output value names. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: readonly AttributeMessage[] = [],
    options: { scope?: string; outputs?: number } = {},
  ): string[] {
    const prefix = options.scope ? `/${options.scope}/` : '/';
    const name = this.unique(`${prefix}${opType}`);
    const outputs = Array.from({ length: options.outputs ?? 1 }, (_, i) =>
      this.unique(`${name}_output_${i}`),
    );
    this.nodes.push({
      input: [...inputs],
      output: outputs,
      name,
      opType,
      attribute: [...attributes],
    });
    return outputs;
  }

  /** A tensor as an initializer (once per tensor and dtype), named `name` when given. */
  tensor(t: Tensor, name?: string, as: DType = t.dtype): string {
    const known = this.#constants.get(t)?.get(as);
    if (known) return known;
    const unique = this.unique(name ?? `onnx::Constant_${this.initializers.length}`);
    this.initializers.push({ name: unique, dims: t.shape, dataType: elemTypes[as], tensor: t, as });
    const byType = this.#constants.get(t) ?? new Map<DType, string>();
    byType.set(as, unique);
    this.#constants.set(t, byType);
    return unique;
  }

  /** An int64 initializer (shapes, axes). */
  int64s(
    values: readonly number[],
    hint: string,
    dims: readonly number[] = [values.length],
  ): string {
    const name = this.unique(`onnx::${hint}_${this.initializers.length}`);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({
      name,
      dims,
      dataType: DataType.INT64,
      raw: bytesOf(data),
      ints: [...values],
    });
    return name;
  }

  /** An initializer of the given values, a 1-d tensor of `dtype`. */
  tensorOf(values: readonly number[], dtype: DType, hint: string): string {
    const name = this.unique(hint);
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: elemTypes[dtype],
      raw: bytesOf(typedOf(dtype, values)),
    });
    return name;
  }

  /** A scalar initializer of a floating or integer dtype. */
  scalar(value: number, dtype: DType, hint = 'Scalar'): string {
    const name = this.unique(`onnx::${hint}_${this.initializers.length}`);
    this.initializers.push({
      name,
      dims: [],
      dataType: elemTypes[dtype],
      raw: bytesOf(typedOf(dtype, [value])),
    });
    return name;
  }
}

/** Values in the typed array ONNX stores for a dtype (bool as one byte each). */
export function typedOf(
  dtype: DType,
  values: ArrayLike<number>,
): Float32Array | Float64Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

/** The little-endian bytes of a typed array (raw_data is little-endian by definition). */
export function bytesOf(
  array: ArrayBufferView & { length: number; BYTES_PER_ELEMENT: number },
): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (littleEndian || array.BYTES_PER_ELEMENT === 1) return bytes.slice();
  const out = new Uint8Array(bytes.length);
  const size = array.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += size)
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  return out;
}
