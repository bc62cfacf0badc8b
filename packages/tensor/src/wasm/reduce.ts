// Reductions (sum, prod, max, min, argmax, argmin) and cumsum on the CPU as WebAssembly,
// with the JavaScript kernels' results (cpu/reduce.ts) bit for bit: each output walks its
// reduced elements in row-major order, float sums and products accumulate in f64 and round once
// when stored, int32 ones wrap, max and min let NaN win, argmax and argmin give the first
// extreme or the first NaN. Where the kept innermost dim is contiguous, adjacent outputs share
// one vector (f64x2, or i32x4 for integer sums), each lane walking its own output in the same
// order, so vectors change no result.
//
// The export `run(start, end, meta)` computes outputs [start, end) (row-major over the kept
// dims), so disjoint ranges may run at once on several threads. cumsum is the same walk with
// every partial sum stored.

import type { ReduceKind } from '../backend.js';
import { collapseDims } from '../cpu/layout.js';
import { bytesPerElement, type DType, typedArrayOf } from '../dtype.js';
import type { WasmOperand } from './elementwise.js';
import { type FunctionBuilder, ModuleBuilder } from './encoder.js';
import { emitPosition, KernelCache, type KernelCall, runCall } from './kernels.js';
import type { WasmRuntime } from './runtime.js';

/** What a reduce kernel computes: a reduction, or cumsum (every partial sum stored). */
type WalkKind = ReduceKind | 'cumsum';

/** Everything a reduce kernel is specialised on. */
interface ReduceSpec {
  readonly kind: WalkKind;
  readonly inType: DType;
  readonly outType: DType;
  /** Kept and reduced dims after collapsing. */
  readonly keptRank: number;
  readonly reducedRank: number;
  /** Adjacent outputs in vector lanes (the kept innermost dim contiguous in input and out). */
  readonly vector: boolean;
}

/** Words of the metadata block, in order. */
class ReduceMeta {
  constructor(
    readonly keptRank: number,
    readonly reducedRank: number,
  ) {}
  keptShape(d: number): number {
    return 4 * d;
  }
  keptIn(d: number): number {
    return 4 * (this.keptRank + d);
  }
  keptOut(d: number): number {
    return 4 * (2 * this.keptRank + d);
  }
  reducedShape(d: number): number {
    return 4 * (3 * this.keptRank + d);
  }
  reducedIn(d: number): number {
    return 4 * (3 * this.keptRank + this.reducedRank + d);
  }
  reducedOut(d: number): number {
    return 4 * (3 * this.keptRank + 2 * this.reducedRank + d);
  }
  get inBase(): number {
    return 4 * (3 * this.keptRank + 3 * this.reducedRank);
  }
  get outBase(): number {
    return this.inBase + 4;
  }
  get bytes(): number {
    return this.outBase + 4;
  }
}

const log2 = (n: number) => 31 - Math.clz32(n);

/** Whether the accumulator is an int32 (integer sums and products, wrapping) or an f64. */
function integerAccumulator(kind: WalkKind, outType: DType): boolean {
  return (kind === 'sum' || kind === 'prod' || kind === 'cumsum') && outType === 'int32';
}

