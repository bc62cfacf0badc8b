// Elementwise kernels for the CPU as WebAssembly, generated from the op's expressions: the
// same values as the JavaScript kernels (cpu/elementwise.ts) without `new Function`, so a page
// whose Content Security Policy allows only 'wasm-unsafe-eval' runs them.
//
// One module per (expressions, dtypes, collapsed rank, layout of each operand's innermost
// dim). Its export `run(start, end, meta)` computes the elements [start, end) of the output in
// row-major order of the collapsed shape, reading shapes, byte pointers, strides and params
// from the metadata block at `meta`; calls on disjoint ranges may run at once on several
// threads over a shared memory (the module keeps no state between or during calls outside its
// locals). The innermost dim is specialised per operand: contiguous (vector loads), broadcast
// (one value per row, hoisted) or strided (loads lane by lane); outer dims are an odometer.
// Each vector of elements reads all its inputs before it writes any output, so an output may
// be an input (the same elements); an input that overlaps an output otherwise gets a scalar
// kernel walking the elements in the JavaScript kernel's order (and must not be split).

import type { View } from '../backend.js';
import { collapseDims } from '../cpu/layout.js';
import { bytesPerElement, type DType } from '../dtype.js';
import { type Expr, exprKey, isReused } from '../expr.js';
import { kindOf, type NumberKind, type Typed, typeExprs } from '../expr-types.js';
import {
  children,
  f32Exact,
  type ImportName,
  importOf,
  importTable,
  kernelImports,
  lanesOf,
  type VectorMode,
} from './elementwise-analysis.js';
import { ExprEmitter } from './elementwise-expr.js';
import {
  loadScalar,
  loadVector,
  storeScalar,
  storeVector,
  toStorageVector,
} from './elementwise-memory.js';
import { ModuleBuilder, type ValType } from './encoder.js';
import { type CompiledKernel, emitPosition, KernelCache, type KernelCall } from './kernels.js';
import type { WasmRuntime } from './runtime.js';

export { kernelImports } from './elementwise-analysis.js';

/** What a kernel needs of a view: View itself fits. */
export type OperandView = Pick<View, 'dtype' | 'shape' | 'strides' | 'offset'>;

/**
 * A kernel operand: `ptr` is the byte offset in the runtime's memory of its storage's element
 * 0; `view.offset` and `view.strides` count elements from there.
 */
export interface WasmOperand {
  readonly ptr: number;
  readonly view: OperandView;
}

/** How an operand walks the innermost dim after collapseDims. */
export type InnerLayout = 'contiguous' | 'broadcast' | 'strided';

const layoutLetter: Record<InnerLayout, string> = { contiguous: 'c', broadcast: 'b', strided: 's' };

/** Everything a kernel is specialised on (its cache key). */
export interface KernelSpec {
  readonly exprs: readonly Expr[];
  readonly inputTypes: readonly DType[];
  readonly outTypes: readonly DType[];
  readonly paramCount: number;
  /** Dims after collapseDims (at least 1). */
  readonly rank: number;
  /** The innermost dim's layout of each out, then each input. */
  readonly inner: readonly InnerLayout[];
  /** SIMD over the innermost dim; false walks the elements one by one in order. */
  readonly vector: boolean;
}

/** A compiled kernel: its bytes (for instantiating in workers, with kernelImports()) and this thread's export. */
export interface ElementwiseKernel extends CompiledKernel {
  /** How each param is written into the metadata: an int32 or a float64. */
  readonly paramKinds: readonly NumberKind[];
  /** Computes the elements [start, end) with the metadata block at byte `meta`. */
  readonly run: (start: number, end: number, meta: number) => void;
}

/**
 * One call, ready to run: write the metadata, then run [0, total) (elements) in one or more
 * ranges. `parallel` is false where an input overlaps an output other than element for element.
 */
export interface ElementwiseCall extends KernelCall {
  readonly kernel: ElementwiseKernel;
}

