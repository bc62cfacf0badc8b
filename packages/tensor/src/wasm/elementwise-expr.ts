// Typed elementwise expressions (expr-types.ts) as WebAssembly instructions, per element
// (scalar) and per vector of lanes (SIMD), computing the same values as the JavaScript
// kernels (cpu/render.ts) bit for bit: float nodes in f64 as JavaScript's numbers, int nodes
// in i32 wrapping as `| 0` and Math.imul do, the transcendental functions as calls to the very
// Math functions the JavaScript kernels call. Vector code keeps floats in f64x2 (two lanes), or
// in f32x4 (four lanes) where f32Exact (elementwise-analysis.ts) shows float32 gives the same;
// an op with no exact SIMD form runs per lane through its scalar code.

import type { BinaryFn, UnaryFn } from '../expr.js';
import { binaryRule, isTest, type NumberKind, type Typed, unaryRule } from '../expr-types.js';
import {
  children,
  type ImportName,
  lanesOf,
  unaryImport,
  type VectorMode,
} from './elementwise-analysis.js';
import type { FunctionBuilder, SimdOp, ValType } from './encoder.js';

const int32Min = -2147483648;

/** Locals of one type handed out and returned, so temporaries are reused. */
class Temps {
  readonly #free: Record<ValType, number[]> = { i32: [], i64: [], f32: [], f64: [], v128: [] };
  constructor(readonly f: FunctionBuilder) {}
  take(type: ValType): number {
    return this.#free[type].pop() ?? this.f.local(type);
  }
  give(type: ValType, index: number): void {
    this.#free[type].push(index);
  }
}

const f64Bytes = (value: number) => new Uint8Array(new Float64Array([value, value]).buffer);
const f32Bytes = (value: number) =>
  new Uint8Array(new Float32Array([value, value, value, value]).buffer);
const i32Bytes = (value: number) =>
  new Uint8Array(new Int32Array([value, value, value, value]).buffer);

/** Where an expression's leaves come from: set by the loop that emits the element. */
export interface Leaves {
  /** Pushes input `index`'s value (scalar: f64 or i32 by its kind; vector: v128). */
  input(index: number): void;
  /** Pushes param `index` (scalar, or splat in vector code). */
  param(index: number): void;
}

/**
 * Emits expressions into one function body. Nodes used more than once (fused chains share
 * subtrees) are computed once per element and kept in a local.
 */
export class ExprEmitter {
  readonly temps: Temps;
  readonly #shared = new Set<Typed>();
  /** Values of shared nodes of the element being emitted: their locals and types. */
  #memo = new Map<Typed, { local: number; type: ValType }>();

  constructor(
    readonly f: FunctionBuilder,
    readonly imports: ReadonlyMap<ImportName, number>,
    readonly mode: VectorMode,
    exprs: readonly Typed[],
  ) {
    this.temps = new Temps(f);
    const uses = new Map<Typed, number>();
    const visit = (e: Typed) => {
      const n = (uses.get(e) ?? 0) + 1;
      uses.set(e, n);
      if (n === 1) for (const x of children(e)) visit(x);
    };
    for (const e of exprs) visit(e);
    for (const [e, n] of uses) {
      if (n > 1 && e.kind !== 'input' && e.kind !== 'const' && e.kind !== 'param') {
        this.#shared.add(e);
      }
    }
  }