function compileReduce(spec: ReduceSpec, memory: ModuleBuilder['memory']): Uint8Array<ArrayBuffer> {
  const { kind, inType, outType, keptRank, reducedRank } = spec;
  const integer = integerAccumulator(kind, outType);
  const lanes = spec.vector ? (integer ? 4 : 2) : 1;
  // Vectors of adjacent outputs walked together: 16 outputs (8 for argmax, whose state is
  // three vectors per output vector).
  const unroll = lanes === 1 ? 1 : (kind === 'argmax' || kind === 'argmin' ? 8 : 16) / lanes;
  const rowsAtOnce = lanes === 1 ? 4 : 1;
  const arg = kind === 'argmax' || kind === 'argmin';
  const scan = kind === 'cumsum';
  const layout = new ReduceMeta(keptRank, reducedRank);
  const inBytes = bytesPerElement[inType];
  const outBytes = bytesPerElement[outType];
  const m = new ModuleBuilder(memory);
  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) => {
      const [start, end, meta] = [0, 1, 2];
      const loadMeta = (offset: number) => f.get(meta).mem('i32.load', offset);
      const i32 = () => f.local('i32');
      const [remaining, j, n, count, innerSize, row] = [i32(), i32(), i32(), i32(), i32(), i32()];
      // Row bases, the output's pointers, and the kept innermost dim's strides (bytes).
      const [pIn, pOut, qIn, qOut, sIn, sOut] = [i32(), i32(), i32(), i32(), i32(), i32()];
      const idx = locals(f, keptRank - 1);
      // Per reduced dim: its size, strides, and the loop's counter and pointers.
      const rShape = locals(f, reducedRank);
      const rIn = locals(f, reducedRank);
      const rOut = locals(f, reducedRank);
      const rCount = locals(f, reducedRank);
      const aIn = locals(f, reducedRank);
      const aOut = locals(f, reducedRank);
      const scalarType = integer ? 'i32' : 'f64';
      // Accumulators: one scalar, or `unroll` vectors of adjacent outputs.
      const vectors = (type: 'v128') => Array.from({ length: unroll }, () => f.local(type));
      // Scalar code walks `rowsAtOnce` outputs together (independent chains hide the adds' latency).
      const scalars = (type: 'i32' | 'f64') =>
        Array.from({ length: rowsAtOnce }, () => f.local(type));
      const acc = { scalar: scalars(scalarType), vector: vectors('v128') };
      const best = { scalar: scalars('f64'), vector: vectors('v128') };
      const bestIndex = { scalar: scalars('i32'), vector: vectors('v128') };
      // u * the kept innermost dim's strides, for the outputs walked together.
      const sInTimes = Array.from({ length: rowsAtOnce }, () => f.local('i32'));
      const sOutTimes = Array.from({ length: rowsAtOnce }, () => f.local('i32'));
      const cond = { scalar: f.local('i32'), vector: f.local('v128') };
      const r = [f.local('i32'), f.local('v128')];
      const tv = [f.local(scalarType), f.local('v128')];

      f.get(start).get(end).op('i32.ge_u').if().op('return').end();
      f.get(end).get(start).op('i32.sub').set(remaining);
      emitPosition(f, start, keptRank, (d) => loadMeta(layout.keptShape(d)), {
        innerSize,
        row,
        column: j,
        idx,
      });
      for (const [p, base, stride] of [
        [pIn, layout.inBase, layout.keptIn.bind(layout)],
        [pOut, layout.outBase, layout.keptOut.bind(layout)],
      ] as const) {
        loadMeta(base);
        for (let d = 0; d < keptRank - 1; d++) {
          f.get(idx[d]!);
          loadMeta(stride(d));
          f.op('i32.mul', 'i32.add');
        }
        f.set(p);
      }
      loadMeta(layout.keptIn(keptRank - 1)).set(sIn);
      loadMeta(layout.keptOut(keptRank - 1)).set(sOut);
      for (let u = 1; u < rowsAtOnce; u++) {
        f.get(sIn).i32Const(u).op('i32.mul').set(sInTimes[u]!);
        f.get(sOut).i32Const(u).op('i32.mul').set(sOutTimes[u]!);
      }
      for (let d = 0; d < reducedRank; d++) {
        loadMeta(layout.reducedShape(d)).set(rShape[d]!);
        loadMeta(layout.reducedIn(d)).set(rIn[d]!);
        if (scan) loadMeta(layout.reducedOut(d)).set(rOut[d]!);
      }

      /** Pushes the element(s) at the address on the stack as the accumulator's kind. */
      const load = (vector: boolean, offset = 0) => {
        if (!vector) {
          switch (inType) {
            case 'float32':
              f.mem('f32.load');
              if (!integer) f.op('f64.promote_f32');
              return;
            case 'float64':
              f.mem('f64.load');
              return;
            case 'int32':
              f.mem('i32.load');
              if (!integer) f.op('f64.convert_i32_s');
              return;
            case 'bool':
              f.mem('i32.load8_u');
              if (!integer) f.op('f64.convert_i32_s');
              return;
            default:
              inType satisfies never;
          }
          return;
        }
        if (integer) {
          if (inType === 'bool') {
            f.mem('v128.load32_zero', offset).simd(
              'i16x8.extend_low_i8x16_u',
              'i32x4.extend_low_i16x8_u',
            );
          } else {
            f.mem('v128.load', offset);
          }
          return;
        }
        switch (inType) {
          case 'float32':
            f.mem('v128.load64_zero', offset).simd('f64x2.promote_low_f32x4');
            return;
          case 'float64':
            f.mem('v128.load', offset);
            return;
          case 'int32':
            f.mem('v128.load64_zero', offset).simd('f64x2.convert_low_i32x4_s');
            return;
          case 'bool':
            f.mem('v128.load16_splat', offset);
            f.simd('i16x8.extend_low_i8x16_u', 'i32x4.extend_low_i16x8_u');
            f.simd('f64x2.convert_low_i32x4_s');
            return;
          default:
            inType satisfies never;
        }
      };

      /** Stores the value on the stack (accumulator kind, or an argmax index) at the address below it. */
      const store = (vector: boolean, index: boolean, offset = 0) => {
        if (integer || (index && !vector)) {
          f.mem(vector ? 'v128.store' : 'i32.store', offset);
          return;
        }
        const target = index ? 'int32' : outType;
        switch (target) {
          case 'float32':
            if (vector) f.simd('f32x4.demote_f64x2_zero').memLane('v128.store64_lane', 0, offset);
            else f.op('f32.demote_f64').mem('f32.store');
            return;
          case 'float64':
            f.mem(vector ? 'v128.store' : 'f64.store', offset);
            return;
          case 'int32':
            // Whole numbers in int32's range (values of an int32 or bool input, or indices).
            if (vector)
              f.simd('i32x4.trunc_sat_f64x2_s_zero').memLane('v128.store64_lane', 0, offset);
            else f.misc('i32.trunc_sat_f64_s').mem('i32.store');
            return;
          case 'bool':
            if (vector) {
              f.simd('i32x4.trunc_sat_f64x2_s_zero').tee(tv[1]!).get(tv[1]!);
              f.simd('i16x8.narrow_i32x4_u').tee(tv[1]!).get(tv[1]!);
              f.simd('i8x16.narrow_i16x8_u').memLane('v128.store16_lane', 0, offset);
            } else {
              f.misc('i32.trunc_sat_f64_s').mem('i32.store8');
            }
            return;
          default:
            target satisfies never;
        }
      };

      const splat = (value: number) => {
        if (integer) f.i32Const(value).simd('i32x4.splat');
        else f.f64Const(value).simd('f64x2.splat');
      };
      const constant = (value: number) => {
        if (integer) f.i32Const(value);
        else f.f64Const(value);
      };

      /**
       * One output, or `count` vectors of adjacent outputs, at qIn / qOut: each walks its
       * reduced elements in order.
       */
      const group = (vector: boolean, count: number) => {
        const us = Array.from({ length: count }, (_, u) => u);
        const at = (u: number, bytes: number) => u * lanes * bytes;
        const accOf = (u: number) => (vector ? acc.vector : acc.scalar)[u]!;
        const bestOf = (u: number) => (vector ? best.vector : best.scalar)[u]!;
        const indexOf = (u: number) => (vector ? bestIndex.vector : bestIndex.scalar)[u]!;
        /** Pushes the address of output u's element at pointer `p` (vectors: a memarg offset instead). */
        const address = (p: number, u: number, stride: readonly number[]) => {
          f.get(p);
          if (!vector && u > 0) f.get(stride[u]!).op('i32.add');
        };
        const offset = (u: number, bytes: number) => (vector ? at(u, bytes) : 0);
        const v = vector ? 1 : 0;
        const init =
          kind === 'prod' ? 1 : kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0;
        for (const u of us) {
          if (arg) {
            address(qIn, u, sInTimes);
            load(vector, offset(u, inBytes));
            f.set(bestOf(u));
            if (vector) splat(0);
            else f.i32Const(0);
            f.set(indexOf(u));
          } else {
            if (vector) splat(init);
            else constant(init);
            f.set(accOf(u));
          }
        }
        if (arg) {
          if (vector) splat(0);
          else f.i32Const(0);
          f.set(r[v]!);
        }
        f.get(qIn).set(aIn[0]!);
        if (scan) f.get(qOut).set(aOut[0]!);
        for (let d = 0; d < reducedRank; d++) {
          f.get(rShape[d]!).set(rCount[d]!);
          f.block().loop();
          f.get(rCount[d]!).op('i32.eqz').brIf(1);
          if (d + 1 < reducedRank) {
            f.get(aIn[d]!).set(aIn[d + 1]!);
            if (scan) f.get(aOut[d]!).set(aOut[d + 1]!);
          }
        }
        // The element(s) at aIn[last] (+ u vectors).
        const last = reducedRank - 1;
        const t = tv[v]!;
        for (const u of us) {
          address(aIn[last]!, u, sInTimes);
          load(vector, offset(u, inBytes));
          f.set(t);
          switch (kind) {
            case 'sum':
            case 'cumsum':
            case 'prod': {
              const op = kind === 'prod' ? 'mul' : 'add';
              f.get(accOf(u)).get(t);
              if (integer) {
                if (vector) f.simd(op === 'mul' ? 'i32x4.mul' : 'i32x4.add');
                else f.op(op === 'mul' ? 'i32.mul' : 'i32.add');
              } else if (vector) {
                f.simd(op === 'mul' ? 'f64x2.mul' : 'f64x2.add');
              } else {
                f.op(op === 'mul' ? 'f64.mul' : 'f64.add');
              }
              f.set(accOf(u));
              if (scan) {
                address(aOut[last]!, u, sOutTimes);
                f.get(accOf(u));
                store(vector, false, offset(u, outBytes));
              }
              break;
            }
            case 'max':
            case 'min':
              // NaN wins: v replaces the accumulator where v is NaN or beyond it.
              f.get(t).get(accOf(u));
              f.get(t).get(t);
              if (vector) f.simd('f64x2.ne');
              else f.op('f64.ne');
              f.get(t).get(accOf(u));
              if (vector)
                f.simd(kind === 'max' ? 'f64x2.gt' : 'f64x2.lt', 'v128.or', 'v128.bitselect');
              else f.op(kind === 'max' ? 'f64.gt' : 'f64.lt', 'i32.or', 'select');
              f.set(accOf(u));
              break;
            case 'argmax':
            case 'argmin': {
              // The first extreme, or the first NaN (after which nothing replaces it).
              const c = vector ? cond.vector : cond.scalar;
              f.get(bestOf(u)).get(bestOf(u));
              if (vector) f.simd('f64x2.eq');
              else f.op('f64.eq');
              f.get(t).get(t);
              if (vector) f.simd('f64x2.ne');
              else f.op('f64.ne');
              f.get(t).get(bestOf(u));
              const cmp = kind === 'argmax' ? 'gt' : 'lt';
              if (vector) f.simd(`f64x2.${cmp}`, 'v128.or', 'v128.and');
              else f.op(`f64.${cmp}`, 'i32.or', 'i32.and');
              f.set(c);
              f.get(t).get(bestOf(u)).get(c);
              if (vector) f.simd('v128.bitselect');
              else f.op('select');
              f.set(bestOf(u));
              f.get(r[v]!).get(indexOf(u)).get(c);
              if (vector) f.simd('v128.bitselect');
              else f.op('select');
              f.set(indexOf(u));
              break;
            }
            default:
              kind satisfies never;
          }
        }
        if (arg) {
          f.get(r[v]!);
          if (vector) {
            splat(1);
            f.simd('f64x2.add');
          } else {
            f.i32Const(1).op('i32.add');
          }
          f.set(r[v]!);
        }
        for (let d = reducedRank - 1; d >= 0; d--) {
          f.get(aIn[d]!).get(rIn[d]!).op('i32.add').set(aIn[d]!);
          if (scan) f.get(aOut[d]!).get(rOut[d]!).op('i32.add').set(aOut[d]!);
          f.get(rCount[d]!).i32Const(1).op('i32.sub').set(rCount[d]!).br(0);
          f.end().end();
        }
        if (!scan) {
          for (const u of us) {
            address(qOut, u, sOutTimes);
            f.get(arg ? indexOf(u) : accOf(u));
            store(vector, arg, offset(u, outBytes));
          }
        }
      };

      const countedLoop = (body: () => void) => {
        f.block().loop();
        f.get(count).op('i32.eqz').brIf(1);
        body();
        f.get(count).i32Const(1).op('i32.sub').set(count).br(0);
        f.end().end();
      };

      f.block().loop(); // rows of the kept dims
      f.get(innerSize).get(j).op('i32.sub').tee(n).get(remaining).get(n).get(remaining);
      f.op('i32.lt_u', 'select').set(n);
      f.get(pIn).get(j).get(sIn).op('i32.mul', 'i32.add').set(qIn);
      f.get(pOut).get(j).get(sOut).op('i32.mul', 'i32.add').set(qOut);
      if (lanes > 1) {
        // Blocks of `unroll` vectors (a cache line of float32 outputs per row visited), then
        // single vectors, then single outputs.
        for (const block of unroll > 1 ? [unroll, 1] : [1]) {
          const width = block * lanes;
          if (block === unroll) f.get(n).i32Const(log2(width)).op('i32.shr_u').set(count);
          else
            f.get(n)
              .i32Const(unroll * lanes - 1)
              .op('i32.and')
              .i32Const(log2(lanes))
              .op('i32.shr_u')
              .set(count);
          countedLoop(() => {
            group(true, block);
            f.get(qIn)
              .i32Const(width * inBytes)
              .op('i32.add')
              .set(qIn);
            f.get(qOut)
              .i32Const(width * outBytes)
              .op('i32.add')
              .set(qOut);
          });
        }
        f.get(n)
          .i32Const(lanes - 1)
          .op('i32.and')
          .set(count);
      } else {
        f.get(n).set(count);
      }
      if (rowsAtOnce > 1) {
        const rest = f.local('i32');
        f.get(count)
          .i32Const(rowsAtOnce - 1)
          .op('i32.and')
          .set(rest);
        f.get(count).i32Const(log2(rowsAtOnce)).op('i32.shr_u').set(count);
        countedLoop(() => {
          group(false, rowsAtOnce);
          f.get(qIn)
            .get(sInTimes[rowsAtOnce - 1]!)
            .get(sIn)
            .op('i32.add', 'i32.add')
            .set(qIn);
          f.get(qOut)
            .get(sOutTimes[rowsAtOnce - 1]!)
            .get(sOut)
            .op('i32.add', 'i32.add')
            .set(qOut);
        });
        f.get(rest).set(count);
      }
      countedLoop(() => {
        group(false, 1);
        f.get(qIn).get(sIn).op('i32.add').set(qIn);
        f.get(qOut).get(sOut).op('i32.add').set(qOut);
      });
      f.get(remaining).get(n).op('i32.sub').tee(remaining).op('i32.eqz').brIf(1);
      f.i32Const(0).set(j);
      f.block();
      for (let d = keptRank - 2; d >= 0; d--) {
        for (const [p, stride] of [
          [pIn, layout.keptIn(d)],
          [pOut, layout.keptOut(d)],
        ] as const) {
          f.get(p);
          loadMeta(stride);
          f.op('i32.add').set(p);
        }
        f.get(idx[d]!).i32Const(1).op('i32.add').tee(idx[d]!);
        loadMeta(layout.keptShape(d));
        f.op('i32.lt_u').brIf(0);
        f.i32Const(0).set(idx[d]!);
        for (const [p, stride] of [
          [pIn, layout.keptIn(d)],
          [pOut, layout.keptOut(d)],
        ] as const) {
          f.get(p);
          loadMeta(stride);
          loadMeta(layout.keptShape(d));
          f.op('i32.mul', 'i32.sub').set(p);
        }
      }
      f.end();
      f.br(0);
      f.end().end();
    },
    'run',
  );
  return m.encode();
}

