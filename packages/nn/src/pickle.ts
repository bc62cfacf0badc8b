// A restricted Python unpickler: a stack machine over pickle opcodes (protocols 2 to 5) that
// builds plain data and never runs anything. Every global, call (REDUCE), BUILD and persistent
// id goes to the caller's hooks, which allow what they know and refuse the rest; the opcodes
// that import or instantiate by themselves (INST, OBJ, NEWOBJ, EXT*) are refused outright.
//
// Work and memory are linear in the input: each opcode reads at most the bytes it names (checked
// against what is left), the stacks and the memo grow by at most one entry per opcode, and
// nothing recurses.

/** A Python list while unpickling (a mutable array). */
export type PickleList<O> = PickleValue<O>[];

/** A Python tuple while unpickling (a frozen array). */
export type PickleTuple<O> = readonly PickleValue<O>[];

/** A Python dict or OrderedDict while unpickling, keyed by strings and integers. */
export type PickleDict<O> = Map<string | number | bigint, PickleValue<O>>;

/**
 * What the unpickler builds: None, bools, ints (bigint beyond 2^53), floats, str, bytes, lists
 * (arrays), tuples (frozen arrays), dicts (Maps), and the objects `O` the hooks make.
 */
export type PickleValue<O> =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleList<O>
  | PickleTuple<O>
  | PickleDict<O>
  | O;

/**
 * What a caller allows. Each hook returns the value to push, or throws an Error whose message
 * says why it refuses; the unpickler adds where in the input that happened.
 */
export interface PickleHooks<O> {
  /** The value a GLOBAL or STACK_GLOBAL names (`module.name`), or a refusal. */
  global(module: string, name: string): O;
  /** The result of calling `callable` (a value `global` returned) with a tuple of `args` (REDUCE). */
  reduce(callable: PickleValue<O>, args: readonly PickleValue<O>[]): PickleValue<O>;
  /** The object after BUILD sets `state` on `target` (usually `target` itself). */
  build(target: PickleValue<O>, state: PickleValue<O>): PickleValue<O>;
  /** The object a persistent id (BINPERSID) stands for. */
  persistentLoad(pid: PickleValue<O>): PickleValue<O>;
}

/** Opcodes a pickle may hold that this unpickler refuses, by byte, for the error message. */
const refused: ReadonlyMap<number, string> = new Map([
  [0x69, 'INST'],
  [0x6f, 'OBJ'],
  [0x81, 'NEWOBJ'],
  [0x92, 'NEWOBJ_EX'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x50, 'PERSID (protocol 0)'],
  [0x49, 'INT (protocol 0)'],
  [0x4c, 'LONG (protocol 0)'],
  [0x46, 'FLOAT (protocol 0)'],
  [0x53, 'STRING (protocol 0)'],
  [0x56, 'UNICODE (protocol 0)'],
  [0x70, 'PUT (protocol 0)'],
  [0x67, 'GET (protocol 0)'],
  [0x8f, 'EMPTY_SET'],
  [0x90, 'ADDITEMS'],
  [0x91, 'FROZENSET'],
  [0x97, 'NEXT_BUFFER'],
  [0x98, 'READONLY_BUFFER'],
]);

/** Integers longer than this many bytes (LONG4) are refused; Python's own are far shorter. */
const maxIntegerBytes = 1024;

interface TextDecoding {
  TextDecoder: new (
    label: string,
    options: { fatal: boolean },
  ) => { decode(bytes: Uint8Array): string };
}
const decoding = globalThis as unknown as TextDecoding; // a runtime global outside the ES library types

/** What the input is called in error messages (`archive/data.pkl`, `the file`). */
export interface PickleSource {
  name: string;
}

/** The result of one pickle, and the offset just after its STOP opcode. */
export interface Unpickled<O> {
  value: PickleValue<O>;
  end: number;
}

/**
 * Runs the pickle that starts at `start` of `bytes` up to its STOP opcode. Errors end with the
 * offset of the opcode that failed; nothing the input names is imported or called except
 * through `hooks`.
 */
export function unpickle<O>(
  bytes: Uint8Array,
  hooks: PickleHooks<O>,
  source: PickleSource,
  start = 0,
): Unpickled<O> {
  return new Machine(bytes, hooks, source, start).run();
}