  /** Starts a new element (or vector of elements): forgets the shared values computed so far. */
  reset(): void {
    for (const { local, type } of this.#memo.values()) this.temps.give(type, local);
    this.#memo = new Map();
  }

  /** Pushes `e`'s value for one element: f64 for float nodes, i32 for int nodes. */
  scalar(e: Typed, leaves: Leaves): void {
    this.#emit(e, leaves, false);
  }

  /** Pushes `e`'s value for a vector of elements (v128). */
  vector(e: Typed, leaves: Leaves): void {
    this.#emit(e, leaves, true);
  }

  #emit(e: Typed, leaves: Leaves, vector: boolean): void {
    const f = this.f;
    const known = this.#memo.get(e);
    if (known !== undefined) {
      f.get(known.local);
      return;
    }
    switch (e.kind) {
      case 'input':
        leaves.input(e.index);
        return;
      case 'param':
        leaves.param(e.index);
        return;
      case 'const':
        if (vector) this.#splatConst(e.value, e.type);
        else if (e.type === 'int') f.i32Const(e.value);
        else f.f64Const(e.value);
        return;
      default:
    }
    // An int test of an int operand that is always 0 (isnan, isinf) reads nothing.
    if (e.kind === 'unary' && (e.fn === 'isnan' || e.fn === 'isinf') && e.x.type === 'int') {
      if (vector) f.v128Const(i32Bytes(0));
      else f.i32Const(0);
      return;
    }
    for (const x of children(e)) this.#emit(x, leaves, vector);
    if (vector) {
      if (!this.#vectorOp(e)) this.#perLane(e);
    } else {
      this.#scalarOp(e);
    }
    if (this.#shared.has(e)) {
      const type: ValType = vector ? 'v128' : e.type === 'int' ? 'i32' : 'f64';
      const local = this.temps.take(type);
      f.tee(local);
      this.#memo.set(e, { local, type });
    }
  }

  #splatConst(value: number, kind: NumberKind): void {
    if (kind === 'int') this.f.v128Const(i32Bytes(value));
    else this.f.v128Const(this.mode === 'f64x2' ? f64Bytes(value) : f32Bytes(value));
  }

  // Scalar code -------------------------------------------------------------------------

