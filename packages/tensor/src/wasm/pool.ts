// Max pooling and its gradient as WebAssembly, with the JavaScript kernels' results
// (cpu/pool.ts): each window's search starts at its first position inside the input with
// -Infinity and moves to a larger value or to NaN, giving PyTorch's values and indices; the
// gradient adds each output gradient (in f64, rounded once) at the position its index names.
//
// Exports `run(start, end, meta)` over planes (n * c) [start, end): each plane's reads and
// writes stay in the plane, so disjoint ranges may run at once on several threads.

import type { WindowGeometry } from '../backend.js';
import { bytesPerElement, type DType } from '../dtype.js';
import type { WasmOperand } from './elementwise.js';
import { type FunctionBuilder, ModuleBuilder } from './encoder.js';
import { type CompiledKernel, KernelCache, type KernelCall, runCall } from './kernels.js';
import type { WasmRuntime } from './runtime.js';

/** Metadata words of the forward kernel, in order. */
const forwardWords = [
  'h',
  'w',
  'oh',
  'ow',
  'kh',
  'kw',
  'sh',
  'sw',
  'ph',
  'pw',
  'dh',
  'dw',
  'input',
  'values',
  'indices',
] as const;

/** Metadata words of the backward kernel, in order. */
const backwardWords = ['planeIn', 'planeOut', 'grad', 'indices', 'out'] as const;

const offsetOf = <T extends string>(words: readonly T[], name: T) => 4 * words.indexOf(name);

/** A local per metadata word, each loaded from the block at `meta`, by name. */
function loadWords<T extends string>(
  f: FunctionBuilder,
  meta: number,
  words: readonly T[],
): Record<T, number> {
  const locals = {} as Record<T, number>;
  for (const name of words) {
    locals[name] = f.local('i32');
    f.get(meta).mem('i32.load', offsetOf(words, name)).set(locals[name]);
  }
  return locals;
}

function loadValue(f: FunctionBuilder, dtype: DType): void {
  switch (dtype) {
    case 'float32':
      f.mem('f32.load').op('f64.promote_f32');
      return;
    case 'float64':
      f.mem('f64.load');
      return;
    case 'int32':
      f.mem('i32.load').op('f64.convert_i32_s');
      return;
    case 'bool':
      f.mem('i32.load8_u').op('f64.convert_i32_s');
      return;
    default:
      dtype satisfies never;
  }
}

/** Stores an f64 as `dtype` the way a typed array does (an int32 or bool gets a whole value, ±Infinity gives 0). */
function storeValue(f: FunctionBuilder, dtype: DType, temp: number): void {
  switch (dtype) {
    case 'float32':
      f.op('f32.demote_f64').mem('f32.store');
      return;
    case 'float64':
      f.mem('f64.store');
      return;
    case 'int32':
    case 'bool':
      // Values come from the input (whole numbers); an empty window's -Infinity stores 0.
      f.tee(temp).misc('i32.trunc_sat_f64_s').i32Const(0);
      f.get(temp).op('f64.abs').f64Const(Infinity).op('f64.ne', 'select');
      f.mem(dtype === 'int32' ? 'i32.store' : 'i32.store8');
      return;
    default:
      dtype satisfies never;
  }
}