function locals(f: FunctionBuilder, count: number): number[] {
  return Array.from({ length: count }, () => f.local('i32'));
}

/** A reduce or cumsum call, ready to run in ranges of outputs (total: the outputs). */
export interface ReduceCall extends KernelCall {
  /** The output operand. */
  readonly out: WasmOperand;
  /**
   * Set for a reduction over no elements: no kernel runs, every output is this value (stored
   * as the JavaScript kernel stores it: -Infinity into an int32 is 0).
   */
  readonly fill?: number;
}

/**
 * Reductions and cumsum over one WasmRuntime's memory (Backend.reduce's and Backend.cumsum's
 * semantics; out is contiguous from its offset).
 */
export class WasmReduce {
  readonly #cache: KernelCache;

  constructor(runtime: WasmRuntime) {
    this.#cache = new KernelCache(runtime);
  }

  /** Reduces `input` over `dims` (sorted) into `out`, on this thread. */
  reduce(kind: ReduceKind, input: WasmOperand, dims: readonly number[], out: WasmOperand): void {
    this.#run(this.prepareReduce(kind, input, dims, out));
  }

  /** Cumulative sums of `input` along `dim` into `out` (contiguous, input's shape), on this thread. */
  cumsum(input: WasmOperand, dim: number, out: WasmOperand): void {
    this.#run(this.prepareCumsum(input, dim, out));
  }

