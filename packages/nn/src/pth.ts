// Reading PyTorch's torch.save files (`.pth`, `.pt`) in any runtime: the zip format PyTorch
// writes since 1.6 and the legacy format before it. The pickle inside is read by a restricted
// unpickler (pickle.ts, torch-pickle.ts) that allows tensors, storages, OrderedDict and plain
// data and runs nothing; tensors are made only after the whole file has been read and checked.

import { Tensor } from '@dl/tensor';
import type { StateDict } from './module.js';
import { kind, unpickle } from './pickle.js';
import { StorageRecord, storageId, type TorchPickleValue, torchHooks } from './torch-pickle.js';
import { Materialiser } from './torch-tensors.js';
import { isZip, readZipDirectory, type ZipReadOptions, zipEntryBytes } from './zip.js';

/**
 * A value read from a torch.save file, as PyTorch's torch.load would give it: tensors (CPU,
 * dl's dtypes), numbers (Python ints beyond ±2^53 as bigint), strings, booleans, null (None),
 * bytes, arrays (lists, and tuples as frozen arrays) and dicts (plain objects).
 */
export type TorchValue =
  | Tensor
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | readonly TorchValue[]
  | TorchDict;

/**
 * A Python dict or OrderedDict read from a torch.save file: a plain object in the file's order.
 * Integer keys (an optimizer's per-parameter state) become decimal strings, and JavaScript lists
 * integer-like keys first, in ascending order.
 */
export interface TorchDict {
  [key: string]: TorchValue;
}

/**
 * Options of readTorch: `inflateRaw` decompresses DEFLATE zip entries (without it they are
 * refused; torch.save never writes them), `crc32` is a faster checksum where the runtime has one.
 */
export type ReadTorchOptions = ZipReadOptions;

/** PyTorch's legacy-format magic number and the format version dl reads. */
const legacyMagic = 0x1950a86a20f9469cfc6cn;
const legacyVersion = 1001;

/** The legacy magic number pickled: LONG1 of 10 bytes, then STOP. */
const legacyMagicBytes = [
  0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
];

function fail(message: string): never {
  throw new Error(message);
}

/**
 * Whether bytes hold a torch.save file: a zip archive, or a pickle that starts with PyTorch's
 * legacy magic number. Safetensors files never match.
 */
export function isTorchFile(bytes: Uint8Array): boolean {
  if (isZip(bytes)) return true;
  if (bytes.length < 2 || bytes[0] !== 0x80 || bytes[1]! < 2 || bytes[1]! > 5) return false;
  const start = bytes[2] === 0x95 ? 11 : 2; // protocol 4 and 5 open with a FRAME
  return legacyMagicBytes.every((b, i) => bytes[start + i] === b);
}

/**
 * Reads a torch.save file (either format) into its value: for `torch.save(model.state_dict())`
 * a dict of tensors, for a training checkpoint a dict of its parts. Works in every runtime.
 *
 * Only what state dicts and checkpoints hold is read: tensors of float32, float64, float16 and
 * bfloat16 (both become float32), int64 (becomes int32; a value outside int32 is an error naming
 * the tensor), int32, int16, int8 and uint8 (become int32) and bool, in any layout (views,
 * offsets, shared storage: each tensor comes back with its own values); OrderedDict, dict, list,
 * tuple, str, bytes, int, float, bool and None. Anything else the pickle names (a class, a
 * function such as os.system) is refused by name before any tensor is made, and nothing in the
 * file is ever run. Errors say what is wrong and where (`pth: ... (byte 42 of archive/data.pkl)`).
 */
export function fromTorchBytes(bytes: Uint8Array): TorchValue {
  return readTorch(bytes);
}

/**
 * The state dict in a value read from a torch.save file: a dict whose values are all tensors,
 * as a `Map` (for `loadStateDict`). A checkpoint holds its state dicts under keys:
 * `asStateDict(checkpoint['model_state_dict'])`. Anything else is an error naming the entries
 * that are not tensors.
 */
export function asStateDict(value: TorchValue | undefined): StateDict {
  const { stateDict, problem } = stateDictOf(value);
  if (problem !== undefined)
    throw new Error(
      `asStateDict: expected a state dict (a dict of tensors), got ${problem}; a checkpoint holds its state dicts under keys: asStateDict(checkpoint['model_state_dict'])`,
    );
  return stateDict;
}

