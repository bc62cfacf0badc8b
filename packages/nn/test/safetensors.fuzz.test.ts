// Fuzzing the safetensors reader: valid files round-trip; byte flips, truncations and
// structured bombs (huge header lengths, deep nesting, many entries, bad offsets, wrong
// dtypes, giant shapes) either read exactly what a JSON.parse-based reader following the
// reference's rules reads, or fail with a one-line Error. DL_FUZZ_RUNS sets the runs of each
// property (`pnpm fuzz` sets thousands); the seed is fixed, so a failure repeats.

import { type DType, type Tensor, type TensorData, tensor } from '@dl/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { errorOf, safetensorsBytes } from './safetensors-bytes.js';

const numRuns = Number(process.env['DL_FUZZ_RUNS'] ?? 150);
const settings = { seed: 19, numRuns };

// ---- an independent reader: JSON.parse, then the reference reader's checks ----

const sizes: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
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

interface Read {
  tensors: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[];
  metadata: Record<string, string> | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** What the reference reader makes of `bytes`, or undefined when it refuses them. */
function referenceRead(bytes: Uint8Array): Read | undefined {
  if (bytes.length < 8) return undefined;
  const n = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  if (n > 100_000_000n || 8n + n > BigInt(bytes.length)) return undefined;
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + Number(n)));
    header = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(header)) return undefined;
  const data = bytes.subarray(8 + Number(n));
  let metadata: Record<string, string> | undefined;
  const entries: { name: string; dtype: string; shape: number[]; offsets: [number, number] }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string'))
        return undefined;
      metadata = value as Record<string, string>; // every value checked to be a string
      continue;
    }
    if (!isObject(value)) return undefined;
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string' || !Object.hasOwn(sizes, dtype)) return undefined;
    if (!Array.isArray(shape) || !shape.every(isIndex)) return undefined;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex))
      return undefined;
    entries.push({ name, dtype, shape, offsets: [offsets[0]!, offsets[1]!] });
  }
  entries.sort((a, b) => a.offsets[0] - b.offsets[0] || a.offsets[1] - b.offsets[1]);
  let covered = 0;
  for (const { dtype, shape, offsets } of entries) {
    const [begin, end] = offsets;
    if (begin !== covered || end < begin) return undefined;
    const needed = shape.reduce((a, d) => a * BigInt(d), BigInt(sizes[dtype]!));
    if (needed !== BigInt(end - begin)) return undefined;
    covered = end;
  }
  if (covered !== data.length) return undefined;
  const tensors = entries.map(({ name, dtype, shape, offsets }) => ({
    name,
    dtype,
    shape,
    bytes: data.subarray(offsets[0], offsets[1]),
  }));
  return { tensors, metadata };
}

/** The values a stored tensor holds, as numbers (dl's dtype conversions, computed apart). */
function storedValues(dtype: string, bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length / sizes[dtype]!;
  const at = (i: number): number => {
    switch (dtype) {
      case 'F64':
        return view.getFloat64(i * 8, true);
      case 'F32':
        return view.getFloat32(i * 4, true);
      case 'BF16': {
        const word = new DataView(new ArrayBuffer(4));
        word.setUint16(0, view.getUint16(i * 2, true), false); // the high half, big-endian
        return word.getFloat32(0, false);
      }
      case 'F16': {
        const h = view.getUint16(i * 2, true);
        const exponent = (h >> 10) & 31;
        const magnitude =
          exponent === 31
            ? (h & 1023) !== 0
              ? Number.NaN
              : Number.POSITIVE_INFINITY
            : exponent === 0
              ? (h & 1023) * 2 ** -24
              : (1024 + (h & 1023)) * 2 ** (exponent - 25);
        return h & 0x8000 ? -magnitude : magnitude;
      }
      case 'I64':
        return Number(view.getBigInt64(i * 8, true));
      case 'I32':
        return view.getInt32(i * 4, true);
      case 'I16':
        return view.getInt16(i * 2, true);
      case 'U16':
        return view.getUint16(i * 2, true);
      case 'I8':
        return view.getInt8(i);
      case 'U8':
        return view.getUint8(i);
      case 'BOOL':
        return view.getUint8(i) === 0 ? 0 : 1;
      default:
        throw new Error(`no values for ${dtype}`);
    }
  };
  return Array.from({ length: count }, (_, i) => at(i));
}

// ---- what every outcome must be ----

