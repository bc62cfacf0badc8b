// The safetensors format (8-byte little-endian header length, a JSON header, raw little-endian
// data), laid out as the reference implementation writes it: tensors sorted by dtype
// (widest first) then name, header padded with spaces to 8 bytes. Works in any runtime.

import { type DType, tensor as fromData, type Tensor, type TypedArray } from '@dl/tensor';
import type { StateDict } from './module.js';
import {
  bytesPerElement,
  type Header,
  headerLength,
  limitsOf,
  parseHeader,
  quoted,
  type ReadOptions,
  type TensorSpan,
} from './safetensors-header.js';

export type { ReadOptions } from './safetensors-header.js';

/** The dtypes safetensors files name, ranked as the reference writer orders them. */
const rank: Readonly<Record<string, number>> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 3,
  U16: 4,
  F16: 5,
  BF16: 6,
  I32: 7,
  U32: 8,
  F32: 9,
  F64: 10,
  I64: 11,
  U64: 12,
};

const written: Readonly<Record<DType, string>> = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
};

/**
 * The text encoder every runtime dl targets provides; the package builds without the DOM
 * library, so their types are spelled out here.
 */
interface TextCodecs {
  TextEncoder: new () => { encode(text: string): Uint8Array };
}
const codecs = globalThis as unknown as TextCodecs; // runtime globals outside the ES library types

function entries(stateDict: StateDict | Readonly<Record<string, Tensor>>): [string, Tensor][] {
  return stateDict instanceof Map ? [...stateDict] : Object.entries(stateDict);
}