function compileForward(dtype: DType, memory: ModuleBuilder['memory']): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder(memory);
  const size = bytesPerElement[dtype];
  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) => {
      const [start, end, meta] = [0, 1, 2];
      const i32 = () => f.local('i32');
      const g = loadWords(f, meta, forwardWords);
      const [plane, base, q, oy, ox, y0, yEnd, x0, xEnd, yy, xx, arg, at] = Array.from(
        { length: 13 },
        i32,
      ) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const best = f.local('f64');
      const v = f.local('f64');
      const temp = f.local('f64');
      const countUp = (counter: number, limit: number, body: () => void, step?: number) => {
        f.block().loop();
        f.get(counter).get(limit).op('i32.ge_s').brIf(1);
        body();
        f.get(counter);
        if (step === undefined) f.i32Const(1);
        else f.get(step);
        f.op('i32.add').set(counter).br(0);
        f.end().end();
      };
      /** first = o * stride - pad; last = min(first + (k - 1) * d + 1, extent); first moves past the padding by whole steps of d. */
      const window = (
        o: number,
        s: number,
        p: number,
        k: number,
        d: number,
        extent: number,
        first: number,
        last: number,
      ) => {
        f.get(o).get(s).op('i32.mul').get(p).op('i32.sub').tee(first);
        f.get(k)
          .i32Const(1)
          .op('i32.sub')
          .get(d)
          .op('i32.mul', 'i32.add')
          .i32Const(1)
          .op('i32.add');
        f.tee(last).get(extent).get(last).get(extent).op('i32.lt_s', 'select').set(last);
        f.block().loop();
        f.get(first).i32Const(0).op('i32.ge_s').brIf(1);
        f.get(first).get(d).op('i32.add').set(first).br(0);
        f.end().end();
      };
      // q: the output element's position, from the first plane of the range.
      f.get(start).get(g.oh).get(g.ow).op('i32.mul', 'i32.mul').set(q);
      f.get(start).set(plane);
      f.block().loop();
      f.get(plane).get(end).op('i32.ge_u').brIf(1);
      f.get(g.input).get(plane).get(g.h).get(g.w).op('i32.mul', 'i32.mul');
      f.i32Const(size).op('i32.mul', 'i32.add').set(base);
      f.i32Const(0).set(oy);
      countUp(oy, g.oh, () => {
        window(oy, g.sh, g.ph, g.kh, g.dh, g.h, y0, yEnd);
        f.i32Const(0).set(ox);
        countUp(ox, g.ow, () => {
          window(ox, g.sw, g.pw, g.kw, g.dw, g.w, x0, xEnd);
          f.f64Const(-Infinity).set(best);
          f.get(y0).get(g.w).op('i32.mul').get(x0).op('i32.add').set(arg);
          f.get(y0).set(yy);
          countUp(
            yy,
            yEnd,
            () => {
              f.get(x0).set(xx);
              countUp(
                xx,
                xEnd,
                () => {
                  f.get(yy).get(g.w).op('i32.mul').get(xx).op('i32.add').set(at);
                  f.get(base).get(at).i32Const(size).op('i32.mul', 'i32.add');
                  loadValue(f, dtype);
                  f.tee(v).get(best).op('f64.gt').get(v).get(v).op('f64.ne', 'i32.or');
                  f.if();
                  f.get(v).set(best).get(at).set(arg);
                  f.end();
                },
                g.dw,
              );
            },
            g.dh,
          );
          f.get(g.values).get(q).i32Const(size).op('i32.mul', 'i32.add').get(best);
          storeValue(f, dtype, temp);
          f.get(g.indices).get(q).i32Const(4).op('i32.mul', 'i32.add').get(arg).mem('i32.store');
          f.get(q).i32Const(1).op('i32.add').set(q);
        });
      });
      f.get(plane).i32Const(1).op('i32.add').set(plane).br(0);
      f.end().end();
    },
    'run',
  );
  return m.encode();
}

function compileBackward(dtype: DType, memory: ModuleBuilder['memory']): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder(memory);
  const size = bytesPerElement[dtype];
  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) => {
      const [start, end, meta] = [0, 1, 2];
      const i32 = () => f.local('i32');
      const g = loadWords(f, meta, backwardWords);
      const plane = i32();
      const target = i32();
      const k = i32();
      const qIndex = i32();
      const qGrad = i32();
      const at = i32();
      const index = i32();
      f.get(start).set(plane);
      f.get(g.indices).get(start).get(g.planeIn).op('i32.mul').i32Const(4).op('i32.mul', 'i32.add');
      f.set(qIndex);
      f.get(g.grad).get(start).get(g.planeIn).op('i32.mul').i32Const(size).op('i32.mul', 'i32.add');
      f.set(qGrad);
      f.block().loop();
      f.get(plane).get(end).op('i32.ge_u').brIf(1);
      f.get(g.out).get(plane).get(g.planeOut).op('i32.mul').i32Const(size).op('i32.mul', 'i32.add');
      f.tee(target);
      // The plane starts at zero (all-zero bits in every dtype).
      f.i32Const(0).get(g.planeOut).i32Const(size).op('i32.mul').memoryFill();
      f.i32Const(0).set(k);
      f.block().loop();
      f.get(k).get(g.planeIn).op('i32.ge_u').brIf(1);
      // A window of padding only names a position past the plane (or before it, read as
      // unsigned): its gradient goes nowhere.
      f.get(qIndex).mem('i32.load').tee(index).get(g.planeOut).op('i32.lt_u').if();
      f.get(target).get(index).i32Const(size).op('i32.mul', 'i32.add').tee(at);
      f.get(at);
      loadValue(f, dtype);
      f.get(qGrad);
      loadValue(f, dtype);
      f.op('f64.add');
      if (dtype === 'float32') f.op('f32.demote_f64').mem('f32.store');
      else if (dtype === 'float64') f.mem('f64.store');
      else throw new Error(`wasm maxPool2dBackward: ${dtype} gradients are not supported`);
      f.end();
      f.get(qIndex).i32Const(4).op('i32.add').set(qIndex);
      f.get(qGrad).i32Const(size).op('i32.add').set(qGrad);
      f.get(k).i32Const(1).op('i32.add').set(k).br(0);
      f.end().end();
      f.get(plane).i32Const(1).op('i32.add').set(plane).br(0);
      f.end().end();
    },
    'run',
  );
  return m.encode();
}