/** fromBytes' outcome: the state dict, or the Error it threw. */
function attempt(bytes: Uint8Array, options?: nn.ReadOptions): nn.StateDict | Error {
  try {
    return nn.fromBytes(bytes, options);
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`fromBytes threw a non-Error: ${String(error)}`);
  }
}

/** An error a user can act on: one line, from fromBytes itself, not from deep inside. */
function expectClear(error: Error): void {
  expect(error.constructor, error.stack).toBe(Error);
  expect(error.message).toMatch(/^fromBytes: /);
  expect(error.message).not.toMatch(/\n|\r/);
  expect(error.message.length).toBeLessThan(400);
  expect(error.message).not.toMatch(/undefined|NaN|\[object /);
}

/** Stored dtypes dl keeps byte for byte, and the dtype each becomes. */
const keptAsIs: Record<string, DType | undefined> = {
  F64: 'float64',
  F32: 'float32',
  I32: 'int32',
  BOOL: 'bool',
};

/** A state dict fromBytes read must be what the reference reader reads, value for value. */
function expectAsReference(state: nn.StateDict, bytes: Uint8Array, options: nn.ReadOptions) {
  const reference = referenceRead(bytes);
  expect(reference, 'fromBytes read bytes the reference reader refuses').toBeDefined();
  const { tensors, metadata } = reference!;
  expect([...state.keys()]).toEqual(tensors.map((t) => t.name));
  expect(tensors.length + Object.keys(metadata ?? {}).length).toBeLessThanOrEqual(
    options.maxEntries ?? 100_000,
  );
  expect(nn.metadataOf(bytes, options)).toEqual(metadata);
  for (const { name, dtype, shape, bytes: stored } of tensors) {
    const t = state.get(name)!;
    expect(t.shape).toEqual(shape);
    expect(shape.length).toBeLessThanOrEqual(options.maxRank ?? 64);
    const kept = keptAsIs[dtype];
    if (kept) {
      // Stored as is: the same bytes.
      expect(t.dtype).toBe(kept);
      const values = t.dataSync();
      expect(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).toEqual(
        dtype === 'BOOL' ? stored.map((b) => (b === 0 ? 0 : 1)) : stored,
      );
    } else {
      expect(Array.from(t.dataSync())).toEqual(
        storedValues(dtype, stored).map((v) => (t.dtype === 'float32' ? Math.fround(v) : v)),
      );
    }
  }
}

function check(bytes: Uint8Array, options: nn.ReadOptions = {}): void {
  const outcome = attempt(bytes, options);
  if (outcome instanceof Error) expectClear(outcome);
  else expectAsReference(outcome, bytes, options);
}

// ---- valid files ----

const dtypes: DType[] = ['float32', 'float64', 'int32', 'bool'];
const shapes = fc.array(fc.nat(3), { maxLength: 4 });

/** A tensor of any dl dtype and a small shape, with arbitrary values (NaNs included). */
const tensors: fc.Arbitrary<Tensor> = fc
  .tuple(fc.constantFrom(...dtypes), shapes)
  .chain(([dtype, shape]) => {
    const length = shape.reduce((a, b) => a * b, 1);
    const values: fc.Arbitrary<TensorData> =
      dtype === 'float32'
        ? fc.float32Array({ minLength: length, maxLength: length })
        : dtype === 'float64'
          ? fc.float64Array({ minLength: length, maxLength: length })
          : dtype === 'int32'
            ? fc.int32Array({ minLength: length, maxLength: length })
            : fc.array(fc.boolean(), { minLength: length, maxLength: length });
    return values.map((v) => tensor(v, { dtype }).reshape(shape));
  });

const names = fc.string({ unit: 'binary', maxLength: 12 }).filter((n) => n !== '__metadata__');
const stateDicts = fc.dictionary(names, tensors, { maxKeys: 6 });
const metadatas = fc.option(
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ maxLength: 8 }), {
    maxKeys: 4,
  }),
  { nil: undefined },
);

const validFiles = fc
  .tuple(stateDicts, metadatas)
  .map(([state, metadata]) => ({ state, metadata }));