  prepareReduce(
    kind: ReduceKind,
    input: WasmOperand,
    dims: readonly number[],
    out: WasmOperand,
  ): ReduceCall {
    const { shape, strides } = input.view;
    const kept: number[] = [];
    const reduced: number[] = [];
    for (let d = 0; d < shape.length; d++) (dims.includes(d) ? reduced : kept).push(d);
    const keptShape = kept.map((d) => shape[d]!);
    const outStrides = contiguousStrides(keptShape);
    return this.#prepare(
      kind,
      input,
      out,
      keptShape,
      kept.map((d) => strides[d]!),
      outStrides,
      reduced.map((d) => shape[d]!),
      reduced.map((d) => strides[d]!),
      reduced.map(() => 0),
    );
  }

  prepareCumsum(input: WasmOperand, dim: number, out: WasmOperand): ReduceCall {
    const { shape, strides } = input.view;
    const outStrides = contiguousStrides(shape);
    const others = shape.map((_, d) => d).filter((d) => d !== dim);
    return this.#prepare(
      'cumsum',
      input,
      out,
      others.map((d) => shape[d]!),
      others.map((d) => strides[d]!),
      others.map((d) => outStrides[d]!),
      [shape[dim]!],
      [strides[dim]!],
      [outStrides[dim]!],
    );
  }

  #run(call: ReduceCall): void {
    if (call.fill !== undefined) fill(this.#cache, call, call.fill);
    else runCall(this.#cache, call);
  }

  #prepare(
    kind: WalkKind,
    input: WasmOperand,
    out: WasmOperand,
    keptShape: readonly number[],
    keptIn: readonly number[],
    keptOut: readonly number[],
    reducedShape: readonly number[],
    reducedIn: readonly number[],
    reducedOut: readonly number[],
  ): ReduceCall {
    const inType = input.view.dtype;
    const outType = out.view.dtype;
    const kept = collapseDims(keptShape, [keptIn, keptOut]);
    const reducedAll = collapseDims(reducedShape, [reducedIn, reducedOut]);
    let reducedCount = 1;
    for (const size of reducedShape) reducedCount *= size;
    let total = 1;
    for (const size of keptShape) total *= size;
    const keptRank = kept.shape.length;
    const reducedRank = reducedAll.shape.length;
    const innerIn = kept.strides[0]![keptRank - 1]!;
    const innerOut = kept.strides[1]![keptRank - 1]!;
    const vector = innerIn === 1 && innerOut === 1;
    const cache = this.#cache;
    const spec: ReduceSpec = { kind, inType, outType, keptRank, reducedRank, vector };
    const key = `${kind}|${inType}|${outType}|${keptRank}|${reducedRank}|${vector}`;
    const kernel = cache.get(key, () => compileReduce(spec, cache.runtime.memoryImport));
    const layout = new ReduceMeta(keptRank, reducedRank);
    const inBytes = bytesPerElement[inType];
    const outBytes = bytesPerElement[outType];
    const fill =
      reducedCount === 0 && kind !== 'cumsum'
        ? kind === 'prod'
          ? 1
          : kind === 'max'
            ? -Infinity
            : kind === 'min'
              ? Infinity
              : 0
        : undefined;
    return {
      kernel,
      total,
      metaBytes: layout.bytes,
      parallel: true,
      out,
      ...(fill === undefined ? {} : { fill }),
      writeMeta: (meta: number) => {
        const words = cache.words();
        const at = (offset: number) => (meta + offset) >> 2;
        for (let d = 0; d < keptRank; d++) {
          words[at(layout.keptShape(d))] = kept.shape[d]!;
          words[at(layout.keptIn(d))] = kept.strides[0]![d]! * inBytes;
          words[at(layout.keptOut(d))] = kept.strides[1]![d]! * outBytes;
        }
        for (let d = 0; d < reducedRank; d++) {
          words[at(layout.reducedShape(d))] = reducedAll.shape[d]!;
          words[at(layout.reducedIn(d))] = reducedAll.strides[0]![d]! * inBytes;
          words[at(layout.reducedOut(d))] = reducedAll.strides[1]![d]! * outBytes;
        }
        words[at(layout.inBase)] = input.ptr + input.view.offset * inBytes;
        words[at(layout.outBase)] = out.ptr + out.view.offset * outBytes;
      },
    };
  }
}

/** Stores `value` into a call's outputs, as the JavaScript kernel stores it. */
function fill(cache: KernelCache, call: ReduceCall, value: number): void {
  const out = call.out;
  const dtype = out.view.dtype;
  // Shared or not, a typed array over the buffer reads and writes the same.
  const buffer = cache.runtime.buffer as ArrayBuffer;
  const start = out.ptr / bytesPerElement[dtype] + out.view.offset;
  new typedArrayOf[dtype](buffer, 0, start + call.total).fill(value, start, start + call.total);
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d]!;
  }
  return strides;
}
