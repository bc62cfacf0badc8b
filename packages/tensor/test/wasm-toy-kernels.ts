// Toy WebAssembly kernels for the thread pool's tests and benchmark: each export takes its
// range [start, end) as its last two arguments, as the CPU backend's kernels do.

import { type FunctionBuilder, type MemoryImport, ModuleBuilder } from '../src/wasm/encoder.js';

/** `for (i = start; i < end; i++) body(i)`, with start and end in locals `start`, `end`. */
function forRange(f: FunctionBuilder, start: number, end: number, body: (i: number) => void) {
  const i = f.local('i32');
  f.get(start).set(i);
  f.block().loop();
  f.get(i).get(end).op('i32.ge_u').brIf(1);
  body(i);
  f.get(i).i32Const(1).op('i32.add').set(i).br(0);
  f.end().end();
}

/** Pushes `base + 4 * i`. */
function element(f: FunctionBuilder, base: number, i: number): FunctionBuilder {
  return f.get(base).get(i).i32Const(2).op('i32.shl').op('i32.add');
}

/**
 * A module of toy kernels (f32 and i32 arrays given by byte offset):
 * - mulAdd(a, b, out, start, end): out[i] = a[i] * b[i] + i
 * - increment(out, start, end): out[i] += 1 (int32)
 * - slow(a, out, reps, start, end): x = a[i], then `reps` times x = x * 0.999 + 0.5; out[i] = x
 * - empty(start, end): nothing
 * - trapAt(index, start, end): `unreachable` when index is in the range
 * - outOfBoundsAt(index, start, end): a store past the memory's end when index is in range
 * - trapLast(reps, last, start, end): the chunk starting at 0 first loops `reps` times (so
 *   another thread reaches the last chunk); the chunk holding `last` traps
 */
export function toyKernels(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder(memory);
  m.func(
    ['i32', 'i32', 'i32', 'i32', 'i32'],
    [],
    (f) =>
      forRange(f, 3, 4, (i) => {
        element(f, 2, i);
        element(f, 0, i).mem('f32.load');
        element(f, 1, i).mem('f32.load');
        f.op('f32.mul').get(i).op('f32.convert_i32_u').op('f32.add').mem('f32.store');
      }),
    'mulAdd',
  );
  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) =>
      forRange(f, 1, 2, (i) => {
        element(f, 0, i);
        element(f, 0, i).mem('i32.load').i32Const(1).op('i32.add').mem('i32.store');
      }),
    'increment',
  );
  m.func(
    ['i32', 'i32', 'i32', 'i32', 'i32'],
    [],
    (f) => {
      const x = f.local('f32');
      const k = f.local('i32');
      forRange(f, 3, 4, (i) => {
        element(f, 0, i).mem('f32.load').set(x);
        f.i32Const(0).set(k);
        f.block().loop();
        f.get(k).get(2).op('i32.ge_u').brIf(1);
        f.get(x).f32Const(0.999).op('f32.mul').f32Const(0.5).op('f32.add').set(x);
        f.get(k).i32Const(1).op('i32.add').set(k).br(0);
        f.end().end();
        element(f, 1, i).get(x).mem('f32.store');
      });
    },
    'slow',
  );
  m.func(['i32', 'i32'], [], () => {}, 'empty');
  const inRange = (f: FunctionBuilder, index: number, start: number, end: number) =>
    f.get(index).get(start).op('i32.ge_u').get(index).get(end).op('i32.lt_u').op('i32.and');
  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) => void inRange(f, 0, 1, 2).if().op('unreachable').end(),
    'trapAt',
  );
  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) => void inRange(f, 0, 1, 2).if().i32Const(-16).f32Const(1).mem('f32.store').end(),
    'outOfBoundsAt',
  );
  m.func(
    ['i32', 'i32', 'i32', 'i32'],
    [],
    (f) => {
      const k = f.local('i32');
      f.get(2).op('i32.eqz').if();
      f.block().loop();
      f.get(k).get(0).op('i32.ge_u').brIf(1);
      // A store each turn, so the engine cannot drop the loop (bytes 0-63 are never allocated).
      f.i32Const(0).get(k).mem('i32.store');
      f.get(k).i32Const(1).op('i32.add').set(k).br(0);
      f.end().end();
      f.end();
      inRange(f, 1, 2, 3).if().op('unreachable').end();
    },
    'trapLast',
  );
  return m.encode();
}

/** What `slow` computes for one element, in float32 arithmetic done by JavaScript. */
export function slowReference(a: number, reps: number): number {
  let x = Math.fround(a);
  for (let k = 0; k < reps; k++) x = Math.fround(Math.fround(x * Math.fround(0.999)) + 0.5);
  return x;
}
