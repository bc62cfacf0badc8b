// softmax and logSoftmax along the last dim as WebAssembly, row by row, with the JavaScript
// kernel's results bit for bit (cpu/softmax.ts): the row's max (NaN wins), the sum of
// exp(x - max) in f64 in order, then each element rounded once as it is stored; exp and log
// are the very Math functions the JavaScript kernel calls (imported).
//
// The export `run(start, end, meta)` computes rows [start, end), so disjoint ranges may run at
// once on several threads.

import type { View } from '../backend.js';
import type { DType } from '../dtype.js';
import { bytesPerElement } from '../dtype.js';
import type { WasmOperand } from './elementwise.js';
import { type FunctionBuilder, ModuleBuilder } from './encoder.js';
import { KernelCache, type KernelCall, runCall } from './kernels.js';
import type { WasmRuntime } from './runtime.js';

/** Metadata words: the row length, the input's and output's byte pointers of row 0. */
const metaBytes = 12;

function load(f: FunctionBuilder, dtype: DType): void {
  if (dtype === 'float32') f.mem('f32.load').op('f64.promote_f32');
  else f.mem('f64.load');
}

function compileSoftmax(
  inType: DType,
  outType: DType,
  log: boolean,
  memory: ModuleBuilder['memory'],
): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder(memory);
  const exp = m.importFunction('m', 'exp', ['f64'], ['f64']);
  const ln = m.importFunction('m', 'log', ['f64'], ['f64']);
  const inBytes = bytesPerElement[inType];
  const outBytes = bytesPerElement[outType];
  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) => {
      const [start, end, meta] = [0, 1, 2];
      const n = f.local('i32');
      const row = f.local('i32');
      const from = f.local('i32');
      const to = f.local('i32');
      const p = f.local('i32');
      const q = f.local('i32');
      const i = f.local('i32');
      const max = f.local('f64');
      const sum = f.local('f64');
      const logSum = f.local('f64');
      const v = f.local('f64');
      f.get(meta).mem('i32.load').set(n);
      f.get(start).set(row);
      const overRow = (body: () => void) => {
        f.get(from).set(p).get(to).set(q).i32Const(0).set(i);
        f.block().loop();
        f.get(i).get(n).op('i32.ge_u').brIf(1);
        body();
        f.get(p).i32Const(inBytes).op('i32.add').set(p);
        f.get(q).i32Const(outBytes).op('i32.add').set(q);
        f.get(i).i32Const(1).op('i32.add').set(i).br(0);
        f.end().end();
      };
      f.block().loop();
      f.get(row).get(end).op('i32.ge_u').brIf(1);
      f.get(meta).mem('i32.load', 4).get(row).get(n).op('i32.mul');
      f.i32Const(inBytes).op('i32.mul', 'i32.add').set(from);
      f.get(meta).mem('i32.load', 8).get(row).get(n).op('i32.mul');
      f.i32Const(outBytes).op('i32.mul', 'i32.add').set(to);
      // The max; NaN wins (and nothing replaces it after).
      f.f64Const(-Infinity).set(max);
      overRow(() => {
        f.get(p);
        load(f, inType);
        f.tee(v).get(max).get(v).get(v).op('f64.ne').get(v).get(max);
        f.op('f64.gt', 'i32.or', 'select').set(max);
      });
      f.f64Const(0).set(sum);
      overRow(() => {
        f.get(sum).get(p);
        load(f, inType);
        f.get(max).op('f64.sub').call(exp).op('f64.add').set(sum);
      });
      f.get(sum).call(ln).set(logSum);
      overRow(() => {
        f.get(q).get(p);
        load(f, inType);
        f.get(max).op('f64.sub');
        if (log) f.get(logSum).op('f64.sub');
        else f.call(exp).get(sum).op('f64.div');
        if (outType === 'float32') f.op('f32.demote_f64').mem('f32.store');
        else f.mem('f64.store');
      });
      f.get(row).i32Const(1).op('i32.add').set(row).br(0);
      f.end().end();
    },
    'run',
  );
  return m.encode();
}

/** softmax and logSoftmax over one WasmRuntime's memory (Backend.softmax's semantics). */
export class WasmSoftmax {
  readonly #cache: KernelCache;

  constructor(runtime: WasmRuntime) {
    this.#cache = new KernelCache(runtime);
  }

  /** Contiguous input and out [rows, n] (float32 or float64), along the last dim, on this thread. */
  run(input: WasmOperand, log: boolean, out: WasmOperand): void {
    runCall(this.#cache, this.prepare(input, log, out));
  }

  /** The call of run(), for running rows in ranges. */
  prepare(input: WasmOperand, log: boolean, out: WasmOperand): KernelCall {
    const shape: View['shape'] = input.view.shape;
    const n = shape[shape.length - 1] ?? 1;
    let count = 1;
    for (const size of shape) count *= size;
    const cache = this.#cache;
    const kernel = cache.get(
      `${input.view.dtype}|${out.view.dtype}|${log}`,
      () => compileSoftmax(input.view.dtype, out.view.dtype, log, cache.runtime.memoryImport),
      { m: { exp: Math.exp, log: Math.log } },
    );
    return {
      kernel,
      total: n === 0 ? 0 : count / n,
      metaBytes,
      parallel: true,
      writeMeta: (meta) => {
        const words = cache.words();
        words[meta >> 2] = n;
        words[(meta >> 2) + 1] = input.ptr + input.view.offset * bytesPerElement[input.view.dtype];
        words[(meta >> 2) + 2] = out.ptr + out.view.offset * bytesPerElement[out.view.dtype];
      },
    };
  }
}
