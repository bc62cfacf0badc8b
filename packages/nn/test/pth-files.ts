// Helpers for the torch.save tests: the fixtures PyTorch wrote and the values it recorded
// (scripts/reference/pth.py), and hand-built pickles, legacy files and zip archives for the
// cases PyTorch would not write.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '@dl/tensor';
import { expect } from 'vitest';
import { crc32 } from '../src/zip.js';

export const fixtures = join(import.meta.dirname, 'fixtures', 'pth');

/** The file the malicious fixtures would create if anything ran them. */
export const pwned = '/tmp/dl-pth-pwned';

/** A fixture's bytes. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(fixtures, name)));
}

/** Values as JSON holds them: numbers, or strings for what JSON cannot hold. */
type JsonNumber = number | boolean | 'NaN' | 'Infinity' | '-Infinity';

/** A tensor PyTorch recorded: torch's dtype name, shape, row-major values. */
export interface RecordedTensor {
  dtype: string;
  shape: number[];
  values: JsonNumber[];
}

/** A large tensor, summarised. */
export interface TensorSummary {
  shape: number[];
  sum: number;
  sumSquares: number;
  head: number[];
  tail: number[];
}

export interface Expected {
  torch: string;
  mlp: Record<string, RecordedTensor>;
  mnist: { input: RecordedTensor; output: RecordedTensor; state: Record<string, TensorSummary> };
  views: Record<string, RecordedTensor>;
  dtypes: Record<string, RecordedTensor>;
  checkpoint: {
    epoch: number;
    loss: number;
    model: Record<string, RecordedTensor>;
    optimizerState: Record<string, Record<string, RecordedTensor>>;
    paramGroups: Record<string, unknown>[];
  };
}

export const expected = JSON.parse(
  readFileSync(join(fixtures, 'expected.json'), 'utf8'),
) as Expected; // written by scripts/reference/pth.py in this shape

/** The dl dtype each torch dtype loads as. */
export const dlDType: Readonly<Record<string, string>> = {
  float32: 'float32',
  float16: 'float32',
  bfloat16: 'float32',
  float64: 'float64',
  int64: 'int32',
  int32: 'int32',
  int16: 'int32',
  int8: 'int32',
  uint8: 'int32',
  bool: 'bool',
};

/** Recorded values as numbers (NaN and infinities from their strings, bools as 0 and 1). */
export function numbers(values: readonly JsonNumber[]): number[] {
  return values.map((v) =>
    v === 'NaN'
      ? Number.NaN
      : v === 'Infinity'
        ? Number.POSITIVE_INFINITY
        : v === '-Infinity'
          ? Number.NEGATIVE_INFINITY
          : Number(v),
  );
}

/** Checks a loaded tensor's dtype, shape and exact values against PyTorch's record. */
export function expectTensor(actual: unknown, recorded: RecordedTensor, what: string): void {
  expect(actual, what).toBeInstanceOf(Tensor);
  const t = actual as Tensor; // checked just above
  expect(t.dtype, `${what} dtype`).toEqual(dlDType[recorded.dtype]);
  expect([...t.shape], `${what} shape`).toEqual(recorded.shape);
  expect(Array.from(t.dataSync(), Number), `${what} values`).toEqual(numbers(recorded.values));
}

// ---- hand-built pickles ----

const encoder = new TextEncoder();

/** A pickle written opcode by opcode. */
export class Pickle {
  readonly #parts: number[] = [];

  raw(...bytes: (number | Uint8Array)[]): this {
    for (const b of bytes) {
      if (typeof b === 'number') this.#parts.push(b);
      else for (const byte of b) this.#parts.push(byte);
    }
    return this;
  }
  proto(version = 2): this {
    return this.raw(0x80, version);
  }
  /** BININT1, BININT or LONG1, by size. */
  int(value: number | bigint): this {
    const n = BigInt(value);
    if (n >= 0n && n < 256n) return this.raw(0x4b, Number(n));
    if (n >= -(2n ** 31n) && n < 2n ** 31n) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, Number(n), true);
      return this.raw(0x4a, b);
    }
    // LONG1: little-endian two's complement, as few bytes as keep the sign.
    const bytes: number[] = [];
    let rest = n;
    for (;;) {
      const byte = Number(rest & 0xffn);
      bytes.push(byte);
      rest >>= 8n;
      if ((rest === 0n && !(byte & 0x80)) || (rest === -1n && byte & 0x80)) break;
    }
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  float(value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, false);
    return this.raw(0x47, b);
  }
  str(text: string): this {
    const b = encoder.encode(text);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, b.length, true);
    return this.raw(0x58, length, b);
  }
  global(module: string, name: string): this {
    return this.raw(0x63, encoder.encode(`${module}\n${name}\n`));
  }
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).raw(0x93);
  }
  none(): this {
    return this.raw(0x4e);
  }
  bool(value: boolean): this {
    return this.raw(value ? 0x88 : 0x89);
  }
  mark(): this {
    return this.raw(0x28);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  append(): this {
    return this.raw(0x61);
  }
  setItem(): this {
    return this.raw(0x73);
  }
  setItems(): this {
    return this.raw(0x75);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  build(): this {
    return this.raw(0x62);
  }
  put(index: number): this {
    return this.raw(0x71, index);
  }
  get(index: number): this {
    return this.raw(0x68, index);
  }
  persistentId(): this {
    return this.raw(0x51);
  }
  /** A tuple of small integers. */
  ints(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }
  /**
   * `_rebuild_tensor_v2` of a legacy-format storage `key` of `numel` elements of `type`
   * (`FloatStorage`), with `offset`, `size` and `stride`.
   */
  tensor(
    key: string,
    type: string,
    numel: number,
    offset: number,
    size: readonly number[],
    stride: readonly number[],
  ): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', type).str(key).str('cpu').int(numel).none().tuple();
    this.persistentId().int(offset).ints(size).ints(stride).bool(false);
    this.global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple().reduce();
  }
  stop(): Uint8Array {
    this.raw(0x2e);
    return Uint8Array.from(this.#parts);
  }
}

/** One storage of a legacy file: its key, element count and raw little-endian bytes. */
export interface LegacyStorage {
  key: string;
  numel: number;
  data: Uint8Array;
}

/** A legacy-format file around a main pickle: magic, version, sys_info, main, keys, storages. */
export function legacyFile(
  main: Uint8Array,
  storages: readonly LegacyStorage[] = [],
  { version = 1001, littleEndian = true } = {},
): Uint8Array {
  const header = [
    new Pickle().proto().int(0x1950a86a20f9469cfc6cn).stop(),
    new Pickle().proto().int(version).stop(),
    new Pickle().proto().emptyDict().str('little_endian').bool(littleEndian).setItem().stop(),
  ];
  const keys = new Pickle().proto().emptyList();
  for (const s of storages) keys.str(s.key).append();
  const blocks = storages.map((s) => {
    const b = new Uint8Array(8 + s.data.length);
    new DataView(b.buffer).setBigInt64(0, BigInt(s.numel), true);
    b.set(s.data, 8);
    return b;
  });
  return concat([...header, main, keys.stop(), ...blocks]);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Little-endian float32 bytes. */
export function float32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

// ---- hand-built zip archives ----

/** A zip archive of stored entries, as torch.save lays them out (without its alignment). */
export function zipOf(entries: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = encoder.encode(name);
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const central = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    central.set(nameBytes, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
  }
  const directory = concat(centrals);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, directory.length, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, directory, end]);
}