/** The header bytes (padded) and the tensors in file order. */
export function planLayout(
  stateDict: StateDict | Readonly<Record<string, Tensor>>,
  metadata?: Readonly<Record<string, string>>,
): { header: Uint8Array; order: [string, Tensor][] } {
  const order = entries(stateDict).sort(([a, ta], [b, tb]) => {
    const byDType = rank[written[tb.dtype]]! - rank[written[ta.dtype]]!;
    return byDType !== 0 ? byDType : a < b ? -1 : a > b ? 1 : 0;
  });
  // No prototype: a tensor named "__proto__" is then an entry like any other.
  const json: Record<string, unknown> = Object.create(null);
  if (metadata) json['__metadata__'] = Object.assign(Object.create(null), metadata);
  let offset = 0;
  for (const [name, t] of order) {
    if (name === '__metadata__')
      throw new Error('safetensors: "__metadata__" is not a valid tensor name');
    const code = written[t.dtype];
    const size = t.numel() * bytesPerElement[code]!;
    json[name] = { dtype: code, shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  const text = new codecs.TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8);
  header.set(text, 8);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  return { header, order };
}

/** A tensor's elements as the little-endian bytes safetensors stores. */
export async function tensorBytes(t: Tensor): Promise<Uint8Array> {
  const data: TypedArray = await t.data();
  // Typed arrays are little-endian on every platform JavaScript runs on today.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/** Serialises a state dict (tensors on any device) to safetensors bytes. */
export async function toBytes(
  stateDict: StateDict | Readonly<Record<string, Tensor>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<Uint8Array> {
  const { header, order } = planLayout(stateDict, metadata);
  const parts = [header];
  for (const [, t] of order) parts.push(await tensorBytes(t));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The header of safetensors bytes, checked against their size and the limits: the tensors
 * in file order, the metadata, and where the data starts.
 */
export function readHeader(
  bytes: Uint8Array,
  limits: Required<ReadOptions>,
): Header & { dataStart: number } {
  const length = headerLength(bytes.subarray(0, 8), bytes.length, limits);
  const header = parseHeader(bytes.subarray(8, 8 + length), bytes.length - 8 - length, limits);
  return { ...header, dataStart: 8 + length };
}

/** The dtypes dl reads (decode says what each becomes). */
const loadable = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U16', 'U8', 'BOOL'];

/** Refuses a dtype dl cannot load before any tensor is read. */
export function checkLoadable(tensors: readonly TensorSpan[]): void {
  for (const { name, dtype } of tensors) {
    if (!loadable.includes(dtype))
      throw new Error(
        `tensor ${quoted(name)} has dtype ${dtype}, which dl cannot load (it reads ${loadable.join(', ')})`,
      );
  }
}

/** How each stored dtype is read: the dl dtype it becomes, and the converted values. */
function decode(
  dtype: string,
  buffer: ArrayBuffer,
  name: string,
): { dtype: DType; values: TypedArray } {
  switch (dtype) {
    case 'F32':
      return { dtype: 'float32', values: new Float32Array(buffer) };
    case 'F64':
      return { dtype: 'float64', values: new Float64Array(buffer) };
    case 'I32':
      return { dtype: 'int32', values: new Int32Array(buffer) };
    case 'BOOL':
      return { dtype: 'bool', values: new Uint8Array(buffer).map((v) => (v ? 1 : 0)) };
    case 'U8':
      return { dtype: 'int32', values: Int32Array.from(new Uint8Array(buffer)) };
    case 'I8':
      return { dtype: 'int32', values: Int32Array.from(new Int8Array(buffer)) };
    case 'I16':
      return { dtype: 'int32', values: Int32Array.from(new Int16Array(buffer)) };
    case 'U16':
      return { dtype: 'int32', values: Int32Array.from(new Uint16Array(buffer)) };
    case 'I64': {
      // dl's integers are int32 (WebGPU has no 64-bit integers): values outside it are refused.
      const wide = new BigInt64Array(buffer);
      const values = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i]!;
        if (v > 2147483647n || v < -2147483648n)
          throw new Error(`tensor ${quoted(name)} (I64) holds ${v}, which does not fit dl's int32`);
        values[i] = Number(v);
      }
      return { dtype: 'int32', values };
    }
    case 'F16':
    case 'BF16': {
      const halves = new Uint16Array(buffer);
      const values = new Float32Array(halves.length);
      for (let i = 0; i < halves.length; i++)
        values[i] = dtype === 'F16' ? halfToFloat(halves[i]!) : bfloatToFloat(halves[i]!);
      return { dtype: 'float32', values };
    }
    default:
      throw new Error(`tensor ${quoted(name)} has dtype ${dtype}, which dl cannot load`);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bfloatToFloat(b: number): number {
  const word = new Uint32Array([b << 16]);
  return new Float32Array(word.buffer)[0]!;
}

/**
 * A tensor of the file from its bytes: `buffer` holds exactly them and becomes the tensor's
 * (or is converted to its dtype).
 */
export function tensorOf(span: TensorSpan, buffer: ArrayBuffer): Tensor {
  const { dtype, values } = decode(span.dtype, buffer, span.name);
  return fromData(values, { dtype }).reshape(span.shape);
}

/** Runs `read`, its errors prefixed with `where` (the function, and the file if there is one). */
export function naming<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${where}: ${message}`, { cause: error });
  }
}

/**
 * Reads safetensors bytes into a state dict of CPU tensors, in file order. The whole header
 * is checked before any tensor is made (see ReadOptions for its limits): a bad header, a
 * truncated file or an unsupported dtype is a one-line error naming the problem.
 */
export function fromBytes(bytes: Uint8Array, options: ReadOptions = {}): StateDict {
  return naming('fromBytes', () => {
    const { tensors, dataStart } = readHeader(bytes, limitsOf(options));
    checkLoadable(tensors);
    const out: StateDict = new Map();
    for (const t of tensors) {
      // A copy of the tensor's bytes: aligned, and owned by the tensor made from them.
      const buffer = bytes.slice(dataStart + t.begin, dataStart + t.end).buffer;
      out.set(t.name, tensorOf(t, buffer));
    }
    return out;
  });
}

/** The `__metadata__` strings of safetensors bytes (undefined when there are none). */
export function metadataOf(
  bytes: Uint8Array,
  options: ReadOptions = {},
): Record<string, string> | undefined {
  return naming('metadataOf', () => readHeader(bytes, limitsOf(options)).metadata);
}
