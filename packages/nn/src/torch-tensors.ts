// Turning what a torch.save pickle described into dl values: every tensor's elements are
// gathered from its storage (any strides and offset) and converted to dl's dtypes, and the
// dicts, lists and tuples around them become plain objects and arrays. The value is checked
// whole (cycles, depth, keys, bounds, int64 ranges) before the first tensor is made.

import {
  type DType,
  tensor as fromData,
  isContiguousLayout,
  offsetsOf,
  type TypedArray,
} from '@dl/tensor';
import type { TorchDict, TorchValue } from './pth.js';
import { StorageRecord, TensorRecord, TorchGlobal, type TorchPickleValue } from './torch-pickle.js';

/** How deeply lists and dicts may nest (Python's own recursion limit is 1000). */
const maxDepth = 1000;

function fail(message: string): never {
  throw new Error(message);
}

/** Where a value sits in the file's object, rendered only for an error message. */
interface Path {
  readonly parent: Path | undefined;
  readonly key: string | number | bigint;
}

/** A path as Python indexing: `["model_state_dict"]["fc1.weight"]`, or `the top level`. */
function render(path: Path | undefined): string {
  const keys: string[] = [];
  for (let p = path; p; p = p.parent)
    keys.push(
      typeof p.key === 'string'
        ? `[${JSON.stringify(p.key.length > 80 ? `${p.key.slice(0, 80)}...` : p.key)}]`
        : `[${p.key}]`,
    );
  if (keys.length > 12) keys.splice(6, keys.length - 12, '...');
  return keys.length === 0 ? 'the top level' : keys.reverse().join('');
}

/** A tensor checked and ready to make. */
interface Plan {
  record: TensorRecord;
  numel: number;
}

let halfTable: Float32Array | undefined;

/** float16 bit patterns to float32 values, built on first use. */
function halves(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exponent = (h >> 10) & 0x1f;
      const fraction = h & 0x3ff;
      halfTable[h] =
        exponent === 0
          ? sign * 2 ** -14 * (fraction / 1024)
          : exponent === 31
            ? fraction
              ? Number.NaN
              : sign * Number.POSITIVE_INFINITY
            : sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
    }
  }
  return halfTable;
}

/**
 * Walks the unpickled value twice: first to check it (cycles, depth, dict keys, every tensor's
 * bounds and int64 range), then, when all of that passed, to build the result, converting each
 * tensor's values as it is made so that only one tensor's conversion is held at a time.
 */
export class Materialiser {
  /** Elements left to make: stride-0 views could otherwise expand a small file without bound. */
  #budget: number;
  readonly #planned = new Map<TensorRecord | StorageRecord, Plan>();
  /** Aligned copies of storages that strided views read (legacy files do not align them). */
  readonly #aligned = new Map<StorageRecord, Uint8Array>();
  readonly #checked = new Set<object>();
  readonly #active = new Set<object>();
  readonly #built = new Map<object, TorchValue>();

  readonly #limit: number;

  constructor(inputLength: number) {
    this.#limit = 2 * inputLength + 2 ** 24;
    this.#budget = this.#limit;
  }

  run(value: TorchPickleValue): TorchValue {
    this.#check(value, undefined, 0);
    return this.#build(value);
  }

