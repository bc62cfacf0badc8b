// A small WebAssembly binary encoder: the CPU backend's kernels are generated as WebAssembly
// at run time (elementwise kernels from the op table's expressions, matmul and convolution
// microkernels from their tile sizes), so no kernel needs `new Function` and a page whose
// Content Security Policy allows only 'wasm-unsafe-eval' runs them.
//
// It encodes exactly what the kernels use: one imported memory (shared or not), imported and
// defined functions, exports, and function bodies written as instruction sequences with the
// numeric, memory, control, saturating-conversion and SIMD (0xFD) opcodes named below.
// Everything is validated by the engine when the module is compiled.

/** A WebAssembly value type. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const valTypeCode: Record<ValType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** Appends `value` as unsigned LEB128. */
export function writeU32(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Appends `value` (an int32, or a BigInt for i64) as signed LEB128. */
export function writeS64(out: number[], value: number | bigint): void {
  let v = BigInt(value);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

function writeS32(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0 && !signBit) || (v === -1 && signBit)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

function writeName(out: number[], name: string): void {
  // Names are ASCII (export and import names chosen here).
  writeU32(out, name.length);
  for (let i = 0; i < name.length; i++) out.push(name.charCodeAt(i) & 0x7f);
}

function writeVector(out: number[], items: readonly number[][]): void {
  writeU32(out, items.length);
  for (const item of items) out.push(...item);
}

/** One-byte opcodes without immediates, by their text-format names. */
export const op = {
  unreachable: 0x00,
  nop: 0x01,
  else: 0x05,
  end: 0x0b,
  return: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_s': 0x48,
  'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b,
  'i32.le_s': 0x4c,
  'i32.le_u': 0x4d,
  'i32.ge_s': 0x4e,
  'i32.ge_u': 0x4f,
  'i64.eqz': 0x50,
  'i64.eq': 0x51,
  'i64.ne': 0x52,
  'f32.eq': 0x5b,
  'f32.ne': 0x5c,
  'f32.lt': 0x5d,
  'f32.gt': 0x5e,
  'f32.le': 0x5f,
  'f32.ge': 0x60,
  'f64.eq': 0x61,
  'f64.ne': 0x62,
  'f64.lt': 0x63,
  'f64.gt': 0x64,
  'f64.le': 0x65,
  'f64.ge': 0x66,
  'i32.clz': 0x67,
  'i32.ctz': 0x68,
  'i32.popcnt': 0x69,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.div_s': 0x6d,
  'i32.div_u': 0x6e,
  'i32.rem_s': 0x6f,
  'i32.rem_u': 0x70,
  'i32.and': 0x71,
  'i32.or': 0x72,
  'i32.xor': 0x73,
  'i32.shl': 0x74,
  'i32.shr_s': 0x75,
  'i32.shr_u': 0x76,
  'i64.add': 0x7c,
  'i64.sub': 0x7d,
  'i64.mul': 0x7e,
  'f32.abs': 0x8b,
  'f32.neg': 0x8c,
  'f32.ceil': 0x8d,
  'f32.floor': 0x8e,
  'f32.trunc': 0x8f,
  'f32.nearest': 0x90,
  'f32.sqrt': 0x91,
  'f32.add': 0x92,
  'f32.sub': 0x93,
  'f32.mul': 0x94,
  'f32.div': 0x95,
  'f32.min': 0x96,
  'f32.max': 0x97,
  'f32.copysign': 0x98,
  'f64.abs': 0x99,
  'f64.neg': 0x9a,
  'f64.ceil': 0x9b,
  'f64.floor': 0x9c,
  'f64.trunc': 0x9d,
  'f64.nearest': 0x9e,
  'f64.sqrt': 0x9f,
  'f64.add': 0xa0,
  'f64.sub': 0xa1,
  'f64.mul': 0xa2,
  'f64.div': 0xa3,
  'f64.min': 0xa4,
  'f64.max': 0xa5,
  'f64.copysign': 0xa6,
  'i32.wrap_i64': 0xa7,
  'i32.trunc_f32_s': 0xa8,
  'i32.trunc_f64_s': 0xaa,
  'i64.extend_i32_s': 0xac,
  'i64.extend_i32_u': 0xad,
  'f32.convert_i32_s': 0xb2,
  'f32.convert_i32_u': 0xb3,
  'f32.demote_f64': 0xb6,
  'f64.convert_i32_s': 0xb7,
  'f64.convert_i32_u': 0xb8,
  'f64.promote_f32': 0xbb,
  'i32.reinterpret_f32': 0xbc,
  'i64.reinterpret_f64': 0xbd,
  'f32.reinterpret_i32': 0xbe,
  'f64.reinterpret_i64': 0xbf,
  'i32.extend8_s': 0xc0,
  'i32.extend16_s': 0xc1,
} as const;

/** Opcode name of `op`. */
export type Op = keyof typeof op;

/** Opcodes after the 0xFC prefix (saturating conversions, bulk memory). */
export const miscOp = {
  'i32.trunc_sat_f32_s': 0,
  'i32.trunc_sat_f32_u': 1,
  'i32.trunc_sat_f64_s': 2,
  'i32.trunc_sat_f64_u': 3,
} as const;

/** Memory access opcodes, with the natural alignment (log2 bytes) of each. */
export const memOp = {
  'i32.load': [0x28, 2],
  'i64.load': [0x29, 3],
  'f32.load': [0x2a, 2],
  'f64.load': [0x2b, 3],
  'i32.load8_s': [0x2c, 0],
  'i32.load8_u': [0x2d, 0],
  'i32.store': [0x36, 2],
  'i64.store': [0x37, 3],
  'f32.store': [0x38, 2],
  'f64.store': [0x39, 3],
  'i32.store8': [0x3a, 0],
  'v128.load': [0xfd00, 4],
  'v128.load8_splat': [0xfd07, 0],
  'v128.load16_splat': [0xfd08, 1],
  'v128.load32_splat': [0xfd09, 2],
  'v128.load64_splat': [0xfd0a, 3],
  'v128.store': [0xfd0b, 4],
  'v128.load32_zero': [0xfd5c, 2],
  'v128.load64_zero': [0xfd5d, 3],
} as const;

/** SIMD lane loads and stores (a memory argument, then a lane index), with natural alignment. */
export const memLaneOp = {
  'v128.load32_lane': [0x56, 2],
  'v128.load64_lane': [0x57, 3],
  'v128.store8_lane': [0x58, 0],
  'v128.store16_lane': [0x59, 1],
  'v128.store32_lane': [0x5a, 2],
  'v128.store64_lane': [0x5b, 3],
} as const;

/** Memory access opcode name. */
export type MemOp = keyof typeof memOp;

/** SIMD opcodes (after the 0xFD prefix) without immediates. */
export const simdOp = {
  'i32x4.splat': 17,
  'i64x2.splat': 18,
  'f32x4.splat': 19,
  'f64x2.splat': 20,
  'i32x4.eq': 55,
  'i32x4.ne': 56,
  'i32x4.lt_s': 57,
  'i32x4.gt_s': 59,
  'i32x4.le_s': 61,
  'i32x4.ge_s': 63,
  'f32x4.eq': 65,
  'f32x4.ne': 66,
  'f32x4.lt': 67,
  'f32x4.gt': 68,
  'f32x4.le': 69,
  'f32x4.ge': 70,
  'f64x2.eq': 71,
  'f64x2.ne': 72,
  'f64x2.lt': 73,
  'f64x2.gt': 74,
  'f64x2.le': 75,
  'f64x2.ge': 76,
  'v128.not': 77,
  'v128.and': 78,
  'v128.andnot': 79,
  'v128.or': 80,
  'v128.xor': 81,
  'v128.bitselect': 82,
  'v128.any_true': 83,
  'f32x4.demote_f64x2_zero': 94,
  'i8x16.narrow_i16x8_u': 102,
  'f64x2.promote_low_f32x4': 95,
  'f32x4.ceil': 103,
  'f32x4.floor': 104,
  'f32x4.trunc': 105,
  'f32x4.nearest': 106,
  'f64x2.ceil': 116,
  'f64x2.floor': 117,
  'f64x2.trunc': 122,
  'i16x8.narrow_i32x4_u': 134,
  'i16x8.extend_low_i8x16_u': 137,
  'f64x2.nearest': 148,
  'i32x4.abs': 160,
  'i32x4.neg': 161,
  'i32x4.all_true': 163,
  'i32x4.bitmask': 164,
  'i32x4.extend_low_i16x8_u': 169,
  'i32x4.shl': 171,
  'i32x4.shr_s': 172,
  'i32x4.shr_u': 173,
  'i32x4.add': 174,
  'i32x4.sub': 177,
  'i32x4.mul': 181,
  'i32x4.min_s': 182,
  'i32x4.max_s': 184,
  'i64x2.extend_low_i32x4_s': 199,
  'f32x4.abs': 224,
  'f32x4.neg': 225,
  'f32x4.sqrt': 227,
  'f32x4.add': 228,
  'f32x4.sub': 229,
  'f32x4.mul': 230,
  'f32x4.div': 231,
  'f32x4.min': 232,
  'f32x4.max': 233,
  'f32x4.pmin': 234,
  'f32x4.pmax': 235,
  'f64x2.abs': 236,
  'f64x2.neg': 237,
  'f64x2.sqrt': 239,
  'f64x2.add': 240,
  'f64x2.sub': 241,
  'f64x2.mul': 242,
  'f64x2.div': 243,
  'f64x2.min': 244,
  'f64x2.max': 245,
  'f64x2.pmin': 246,
  'f64x2.pmax': 247,
  'i32x4.trunc_sat_f32x4_s': 248,
  'f32x4.convert_i32x4_s': 250,
  'i32x4.trunc_sat_f64x2_s_zero': 252,
  'f64x2.convert_low_i32x4_s': 254,
  // Relaxed SIMD: only in modules compiled where features.relaxedSimd is true.
  'f32x4.relaxed_madd': 0x105,
  'f32x4.relaxed_nmadd': 0x106,
  'f64x2.relaxed_madd': 0x107,
} as const;

/** SIMD opcode name. */
export type SimdOp = keyof typeof simdOp;

/** Lane access opcodes (one lane-index immediate). */
const laneOp = {
  'i32x4.extract_lane': 27,
  'i32x4.replace_lane': 28,
  'f32x4.extract_lane': 31,
  'f32x4.replace_lane': 32,
  'f64x2.extract_lane': 33,
  'f64x2.replace_lane': 34,
} as const;

/** A block's result: none, or one value type. */
export type BlockType = ValType | 'void';

/**
 * A function body under construction: locals by index (parameters first), instructions
 * appended in order. Methods return `this` so straight-line code chains.
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  readonly #localTypes: ValType[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.#localTypes.push(type);
    return this.params.length + this.#localTypes.length - 1;
  }

  /** The locals declared with local(), grouped as the code section wants them. */
  localDecls(): number[] {
    const groups: [number, ValType][] = [];
    for (const type of this.#localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    const out: number[] = [];
    writeU32(out, groups.length);
    for (const [count, type] of groups) {
      writeU32(out, count);
      out.push(valTypeCode[type]);
    }
    return out;
  }

  /** Appends instructions without immediates. */
  op(...names: Op[]): this {
    for (const name of names) this.code.push(op[name]);
    return this;
  }

  /** Appends SIMD instructions without immediates. */
  simd(...names: SimdOp[]): this {
    for (const name of names) {
      this.code.push(0xfd);
      writeU32(this.code, simdOp[name]);
    }
    return this;
  }

  /** Appends a saturating conversion (0xFC prefix). */
  misc(name: keyof typeof miscOp): this {
    this.code.push(0xfc);
    writeU32(this.code, miscOp[name]);
    return this;
  }

  /** A SIMD lane access with its lane index. */
  lane(name: keyof typeof laneOp, index: number): this {
    this.code.push(0xfd);
    writeU32(this.code, laneOp[name]);
    this.code.push(index);
    return this;
  }

  /** A load or store at the address on the stack plus `offset` bytes. */
  mem(name: MemOp, offset = 0, alignLog2?: number): this {
    const [code, natural] = memOp[name];
    if (code > 0xff) {
      this.code.push(0xfd);
      writeU32(this.code, code & 0xff);
    } else {
      this.code.push(code);
    }
    writeU32(this.code, alignLog2 ?? natural);
    writeU32(this.code, offset);
    return this;
  }

  /** A SIMD lane load or store at the address on the stack plus `offset` bytes. */
  memLane(name: keyof typeof memLaneOp, lane: number, offset = 0): this {
    const [code, natural] = memLaneOp[name];
    this.code.push(0xfd);
    writeU32(this.code, code);
    writeU32(this.code, natural);
    writeU32(this.code, offset);
    this.code.push(lane);
    return this;
  }

  /** memory.copy (destination, source, length on the stack). */
  memoryCopy(): this {
    this.code.push(0xfc, 10, 0, 0);
    return this;
  }

  /** memory.fill (destination, byte value, length on the stack). */
  memoryFill(): this {
    this.code.push(0xfc, 11, 0);
    return this;
  }

  /** i32x4.shuffle-style byte shuffle of two vectors (16 lane indices 0..31). */
  shuffle(lanes: readonly number[]): this {
    this.code.push(0xfd, 13, ...lanes);
    return this;
  }

  /** A 128-bit constant of four f32 lanes. */
  f32x4Const(values: readonly [number, number, number, number]): this {
    this.code.push(0xfd, 12);
    const bytes = new Uint8Array(new Float32Array(values).buffer);
    this.code.push(...bytes);
    return this;
  }

  /** A 128-bit constant given as its 16 bytes (little-endian lanes). */
  v128Const(bytes: ArrayLike<number>): this {
    this.code.push(0xfd, 12);
    for (let i = 0; i < 16; i++) this.code.push(bytes[i]! & 0xff);
    return this;
  }

  i32Const(value: number): this {
    this.code.push(0x41);
    writeS32(this.code, value);
    return this;
  }

  i64Const(value: bigint): this {
    this.code.push(0x42);
    writeS64(this.code, value);
    return this;
  }

  f32Const(value: number): this {
    this.code.push(0x43, ...new Uint8Array(new Float32Array([value]).buffer));
    return this;
  }

  f64Const(value: number): this {
    this.code.push(0x44, ...new Uint8Array(new Float64Array([value]).buffer));
    return this;
  }

  get(index: number): this {
    this.code.push(0x20);
    writeU32(this.code, index);
    return this;
  }

  set(index: number): this {
    this.code.push(0x21);
    writeU32(this.code, index);
    return this;
  }

  tee(index: number): this {
    this.code.push(0x22);
    writeU32(this.code, index);
    return this;
  }

  call(functionIndex: number): this {
    this.code.push(0x10);
    writeU32(this.code, functionIndex);
    return this;
  }

  block(type: BlockType = 'void'): this {
    this.code.push(0x02, type === 'void' ? 0x40 : valTypeCode[type]);
    return this;
  }

  loop(type: BlockType = 'void'): this {
    this.code.push(0x03, type === 'void' ? 0x40 : valTypeCode[type]);
    return this;
  }

  if(type: BlockType = 'void'): this {
    this.code.push(0x04, type === 'void' ? 0x40 : valTypeCode[type]);
    return this;
  }

  else(): this {
    this.code.push(0x05);
    return this;
  }

  end(): this {
    this.code.push(0x0b);
    return this;
  }

  /** Branch to the enclosing label `depth` levels out (0: innermost). */
  br(depth: number): this {
    this.code.push(0x0c);
    writeU32(this.code, depth);
    return this;
  }

  brIf(depth: number): this {
    this.code.push(0x0d);
    writeU32(this.code, depth);
    return this;
  }

  /** Typed select (value type given): needed for v128 operands. */
  selectTyped(type: ValType): this {
    this.code.push(0x1c, 1, valTypeCode[type]);
    return this;
  }
}

/** The memory a module imports as env.memory. */
export interface MemoryImport {
  readonly initialPages: number;
  readonly maximumPages: number;
  readonly shared: boolean;
}

interface FunctionImport {
  readonly module: string;
  readonly name: string;
  readonly type: number;
}

/**
 * A module under construction: imported functions come first in the function index space,
 * then the functions added with func().
 */
export class ModuleBuilder {
  readonly #types: string[] = [];
  readonly #typeBytes: number[][] = [];
  readonly #imports: FunctionImport[] = [];
  readonly #functions: { type: number; body: FunctionBuilder }[] = [];
  readonly #exports: { name: string; index: number }[] = [];
  #defined = false;

  constructor(readonly memory?: MemoryImport) {}

  #typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}>${results.join(',')}`;
    let index = this.#types.indexOf(key);
    if (index < 0) {
      const bytes = [0x60];
      writeU32(bytes, params.length);
      for (const p of params) bytes.push(valTypeCode[p]);
      writeU32(bytes, results.length);
      for (const r of results) bytes.push(valTypeCode[r]);
      index = this.#types.length;
      this.#types.push(key);
      this.#typeBytes.push(bytes);
    }
    return index;
  }

  /** Imports a function; all imports must come before the first func(). Returns its index. */
  importFunction(
    module: string,
    name: string,
    params: readonly ValType[],
    results: readonly ValType[],
  ): number {
    if (this.#defined) throw new Error('wasm encoder: import functions before defining any');
    this.#imports.push({ module, name, type: this.#typeIndex(params, results) });
    return this.#imports.length - 1;
  }

  /**
   * Defines a function; `body` fills in its code (the final `end` is added here). Returns its
   * index; `exportName` exports it.
   */
  func(
    params: readonly ValType[],
    results: readonly ValType[],
    body: (f: FunctionBuilder) => void,
    exportName?: string,
  ): number {
    this.#defined = true;
    const builder = new FunctionBuilder(params, results);
    const index = this.#imports.length + this.#functions.length;
    this.#functions.push({ type: this.#typeIndex(params, results), body: builder });
    body(builder);
    if (exportName !== undefined) this.#exports.push({ name: exportName, index });
    return index;
  }

  /** The index the next func() will get (for recursive or forward calls). */
  get nextFunctionIndex(): number {
    return this.#imports.length + this.#functions.length;
  }

  /** The module's bytes. */
  encode(): Uint8Array<ArrayBuffer> {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]) => {
      out.push(id);
      writeU32(out, content.length);
      for (const b of content) out.push(b);
    };
    const types: number[] = [];
    writeVector(types, this.#typeBytes);
    section(1, types);

    const imports: number[][] = [];
    for (const imp of this.#imports) {
      const entry: number[] = [];
      writeName(entry, imp.module);
      writeName(entry, imp.name);
      entry.push(0x00);
      writeU32(entry, imp.type);
      imports.push(entry);
    }
    if (this.memory) {
      const entry: number[] = [];
      writeName(entry, 'env');
      writeName(entry, 'memory');
      entry.push(0x02, this.memory.shared ? 0x03 : 0x01);
      writeU32(entry, this.memory.initialPages);
      writeU32(entry, this.memory.maximumPages);
      imports.push(entry);
    }
    if (imports.length > 0) {
      const bytes: number[] = [];
      writeVector(bytes, imports);
      section(2, bytes);
    }

    const funcs: number[] = [];
    writeU32(funcs, this.#functions.length);
    for (const f of this.#functions) writeU32(funcs, f.type);
    section(3, funcs);

    const exports: number[] = [];
    writeU32(exports, this.#exports.length);
    for (const e of this.#exports) {
      writeName(exports, e.name);
      exports.push(0x00);
      writeU32(exports, e.index);
    }
    section(7, exports);

    const code: number[] = [];
    writeU32(code, this.#functions.length);
    for (const f of this.#functions) {
      const body = [...f.body.localDecls(), ...f.body.code, 0x0b];
      writeU32(code, body.length);
      for (const b of body) code.push(b);
    }
    section(10, code);
    return new Uint8Array(out);
  }
}
