// Elementwise kernels for the CPU, generated as JavaScript from the op's expressions: one
// function per (expressions, dtypes), with the expressions inlined in a loop over the
// innermost dim and an odometer over the others. No per-element calls or allocations.
// Several expressions over the same inputs (a fused update) run in one loop: each element's
// values are all computed before any output is stored, so an output may also be an input.
//
// Kernels are found by the expression object first when the op table keeps it (isReused),
// so a small op does not pay for rendering its expression as a text key (exprKey) each time.

import type { View } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { type Expr, exprKey, isReused } from '../expr.js';
import { typeExprs } from '../expr-types.js';
import { isContiguousLayout, numelOf } from '../shape.js';
import { collapseDims } from './layout.js';
import { helpers, renderStored } from './render.js';

/**
 * A generated kernel. `arrays`, `offsets` and `strides` list the outputs, then the inputs;
 * all walk `shape`. Null strides: every operand is contiguous, and `shape` is [count].
 */
type Kernel = (
  arrays: readonly TypedArray[],
  offsets: readonly number[],
  strides: readonly (readonly number[])[] | null,
  shape: readonly number[],
  params: readonly number[],
  h: typeof helpers,
) => void;

/** Kernels by their text key: structurally equal expressions share one. */
const cache = new Map<string, Kernel>();

/** A kernel for one expression and the dtypes and param count it was generated for. */
interface Compiled {
  readonly inputTypes: readonly DType[];
  readonly outType: DType;
  readonly paramCount: number;
  readonly kernel: Kernel;
}

/** Kernels of reused expressions by the object (usually one dtype combination each). */
const byExpr = new WeakMap<Expr, Compiled[]>();

function generate(
  exprs: readonly Expr[],
  inputTypes: readonly DType[],
  outTypes: readonly DType[],
  paramCount: number,
): Kernel {
  const typed = typeExprs(exprs, inputTypes, outTypes, paramCount);
  const ins = Array.from({ length: inputTypes.length }, (_, k) => k);
  const outs = Array.from({ length: exprs.length }, (_, k) => k);
  const value = (k: number) => renderStored(typed.exprs[k]!, outTypes[k]!);
  // Stores each output's value at its index `at(k)`.
  const store = (at: (k: number) => string) =>
    exprs.length === 1
      ? `y0[${at(0)}] = ${value(0)};`
      : `${outs.map((k) => `const v${k} = ${value(k)};`).join(' ')}
         ${outs.map((k) => `y${k}[${at(k)}] = v${k};`).join(' ')}`;
  // An integer param is an int32 (wrapped, as the WebGPU backend's metadata wraps it).
  const param = (k: number) => (typed.params[k] === 'int' ? `params[${k}] | 0` : `params[${k}]`);
  // Operand k of arrays/offsets/strides: the outputs first, then the inputs.
  const input = (k: number) => exprs.length + k;
  const source = `
    ${Array.from({ length: paramCount }, (_, k) => `const c${k} = ${param(k)};`).join(' ')}
    if (strides === null) {
      // Contiguous operands: one loop over shape[0] elements from each offset.
      const count = shape[0];
      ${outs.map((k) => `const y${k} = arrays[${k}], o${k} = offsets[${k}];`).join(' ')}
      ${ins.map((k) => `const x${k} = arrays[${input(k)}], p${k} = offsets[${input(k)}];`).join(' ')}
      for (let j = 0; j < count; j++) {
        ${ins.map((k) => `const a${k} = x${k}[p${k} + j];`).join(' ')}
        ${store((k) => `o${k} + j`)}
      }
      return;
    }
    const rank = shape.length;
    const inner = shape[rank - 1];
    let total = 1;
    for (let d = 0; d < rank; d++) total *= shape[d];
    const outerCount = inner === 0 ? 0 : total / inner;
    // The odometer over the outer dims; a single dim (any contiguous operands) needs none.
    const index = rank > 1 ? new Int32Array(rank) : undefined;
    ${outs.map((k) => `const y${k} = arrays[${k}], r${k} = strides[${k}], so${k} = r${k}[rank - 1]; let po${k} = offsets[${k}];`).join('\n')}
    ${ins.map((k) => `const x${k} = arrays[${input(k)}], s${k} = strides[${input(k)}], t${k} = s${k}[rank - 1]; let p${k} = offsets[${input(k)}];`).join('\n')}
    for (let outer = 0; outer < outerCount; outer++) {
      ${outs.map((k) => `let qo${k} = po${k};`).join(' ')}
      ${ins.map((k) => `let q${k} = p${k};`).join(' ')}
      for (let j = 0; j < inner; j++) {
        ${ins.map((k) => `const a${k} = x${k}[q${k}]; q${k} += t${k};`).join(' ')}
        ${store((k) => `qo${k}`)}
        ${outs.map((k) => `qo${k} += so${k};`).join(' ')}
      }
      for (let d = rank - 2; d >= 0; d--) {
        index[d]++;
        ${outs.map((k) => `po${k} += r${k}[d];`).join(' ')}
        ${ins.map((k) => `p${k} += s${k}[d];`).join(' ')}
        if (index[d] < shape[d]) break;
        const n = shape[d];
        index[d] = 0;
        ${outs.map((k) => `po${k} -= r${k}[d] * n;`).join(' ')}
        ${ins.map((k) => `p${k} -= s${k}[d] * n;`).join(' ')}
      }
    }`;
  // Generated once per expression and dtypes: the JavaScript kernels' only dynamic code.
  return compile('arrays', 'offsets', 'strides', 'shape', 'params', 'h', source);
}