/** Byte offsets in the metadata block: shape, then per operand its base and strides, then params. */
class MetaLayout {
  readonly paramsAt: number;
  readonly bytes: number;
  constructor(
    readonly rank: number,
    operands: number,
    paramCount: number,
  ) {
    this.paramsAt = paramsOffset(rank, operands);
    this.bytes = metaSize(rank, operands, paramCount);
  }
  shape(d: number): number {
    return 4 * d;
  }
  base(k: number): number {
    return 4 * (this.rank + k * (this.rank + 1));
  }
  /** Stride in bytes of operand k along dim d. */
  stride(k: number, d: number): number {
    return this.base(k) + 4 * (1 + d);
  }
  param(p: number): number {
    return this.paramsAt + 8 * p;
  }
}

/** Byte offset of the params in a metadata block. */
function paramsOffset(rank: number, operands: number): number {
  return Math.ceil((4 * (rank + operands * (rank + 1))) / 8) * 8;
}

/** Bytes of a metadata block. */
function metaSize(rank: number, operands: number, paramCount: number): number {
  return paramsOffset(rank, operands) + 8 * paramCount;
}

const log2 = (n: number) => 31 - Math.clz32(n);

/** The kind of values a dtype's elements hold in kernel code. */
const scalarType = (kind: NumberKind): 'i32' | 'f64' => (kind === 'int' ? 'i32' : 'f64');