  #check(value: TorchPickleValue, path: Path | undefined, depth: number): void {
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
    if (value instanceof TensorRecord) {
      this.#prepareTensor(value, path);
      return;
    }
    if (value instanceof StorageRecord) {
      // A storage saved on its own comes back as a 1-D tensor of its elements.
      this.#prepareTensor(new TensorRecord(value, 0, [value.numel], [1], false), path, value);
      return;
    }
    if (value instanceof TorchGlobal)
      fail(`${render(path)} holds ${value}, a class or function rather than data`);
    if (this.#checked.has(value)) return;
    if (this.#active.has(value))
      fail(`${render(path)} contains itself; a torch.save file never holds a cycle`);
    if (depth >= maxDepth) fail(`${render(path)} is nested more than ${maxDepth} levels deep`);
    this.#active.add(value);
    if (value instanceof Map) {
      const seen = new Set<string>();
      for (const [key, entry] of value) {
        const name = String(key);
        if (seen.has(name))
          fail(
            `${render(path)} has the keys ${name} and "${name}", which are one key in JavaScript`,
          );
        seen.add(name);
        this.#check(entry, { parent: path, key }, depth + 1);
      }
    } else {
      for (let i = 0; i < value.length; i++)
        this.#check(value[i]!, { parent: path, key: i }, depth + 1);
    }
    this.#active.delete(value);
    this.#checked.add(value);
  }

  #build(value: TorchPickleValue): TorchValue {
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
    const done = this.#built.get(value);
    if (done !== undefined) return done;
    let out: TorchValue;
    if (value instanceof TensorRecord || value instanceof StorageRecord) {
      const plan = this.#planned.get(value)!; // #check planned every record
      const { dtype, values } = this.#values(plan);
      const t = fromData(values, { dtype }).reshape(plan.record.size);
      out = plan.record.requiresGrad ? t.requiresGrad_(true) : t;
    } else if (value instanceof Map) {
      const dict: TorchDict = {};
      // defineProperty, not assignment: a key named __proto__ stays an ordinary key.
      for (const [key, entry] of value)
        Object.defineProperty(dict, String(key), {
          value: this.#build(entry),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      out = dict;
    } else if (value instanceof TorchGlobal) {
      fail(`${value} is not data`); // refused by #check already
    } else {
      const items = value.map((item) => this.#build(item));
      out = Object.isFrozen(value) ? Object.freeze(items) : items;
    }
    this.#built.set(value, out);
    return out;
  }

  #prepareTensor(
    record: TensorRecord,
    path: Path | undefined,
    key: TensorRecord | StorageRecord = record,
  ): void {
    if (this.#planned.has(key)) return;
    const { storage, offset, size, stride } = record;
    const what = () =>
      `the tensor at ${render(path)} (${storage.kind.torchDType}, size [${size.join(', ')}])`;
    let numel = 1;
    let last = offset;
    for (let d = 0; d < size.length; d++) {
      numel *= size[d]!;
      last += (size[d]! - 1) * stride[d]!;
    }
    if (!Number.isSafeInteger(numel) || numel > 2 ** 31 - 1)
      fail(`${what()} has ${numel} elements, more than dl holds in one tensor`);
    if (numel > 0 && !(Number.isSafeInteger(last) && last < storage.numel))
      fail(
        `${what()} reads element ${last} of ${storage}, which holds ${storage.numel} (stride [${stride.join(', ')}], offset ${offset})`,
      );
    this.#budget -= numel;
    if (this.#budget < 0)
      fail(
        `${what()} takes the elements to make past ${this.#limit} (twice the file's bytes, plus 2^24); expanded (stride-0) views that large are refused: save them contiguous`,
      );
    if (storage.kind.torchDType === 'int64') checkInt64(record, numel, what);
    this.#planned.set(key, { record, numel });
  }

  /** A planned tensor's values, converted to what dl stores. */
  #values({ record, numel }: Plan): { dtype: DType; values: TypedArray } {
    const { storage, offset, size, stride } = record;
    const { itemSize } = storage.kind;
    const raw = storageBytes(storage);
    if (isContiguousLayout(size, stride)) {
      // Only the tensor's own range, copied when it is not aligned to its items.
      const range = raw.subarray(offset * itemSize, (offset + numel) * itemSize);
      return convert(
        storage,
        range.byteOffset % itemSize === 0 ? range : range.slice(),
        null,
        0,
        numel,
      );
    }
    let whole = raw;
    if (raw.byteOffset % itemSize !== 0) {
      whole = this.#aligned.get(storage) ?? raw.slice();
      this.#aligned.set(storage, whole);
    }
    return convert(storage, whole, offsetsOf(size, stride, offset), offset, numel);
  }
}

/** A storage's bytes: its own, or for a legacy storage view its slice of the root's. */
function storageBytes(storage: StorageRecord): Uint8Array {
  const { itemSize } = storage.kind;
  const bytes = storage.view
    ? storage.view.root.bytes?.subarray(
        storage.view.offset * itemSize,
        (storage.view.offset + storage.numel) * itemSize,
      )
    : storage.bytes;
  if (!bytes) fail(`${storage} has no data`);
  return bytes;
}

/** Refuses an int64 tensor with a value outside int32, naming it, before anything is made. */
function checkInt64(record: TensorRecord, numel: number, what: () => string): void {
  const { size, stride, offset } = record;
  const bytes = storageBytes(record.storage);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets = isContiguousLayout(size, stride) ? null : offsetsOf(size, stride, offset);
  for (let i = 0; i < numel; i++) {
    const at = 8 * (offsets ? offsets[i]! : offset + i);
    const low = view.getUint32(at, true);
    const high = view.getInt32(at + 4, true);
    if (!((high === 0 && low <= 0x7fffffff) || (high === -1 && low >= 0x80000000))) {
      const value = (BigInt(high) << 32n) | BigInt(low);
      fail(
        `${what()} holds ${value} at index ${i}, which does not fit dl's int32 (int64 tensors become int32)`,
      );
    }
  }
}

/**
 * The values of a tensor viewing `bytes`: `numel` elements from `offset` when contiguous, else at
 * `offsets`; converted to what dl stores (float16 and bfloat16 to float32, integers to int32).
 */
function convert(
  storage: StorageRecord,
  bytes: Uint8Array,
  offsets: Int32Array | null,
  offset: number,
  numel: number,
): { dtype: DType; values: TypedArray } {
  const { buffer, byteOffset } = bytes;
  const count = bytes.length / storage.kind.itemSize;
  /** out[i] = map(source element i) for the tensor's elements. */
  function gather<T extends TypedArray | Uint32Array>(
    source: ArrayLike<number>,
    out: T,
    map: (v: number) => number,
  ): T {
    if (offsets) for (let i = 0; i < numel; i++) out[i] = map(source[offsets[i]!]!);
    else for (let i = 0; i < numel; i++) out[i] = map(source[offset + i]!);
    return out;
  }
  const same = (v: number) => v;
  switch (storage.kind.torchDType) {
    case 'float32': {
      const source = new Float32Array(buffer, byteOffset, count);
      return {
        dtype: 'float32',
        values: offsets
          ? gather(source, new Float32Array(numel), same)
          : source.subarray(offset, offset + numel),
      };
    }
    case 'float64': {
      const source = new Float64Array(buffer, byteOffset, count);
      return {
        dtype: 'float64',
        values: offsets
          ? gather(source, new Float64Array(numel), same)
          : source.subarray(offset, offset + numel),
      };
    }
    case 'int32': {
      const source = new Int32Array(buffer, byteOffset, count);
      return {
        dtype: 'int32',
        values: offsets
          ? gather(source, new Int32Array(numel), same)
          : source.subarray(offset, offset + numel),
      };
    }
    case 'float16': {
      const table = halves();
      return {
        dtype: 'float32',
        values: gather(
          new Uint16Array(buffer, byteOffset, count),
          new Float32Array(numel),
          (h) => table[h]!,
        ),
      };
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32: shift the bits into place.
      const out = new Float32Array(numel);
      gather(
        new Uint16Array(buffer, byteOffset, count),
        new Uint32Array(out.buffer),
        (h) => h << 16,
      );
      return { dtype: 'float32', values: out };
    }
    case 'int64': {
      // Checked to fit int32 when planned: the low word of each little-endian pair is the value.
      const words = new Int32Array(buffer, byteOffset, 2 * count);
      const out = new Int32Array(numel);
      if (offsets) for (let i = 0; i < numel; i++) out[i] = words[2 * offsets[i]!]!;
      else for (let i = 0; i < numel; i++) out[i] = words[2 * (offset + i)]!;
      return { dtype: 'int32', values: out };
    }
    case 'int16':
      return {
        dtype: 'int32',
        values: gather(new Int16Array(buffer, byteOffset, count), new Int32Array(numel), same),
      };
    case 'int8':
      return {
        dtype: 'int32',
        values: gather(new Int8Array(buffer, byteOffset, count), new Int32Array(numel), same),
      };
    case 'uint8':
      return {
        dtype: 'int32',
        values: gather(new Uint8Array(buffer, byteOffset, count), new Int32Array(numel), same),
      };
    case 'bool':
      return {
        dtype: 'bool',
        values: gather(new Uint8Array(buffer, byteOffset, count), new Uint8Array(numel), (v) =>
          v ? 1 : 0,
        ),
      };
    default:
      return storage.kind.torchDType satisfies never;
  }
}