/** `new Function`, with the error a Content Security Policy gives made clear. */
function compile(...args: string[]): Kernel {
  try {
    return new Function(...args) as Kernel;
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    throw new EvalError(
      `cpu: this page's Content Security Policy refuses the JavaScript kernels ('unsafe-eval'), which run only where the WebAssembly kernels cannot (cpu.info.reason says why); allow 'wasm-unsafe-eval' in script-src (${error.message})`,
    );
  }
}

type Operand = { view: View; data: TypedArray };

/** The kernel for `exprs` over operands of these dtypes, generated on first use. */
function kernelFor(
  exprs: readonly Expr[],
  inputs: readonly Operand[],
  outs: readonly Operand[],
  paramCount: number,
): Kernel {
  const single = exprs.length === 1 ? exprs[0]! : undefined;
  const known = single && byExpr.get(single);
  if (known) {
    for (const compiled of known) {
      if (compiled.paramCount === paramCount && compiled.outType === outs[0]!.view.dtype) {
        let same = compiled.inputTypes.length === inputs.length;
        for (let k = 0; k < inputs.length && same; k++)
          same = compiled.inputTypes[k] === inputs[k]!.view.dtype;
        if (same) return compiled.kernel;
      }
    }
  }
  const inputTypes = inputs.map((i) => i.view.dtype);
  const outTypes = outs.map((o) => o.view.dtype);
  const key = `${paramCount}|${outTypes.join(',')}|${inputTypes.join(',')}|${exprs.map(exprKey).join(';')}`;
  let kernel = cache.get(key);
  if (!kernel) {
    kernel = generate(exprs, inputTypes, outTypes, paramCount);
    cache.set(key, kernel);
  }
  if (single && isReused(single)) {
    const compiled = { inputTypes, outType: outTypes[0]!, paramCount, kernel };
    if (known) known.push(compiled);
    else byExpr.set(single, [compiled]);
  }
  return kernel;
}

/** outs[k] = exprs[k](inputs) elementwise; all outs share one shape. */
export function runElementwise(
  exprs: readonly Expr[],
  inputs: readonly Operand[],
  outs: readonly Operand[],
  params: readonly number[],
): void {
  const kernel = kernelFor(exprs, inputs, outs, params.length);
  const shape = outs[0]!.view.shape;
  const count = outs.length + inputs.length;
  const arrays: TypedArray[] = [];
  const offsets: number[] = [];
  // Operands that all lie row-major without gaps (the common case) walk one dim; others
  // have their dims merged where every layout allows it.
  let contiguous = true;
  for (let k = 0; k < count; k++) {
    const { view, data } = k < outs.length ? outs[k]! : inputs[k - outs.length]!;
    arrays.push(data);
    offsets.push(view.offset);
    contiguous &&= isContiguousLayout(shape, view.strides);
  }
  if (contiguous) {
    kernel(arrays, offsets, null, [numelOf(shape)], params, helpers);
    return;
  }
  const operands = [...outs, ...inputs];
  const collapsed = collapseDims(
    shape,
    operands.map((o) => o.view.strides),
  );
  kernel(arrays, offsets, collapsed.strides, collapsed.shape, params, helpers);
}