/** Builds the module of one kernel. */
export function compileElementwise(
  spec: KernelSpec,
  memory: ModuleBuilder['memory'],
  simd: boolean,
): { bytes: Uint8Array<ArrayBuffer>; paramKinds: readonly NumberKind[] } {
  const { exprs, inputTypes, outTypes, paramCount, rank, inner } = spec;
  const typed = typeExprs(exprs, inputTypes, outTypes, paramCount);
  const mode: VectorMode = f32Exact(typed.exprs, inputTypes, outTypes) ? 'f32x4' : 'f64x2';
  const lanes = spec.vector && simd ? lanesOf[mode] : 1;
  const outCount = outTypes.length;
  const dtypes = [...outTypes, ...inputTypes];
  const layout = new MetaLayout(rank, dtypes.length, paramCount);

  // Which inputs and imports the expressions use.
  const usedInputs = new Set<number>();
  const usedImports = new Set<ImportName>();
  const seen = new Set<Typed>();
  const visit = (e: Typed) => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.kind === 'input') usedInputs.add(e.index);
    const name = importOf(e);
    if (name) usedImports.add(name);
    for (const x of children(e)) visit(x);
  };
  for (const e of typed.exprs) visit(e);

  const m = new ModuleBuilder(memory);
  const imports = new Map<ImportName, number>();
  for (const name of [...usedImports].sort()) {
    const { module, params, results } = importTable[name];
    imports.set(name, m.importFunction(module, name, params, results));
  }

  m.func(
    ['i32', 'i32', 'i32'],
    [],
    (f) => {
      const [start, end, meta] = [0, 1, 2];
      const emitter = new ExprEmitter(f, imports, mode, typed.exprs);
      const kinds = dtypes.map(kindOf);
      const local = (type: 'i32' | 'f64' | 'v128') => f.local(type);
      const p = dtypes.map(() => local('i32')); // row base pointers
      const q = dtypes.map(() => local('i32')); // element pointers within the row
      const s = dtypes.map((_, k) => (inner[k] === 'strided' ? local('i32') : -1));
      const idx = Array.from({ length: rank - 1 }, () => local('i32'));
      const remaining = local('i32'); // elements left in [start, end)
      const j = local('i32'); // the row's first column
      const n = local('i32'); // the row's elements
      const count = local('i32'); // iterations left
      const innerSize = local('i32');
      const row = local('i32');
      const c = typed.params.map((kind) => local(scalarType(kind)));
      const cv = lanes > 1 ? typed.params.map(() => local('v128')) : [];
      // Inputs of the element being computed, and broadcast inputs' values for the row.
      const x = dtypes.map((_, k) => (k < outCount ? -1 : local(scalarType(kinds[k]!))));
      const xv = lanes > 1 ? dtypes.map((_, k) => (k < outCount ? -1 : local('v128'))) : [];
      const broadcast = (k: number) => inner[k] === 'broadcast';
      const loadMeta = (offset: number) => f.get(meta).mem('i32.load', offset);

      f.get(start).get(end).op('i32.ge_u').if().op('return').end();
      for (const [k, kind] of typed.params.entries()) {
        f.get(meta)
          .mem(kind === 'int' ? 'i32.load' : 'f64.load', layout.param(k))
          .set(c[k]!);
        if (lanes > 1) {
          f.get(c[k]!)
            .simd(kind === 'int' ? 'i32x4.splat' : 'f64x2.splat')
            .set(cv[k]!);
        }
      }
      f.get(end).get(start).op('i32.sub').set(remaining);
      // The position of `start`: row (of the outer dims) and column.
      emitPosition(f, start, rank, (d) => loadMeta(layout.shape(d)), {
        innerSize,
        row,
        column: j,
        idx,
      });
      for (const k of dtypes.keys()) {
        loadMeta(layout.base(k));
        for (let d = 0; d < rank - 1; d++) {
          f.get(idx[d]!);
          loadMeta(layout.stride(k, d));
          f.op('i32.mul', 'i32.add');
        }
        f.set(p[k]!);
        if (s[k]! >= 0) {
          loadMeta(layout.stride(k, rank - 1));
          f.set(s[k]!);
        }
      }

      const leaves = (vector: boolean) => ({
        input: (index: number) => {
          const k = outCount + index;
          f.get(vector ? xv[k]! : x[k]!);
        },
        param: (index: number) => {
          f.get(vector ? cv[index]! : c[index]!);
        },
      });

      // One element (or vector of elements): load inputs, compute every output, store.
      const element = (vector: boolean) => {
        emitter.reset();
        for (const index of usedInputs) {
          const k = outCount + index;
          if (broadcast(k)) continue;
          if (vector) {
            loadVector(f, emitter, dtypes[k]!, mode, q[k]!, inner[k] === 'strided' ? s[k]! : -1);
            f.set(xv[k]!);
          } else {
            f.get(q[k]!);
            loadScalar(f, dtypes[k]!);
            f.set(x[k]!);
          }
        }
        const values = typed.exprs.map((e, k) => {
          const type: ValType = vector ? 'v128' : scalarType(e.type);
          if (vector) {
            emitter.vector(e, leaves(true));
            toStorageVector(f, emitter, e, dtypes[k]!, mode);
          } else {
            emitter.scalar(e, leaves(false));
          }
          const t = emitter.temps.take(type);
          f.set(t);
          return { t, type };
        });
        for (const [k, e] of typed.exprs.entries()) {
          const { t, type } = values[k]!;
          if (vector) {
            storeVector(
              f,
              emitter,
              dtypes[k]!,
              mode,
              q[k]!,
              inner[k] === 'contiguous' ? -1 : s[k]!,
              t,
            );
          } else {
            f.get(q[k]!).get(t);
            storeScalar(f, emitter, e, dtypes[k]!);
          }
          emitter.temps.give(type, t);
        }
        // Next element(s).
        const step = vector ? lanes : 1;
        for (const k of dtypes.keys()) {
          if (k >= outCount && (broadcast(k) || !usedInputs.has(k - outCount))) continue;
          f.get(q[k]!);
          if (inner[k] === 'contiguous') f.i32Const(step * bytesPerElement[dtypes[k]!]);
          else {
            f.get(s[k]!);
            if (step > 1) f.i32Const(log2(step)).op('i32.shl');
          }
          f.op('i32.add').set(q[k]!);
        }
      };

      const countedLoop = (body: () => void) => {
        f.block().loop();
        f.get(count).op('i32.eqz').brIf(1);
        body();
        f.get(count).i32Const(1).op('i32.sub').set(count).br(0);
        f.end().end();
      };

      f.block().loop(); // rows
      // This row's elements: from column j to its end or to `end`.
      f.get(innerSize).get(j).op('i32.sub').tee(n).get(remaining).get(n).get(remaining);
      f.op('i32.lt_u', 'select').set(n);
      for (const k of dtypes.keys()) {
        if (k >= outCount && !usedInputs.has(k - outCount)) continue;
        if (broadcast(k)) {
          f.get(p[k]!);
          loadScalar(f, dtypes[k]!);
          f.set(x[k]!);
          if (lanes > 1) {
            if (kinds[k] === 'int') f.get(x[k]!).simd('i32x4.splat');
            else if (mode === 'f64x2') f.get(x[k]!).simd('f64x2.splat');
            else f.get(x[k]!).op('f32.demote_f64').simd('f32x4.splat');
            f.set(xv[k]!);
          }
          continue;
        }
        f.get(p[k]!).get(j);
        if (inner[k] === 'contiguous') {
          const size = bytesPerElement[dtypes[k]!];
          if (size > 1) f.i32Const(log2(size)).op('i32.shl');
        } else {
          f.get(s[k]!).op('i32.mul');
        }
        f.op('i32.add').set(q[k]!);
      }
      if (lanes > 1) {
        f.get(n).i32Const(log2(lanes)).op('i32.shr_u').set(count);
        countedLoop(() => element(true));
        f.get(n)
          .i32Const(lanes - 1)
          .op('i32.and')
          .set(count);
      } else {
        f.get(n).set(count);
      }
      countedLoop(() => element(false));
      f.get(remaining).get(n).op('i32.sub').tee(remaining).op('i32.eqz').brIf(1);
      // The next row: the odometer over the outer dims.
      f.i32Const(0).set(j);
      f.block();
      for (let d = rank - 2; d >= 0; d--) {
        for (const k of dtypes.keys()) {
          f.get(p[k]!);
          loadMeta(layout.stride(k, d));
          f.op('i32.add').set(p[k]!);
        }
        f.get(idx[d]!).i32Const(1).op('i32.add').tee(idx[d]!);
        loadMeta(layout.shape(d));
        f.op('i32.lt_u').brIf(0);
        f.i32Const(0).set(idx[d]!);
        for (const k of dtypes.keys()) {
          f.get(p[k]!);
          loadMeta(layout.stride(k, d));
          loadMeta(layout.shape(d));
          f.op('i32.mul', 'i32.sub').set(p[k]!);
        }
      }
      f.end();
      f.br(0);
      f.end().end();
    },
    'run',
  );
  return { bytes: m.encode(), paramKinds: typed.params };
}