type Value<O> = PickleValue<O>;

/** What an opcode that pushes nothing returns. */
const nothing: unique symbol = Symbol('nothing');

class Machine<O> {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #hooks: PickleHooks<O>;
  readonly #source: PickleSource;
  readonly #utf8 = new decoding.TextDecoder('utf-8', { fatal: true });
  #at: number;
  /** Offset of the opcode being run, for messages. */
  #opcodeAt: number;
  #stack: Value<O>[] = [];
  /** The stacks set aside by MARK, innermost last. */
  readonly #marks: Value<O>[][] = [];
  readonly #memo = new Map<number, Value<O>>();

  constructor(bytes: Uint8Array, hooks: PickleHooks<O>, source: PickleSource, start: number) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#hooks = hooks;
    this.#source = source;
    this.#at = start;
    this.#opcodeAt = start;
  }

  run(): Unpickled<O> {
    try {
      for (;;) {
        this.#opcodeAt = this.#at;
        const opcode = this.#u8();
        if (opcode === 0x2e) {
          // STOP
          if (this.#marks.length > 0)
            this.#fail(`the pickle stops with ${this.#marks.length} MARKs still open`);
          if (this.#stack.length !== 1)
            this.#fail(`the pickle stops with ${this.#stack.length} values on the stack`);
          return { value: this.#stack[0]!, end: this.#at };
        }
        const pushed = this.#step(opcode);
        if (pushed !== nothing) this.#stack.push(pushed);
      }
    } catch (error) {
      if (error instanceof LocatedError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new LocatedError(`${message} ${this.#where()}`);
    }
  }

  #where(): string {
    return `(byte ${this.#opcodeAt} of ${this.#source.name})`;
  }

  #fail(message: string): never {
    throw new Error(message);
  }

  // ---- reading the input ----

  #need(n: number, what: string): void {
    if (n > this.#bytes.length - this.#at)
      this.#fail(
        `${what} needs ${n} bytes but only ${this.#bytes.length - this.#at} are left: the data is truncated`,
      );
  }

  #u8(): number {
    this.#need(1, 'an opcode');
    return this.#bytes[this.#at++]!;
  }

  #u16(): number {
    this.#need(2, 'BININT2');
    const v = this.#view.getUint16(this.#at, true);
    this.#at += 2;
    return v;
  }

  #u32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return v;
  }

  /** An 8-byte length, refused when it is larger than the input could hold. */
  #u64(what: string): number {
    this.#need(8, what);
    const v = this.#view.getBigUint64(this.#at, true);
    this.#at += 8;
    if (v > BigInt(this.#bytes.length)) this.#fail(`${what} has a length of ${v} bytes`);
    return Number(v);
  }

  #take(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.#bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  #text(n: number, what: string): string {
    const raw = this.#take(n, what);
    try {
      return this.#utf8.decode(raw);
    } catch {
      this.#fail(`${what} is not valid UTF-8`);
    }
  }

  /** A newline-terminated line (GLOBAL's module and name). */
  #line(what: string): string {
    const end = this.#bytes.indexOf(0x0a, this.#at);
    if (end < 0) this.#fail(`${what} has no end of line: the data is truncated`);
    const text = this.#text(end - this.#at, what);
    this.#at = end + 1;
    return text;
  }

  /** Little-endian two's complement, as LONG1 and LONG4 store integers. */
  #integer(n: number): number | bigint {
    if (n > maxIntegerBytes) this.#fail(`an integer of ${n} bytes is longer than dl reads`);
    const raw = this.#take(n, 'an integer');
    if (n === 0) return 0;
    // Through hexadecimal: linear in n, where shifting a BigInt byte by byte is quadratic.
    let hex = '0x';
    for (let i = n - 1; i >= 0; i--) hex += raw[i]!.toString(16).padStart(2, '0');
    let value = BigInt(hex);
    if (raw[n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  }

  // ---- the stack ----

  #pop(): Value<O> {
    if (this.#stack.length === 0) this.#fail('the stack is empty');
    return this.#stack.pop()!;
  }

  #top(): Value<O> {
    if (this.#stack.length === 0) this.#fail('the stack is empty');
    return this.#stack[this.#stack.length - 1]!;
  }

  /** The values pushed since the last MARK, which is removed. */
  #popMark(): Value<O>[] {
    const items = this.#stack;
    const below = this.#marks.pop();
    if (below === undefined) this.#fail('there is no MARK to pop to');
    this.#stack = below;
    return items;
  }

  #list(value: Value<O>, opcode: string): PickleList<O> {
    if (!Array.isArray(value) || Object.isFrozen(value))
      this.#fail(`${opcode} needs a list below its items, got ${kind(value)}`);
    return value;
  }

  #dict(value: Value<O>, opcode: string): PickleDict<O> {
    if (!(value instanceof Map))
      this.#fail(`${opcode} needs a dict below its items, got ${kind(value)}`);
    return value;
  }

  #setItem(dict: PickleDict<O>, key: Value<O>, value: Value<O>): void {
    if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'bigint')
      this.#fail(`a dict key is ${kind(key)}; dl reads dicts keyed by strings and integers`);
    if (typeof key === 'number' && !Number.isInteger(key))
      this.#fail(`a dict key is the float ${key}; dl reads dicts keyed by strings and integers`);
    dict.set(key, value);
  }

  #memoGet(index: number): Value<O> {
    if (!this.#memo.has(index)) this.#fail(`memo entry ${index} was never stored`);
    return this.#memo.get(index)!;
  }

  // ---- the opcodes ----

  /** Runs one opcode; returns what it pushes, or `nothing`. */
  #step(opcode: number): Value<O> | typeof nothing {
    switch (opcode) {
      case 0x80: {
        // PROTO
        const protocol = this.#u8();
        if (protocol > 5) this.#fail(`pickle protocol ${protocol} is newer than 5`);
        return nothing;
      }
      case 0x95: // FRAME: a length that only helps buffered readers
        this.#u64('FRAME');
        return nothing;
      // Constants and numbers
      case 0x4e: // NONE
        return null;
      case 0x88: // NEWTRUE
        return true;
      case 0x89: // NEWFALSE
        return false;
      case 0x4b: // BININT1
        return this.#u8();
      case 0x4d: // BININT2
        return this.#u16();
      case 0x4a: {
        // BININT
        this.#need(4, 'BININT');
        const v = this.#view.getInt32(this.#at, true);
        this.#at += 4;
        return v;
      }
      case 0x8a: // LONG1
        return this.#integer(this.#u8());
      case 0x8b: // LONG4
        return this.#integer(this.#u32('LONG4'));
      case 0x47: {
        // BINFLOAT: big-endian
        this.#need(8, 'BINFLOAT');
        const v = this.#view.getFloat64(this.#at, false);
        this.#at += 8;
        return v;
      }
      // Strings and bytes
      case 0x58: // BINUNICODE
        return this.#text(this.#u32('BINUNICODE'), 'a string');
      case 0x8c: // SHORT_BINUNICODE
        return this.#text(this.#u8(), 'a string');
      case 0x8d: // BINUNICODE8
        return this.#text(this.#u64('BINUNICODE8'), 'a string');
      case 0x55: // SHORT_BINSTRING (a Python 2 str, read as UTF-8 as torch.load does)
        return this.#text(this.#u8(), 'a string');
      case 0x54: {
        // BINSTRING
        this.#need(4, 'BINSTRING');
        const n = this.#view.getInt32(this.#at, true);
        this.#at += 4;
        if (n < 0) this.#fail(`BINSTRING has a negative length ${n}`);
        return this.#text(n, 'a string');
      }
      case 0x43: // SHORT_BINBYTES
        return this.#take(this.#u8(), 'bytes').slice();
      case 0x42: // BINBYTES
        return this.#take(this.#u32('BINBYTES'), 'bytes').slice();
      case 0x8e: // BINBYTES8
        return this.#take(this.#u64('BINBYTES8'), 'bytes').slice();
      case 0x96: // BYTEARRAY8
        return this.#take(this.#u64('BYTEARRAY8'), 'bytes').slice();
      // Containers
      case 0x28: // MARK
        this.#marks.push(this.#stack);
        this.#stack = [];
        return nothing;
      case 0x29: // EMPTY_TUPLE
        return Object.freeze([]);
      case 0x85: // TUPLE1
        return Object.freeze([this.#pop()]);
      case 0x86: {
        // TUPLE2
        const b = this.#pop();
        return Object.freeze([this.#pop(), b]);
      }
      case 0x87: {
        // TUPLE3
        const c = this.#pop();
        const b = this.#pop();
        return Object.freeze([this.#pop(), b, c]);
      }
      case 0x74: // TUPLE
        return Object.freeze(this.#popMark());
      case 0x5d: // EMPTY_LIST
        return [];
      case 0x6c: // LIST
        return this.#popMark();
      case 0x61: {
        // APPEND
        const item = this.#pop();
        this.#list(this.#top(), 'APPEND').push(item);
        return nothing;
      }
      case 0x65: {
        // APPENDS
        const items = this.#popMark();
        const list = this.#list(this.#top(), 'APPENDS');
        for (const item of items) list.push(item);
        return nothing;
      }
      case 0x7d: // EMPTY_DICT
        return new Map();
      case 0x64: {
        // DICT
        const items = this.#popMark();
        if (items.length % 2 !== 0) this.#fail('DICT has a key without a value');
        const dict: PickleDict<O> = new Map();
        for (let i = 0; i < items.length; i += 2) this.#setItem(dict, items[i]!, items[i + 1]!);
        return dict;
      }
      case 0x73: {
        // SETITEM
        const value = this.#pop();
        const key = this.#pop();
        this.#setItem(this.#dict(this.#top(), 'SETITEM'), key, value);
        return nothing;
      }
      case 0x75: {
        // SETITEMS
        const items = this.#popMark();
        if (items.length % 2 !== 0) this.#fail('SETITEMS has a key without a value');
        const dict = this.#dict(this.#top(), 'SETITEMS');
        for (let i = 0; i < items.length; i += 2) this.#setItem(dict, items[i]!, items[i + 1]!);
        return nothing;
      }
      // Stack and memo
      case 0x30: // POP
        this.#pop();
        return nothing;
      case 0x31: // POP_MARK
        this.#popMark();
        return nothing;
      case 0x32: // DUP
        return this.#top();
      case 0x71: // BINPUT
        this.#memo.set(this.#u8(), this.#top());
        return nothing;
      case 0x72: // LONG_BINPUT
        this.#memo.set(this.#u32('LONG_BINPUT'), this.#top());
        return nothing;
      case 0x94: // MEMOIZE
        this.#memo.set(this.#memo.size, this.#top());
        return nothing;
      case 0x68: // BINGET
        return this.#memoGet(this.#u8());
      case 0x6a: // LONG_BINGET
        return this.#memoGet(this.#u32('LONG_BINGET'));
      // What the hooks decide
      case 0x63: {
        // GLOBAL
        const module = this.#line('GLOBAL');
        return this.#hooks.global(module, this.#line('GLOBAL'));
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = this.#pop();
        const module = this.#pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          this.#fail(`STACK_GLOBAL needs two strings, got ${kind(module)} and ${kind(name)}`);
        return this.#hooks.global(module, name);
      }
      case 0x52: {
        // REDUCE
        const args = this.#pop();
        if (!Array.isArray(args) || !Object.isFrozen(args))
          this.#fail(`REDUCE needs a tuple of arguments, got ${kind(args)}`);
        const callable = this.#pop();
        return this.#hooks.reduce(callable, args);
      }
      case 0x62: {
        // BUILD
        const state = this.#pop();
        const target = this.#pop();
        return this.#hooks.build(target, state);
      }
      case 0x51: // BINPERSID
        return this.#hooks.persistentLoad(this.#pop());
      default: {
        const name = refused.get(opcode);
        this.#fail(
          name
            ? `opcode ${name} is not allowed`
            : `0x${opcode.toString(16).padStart(2, '0')} is not a pickle opcode`,
        );
      }
    }
  }
}

/** An error that already says where in the input it happened. */
class LocatedError extends Error {}

/** A short description of a value for messages: its Python kind. */
export function kind(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'a bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an int' : 'a float';
  if (typeof value === 'bigint') return 'an int';
  if (typeof value === 'string') return 'a str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'a tuple' : 'a list';
  if (value instanceof Map) return 'a dict';
  return String(value);
}
