// What a torch.save pickle may hold beyond plain data: the globals dl allows (tensor rebuilds,
// typed storages, OrderedDict, torch.Size), and the records they stand for until the file is
// fully read. Nothing here runs code the file names: each allowed global maps to a small
// TypeScript function, and everything else is refused by name.

import type { DType } from '@dl/tensor';
import { kind, type PickleDict, type PickleHooks, type PickleValue } from './pickle.js';

/** The element types of the storages dl reads, by torch's names. */
export type TorchDType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/** How one of torch's typed storages is stored, and the dl dtype it becomes. */
export interface StorageKind {
  /** torch's dtype name (`float16`). */
  readonly torchDType: TorchDType;
  readonly itemSize: number;
  readonly dtype: DType;
}

/** The storages dl reads, by class name (`torch.FloatStorage`). */
export const storageKinds: Readonly<Record<string, StorageKind>> = {
  'torch.FloatStorage': { torchDType: 'float32', itemSize: 4, dtype: 'float32' },
  'torch.DoubleStorage': { torchDType: 'float64', itemSize: 8, dtype: 'float64' },
  'torch.HalfStorage': { torchDType: 'float16', itemSize: 2, dtype: 'float32' },
  'torch.BFloat16Storage': { torchDType: 'bfloat16', itemSize: 2, dtype: 'float32' },
  'torch.LongStorage': { torchDType: 'int64', itemSize: 8, dtype: 'int32' },
  'torch.IntStorage': { torchDType: 'int32', itemSize: 4, dtype: 'int32' },
  'torch.ShortStorage': { torchDType: 'int16', itemSize: 2, dtype: 'int32' },
  'torch.CharStorage': { torchDType: 'int8', itemSize: 1, dtype: 'int32' },
  'torch.ByteStorage': { torchDType: 'uint8', itemSize: 1, dtype: 'int32' },
  'torch.BoolStorage': { torchDType: 'bool', itemSize: 1, dtype: 'bool' },
};

/** The functions and classes a file may name besides storages. */
const callables = [
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'collections.OrderedDict',
  'torch.Size',
  '_codecs.encode',
] as const;
type CallableName = (typeof callables)[number];

/** A global the file named and dl allows: a storage class or one of `callables`. */
export class TorchGlobal {
  constructor(readonly name: string) {}
  toString(): string {
    return `the global ${this.name}`;
  }
}

/**
 * A storage: `numel` elements of one dtype. Its bytes are bound once the container is read (zip
 * records at once, legacy files after the main pickle); a legacy storage view reads a slice of
 * its root storage.
 */
export class StorageRecord {
  bytes: Uint8Array | undefined;
  constructor(
    readonly key: string,
    readonly kind: StorageKind,
    readonly className: string,
    readonly numel: number,
    readonly view?: { readonly root: StorageRecord; readonly offset: number },
  ) {}
  toString(): string {
    return `storage ${this.key} (${this.className})`;
  }
}

/** A tensor to be made: a strided view of a storage, as `_rebuild_tensor_v2` describes it. */
export class TensorRecord {
  constructor(
    readonly storage: StorageRecord,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {}
  toString(): string {
    return `a tensor`;
  }
}

/** What the torch hooks build besides plain data. */
export type TorchObject = TorchGlobal | StorageRecord | TensorRecord;
/** A value of a torch.save pickle while it is read. */
export type TorchPickleValue = PickleValue<TorchObject>;

function refuse(module: string, name: string): never {
  let hint = '';
  if (module === 'torch' && name.endsWith('Storage'))
    hint = `; dl has no dtype for ${name} (it reads float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8 and bool)`;
  else if (module.startsWith('__torch__'))
    hint = '; this looks like TorchScript (torch.jit.save), which dl does not read';
  else if (module === '__main__' || module.startsWith('torch.nn.modules'))
    hint =
      '; a model saved whole (torch.save(model)) pickles its classes: save model.state_dict() instead';
  throw new Error(
    `refusing global ${module}.${name}: only tensors, storages, OrderedDict and torch.Size are allowed, and nothing in the file was run${hint}`,
  );
}

function isTuple(value: TorchPickleValue): value is readonly TorchPickleValue[] {
  return Array.isArray(value) && Object.isFrozen(value);
}

function isSequence(value: TorchPickleValue): value is readonly TorchPickleValue[] {
  return Array.isArray(value);
}

function count(value: TorchPickleValue, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new Error(`${what} must be a non-negative integer, got ${describe(value)}`);
  return value;
}

function counts(value: TorchPickleValue, what: string): number[] {
  if (!isSequence(value))
    throw new Error(`${what} must be a tuple of integers, got ${describe(value)}`);
  return value.map((v, i) => count(v, `${what}[${i}]`));
}

function describe(value: TorchPickleValue): string {
  if (typeof value === 'number' || typeof value === 'bigint') return `${kind(value)} ${value}`;
  if (typeof value === 'string') return `the str ${JSON.stringify(value.slice(0, 40))}`;
  return kind(value);
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)`. */
function rebuildTensor(args: readonly TorchPickleValue[], name: string): TensorRecord {
  const [storage, offset, size, stride, requiresGrad] = args;
  const minimum = name.endsWith('_v2') ? 6 : 4;
  if (args.length < minimum || args.length > 7)
    throw new Error(`${name} takes ${minimum} arguments, got ${args.length}`);
  if (!(storage instanceof StorageRecord))
    throw new Error(`${name} needs a storage, got ${describe(storage ?? null)}`);
  const dims = counts(size ?? null, `${name}'s size`);
  const strides = counts(stride ?? null, `${name}'s stride`);
  if (dims.length !== strides.length)
    throw new Error(
      `${name} has a size of ${dims.length} dimensions ([${dims.join(', ')}]) but ${strides.length} strides`,
    );
  if (requiresGrad !== undefined && typeof requiresGrad !== 'boolean')
    throw new Error(`${name}'s requires_grad must be a bool, got ${describe(requiresGrad)}`);
  return new TensorRecord(
    storage,
    count(offset ?? null, `${name}'s storage offset`),
    dims,
    strides,
    requiresGrad === true,
  );
}

