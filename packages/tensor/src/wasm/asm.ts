// Structured code on top of the WebAssembly encoder, for kernels with loops and branches (the
// matmul and convolution drivers): locals as objects, expressions as small closures, and
// for/if/while statements that keep the block nesting balanced.
//
//   const s = new Asm(f);
//   const i = s.i32();
//   s.for(i, 0, n, 1, () => s.store('f32.store', add(out, shl(i, 2)), s.f32(0)));

import type { FunctionBuilder, MemOp, Op, SimdOp, ValType } from './encoder.js';

/** A parameter or local of the function under construction. */
export class Local {
  constructor(
    readonly index: number,
    readonly type: ValType,
  ) {}
}

/** An i32 constant, a local's value, or code that leaves one value on the stack. */
export type Ex = number | Local | ((f: FunctionBuilder) => void);

/** Appends the code of `e`. */
export function emit(f: FunctionBuilder, e: Ex): void {
  if (typeof e === 'number') f.i32Const(e);
  else if (e instanceof Local) f.get(e.index);
  else e(f);
}

/** A binary operator applied to two expressions. */
export const bin =
  (name: Op, a: Ex, b: Ex): Ex =>
  (f) => {
    emit(f, a);
    emit(f, b);
    f.op(name);
  };

export const add = (a: Ex, b: Ex) => bin('i32.add', a, b);
export const sub = (a: Ex, b: Ex) => bin('i32.sub', a, b);
export const mul = (a: Ex, b: Ex) => bin('i32.mul', a, b);
export const shl = (a: Ex, b: Ex) => bin('i32.shl', a, b);
export const and = (a: Ex, b: Ex) => bin('i32.and', a, b);
export const or = (a: Ex, b: Ex) => bin('i32.or', a, b);
export const lt = (a: Ex, b: Ex) => bin('i32.lt_s', a, b);
export const ltU = (a: Ex, b: Ex) => bin('i32.lt_u', a, b);
export const gt = (a: Ex, b: Ex) => bin('i32.gt_s', a, b);
export const ge = (a: Ex, b: Ex) => bin('i32.ge_s', a, b);
export const le = (a: Ex, b: Ex) => bin('i32.le_s', a, b);
export const eq = (a: Ex, b: Ex) => bin('i32.eq', a, b);
export const ne = (a: Ex, b: Ex) => bin('i32.ne', a, b);
export const divS = (a: Ex, b: Ex) => bin('i32.div_s', a, b);
export const remS = (a: Ex, b: Ex) => bin('i32.rem_s', a, b);
export const eqz =
  (a: Ex): Ex =>
  (f) => {
    emit(f, a);
    f.op('i32.eqz');
  };
/** Four bytes per float32: `x * 4`. */
export const bytes = (a: Ex) => shl(a, 2);
export const min =
  (a: Ex, b: Ex): Ex =>
  (f) => {
    emit(f, a);
    emit(f, b);
    emit(f, a);
    emit(f, b);
    f.op('i32.lt_s', 'select');
  };
export const max =
  (a: Ex, b: Ex): Ex =>
  (f) => {
    emit(f, a);
    emit(f, b);
    emit(f, a);
    emit(f, b);
    f.op('i32.gt_s', 'select');
  };
/** `cond ? a : b` for i32 values (both evaluated). */
export const select =
  (cond: Ex, a: Ex, b: Ex): Ex =>
  (f) => {
    emit(f, a);
    emit(f, b);
    emit(f, cond);
    f.op('select');
  };
/** A load from `addr + offset`. */
export const load =
  (name: MemOp, addr: Ex, offset = 0): Ex =>
  (f) => {
    emit(f, addr);
    f.mem(name, offset);
  };
/** A SIMD operator over the values of `args`, in order. */
export const simd =
  (name: SimdOp, ...args: Ex[]): Ex =>
  (f) => {
    for (const a of args) emit(f, a);
    f.simd(name);
  };
/** A float32 operator over two expressions. */
export const fbin = (name: Op, a: Ex, b: Ex) => bin(name, a, b);
/** The v128 of four zeros. */
export const zero128: Ex = (f) => {
  f.f32x4Const([0, 0, 0, 0]);
};
export const f32 =
  (value: number): Ex =>
  (f) => {
    f.f32Const(value);
  };

/** A tuple of `N` values of type T (for parameter lists of a known length). */
export type Tuple<T, N extends number, R extends T[] = []> = R['length'] extends N
  ? R
  : Tuple<T, N, [T, ...R]>;

/** `count` i32 parameter types. */
export function i32s(count: number): ValType[] {
  return Array.from({ length: count }, (): ValType => 'i32');
}

/** Statements over a FunctionBuilder. */
export class Asm {
  constructor(readonly f: FunctionBuilder) {}

  /** Parameters 0..count-1 as locals (all i32 unless `types` says otherwise). */
  params<N extends number>(count: N, types: readonly ValType[] = []): Tuple<Local, N> {
    // A tuple of `count` locals, which the type system cannot build from a loop.
    return Array.from({ length: count }, (_, i) => new Local(i, types[i] ?? 'i32')) as Tuple<
      Local,
      N
    >;
  }

  i32(): Local {
    return new Local(this.f.local('i32'), 'i32');
  }

  v128(): Local {
    return new Local(this.f.local('v128'), 'v128');
  }

  f32Local(): Local {
    return new Local(this.f.local('f32'), 'f32');
  }

  emit(e: Ex): void {
    emit(this.f, e);
  }

  set(l: Local, e: Ex): void {
    emit(this.f, e);
    this.f.set(l.index);
  }

  /** `l += e` for an i32 local. */
  inc(l: Local, e: Ex): void {
    this.set(l, add(l, e));
  }

  store(name: MemOp, addr: Ex, value: Ex, offset = 0): void {
    emit(this.f, addr);
    emit(this.f, value);
    this.f.mem(name, offset);
  }

  /** for (l = start; l < end; l += step) body() — signed comparison, end read each time. */
  for(l: Local, start: Ex, end: Ex, step: Ex, body: () => void): void {
    this.set(l, start);
    this.while(lt(l, end), () => {
      body();
      this.inc(l, step);
    });
  }

  /** while (cond) body() */
  while(cond: Ex, body: () => void): void {
    const f = this.f;
    f.block().loop();
    emit(f, cond);
    f.op('i32.eqz').brIf(1);
    body();
    f.br(0).end().end();
  }

  /** do body() while (cond) — for loops known to run at least once. */
  doWhile(body: () => void, cond: Ex): void {
    const f = this.f;
    f.loop();
    body();
    emit(f, cond);
    f.brIf(0).end();
  }

  if(cond: Ex, then: () => void, otherwise?: () => void): void {
    emit(this.f, cond);
    this.f.if();
    then();
    if (otherwise) {
      this.f.else();
      otherwise();
    }
    this.f.end();
  }

  /** Calls function `index` with `args`, dropping nothing (the callee returns nothing). */
  call(index: number, ...args: Ex[]): void {
    for (const a of args) emit(this.f, a);
    this.f.call(index);
  }

  return(): void {
    this.f.op('return');
  }
}
