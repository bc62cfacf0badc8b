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

/** A path as Python indexing: `['model_state_dict']['fc1.weight']`, or `the top level`. */
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

/** A tensor's values, converted and checked, before the tensor is made. */
interface Prepared {
  dtype: DType;
  values: TypedArray;
  shape: readonly number[];
  requiresGrad: boolean;
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
 * Walks the unpickled value twice: first to check it (cycles, depth, dict keys) and convert every
 * tensor's values, then, when all of that passed, to build the result with dl tensors.
 */
export class Materialiser {
  /** Elements left to make: stride-0 views could otherwise expand a small file without bound. */
  #budget: number;
  readonly #prepared = new Map<TensorRecord | StorageRecord, Prepared>();
  readonly #checked = new Set<object>();
  readonly #active = new Set<object>();
  readonly #built = new Map<object, TorchValue>();

  constructor(inputLength: number) {
    this.#budget = 2 * inputLength + 2 ** 24;
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
      const { dtype, values, shape, requiresGrad } = this.#prepared.get(value)!; // every record was prepared by #check
      const t = fromData(values, { dtype }).reshape(shape);
      out = requiresGrad ? t.requiresGrad_(true) : t;
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
    if (this.#prepared.has(key)) return;
    const { storage, offset, size, stride } = record;
    const what = `the tensor at ${render(path)} (${storage.kind.torchDType}, size [${size.join(', ')}])`;
    let numel = 1;
    let last = offset;
    for (let d = 0; d < size.length; d++) {
      numel *= size[d]!;
      last += (size[d]! - 1) * stride[d]!;
    }
    if (!Number.isSafeInteger(numel) || numel > 2 ** 31 - 1)
      fail(`${what} has ${numel} elements, more than dl holds in one tensor`);
    if (numel > 0 && !(Number.isSafeInteger(last) && last < storage.numel))
      fail(
        `${what} reads element ${last} of ${storage}, which holds ${storage.numel} (stride [${stride.join(', ')}], offset ${offset})`,
      );
    this.#budget -= numel;
    if (this.#budget < 0)
      fail(
        `${what} brings the elements to make past twice the file's size; expanded (stride-0) views this large are refused: save them contiguous`,
      );
    const bytes = storageBytes(storage);
    const offsets = isContiguousLayout(size, stride) ? null : offsetsOf(size, stride, offset);
    this.#prepared.set(key, {
      ...convert(storage, bytes, offsets, offset, numel, what),
      shape: size,
      requiresGrad: record.requiresGrad,
    });
  }
}

/** A storage's bytes (a view's slice of its root), copied when they are not aligned to its items. */
function storageBytes(storage: StorageRecord): Uint8Array {
  let bytes = storage.bytes;
  const { itemSize } = storage.kind;
  if (storage.view) {
    const root = storage.view.root.bytes;
    if (!root) fail(`${storage} has no data`);
    bytes = root.subarray(
      storage.view.offset * itemSize,
      (storage.view.offset + storage.numel) * itemSize,
    );
  }
  if (!bytes) fail(`${storage} has no data`);
  return bytes.byteOffset % itemSize === 0 ? bytes : bytes.slice();
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
  what: string,
): { dtype: DType; values: TypedArray } {
  const { buffer, byteOffset } = bytes;
  const count = bytes.length / storage.kind.itemSize;
  /** out[i] = map(source element i) for the tensor's elements. */
  function gather<S extends ArrayLike<number | bigint>, T extends TypedArray | Uint32Array>(
    source: S,
    out: T,
    map: (v: S[number], i: number) => number,
  ): T {
    if (offsets) for (let i = 0; i < numel; i++) out[i] = map(source[offsets[i]!]!, i);
    else for (let i = 0; i < numel; i++) out[i] = map(source[offset + i]!, i);
    return out;
  }
  const same = (v: number | bigint) => v as number; // the source's own numbers
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
    case 'int64':
      return {
        dtype: 'int32',
        values: gather(
          new BigInt64Array(buffer, byteOffset, count),
          new Int32Array(numel),
          (v, i) => {
            if (v > 2147483647n || v < -2147483648n)
              fail(
                `${what} holds ${v} at index ${i}, which does not fit dl's int32 (int64 tensors become int32)`,
              );
            return Number(v);
          },
        ),
      };
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