// The JavaScript side --------------------------------------------------------------------

const dtypeLetter: Record<DType, string> = { float32: 'f', float64: 'd', int32: 'i', bool: 'b' };
const dtypeCode: Record<DType, number> = { float32: 0, float64: 1, int32: 2, bool: 3 };

/** A call's collapsed layout and kernel. */
interface Resolved {
  readonly kernel: ElementwiseKernel;
  readonly shape: readonly number[];
  readonly strides: readonly (readonly number[])[];
  readonly total: number;
  readonly parallel: boolean;
}

/**
 * 1 where `strides` walk `shape` contiguously, 0 where they repeat one element (dims of size
 * 1 aside), else -1.
 */
function flatStride(shape: readonly number[], strides: readonly number[]): number {
  let contiguous = true;
  let zero = true;
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    if (size !== 1) {
      const stride = strides[d]!;
      if (stride !== step) contiguous = false;
      if (stride !== 0) zero = false;
    }
    step *= size;
  }
  return contiguous ? 1 : zero ? 0 : -1;
}

/**
 * Elementwise kernels over one WasmRuntime's memory, compiled on first use and cached.
 *
 *   const elementwise = new WasmElementwise(runtime);
 *   elementwise.run([E.add(E.input(0), E.input(1))], [a, b], [out]); // a, b, out: WasmOperand
 *
 * Semantics are Backend.elementwiseMulti's: outs share one shape; inputs are broadcast to it
 * (stride 0); each element's inputs are read before its outputs are written.
 */
export class WasmElementwise {
  readonly #runtime: WasmRuntime;
  readonly #kernels = new Map<string, ElementwiseKernel>();
  /** Kernels by the op table's expression object and packed flat layout (see #resolve). */
  readonly #byExpr = new WeakMap<Expr, Map<number, ElementwiseKernel>>();
  /** This thread's metadata block and the memory's views (its kernels are kept above). */
  readonly #cache: KernelCache;

  readonly #simd: boolean;

  /** `options.simd: false` compiles scalar loops only (as where the runtime lacks SIMD). */
  constructor(runtime: WasmRuntime, options: { simd?: boolean } = {}) {
    this.#runtime = runtime;
    this.#cache = new KernelCache(runtime);
    this.#simd = runtime.features.simd && options.simd !== false;
  }

