// A parser for exactly the JSON a safetensors header may be: one object of tensor entries
// ({dtype, shape, data_offsets}) and string metadata. It reads the bytes once, keeps only
// what the header means, and stops at the first byte that breaks the grammar or a limit, so
// its time and memory follow the limits, not what the input claims. JSON.parse would build
// whatever the bytes describe first (98 MB of '[' took gigabytes) and check after.

import type { ReadOptions } from './safetensors-header.js';

/** Bytes per element of every dtype the format names (dl loads some of them). */
export const bytesPerElement: Readonly<Record<string, number>> = {
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

/** One tensor of the header: its data is bytes [begin, end) after the header. */
export interface TensorSpan {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface Header {
  /** The tensors in file order (by offset). */
  tensors: TensorSpan[];
  metadata: Record<string, string> | undefined;
}

/** A name for a message: quoted, cut short, on one line. */
export function quoted(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 57)}...` : name);
}

const quote = 0x22;
const backslash = 0x5c;
const colon = 0x3a;
const comma = 0x2c;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const zero = 0x30;
const nine = 0x39;
/** What may follow a backslash besides u: " \\ / b f n r t. */
const escapable = [0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74];
const punctuation = [quote, colon, comma, openBrace, closeBrace, openBracket, closeBracket];

/** Nesting allowed inside values dl skips (fields of a tensor entry it does not know). */
const skippedDepth = 64;

interface TextCodec {
  TextDecoder: new (
    label: string,
    options: { fatal: boolean },
  ) => { decode(bytes: Uint8Array): string };
}
// A runtime global outside the ES library types the package builds with.
const utf8 = new (globalThis as unknown as TextCodec).TextDecoder('utf-8', { fatal: true });

export class HeaderParser {
  #at = 0;
  #entries = 0;
  readonly #bytes: Uint8Array;
  readonly #limits: Required<ReadOptions>;

  constructor(bytes: Uint8Array, limits: Required<ReadOptions>) {
    this.#bytes = bytes;
    this.#limits = limits;
  }

  parse(): Header {
    const tensors = new Map<string, TensorSpan>();
    let metadata: Map<string, string> | undefined;
    this.#space();
    if (this.#peek() !== openBrace)
      this.#fail(`the header must be a JSON object ({...}), found ${this.#found()}`);
    this.#members(
      () => 'the header',
      (name) => {
        if (name === '__metadata__') {
          if (metadata) this.#fail('the header has two "__metadata__" entries');
          metadata = this.#metadata();
          return;
        }
        if (tensors.has(name)) this.#fail(`the header has two entries for tensor ${quoted(name)}`);
        this.#count();
        tensors.set(name, this.#tensor(name));
      },
    );
    this.#space();
    if (this.#at < this.#bytes.length)
      this.#fail(`unexpected ${this.#found()} after the header's closing '}'`);
    const ordered = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
    return { tensors: ordered, metadata: metadata && Object.fromEntries(metadata) };
  }

  /** One more entry, refused past the limit. */
  #count(): void {
    if (++this.#entries > this.#limits.maxEntries)
      throw new Error(
        `the header lists more than ${this.#limits.maxEntries} entries (tensors and __metadata__ keys), the limit; raise it with { maxEntries }`,
      );
  }

  /** An object at #at: `member` reads the value of each key, which #members has read. */
  #members(what: () => string, member: (key: string) => void): void {
    this.#at++; // '{'
    this.#space();
    if (this.#peek() === closeBrace) {
      this.#at++;
      return;
    }
    for (;;) {
      if (this.#peek() !== quote)
        this.#fail(`expected a quoted key in ${what()}, found ${this.#found()}`);
      const key = this.#string();
      this.#space();
      this.#expect(colon, () => `':' after the key ${quoted(key)}`);
      this.#space();
      member(key);
      this.#space();
      const next = this.#peek();
      this.#at++;
      if (next === closeBrace) return;
      if (next !== comma) {
        this.#at--;
        this.#fail(`expected ',' or '}' in ${what()}, found ${this.#found()}`);
      }
      this.#space();
    }
  }

  #metadata(): Map<string, string> {
    const metadata = new Map<string, string>();
    if (this.#peek() !== openBrace)
      this.#fail(`"__metadata__" must be an object of strings, found ${this.#found()}`);
    this.#members(
      () => '"__metadata__"',
      (key) => {
        if (metadata.has(key)) this.#fail(`"__metadata__" has two entries for ${quoted(key)}`);
        this.#count();
        if (this.#peek() !== quote)
          this.#fail(
            `"__metadata__" value ${quoted(key)} must be a string, found ${this.#found()}`,
          );
        metadata.set(key, this.#string());
      },
    );
    return metadata;
  }

  #tensor(name: string): TensorSpan {
    const what = () => `tensor ${quoted(name)}`; // a function: built only for a message
    if (this.#peek() !== openBrace)
      this.#fail(
        `${what()} must be an object {"dtype", "shape", "data_offsets"}, found ${this.#found()}`,
      );
    let dtype: string | undefined;
    let shape: number[] | undefined;
    let offsets: number[] | undefined;
    this.#members(what, (key) => {
      const twice = () => this.#fail(`${what()} has two ${quoted(key)} fields`);
      if (key === 'dtype') {
        if (dtype !== undefined) twice();
        dtype = this.#dtype(what);
      } else if (key === 'shape') {
        if (shape !== undefined) twice();
        const rank = this.#limits.maxRank;
        shape = this.#integers(
          () => `${what()}: shape`,
          rank,
          () => {
            throw new Error(
              `${what()}: shape has more than ${rank} dimensions, the limit; raise it with { maxRank }`,
            );
          },
        );
      } else if (key === 'data_offsets') {
        if (offsets !== undefined) twice();
        offsets = this.#integers(
          () => `${what()}: data_offsets`,
          2,
          () => this.#fail(`${what()}: data_offsets must be two numbers [begin, end], found more`),
        );
        if (offsets.length !== 2)
          this.#fail(
            `${what()}: data_offsets must be two numbers [begin, end], found ${offsets.length}`,
          );
      } else {
        this.#skip(); // fields the format may add; the reference reader ignores them too
      }
    });
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      const missing = Object.entries({ dtype, shape, data_offsets: offsets })
        .filter(([, value]) => value === undefined)
        .map(([key]) => key);
      this.#fail(`${what()} has no ${missing.join(' or ')}`);
    }
    return { name, dtype, shape, begin: offsets[0]!, end: offsets[1]! };
  }

  /** A dtype the format names, at #at. */
  #dtype(what: () => string): string {
    if (this.#peek() !== quote)
      this.#fail(`${what()}: dtype must be a string, found ${this.#found()}`);
    const start = this.#at;
    const dtype = this.#string();
    if (!Object.hasOwn(bytesPerElement, dtype)) {
      this.#at = start;
      this.#fail(`${what()} has the unknown dtype ${quoted(dtype)}`);
    }
    return dtype;
  }

  /**
   * An array of non-negative safe integers at #at, of at most `most` elements: `tooMany` is
   * called at element most + 1, as they are read.
   */
  #integers(what: () => string, most: number, tooMany: () => never): number[] {
    if (this.#peek() !== openBracket)
      this.#fail(`${what()} must be an array of integers, found ${this.#found()}`);
    this.#at++;
    const values: number[] = [];
    this.#space();
    if (this.#peek() === closeBracket) {
      this.#at++;
      return values;
    }
    for (;;) {
      if (values.length === most) tooMany();
      values.push(this.#integer(what));
      this.#space();
      const next = this.#peek();
      this.#at++;
      if (next === closeBracket) return values;
      if (next !== comma) {
        this.#at--;
        this.#fail(`expected ',' or ']' in ${what()}, found ${this.#found()}`);
      }
      this.#space();
    }
  }

  /** A non-negative integer up to 2^53 - 1, in plain digits as the reference reader wants. */
  #integer(what: () => string): number {
    const start = this.#at;
    let value = 0;
    while (this.#at < this.#bytes.length) {
      const c = this.#bytes[this.#at]!;
      if (c < zero || c > nine) break;
      value = value * 10 + (c - zero);
      this.#at++;
      if (value > Number.MAX_SAFE_INTEGER) {
        this.#at = start;
        this.#fail(`${what()}: the number ${this.#token()} is over 2^53 - 1`);
      }
    }
    const c = this.#peek();
    const fraction = c === 0x2e || c === 0x65 || c === 0x45; // '.', 'e', 'E'
    if (this.#at === start || fraction || (this.#at - start > 1 && this.#bytes[start] === zero)) {
      this.#at = start;
      this.#fail(`${what()} must hold non-negative integers, found ${this.#found()}`);
    }
    return value;
  }

  /** A JSON string at #at (on its opening quote), decoded. */
  #string(): string {
    const bytes = this.#bytes;
    const start = this.#at;
    let at = start + 1;
    let escaped = false;
    let ascii = true;
    for (;;) {
      const c = bytes[at];
      if (c === quote) break;
      if (c === undefined) {
        this.#at = start;
        this.#fail('a string runs past the end of the header');
      }
      if (c < 0x20) {
        this.#at = at;
        this.#fail('a control character inside a string');
      }
      if (c >= 0x80) ascii = false;
      if (c === backslash) {
        escaped = true;
        this.#at = at;
        at += this.#escapeLength();
        continue;
      }
      at++;
    }
    this.#at = at + 1; // past the closing quote
    if (!escaped && ascii && at - start < 1024) {
      // Most names and dtypes: quicker than a TextDecoder call for a few bytes.
      return String.fromCharCode.apply(null, bytes.subarray(start + 1, at) as unknown as number[]);
    }
    let text: string;
    try {
      text = utf8.decode(bytes.subarray(escaped ? start : start + 1, escaped ? at + 1 : at));
    } catch {
      this.#at = start;
      this.#fail('a string that is not valid UTF-8');
    }
    // A checked JSON string literal: JSON.parse only resolves its escapes.
    return escaped ? (JSON.parse(text) as string) : text;
  }

  /** The length of the escape at #at (a backslash): 2, or 6 for \uXXXX; a bad one fails. */
  #escapeLength(): number {
    const bytes = this.#bytes;
    const next = bytes[this.#at + 1];
    if (next === 0x75) {
      for (let i = 2; i < 6; i++) {
        const h = (bytes[this.#at + i] ?? 0) | 0x20; // lower case
        if (!((h >= zero && h <= nine) || (h >= 0x61 && h <= 0x66)))
          this.#fail('a bad \\u escape in a string');
      }
      return 6;
    }
    if (next === undefined || !escapable.includes(next)) this.#fail('a bad escape in a string');
    return 2;
  }

  /** Skips any JSON value, nested up to skippedDepth, allocating nothing that it holds. */
  #skip(): void {
    const closers: number[] = [];
    for (;;) {
      // A value.
      const c = this.#peek();
      if (c === openBrace || c === openBracket) {
        if (closers.length === skippedDepth)
          this.#fail(`a value nested more than ${skippedDepth} levels deep`);
        this.#at++;
        this.#space();
        const close = c === openBrace ? closeBrace : closeBracket;
        if (this.#peek() === close) this.#at++;
        else {
          closers.push(close);
          if (close === closeBrace) this.#key();
          continue;
        }
      } else if (c === quote) this.#string();
      else if (c === 0x2d || (c !== undefined && c >= zero && c <= nine)) this.#number();
      else if (!this.#literal()) this.#fail(`expected a JSON value, found ${this.#found()}`);
      // What follows it, closing containers.
      for (;;) {
        if (closers.length === 0) return;
        this.#space();
        const next = this.#peek();
        const close = closers[closers.length - 1]!;
        if (next === close) {
          this.#at++;
          closers.pop();
          continue;
        }
        if (next !== comma)
          this.#fail(`expected ',' or '${String.fromCharCode(close)}', found ${this.#found()}`);
        this.#at++;
        this.#space();
        if (close === closeBrace) this.#key();
        break;
      }
    }
  }

  /** An object's key and colon, in a skipped value; leaves #at on the value. */
  #key(): void {
    if (this.#peek() !== quote) this.#fail(`expected a quoted key, found ${this.#found()}`);
    this.#string();
    this.#space();
    this.#expect(colon, () => "':' after a key");
    this.#space();
  }

  /** A JSON number, in a skipped value. */
  #number(): void {
    const digits = (): number => {
      const from = this.#at;
      while (this.#peek() !== undefined && this.#peek()! >= zero && this.#peek()! <= nine)
        this.#at++;
      return this.#at - from;
    };
    const start = this.#at;
    if (this.#peek() === 0x2d) this.#at++;
    const leadingZero = this.#peek() === zero;
    const whole = digits();
    let ok = whole > 0 && !(leadingZero && whole > 1);
    if (ok && this.#peek() === 0x2e) {
      this.#at++;
      ok = digits() > 0;
    }
    if (ok && (this.#peek() === 0x65 || this.#peek() === 0x45)) {
      this.#at++;
      if (this.#peek() === 0x2b || this.#peek() === 0x2d) this.#at++;
      ok = digits() > 0;
    }
    if (!ok) {
      this.#at = start;
      this.#fail(`a malformed number '${this.#token()}'`);
    }
  }

  /** true, false or null at #at, consumed; false when none is there. */
  #literal(): boolean {
    for (const word of ['true', 'false', 'null']) {
      let i = 0;
      while (i < word.length && this.#bytes[this.#at + i] === word.charCodeAt(i)) i++;
      if (i === word.length) {
        this.#at += i;
        return true;
      }
    }
    return false;
  }

  #space(): void {
    const bytes = this.#bytes;
    let at = this.#at;
    for (let c = bytes[at]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = bytes[at])
      at++;
    this.#at = at;
  }

  #peek(): number | undefined {
    return this.#bytes[this.#at];
  }

  #expect(byte: number, what: () => string): void {
    if (this.#peek() !== byte) this.#fail(`expected ${what()}, found ${this.#found()}`);
    this.#at++;
  }

  /** What is at #at, for a message: punctuation, a short token, a byte's code, or the end. */
  #found(): string {
    const c = this.#peek();
    if (c === undefined) return 'the end of the header';
    if (c <= 0x20 || c >= 0x7f) return `byte 0x${c.toString(16).padStart(2, '0')}`;
    if (punctuation.includes(c)) return `'${String.fromCharCode(c)}'`;
    return `'${this.#token()}'`;
  }

  /** The printable characters from #at up to punctuation, at most 20, for a message. */
  #token(): string {
    let end = this.#at;
    while (end < this.#bytes.length && end - this.#at < 20) {
      const c = this.#bytes[end]!;
      if (c <= 0x20 || c >= 0x7f || (end > this.#at && punctuation.includes(c))) break;
      end++;
    }
    return String.fromCharCode(...this.#bytes.subarray(this.#at, end));
  }

  #fail(message: string): never {
    throw new Error(`${message} at byte ${this.#at} of the header`);
  }
}
