// The safetensors format (8-byte little-endian header length, a JSON header, raw little-endian
// data), laid out as the reference implementation writes it: tensors sorted by dtype
// (widest first) then name, header padded with spaces to 8 bytes. Works in any runtime.

import { type DType, tensor as fromData, type Tensor, type TypedArray } from '@dl/tensor';
import type { StateDict } from './module.js';

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

const bytesPer: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

const written: Readonly<Record<DType, string>> = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
};

/**
 * The text codecs every runtime dl targets provides; the package builds without the DOM
 * library, so their types are spelled out here.
 */
interface TextCodecs {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (
    label: string,
    options: { fatal: boolean },
  ) => { decode(bytes: Uint8Array): string };
}
const codecs = globalThis as unknown as TextCodecs; // runtime globals outside the ES library types

/** Headers larger than this are refused, as by the reference reader. */
const maxHeaderBytes = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
}

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
  const json: Record<string, unknown> = {};
  if (metadata) json['__metadata__'] = { ...metadata };
  let offset = 0;
  for (const [name, t] of order) {
    if (name === '__metadata__')
      throw new Error('safetensors: "__metadata__" is not a valid tensor name');
    const code = written[t.dtype];
    const size = t.numel() * bytesPer[code]!;
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

function fail(message: string): never {
  throw new Error(`safetensors: ${message}`);
}

/** The header's tensor entries and metadata, validated against the buffer's size. */
export function readHeader(bytes: Uint8Array): {
  tensors: (TensorEntry & { begin: number; end: number })[];
  metadata: Record<string, string> | undefined;
  dataStart: number;
} {
  if (bytes.length < 8)
    fail(`the data is too short (${bytes.length} bytes) to hold a header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(maxHeaderBytes))
    fail(`the header length ${length} is larger than the limit of ${maxHeaderBytes} bytes`);
  const n = Number(length);
  if (8 + n > bytes.length)
    fail(
      `the header length ${n} runs past the end of the data (${bytes.length} bytes): the file is truncated`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new codecs.TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)),
    );
  } catch (error) {
    fail(
      `the header is not valid UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    fail('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> | undefined;
  const tensors: (TensorEntry & { begin: number; end: number })[] = [];
  for (const [name, info] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (
        typeof info !== 'object' ||
        info === null ||
        Object.values(info).some((v) => typeof v !== 'string')
      )
        fail('__metadata__ must map strings to strings');
      metadata = { ...(info as Record<string, string>) }; // checked just above: every value is a string
      continue;
    }
    const entry = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null; // parsed JSON, checked field by field below
    if (typeof entry !== 'object' || entry === null)
      fail(`the entry for "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !Object.hasOwn(bytesPer, dtype))
      fail(`tensor "${name}" has the unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
      fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      offsets.some((d) => !Number.isInteger(d) || d < 0)
    )
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    const dims: number[] = shape.map(Number);
    const [begin, end] = [Number(offsets[0]), Number(offsets[1])];
    const numel = dims.reduce((a, b) => a * b, 1);
    if (end - begin !== numel * bytesPer[dtype]!)
      fail(
        `tensor "${name}" (${dtype}, shape [${dims.join(', ')}]) needs ${numel * bytesPer[dtype]!} bytes but its data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    if (end > dataLength)
      fail(
        `tensor "${name}" ends at byte ${end} of the data, which has only ${dataLength} bytes: the file is truncated`,
      );
    tensors.push({ name, dtype, shape: dims, begin, end });
  }
  // The tensors must tile the data exactly, as the reference reader requires.
  tensors.sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const t of tensors) {
    if (t.begin !== expected)
      fail(
        `tensor "${t.name}" starts at byte ${t.begin} of the data, expected ${expected} (overlapping or missing data)`,
      );
    expected = t.end;
  }
  if (expected !== dataLength)
    fail(
      `the tensors cover ${expected} bytes but the data holds ${dataLength}: the file has trailing bytes`,
    );
  return { tensors, metadata, dataStart };
}

/** How each stored dtype is read: the dl dtype it becomes, and the converted values. */
function decode(
  dtype: string,
  raw: Uint8Array,
  name: string,
): { dtype: DType; values: TypedArray } {
  const buffer = raw.slice().buffer; // aligned copy
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
          fail(`tensor "${name}" (I64) holds ${v}, which does not fit dl's int32`);
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
      fail(
        `tensor "${name}" has dtype ${dtype}, which dl cannot load (it reads F64, F32, F16, BF16, I64, I32, I16, I8, U16, U8 and BOOL)`,
      );
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
 * Reads safetensors bytes into a state dict of CPU tensors, in file order. The whole file is
 * checked before any tensor is made: a bad header, a truncated file or an unsupported dtype
 * is an error naming the problem.
 */
export function fromBytes(bytes: Uint8Array): StateDict {
  const { tensors, dataStart } = readHeader(bytes);
  const decoded = tensors.map((t) => ({
    ...t,
    ...decode(t.dtype, bytes.subarray(dataStart + t.begin, dataStart + t.end), t.name),
  }));
  const out: StateDict = new Map();
  for (const t of decoded) out.set(t.name, fromData(t.values, { dtype: t.dtype }).reshape(t.shape));
  return out;
}

/** The `__metadata__` strings of safetensors bytes (undefined when there are none). */
export function metadataOf(bytes: Uint8Array): Record<string, string> | undefined {
  return readHeader(bytes).metadata;
}