/** Max pooling and its gradient over one WasmRuntime's memory (Backend.maxPool2d's semantics). */
export class WasmPool {
  readonly #cache: KernelCache;

  constructor(runtime: WasmRuntime) {
    this.#cache = new KernelCache(runtime);
  }

  /** Contiguous input [N, C, H, W] into contiguous values and int32 indices [N, C, oh, ow], on this thread. */
  maxPool2d(
    input: WasmOperand,
    g: WindowGeometry,
    values: WasmOperand,
    indices: WasmOperand,
  ): void {
    runCall(this.#cache, this.prepareMaxPool2d(input, g, values, indices));
  }

  /** The call of maxPool2d(), for running planes in ranges. */
  prepareMaxPool2d(
    input: WasmOperand,
    g: WindowGeometry,
    values: WasmOperand,
    indices: WasmOperand,
  ): KernelCall {
    const [n, c, h, w] = input.view.shape as [number, number, number, number];
    const dtype = input.view.dtype;
    const cache = this.#cache;
    const kernel = cache.get(`forward|${dtype}`, () =>
      compileForward(dtype, cache.runtime.memoryImport),
    );
    const fields: Record<(typeof forwardWords)[number], number> = {
      h,
      w,
      oh: g.outSize[0],
      ow: g.outSize[1],
      kh: g.kernel[0],
      kw: g.kernel[1],
      sh: g.stride[0],
      sw: g.stride[1],
      ph: g.padding[0],
      pw: g.padding[1],
      dh: g.dilation[0],
      dw: g.dilation[1],
      input: byteAddress(input),
      values: byteAddress(values),
      indices: byteAddress(indices),
    };
    return wordsCall(cache, kernel, n * c, forwardWords, fields);
  }

  /** out [N, C, H, W] (contiguous) = the gradient grad [N, C, oh, ow] routed through indices, on this thread. */
  maxPool2dBackward(grad: WasmOperand, indices: WasmOperand, out: WasmOperand): void {
    runCall(this.#cache, this.prepareMaxPool2dBackward(grad, indices, out));
  }

  /** The call of maxPool2dBackward(), for running planes in ranges. */
  prepareMaxPool2dBackward(grad: WasmOperand, indices: WasmOperand, out: WasmOperand): KernelCall {
    const [n, c, h, w] = out.view.shape as [number, number, number, number];
    const [, , oh, ow] = grad.view.shape as [number, number, number, number];
    const dtype = out.view.dtype;
    const cache = this.#cache;
    const kernel = cache.get(`backward|${dtype}`, () =>
      compileBackward(dtype, cache.runtime.memoryImport),
    );
    const fields: Record<(typeof backwardWords)[number], number> = {
      planeIn: oh * ow,
      planeOut: h * w,
      grad: byteAddress(grad),
      indices: byteAddress(indices),
      out: byteAddress(out),
    };
    return wordsCall(cache, kernel, n * c, backwardWords, fields);
  }
}

/** A call whose metadata is the words `names`, valued by `fields`. */
function wordsCall<T extends string>(
  cache: KernelCache,
  kernel: CompiledKernel,
  total: number,
  names: readonly T[],
  fields: Record<T, number>,
): KernelCall {
  return {
    kernel,
    total,
    metaBytes: 4 * names.length,
    parallel: true,
    writeMeta: (meta) => {
      const words = cache.words();
      names.forEach((name, k) => {
        words[(meta >> 2) + k] = fields[name];
      });
    },
  };
}

/** The byte address of an operand's first element. */
function byteAddress(o: WasmOperand): number {
  return o.ptr + o.view.offset * bytesPerElement[o.view.dtype];
}