/** The value as a state dict, or what keeps it from being one. */
function stateDictOf(
  value: TorchValue | undefined,
): { stateDict: StateDict; problem?: never } | { stateDict?: never; problem: string } {
  if (!isDict(value)) return { problem: describe(value) };
  const stateDict: StateDict = new Map();
  const others: string[] = [];
  for (const [key, entry] of Object.entries(value)) {
    if (entry instanceof Tensor) stateDict.set(key, entry);
    else others.push(`${JSON.stringify(key)} (${describe(entry)})`);
  }
  if (others.length === 0) return { stateDict };
  const listed =
    others.slice(0, 4).join(', ') + (others.length > 4 ? `, ... (${others.length} in all)` : '');
  return { problem: `a dict whose entries ${listed} are not tensors` };
}

/**
 * fromTorchBytes with options (Node's loader passes zlib's inflater and CRC-32); every error
 * starts with `pth: ` and keeps the reader's own as its cause.
 */
export function readTorch(bytes: Uint8Array, options: ReadTorchOptions = {}): TorchValue {
  try {
    const value = isZip(bytes) ? readZip(bytes, options) : readLegacy(bytes);
    return new Materialiser(bytes.length).run(value);
  } catch (error) {
    throw new Error(`pth: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/**
 * A torch.save file's state dict, for `load(path)`: a file that holds something else (a
 * checkpoint) is an error that says how to read it.
 */
export function readTorchStateDict(bytes: Uint8Array, options: ReadTorchOptions = {}): StateDict {
  const { stateDict, problem } = stateDictOf(readTorch(bytes, options));
  if (problem !== undefined)
    throw new Error(
      `pth: load() reads files that hold a state dict, and this one holds ${problem}. Read it with loadTorch(path) and pass its state dict to asStateDict: asStateDict(checkpoint['model_state_dict'])`,
    );
  return stateDict;
}

function isDict(value: TorchValue | undefined): value is TorchDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Tensor) &&
    !(value instanceof Uint8Array)
  );
}

function describe(value: TorchValue | undefined): string {
  if (value === undefined) return 'undefined (a missing key?)';
  if (value instanceof Tensor) return `a tensor of shape [${value.shape.join(', ')}]`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (isDict(value)) return `a dict of ${Object.keys(value).length} entries`;
  return kind(value);
}

// ---- the zip format ----

function readZip(bytes: Uint8Array, options: ZipReadOptions): TorchPickleValue {
  const entries = readZipDirectory(bytes);
  const first = entries.keys().next();
  if (first.done) fail('the zip archive is empty, not a torch.save file');
  // Every record sits in one folder named after the file (`model/data.pkl`), as PyTorch's reader expects.
  const slash = first.value.indexOf('/');
  const prefix = slash < 0 ? '' : first.value.slice(0, slash + 1);
  const record = (name: string) => entries.get(prefix + name);
  const pickleEntry = record('data.pkl');
  if (!pickleEntry)
    fail(
      record('constants.pkl')
        ? 'this zip archive is TorchScript (torch.jit.save), which dl does not read'
        : `the zip archive has no ${prefix}data.pkl, so it is not a torch.save file`,
    );
  const byteorder = record('byteorder');
  if (byteorder) {
    const order = String.fromCharCode(...zipEntryBytes(bytes, byteorder, options).subarray(0, 16));
    if (order !== 'little')
      fail(
        order === 'big'
          ? 'the file was written on a big-endian machine (byteorder "big"); dl reads little-endian files'
          : `the file's byteorder record says ${JSON.stringify(order)}, not "little"`,
      );
  }
  const storages = new Map<string, StorageRecord>();
  const hooks = torchHooks((pid) => {
    const id = storageId(pid, 5);
    const known = storages.get(id.key);
    if (known) {
      if (known.className !== id.className || known.numel !== id.numel)
        fail(
          `storage ${id.key} is read as ${known.className} of ${known.numel} elements and as ${id.className} of ${id.numel}`,
        );
      return known;
    }
    const name = `${prefix}data/${id.key}`;
    const entry = entries.get(name);
    if (!entry) fail(`storage ${id.key} has no record ${name} in the archive`);
    const expected = id.numel * id.kind.itemSize;
    if (entry.size !== expected)
      fail(
        `storage ${id.key} (${id.className} of ${id.numel} elements) needs ${expected} bytes but ${name} holds ${entry.size}`,
      );
    const storage = new StorageRecord(id.key, id.kind, id.className, id.numel);
    storage.bytes = zipEntryBytes(bytes, entry, options);
    storages.set(id.key, storage);
    return storage;
  });
  const data = zipEntryBytes(bytes, pickleEntry, options);
  return unpickle(data, hooks, { name: `${prefix}data.pkl` }).value;
}