  /** Kernels compiled so far. */
  get kernelCount(): number {
    return this.#kernels.size;
  }

  /** outs[k] = exprs[k](inputs) elementwise, on this thread. */
  run(
    exprs: readonly Expr[],
    inputs: readonly WasmOperand[],
    outs: readonly WasmOperand[],
    params: readonly number[] = [],
  ): void {
    const call = this.#resolve(exprs, inputs, outs, params.length);
    if (call.total === 0) return;
    const meta = this.#cache.meta(
      metaSize(call.shape.length, inputs.length + outs.length, params.length),
    );
    this.#writeMeta(meta, call, inputs, outs, params);
    call.kernel.run(0, call.total, meta);
  }

  /**
   * The kernel and metadata of one call, for running it in ranges (a thread pool): write the
   * metadata into a block of `metaBytes` bytes, then run [0, total) in disjoint ranges, at once
   * when `parallel`.
   */
  prepare(
    exprs: readonly Expr[],
    inputs: readonly WasmOperand[],
    outs: readonly WasmOperand[],
    params: readonly number[] = [],
  ): ElementwiseCall {
    const call = this.#resolve(exprs, inputs, outs, params.length);
    return {
      kernel: call.kernel,
      total: call.total,
      metaBytes: metaSize(call.shape.length, inputs.length + outs.length, params.length),
      parallel: call.parallel,
      writeMeta: (meta: number) => this.#writeMeta(meta, call, inputs, outs, params),
    };
  }

  /**
   * The collapsed layout of a call and its kernel (compiled on first use). A small op costs
   * less than building its text key, so the common call (one expression the op table keeps,
   * see isReused, over at most three inputs each walked flat) finds its kernel by the
   * expression object and a number packing its operands' dtypes and layouts instead.
   */
  #resolve(
    exprs: readonly Expr[],
    inputs: readonly WasmOperand[],
    outs: readonly WasmOperand[],
    paramCount: number,
  ): Resolved {
    const expr = exprs[0]!;
    if (exprs.length !== 1 || inputs.length > 3 || paramCount > 15 || !isReused(expr)) {
      return this.#resolveByKey(exprs, inputs, outs, paramCount);
    }
    const out = outs[0]!;
    const shape = out.view.shape;
    let total = 1;
    for (const size of shape) total *= size;
    const outStride = flatStride(shape, out.view.strides);
    if (outStride < 0) return this.#resolveByKey(exprs, inputs, outs, paramCount);
    let code = paramCount * 16 + dtypeCode[out.view.dtype] * 4 + outStride;
    let parallel = true;
    const strides: number[][] = [[outStride]];
    for (const input of inputs) {
      const stride = flatStride(shape, input.view.strides);
      if (stride < 0) return this.#resolveByKey(exprs, inputs, outs, paramCount);
      strides.push([stride]);
      code = code * 16 + dtypeCode[input.view.dtype] * 4 + stride;
      if (
        input.ptr === out.ptr &&
        (stride !== outStride ||
          input.view.offset !== out.view.offset ||
          input.view.dtype !== out.view.dtype)
      )
        parallel = false;
    }
    code = code * 2 + (parallel ? 1 : 0);
    let byLayout = this.#byExpr.get(expr);
    if (!byLayout) {
      byLayout = new Map();
      this.#byExpr.set(expr, byLayout);
    }
    const kernel = byLayout.get(code);
    if (!kernel) {
      const resolved = this.#resolveByKey(exprs, inputs, outs, paramCount);
      byLayout.set(code, resolved.kernel);
      return resolved;
    }
    return { kernel, shape: [total], strides, total, parallel };
  }

  /** #resolve by the text key of the call's expressions and collapsed layout. */
  #resolveByKey(
    exprs: readonly Expr[],
    inputs: readonly WasmOperand[],
    outs: readonly WasmOperand[],
    paramCount: number,
  ): Resolved {
    const shape = outs[0]!.view.shape;
    const outCount = outs.length;
    const count = outCount + inputs.length;
    let collapsed: number[];
    let strides: number[][];
    // Most calls walk every operand contiguously or broadcast a single value: one dim.
    let total = 1;
    for (const size of shape) total *= size;
    let flat = true;
    for (let k = 0; k < count && flat; k++)
      flat = flatStride(shape, (k < outCount ? outs[k]! : inputs[k - outCount]!).view.strides) >= 0;
    if (flat) {
      collapsed = [total];
      strides = [];
      for (let k = 0; k < count; k++)
        strides.push([
          flatStride(shape, (k < outCount ? outs[k]! : inputs[k - outCount]!).view.strides),
        ]);
    } else {
      const layouts: (readonly number[])[] = [];
      for (let k = 0; k < count; k++)
        layouts.push((k < outCount ? outs[k]! : inputs[k - outCount]!).view.strides);
      ({ shape: collapsed, strides } = collapseDims(shape, layouts));
    }
    const rank = collapsed.length;
    // Vectors read several elements before writing: fine where an input is an output's very
    // elements, not where it overlaps them otherwise.
    let parallel = true;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      for (let o = 0; o < outCount; o++) {
        const out = outs[o]!;
        if (input.ptr !== out.ptr) continue;
        const a = strides[outCount + i]!;
        const b = strides[o]!;
        let same = input.view.offset === out.view.offset && input.view.dtype === out.view.dtype;
        for (let d = 0; d < rank && same; d++) same = a[d] === b[d];
        if (!same) parallel = false;
      }
    }
    let key = `${paramCount}|${rank}|${parallel ? 'v' : 's'}|`;
    const inner: InnerLayout[] = [];
    for (let k = 0; k < count; k++) {
      const stride = strides[k]![rank - 1]!;
      const layout: InnerLayout =
        stride === 1 ? 'contiguous' : stride === 0 && k >= outCount ? 'broadcast' : 'strided';
      inner.push(layout);
      key +=
        dtypeLetter[(k < outCount ? outs[k]! : inputs[k - outCount]!).view.dtype] +
        layoutLetter[layout];
    }
    key += '|';
    for (let e = 0; e < exprs.length; e++) key += `${e > 0 ? ';' : ''}${exprKey(exprs[e]!)}`;
    let kernel = this.#kernels.get(key);
    if (!kernel) {
      const spec: KernelSpec = {
        exprs,
        inputTypes: inputs.map((i) => i.view.dtype),
        outTypes: outs.map((o) => o.view.dtype),
        paramCount,
        rank,
        inner,
        vector: parallel,
      };
      const { bytes, paramKinds } = compileElementwise(
        spec,
        this.#runtime.memoryImport,
        this.#simd,
      );
      const exports = this.#runtime.instantiate(bytes, kernelImports());
      // The export's signature is the one compileElementwise gives it.
      const run = exports['run'] as ElementwiseKernel['run'];
      kernel = { key, bytes, exports, paramKinds, run };
      this.#kernels.set(key, kernel);
    }
    return { kernel, shape: collapsed, strides, total, parallel };
  }

  #writeMeta(
    meta: number,
    call: Resolved,
    inputs: readonly WasmOperand[],
    outs: readonly WasmOperand[],
    params: readonly number[],
  ): void {
    const words = this.#cache.words();
    const { shape, strides } = call;
    const rank = shape.length;
    let at = meta >> 2;
    for (let d = 0; d < rank; d++) words[at++] = shape[d]!;
    const count = outs.length + inputs.length;
    for (let k = 0; k < count; k++) {
      const o = k < outs.length ? outs[k]! : inputs[k - outs.length]!;
      const size = bytesPerElement[o.view.dtype];
      words[at++] = o.ptr + o.view.offset * size;
      const s = strides[k]!;
      for (let d = 0; d < rank; d++) words[at++] = s[d]! * size;
    }
    const paramKinds = call.kernel.paramKinds;
    const paramsAt = meta + paramsOffset(rank, count);
    for (let k = 0; k < params.length; k++) {
      const value = params[k]!;
      // An integer param is an int32, wrapped (as the JavaScript kernel's `| 0`).
      if (paramKinds[k] === 'int') words[(paramsAt + 8 * k) >> 2] = value | 0;
      else this.#cache.doubles()[(paramsAt + 8 * k) >> 3] = value;
    }
  }
}