const reducers: Readonly<
  Record<CallableName, (args: readonly TorchPickleValue[], name: string) => TorchPickleValue>
> = {
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_parameter': parameter,
  'torch._utils._rebuild_parameter_with_state': parameter,
  'collections.OrderedDict': (args) => {
    // OrderedDict() then SETITEMS, as pickle writes it; or OrderedDict([(key, value), ...]).
    const dict: PickleDict<TorchObject> = new Map();
    if (args.length === 0) return dict;
    const items = args[0] ?? null;
    if (args.length !== 1 || !isSequence(items))
      throw new Error(`OrderedDict takes a list of pairs, got ${args.length} arguments`);
    for (const pair of items) {
      if (!isSequence(pair) || pair.length !== 2)
        throw new Error('OrderedDict takes a list of pairs');
      const [key = null, value = null] = pair;
      if (
        (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'bigint') ||
        (typeof key === 'number' && !Number.isInteger(key))
      )
        throw new Error(`an OrderedDict key is ${describe(key)}; dl reads string and integer keys`);
      dict.set(key, value);
    }
    return dict;
  },
  'torch.Size': (args) => {
    const [dims] = args;
    if (args.length !== 1)
      throw new Error(`torch.Size takes one tuple, got ${args.length} arguments`);
    return Object.freeze(counts(dims ?? null, 'torch.Size'));
  },
  '_codecs.encode': (args) => {
    // How protocol 2 pickles bytes: encode(text, 'latin1'), one character a byte.
    const [text, encoding] = args;
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
      throw new Error(
        `_codecs.encode is allowed only as encode(str, 'latin1'), the way pickle stores bytes`,
      );
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff)
        throw new Error(`_codecs.encode(..., 'latin1') got the character U+${code.toString(16)}`);
      out[i] = code;
    }
    return out;
  },
};

function isCallable(name: string): name is CallableName {
  return callables.some((callable) => callable === name);
}

/** `_rebuild_parameter(data, requires_grad, backward_hooks[, state])`: the tensor itself. */
function parameter(args: readonly TorchPickleValue[], name: string): TorchPickleValue {
  const [data, requiresGrad] = args;
  if (!(data instanceof TensorRecord))
    throw new Error(`${name} needs a tensor, got ${describe(data ?? null)}`);
  return new TensorRecord(data.storage, data.offset, data.size, data.stride, requiresGrad === true);
}

/**
 * The hooks of a torch.save pickle: allowed globals, calls and BUILDs. `persistentLoad` turns a
 * persistent id into a storage; it differs between the zip and legacy formats.
 */
export function torchHooks(
  persistentLoad: (pid: TorchPickleValue) => TorchPickleValue,
): PickleHooks<TorchObject> {
  return {
    global(module, name) {
      const full = `${module}.${name}`;
      if (Object.hasOwn(storageKinds, full) || isCallable(full)) return new TorchGlobal(full);
      return refuse(module, name);
    },
    reduce(callable, args) {
      if (!(callable instanceof TorchGlobal))
        throw new Error(`REDUCE calls ${describe(callable)}; only allowed globals can be called`);
      const { name } = callable;
      if (!isCallable(name)) throw new Error(`${name} is a storage class; dl does not call it`);
      return reducers[name](args, name);
    },
    build(target, state) {
      // A state dict's OrderedDict carries `_metadata` (module versions) as an attribute: it is not
      // an item, and dl has no use for it. Tensors and anything else may not be built.
      if (target instanceof Map) return target;
      throw new Error(`BUILD of ${describe(target)} (with ${describe(state)}) is not allowed`);
    },
    persistentLoad,
  };
}

/** The storage class of a persistent id, checked. */
export function storageClass(value: TorchPickleValue): { name: string; kind: StorageKind } {
  if (!(value instanceof TorchGlobal) || !Object.hasOwn(storageKinds, value.name))
    throw new Error(`a storage's type must be a storage class, got ${describe(value)}`);
  return { name: value.name, kind: storageKinds[value.name]! };
}

/** A storage's persistent id, checked: `('storage', type, key, location, numel, ...)`. */
export function storageId(
  pid: TorchPickleValue,
  length: number,
): {
  className: string;
  kind: StorageKind;
  key: string;
  numel: number;
  rest: readonly TorchPickleValue[];
} {
  if (!isTuple(pid) || pid[0] !== 'storage') {
    if (isTuple(pid) && pid[0] === 'module')
      throw new Error(
        'the file holds a whole model (torch.save(model)); dl reads state dicts and checkpoints: save model.state_dict() instead',
      );
    throw new Error(`a persistent id must be a ('storage', ...) tuple, got ${describe(pid)}`);
  }
  if (pid.length !== length)
    throw new Error(`a storage's persistent id has ${pid.length} fields, expected ${length}`);
  const [, type, key, location, numel] = pid;
  const { name, kind: storageKind } = storageClass(type ?? null);
  if (typeof key !== 'string')
    throw new Error(`a storage key must be a str, got ${describe(key ?? null)}`);
  if (typeof location !== 'string')
    throw new Error(`a storage location must be a str, got ${describe(location ?? null)}`);
  return {
    className: name,
    kind: storageKind,
    key,
    numel: count(numel ?? null, `storage ${key}'s size`),
    rest: pid.slice(5),
  };
}