describe('fuzzing fromBytes', () => {
  it('reads back every state dict toBytes writes, as the reference reader does', async () => {
    await fc.assert(
      fc.asyncProperty(validFiles, async ({ state, metadata }) => {
        const bytes = await nn.toBytes(state, metadata);
        const back = nn.fromBytes(bytes);
        expect(new Set(back.keys())).toEqual(new Set(Object.keys(state)));
        for (const [name, t] of Object.entries(state)) {
          const read = back.get(name)!;
          expect(read.dtype).toBe(t.dtype);
          expect(read.shape).toEqual(t.shape);
          const [a, b] = [read.dataSync(), t.dataSync()];
          expect(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).toEqual(
            new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
          );
        }
        expect(nn.metadataOf(bytes)).toEqual(metadata);
        expectAsReference(back, bytes, {});
      }),
      settings,
    );
  });

  it('reads flipped, replaced, inserted or cut bytes as the reference does, or says why not', async () => {
    const edit = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('flip' as const),
          at: fc.noBias(fc.nat()),
          bit: fc.nat(7),
        }),
      },
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('set' as const),
          at: fc.noBias(fc.nat()),
          byte: fc.nat(255),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('insert' as const),
          at: fc.noBias(fc.nat()),
          byte: fc.nat(255),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.noBias(fc.nat()) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.noBias(fc.nat()) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('length' as const),
          value: fc.bigInt(0n, 2n ** 64n - 1n),
        }),
      },
    );
    type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;
    const apply = (bytes: Uint8Array, e: Edit): Uint8Array => {
      const at = 'at' in e ? e.at % (bytes.length + 1) : 0;
      switch (e.kind) {
        case 'flip':
        case 'set': {
          const out = bytes.slice();
          if (at < out.length) out[at] = e.kind === 'flip' ? out[at]! ^ (1 << e.bit) : e.byte;
          return out;
        }
        case 'insert':
          return new Uint8Array([...bytes.subarray(0, at), e.byte, ...bytes.subarray(at)]);
        case 'delete':
          return new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]);
        case 'cut':
          return bytes.slice(0, at);
        case 'length': {
          const out = bytes.slice();
          if (out.length >= 8) new DataView(out.buffer).setBigUint64(0, e.value, true);
          return out;
        }
      }
    };
    await fc.assert(
      fc.asyncProperty(
        validFiles,
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        async (file, edits) => {
          const bytes = edits.reduce(apply, await nn.toBytes(file.state, file.metadata));
          check(bytes);
        },
      ),
      settings,
    );
  });

  /** `value` once in `every` runs, undefined otherwise. */
  const rarely = <T>(value: fc.Arbitrary<T>, every: number) =>
    fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, value);

  // Structured bombs: headers of consistent entries, some twisted into something hostile
  // (giant or negative dimensions, bad offsets, wrong dtypes, deep nesting, fields missing or
  // given twice, entries replaced by junk), over data of about the right size.
  const numbers = fc.oneof(
    fc.nat(40).map(String),
    fc.bigInt(0n, 2n ** 70n).map(String),
    fc.constantFrom('-1', '-0', '1.5', '4.0', '1e3', '01', '"4"', 'null', 'true', '[]', '{}', ''),
  );
  const arrays = (most: number) =>
    fc.array(numbers, { maxLength: most }).map((items) => `[${items.join(',')}]`);
  const nesting = fc
    .tuple(fc.nat(100), fc.constantFrom('[', '{"k":'), fc.boolean())
    .map(([depth, open, closed]) => {
      const close = open === '[' ? ']' : '}';
      return open.repeat(depth) + (closed ? `0${close.repeat(depth)}` : '');
    });
  const dtypeValues = fc.oneof(
    fc
      .constantFrom(...Object.keys(sizes), 'Q8', 'f32', '', 'constructor', '__proto__')
      .map((d) => JSON.stringify(d)),
    fc.constantFrom('1', 'null', '["F32"]', '{}'),
  );
  const fieldNames = ['dtype', 'shape', 'data_offsets'] as const;
  const twists = fc.oneof(
    fc.record({ field: fc.constant('dtype' as const), text: dtypeValues }),
    fc.record({ field: fc.constant('shape' as const), text: arrays(70) }),
    fc.record({
      field: fc.constant('shape' as const),
      text: fc
        .array(fc.bigInt(1n, 2n ** 60n), { minLength: 1, maxLength: 6 })
        .map((dims) => `[${dims.join(',')}]`),
    }),
    fc.record({ field: fc.constant('data_offsets' as const), text: arrays(3) }),
    fc.record({ field: fc.constant('extra' as const), text: nesting }),
    fc.record({ drop: fc.constantFrom(...fieldNames) }),
    fc.record({ repeat: fc.constantFrom(...fieldNames) }),
    fc.record({ entry: fc.oneof(nesting, fc.json({ maxDepth: 3 })) }),
  );
  const specs = fc.array(
    fc.record({
      name: fc.string({ unit: 'binary', maxLength: 6 }),
      dtype: fc.constantFrom(...Object.keys(sizes)),
      shape: fc.array(fc.nat(3), { maxLength: 3 }),
      twist: rarely(twists, 3),
    }),
    { maxLength: 8 },
  );
  type Spec = typeof specs extends fc.Arbitrary<(infer S)[]> ? S : never;

  /** The header text of `specs` (at offsets that follow each other) and the data's size. */
  function layout(list: readonly Spec[]): { entries: string[]; size: number } {
    let size = 0;
    const entries = list.map(({ name, dtype, shape, twist }) => {
      const bytes = shape.reduce((a, b) => a * b, sizes[dtype]!);
      const fields: Record<string, string> = {
        dtype: JSON.stringify(dtype),
        shape: JSON.stringify(shape),
        data_offsets: JSON.stringify([size, size + bytes]),
      };
      size += bytes;
      let text: string[] = Object.entries(fields).map(([k, v]) => `"${k}":${v}`);
      if (twist && 'field' in twist) {
        text = text.filter((f) => !f.startsWith(`"${twist.field}"`));
        text.push(`"${twist.field}":${twist.text}`);
      } else if (twist && 'drop' in twist)
        text = text.filter((f) => !f.startsWith(`"${twist.drop}"`));
      else if (twist && 'repeat' in twist) text.push(`"${twist.repeat}":${fields[twist.repeat]}`);
      const value = twist && 'entry' in twist ? twist.entry : `{${text.join(',')}}`;
      return `${JSON.stringify(name)}:${value}`;
    });
    return { entries, size };
  }

  const bombs = fc.record({
    specs,
    metadata: rarely(
      fc.oneof(
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }).map((m) => JSON.stringify(m)),
        fc.json({ maxDepth: 2 }),
        nesting,
      ),
      3,
    ),
    metadataAt: fc.nat(),
    /** Bytes of data more (or fewer) than the entries need. */
    extra: rarely(fc.integer({ min: -8, max: 8 }), 4),
    fill: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    claimed: rarely(fc.bigInt(0n, 2n ** 64n - 1n), 10),
    options: fc.oneof(
      { weight: 2, arbitrary: fc.constant({}) },
      fc.record(
        { maxEntries: fc.nat(12), maxRank: fc.nat(70), maxHeaderBytes: fc.nat(4000) },
        { requiredKeys: [] },
      ),
    ),
  });

  it('reads structured bombs as the reference does, within the limits, or says why not', () => {
    fc.assert(
      fc.property(bombs, ({ specs, metadata, metadataAt, extra, fill, claimed, options }) => {
        const { entries, size } = layout(specs);
        if (metadata !== undefined)
          entries.splice(metadataAt % (entries.length + 1), 0, `"__metadata__":${metadata}`);
        const data = new Uint8Array(Math.max(0, size + (extra ?? 0)));
        data.forEach((_, i) => {
          data[i] = fill[i % fill.length]!;
        });
        check(safetensorsBytes(`{${entries.join(',')}}`, data, claimed), options);
      }),
      settings,
    );
  });

  it('stops at the first entry past maxEntries, whatever follows it', () => {
    fc.assert(
      fc.property(fc.nat(2000), fc.nat(50), fc.string(), (limit, extra, rest) => {
        const entry = (i: number) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`;
        const listed = Array.from({ length: limit + 1 + extra }, (_, i) => entry(i)).join(',');
        const message = errorOf(() =>
          nn.fromBytes(safetensorsBytes(`{${listed},${rest}`), { maxEntries: limit }),
        ).message;
        expect(message).toBe(
          `fromBytes: the header lists more than ${limit} entries (tensors and __metadata__ keys), the limit; raise it with { maxEntries }`,
        );
      }),
      settings,
    );
  });

  it('refuses any header length over maxHeaderBytes before looking at it', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.bigInt(1n, 2n ** 64n - 1001n), (limit, over) => {
        const claimed = BigInt(limit) + over;
        const message = errorOf(() =>
          nn.fromBytes(safetensorsBytes('{', undefined, claimed), { maxHeaderBytes: limit }),
        ).message;
        expect(message).toBe(
          `fromBytes: the header of ${claimed} bytes is over the ${limit}-byte limit (raise it with { maxHeaderBytes })`,
        );
      }),
      settings,
    );
  });
});