// ---- the legacy format ----

function readLegacy(bytes: Uint8Array): TorchPickleValue {
  if (bytes[0] !== 0x80)
    fail(
      `not a torch.save file: it is neither a zip archive nor a pickle (it starts with the bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`,
    );
  const source = { name: 'the file' };
  let at = 0;
  const plain = torchHooks(() => fail('a persistent id outside the main pickle'));
  const next = (hooks = plain) => {
    const result = unpickle(bytes, hooks, source, at);
    at = result.end;
    return result.value;
  };
  // A raw pickle of anything else (even one that names os.system) fails here, in the reader.
  const magic = next();
  if (magic !== legacyMagic)
    fail(
      `not a torch.save file: its first pickle holds ${kind(magic)}, not PyTorch's magic number`,
    );
  const version = next();
  if (version !== legacyVersion)
    fail(`the legacy format's version is ${String(version)}; dl reads version ${legacyVersion}`);
  const info = next();
  if (!(info instanceof Map) || info.get('little_endian') !== true)
    fail(
      info instanceof Map && info.get('little_endian') === false
        ? 'the file was written on a big-endian machine; dl reads little-endian files'
        : 'the legacy header does not say the file is little-endian',
    );

  const roots = new Map<string, StorageRecord>();
  const views = new Map<string, StorageRecord>();
  const hooks = torchHooks((pid) => {
    const id = storageId(pid, 6);
    let root = roots.get(id.key);
    if (!root) {
      root = new StorageRecord(id.key, id.kind, id.className, id.numel);
      roots.set(id.key, root);
    } else if (root.className !== id.className || root.numel !== id.numel)
      fail(
        `storage ${id.key} is read as ${root.className} of ${root.numel} elements and as ${id.className} of ${id.numel}`,
      );
    const [viewMetadata] = id.rest;
    if (viewMetadata === null || viewMetadata === undefined) return root;
    // Storage views, from PyTorch before 1.0: (view key, offset, size) within the root.
    if (!Array.isArray(viewMetadata) || viewMetadata.length !== 3)
      fail(`storage ${id.key}'s view metadata must be a (key, offset, size) tuple`);
    const [viewKey, offset, size] = viewMetadata;
    if (
      typeof viewKey !== 'string' ||
      typeof offset !== 'number' ||
      typeof size !== 'number' ||
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(size) ||
      offset < 0 ||
      size < 0 ||
      offset + size > id.numel
    )
      fail(
        `storage ${id.key}'s view (${String(offset)}, ${String(size)}) is not within its ${id.numel} elements`,
      );
    const known = views.get(viewKey);
    if (known) return known;
    const view = new StorageRecord(viewKey, id.kind, id.className, size, { root, offset });
    views.set(viewKey, view);
    return view;
  });
  const value = next(hooks);

  // Then the storages' keys, and their data in that order: each an int64 count and the bytes.
  const keys = next();
  if (!Array.isArray(keys))
    fail(`the legacy format's storage keys must be a list, got ${kind(keys)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys) {
    if (typeof key !== 'string')
      fail(`the legacy format's storage keys must be strings, got ${kind(key)}`);
    const storage = roots.get(key);
    if (!storage) fail(`the file holds data for storage ${key}, which no tensor uses`);
    if (at + 8 > bytes.length)
      fail(`storage ${key}'s size (byte ${at}) is past the end of the file: the file is truncated`);
    const numel = view.getBigInt64(at, true);
    if (numel !== BigInt(storage.numel))
      fail(
        `storage ${key} should hold ${storage.numel} elements but the file says ${numel} (byte ${at})`,
      );
    const size = storage.numel * storage.kind.itemSize;
    if (at + 8 + size > bytes.length)
      fail(
        `storage ${key} (${size} bytes from byte ${at + 8}) runs past the end of the file (${bytes.length} bytes): the file is truncated`,
      );
    storage.bytes = bytes.subarray(at + 8, at + 8 + size);
    at += 8 + size;
  }
  for (const storage of roots.values())
    if (!storage.bytes) fail(`storage ${storage.key} is used but the file holds no data for it`);
  return value;
}