  #call(name: ImportName): void {
    const index = this.imports.get(name);
    if (index === undefined) throw new Error(`wasm kernel: ${name} was not imported`);
    this.f.call(index);
  }

  /** x (of `kind`, on the stack) !== 0 as an i32 0/1. */
  truthy(kind: NumberKind): void {
    if (kind === 'float') this.f.f64Const(0).op('f64.ne');
    else this.f.i32Const(0).op('i32.ne');
  }

  /** A float (f64 on the stack) as int32 the way a cast does: NaN and out of range give -2^31. */
  toInt32(): void {
    const f = this.f;
    const t = this.temps.take('f64');
    f.tee(t).misc('i32.trunc_sat_f64_s').i32Const(int32Min);
    f.get(t).f64Const(-2147483649).op('f64.gt');
    f.get(t).f64Const(2147483648).op('f64.lt', 'i32.and', 'select');
    this.temps.give('f64', t);
  }

  /** Converts a value of kind `from` on the stack to kind `to`, as render.ts's convert. */
  convertScalar(from: NumberKind, to: NumberKind): void {
    if (from === to) return;
    if (to === 'float') this.f.op('f64.convert_i32_s');
    else this.toInt32();
  }

  #scalarOp(e: Typed): void {
    const f = this.f;
    switch (e.kind) {
      case 'unary':
        this.#scalarUnary(e.fn, unaryRule[e.fn] === 'test' ? e.x.type : e.type);
        return;
      case 'binary': {
        const rule = binaryRule[e.fn];
        if (rule === 'logical') {
          const tb = this.temps.take(e.b.type === 'int' ? 'i32' : 'f64');
          f.set(tb);
          this.truthy(e.a.type);
          f.get(tb);
          this.truthy(e.b.type);
          this.temps.give(e.b.type === 'int' ? 'i32' : 'f64', tb);
          f.op(e.fn === 'and' ? 'i32.and' : e.fn === 'or' ? 'i32.or' : 'i32.xor');
          return;
        }
        this.#scalarBinary(e.fn, rule === 'compare' ? e.a.type : e.type);
        return;
      }
      case 'select':
        this.truthy(e.cond.type);
        f.op('select');
        return;
      case 'cast':
        switch (e.to) {
          case 'int32':
            this.convertScalar(e.x.type, 'int');
            return;
          case 'bool':
            if (!isTest(e.x)) this.truthy(e.x.type);
            return;
          case 'float32':
            if (e.x.type === 'int') f.op('f32.convert_i32_s', 'f64.promote_f32');
            else f.op('f32.demote_f64', 'f64.promote_f32');
            return;
          case 'float64':
            this.convertScalar(e.x.type, 'float');
            return;
          default:
            e.to satisfies never;
        }
        return;
      case 'convert':
        this.convertScalar(e.x.type, e.type);
        return;
      default:
        throw new Error(`wasm kernel: no scalar op for ${e.kind}`);
    }
  }

  #scalarUnary(fn: UnaryFn, kind: NumberKind): void {
    const f = this.f;
    if (kind === 'float') {
      switch (fn) {
        case 'neg':
          f.op('f64.neg');
          return;
        case 'abs':
          f.op('f64.abs');
          return;
        case 'sqrt':
          f.op('f64.sqrt');
          return;
        case 'floor':
          f.op('f64.floor');
          return;
        case 'ceil':
          f.op('f64.ceil');
          return;
        case 'trunc':
          f.op('f64.trunc');
          return;
        case 'roundHalfEven':
          // f64.nearest rounds halves to even, as helpers.roundHalfEven does (-0 included).
          f.op('f64.nearest');
          return;
        case 'sign': {
          const t = this.temps.take('f64');
          f.tee(t).f64Const(0).op('f64.gt').get(t).f64Const(0).op('f64.lt', 'i32.sub');
          f.op('f64.convert_i32_s');
          this.temps.give('f64', t);
          return;
        }
        case 'not':
          f.f64Const(0).op('f64.eq');
          return;
        case 'isnan': {
          const t = this.temps.take('f64');
          f.tee(t).get(t).op('f64.ne');
          this.temps.give('f64', t);
          return;
        }
        case 'isinf':
          f.op('f64.abs').f64Const(Infinity).op('f64.eq');
          return;
        default: {
          const name = unaryImport[fn];
          if (!name) throw new Error(`wasm kernel: no float form of ${fn}`);
          this.#call(name);
          return;
        }
      }
    }
    switch (fn) {
      case 'neg':
        f.i32Const(-1).op('i32.mul');
        return;
      case 'abs': {
        const t = this.temps.take('i32');
        f.tee(t).i32Const(-1).op('i32.mul').get(t).get(t).i32Const(0).op('i32.lt_s', 'select');
        this.temps.give('i32', t);
        return;
      }
      case 'floor':
      case 'ceil':
      case 'trunc':
      case 'roundHalfEven':
        return; // integers are their own roundings
      case 'sign': {
        const t = this.temps.take('i32');
        f.tee(t).i32Const(0).op('i32.gt_s').get(t).i32Const(0).op('i32.lt_s', 'i32.sub');
        this.temps.give('i32', t);
        return;
      }
      case 'not':
        f.op('i32.eqz');
        return;
      default:
        throw new Error(`wasm kernel: no integer form of ${fn}`);
    }
  }

  #scalarBinary(fn: BinaryFn, kind: NumberKind): void {
    const f = this.f;
    if (kind === 'float') {
      const simple: Partial<Record<BinaryFn, Parameters<FunctionBuilder['op']>[0]>> = {
        add: 'f64.add',
        sub: 'f64.sub',
        mul: 'f64.mul',
        div: 'f64.div',
        // Math.max/min and f64.max/min agree: NaN wins, -0 < +0.
        max: 'f64.max',
        min: 'f64.min',
        eq: 'f64.eq',
        ne: 'f64.ne',
        lt: 'f64.lt',
        le: 'f64.le',
        gt: 'f64.gt',
        ge: 'f64.ge',
      };
      const code = simple[fn];
      if (code) {
        f.op(code);
        return;
      }
      switch (fn) {
        case 'divTrunc':
          f.op('f64.div', 'f64.trunc');
          return;
        case 'divFloor':
          f.op('f64.div', 'f64.floor');
          return;
        case 'pow':
        case 'atan2':
        case 'mod':
          this.#call(fn);
          return;
        default:
          throw new Error(`wasm kernel: no float form of ${fn}`);
      }
    }
    const simple: Partial<Record<BinaryFn, Parameters<FunctionBuilder['op']>[0]>> = {
      add: 'i32.add',
      sub: 'i32.sub',
      mul: 'i32.mul',
      eq: 'i32.eq',
      ne: 'i32.ne',
      lt: 'i32.lt_s',
      le: 'i32.le_s',
      gt: 'i32.gt_s',
      ge: 'i32.ge_s',
    };
    const code = simple[fn];
    if (code) {
      f.op(code);
      return;
    }
    if (fn === 'pow') {
      this.#call('ipow');
      return;
    }
    const ta = this.temps.take('i32');
    const tb = this.temps.take('i32');
    f.set(tb).set(ta);
    switch (fn) {
      case 'max':
      case 'min':
        f.get(ta)
          .get(tb)
          .get(ta)
          .get(tb)
          .op(fn === 'max' ? 'i32.gt_s' : 'i32.lt_s', 'select');
        break;
      case 'mod': {
        // The remainder with the divisor's sign; by 0 it is 0 (a remainder by 1).
        const r = this.temps.take('i32');
        f.get(ta).i32Const(1).get(tb).get(tb).op('i32.eqz', 'select', 'i32.rem_s').tee(r);
        f.get(tb).i32Const(0);
        f.get(r).i32Const(0).op('i32.ne');
        f.get(r).get(tb).op('i32.xor').i32Const(0).op('i32.lt_s', 'i32.and', 'select', 'i32.add');
        this.temps.give('i32', r);
        break;
      }
      case 'divTrunc':
      case 'divFloor': {
        // (a / b) | 0 in JavaScript: 0 for b = 0, and -2^31 / -1 wraps to -2^31. i32.div_s
        // traps on both, so it divides by 1 there: b = -1 gives -a (wrapping), b = 0 gives 0.
        const bs = this.temps.take('i32');
        f.i32Const(0).get(ta).op('i32.sub');
        f.i32Const(1).get(tb).get(tb).i32Const(1).op('i32.add').i32Const(1).op('i32.le_u');
        f.op('select').set(bs);
        f.get(ta).get(bs).op('i32.div_s');
        if (fn === 'divFloor') {
          // Down by one where the remainder is nonzero and the signs differ.
          f.get(ta).get(bs).op('i32.rem_s').i32Const(0).op('i32.ne');
          f.get(ta).get(tb).op('i32.xor').i32Const(0).op('i32.lt_s', 'i32.and', 'i32.sub');
        }
        f.get(tb).i32Const(-1).op('i32.eq', 'select');
        f.i32Const(0).get(tb).op('select');
        this.temps.give('i32', bs);
        break;
      }
      default:
        throw new Error(`wasm kernel: no integer form of ${fn}`);
    }
    this.temps.give('i32', tb);
    this.temps.give('i32', ta);
  }

  // Vector code --------------------------------------------------------------------------

  get #fl(): 'f64x2' | 'f32x4' {
    return this.mode;
  }

  #simd(name: string): void {
    this.f.simd(name as SimdOp);
  }

  /** A float mask (lanes of the float width) as an i32x4 mask in the int lanes. */
  floatMaskToInt(): void {
    if (this.mode === 'f32x4') return;
    const t = this.temps.take('v128');
    this.f.tee(t).get(t).shuffle([0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
    this.temps.give('v128', t);
  }

  /** An i32x4 mask (in the int lanes) as a mask of float lanes. */
  intMaskToFloat(): void {
    if (this.mode === 'f64x2') this.f.simd('i64x2.extend_low_i32x4_s');
  }

  /** Nonzero lanes of a vector of `kind` as an i32x4 mask. */
  truthyMask(kind: NumberKind): void {
    if (kind === 'int') {
      this.f.v128Const(i32Bytes(0)).simd('i32x4.ne');
    } else {
      this.#splatConst(0, 'float');
      this.#simd(`${this.#fl}.ne`);
      this.floatMaskToInt();
    }
  }

  /** Float lanes as int32 the way a cast does: NaN and out of range give -2^31. */
  vectorToInt32(): void {
    const f = this.f;
    const t = this.temps.take('v128');
    f.tee(t);
    if (this.mode === 'f64x2') {
      f.simd('i32x4.trunc_sat_f64x2_s_zero').v128Const(i32Bytes(int32Min));
      f.get(t).v128Const(f64Bytes(-2147483649)).simd('f64x2.gt');
      f.get(t).v128Const(f64Bytes(2147483648)).simd('f64x2.lt', 'v128.and');
      this.floatMaskToInt();
    } else {
      f.simd('i32x4.trunc_sat_f32x4_s').v128Const(i32Bytes(int32Min));
      f.get(t).v128Const(f32Bytes(-2147483648)).simd('f32x4.ge');
      f.get(t).v128Const(f32Bytes(2147483648)).simd('f32x4.lt', 'v128.and');
    }
    f.simd('v128.bitselect');
    this.temps.give('v128', t);
  }

  /** Int lanes as floats. */
  vectorToFloat(): void {
    this.f.simd(this.mode === 'f64x2' ? 'f64x2.convert_low_i32x4_s' : 'f32x4.convert_i32x4_s');
  }

  /** Emits e's SIMD form over its operands on the stack; false when it has none. */
  #vectorOp(e: Typed): boolean {
    const f = this.f;
    const fl = this.#fl;
    switch (e.kind) {
      case 'unary': {
        const kind = unaryRule[e.fn] === 'test' ? e.x.type : e.type;
        if (kind === 'int') {
          switch (e.fn) {
            case 'neg':
              f.simd('i32x4.neg');
              return true;
            case 'abs':
              f.simd('i32x4.abs');
              return true;
            case 'floor':
            case 'ceil':
            case 'trunc':
            case 'roundHalfEven':
              return true;
            case 'sign': {
              const t = this.temps.take('v128');
              f.tee(t).v128Const(i32Bytes(0)).simd('i32x4.lt_s');
              f.get(t).v128Const(i32Bytes(0)).simd('i32x4.gt_s', 'i32x4.sub');
              this.temps.give('v128', t);
              return true;
            }
            case 'not':
              f.v128Const(i32Bytes(0)).simd('i32x4.eq', 'i32x4.neg');
              return true;
            default:
              return false;
          }
        }
        switch (e.fn) {
          case 'neg':
          case 'abs':
          case 'sqrt':
          case 'floor':
          case 'ceil':
          case 'trunc':
            this.#simd(`${fl}.${e.fn}`);
            return true;
          case 'roundHalfEven':
            this.#simd(`${fl}.nearest`);
            return true;
          case 'sign': {
            // (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0), masks and-ed with 1.0: +0 for ±0 and NaN.
            const t = this.temps.take('v128');
            f.tee(t);
            this.#splatConst(0, 'float');
            this.#simd(`${fl}.gt`);
            this.#splatConst(1, 'float');
            f.simd('v128.and').get(t);
            this.#splatConst(0, 'float');
            this.#simd(`${fl}.lt`);
            this.#splatConst(1, 'float');
            f.simd('v128.and');
            this.#simd(`${fl}.sub`);
            this.temps.give('v128', t);
            return true;
          }
          case 'not':
            this.#splatConst(0, 'float');
            this.#simd(`${fl}.eq`);
            this.floatMaskToInt();
            f.simd('i32x4.neg');
            return true;
          case 'isnan': {
            const t = this.temps.take('v128');
            f.tee(t).get(t);
            this.#simd(`${fl}.ne`);
            this.floatMaskToInt();
            f.simd('i32x4.neg');
            this.temps.give('v128', t);
            return true;
          }
          case 'isinf':
            this.#simd(`${fl}.abs`);
            this.#splatConst(Infinity, 'float');
            this.#simd(`${fl}.eq`);
            this.floatMaskToInt();
            f.simd('i32x4.neg');
            return true;
          default:
            return false;
        }
      }
      case 'binary': {
        const rule = binaryRule[e.fn];
        if (rule === 'logical') {
          const tb = this.temps.take('v128');
          f.set(tb);
          this.truthyMask(e.a.type);
          f.get(tb);
          this.truthyMask(e.b.type);
          f.simd(e.fn === 'and' ? 'v128.and' : e.fn === 'or' ? 'v128.or' : 'v128.xor');
          f.simd('i32x4.neg');
          this.temps.give('v128', tb);
          return true;
        }
        const kind = rule === 'compare' ? e.a.type : e.type;
        if (rule === 'compare') {
          const cmp = { eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge' }[e.fn as 'eq'];
          if (kind === 'int') {
            this.#simd(`i32x4.${cmp}${cmp === 'eq' || cmp === 'ne' ? '' : '_s'}`);
          } else {
            this.#simd(`${fl}.${cmp}`);
            this.floatMaskToInt();
          }
          f.simd('i32x4.neg');
          return true;
        }
        if (kind === 'int') {
          const code = {
            add: 'i32x4.add',
            sub: 'i32x4.sub',
            mul: 'i32x4.mul',
            max: 'i32x4.max_s',
            min: 'i32x4.min_s',
          }[e.fn as 'add'];
          if (!code) return false;
          this.#simd(code);
          return true;
        }
        switch (e.fn) {
          case 'add':
          case 'sub':
          case 'mul':
          case 'div':
          case 'max':
          case 'min':
            this.#simd(`${fl}.${e.fn}`);
            return true;
          case 'divTrunc':
            this.#simd(`${fl}.div`);
            this.#simd(`${fl}.trunc`);
            return true;
          case 'divFloor':
            this.#simd(`${fl}.div`);
            this.#simd(`${fl}.floor`);
            return true;
          default:
            return false;
        }
      }
      case 'select':
        this.truthyMask(e.cond.type);
        if (e.type === 'float') this.intMaskToFloat();
        f.simd('v128.bitselect');
        return true;
      case 'cast':
        switch (e.to) {
          case 'int32':
            if (e.x.type === 'float') this.vectorToInt32();
            return true;
          case 'bool':
            if (!isTest(e.x)) {
              this.truthyMask(e.x.type);
              f.simd('i32x4.neg');
            }
            return true;
          case 'float32':
            if (e.x.type === 'int') f.simd('f32x4.convert_i32x4_s');
            else if (this.mode === 'f64x2') f.simd('f32x4.demote_f64x2_zero');
            if (this.mode === 'f64x2') f.simd('f64x2.promote_low_f32x4');
            return true;
          case 'float64':
            if (this.mode !== 'f64x2') throw new Error('wasm kernel: float64 in float32 lanes');
            if (e.x.type === 'int') this.vectorToFloat();
            return true;
          default:
            return e.to satisfies never;
        }
      case 'convert':
        if (e.type === 'float') this.vectorToFloat();
        else this.vectorToInt32();
        return true;
      default:
        return false;
    }
  }

  /** Runs e's scalar code on each lane of its vector operands (on the stack). */
  #perLane(e: Typed): void {
    const f = this.f;
    const lanes = lanesOf[this.mode];
    const ops = children(e);
    if (this.mode === 'f32x4' && (e.type === 'float' || ops.some((x) => x.type === 'float'))) {
      throw new Error(`wasm kernel: ${exprName(e)} has no float32 lane form`);
    }
    const locals = ops.map(() => this.temps.take('v128'));
    for (let k = ops.length - 1; k >= 0; k--) f.set(locals[k]!);
    const acc = this.temps.take('v128');
    for (let lane = 0; lane < lanes; lane++) {
      if (lane > 0) f.get(acc);
      for (const [k, x] of ops.entries()) {
        f.get(locals[k]!).lane(
          x.type === 'int' ? 'i32x4.extract_lane' : 'f64x2.extract_lane',
          lane,
        );
      }
      this.#scalarOp(e);
      if (lane === 0) f.simd(e.type === 'int' ? 'i32x4.splat' : 'f64x2.splat');
      else f.lane(e.type === 'int' ? 'i32x4.replace_lane' : 'f64x2.replace_lane', lane);
      f.set(acc);
    }
    f.get(acc);
    this.temps.give('v128', acc);
    for (const local of locals) this.temps.give('v128', local);
  }
}

function exprName(e: Typed): string {
  return e.kind === 'unary' || e.kind === 'binary' ? e.fn : e.kind;
}
