// Elementwise kernels for the CPU, generated as JavaScript from the op's expressions: one
// function per (expressions, dtypes), with the expressions inlined in a loop over the
// innermost dim and an odometer over the others. No per-element calls or allocations.
// Several expressions over the same inputs (a fused update) run in one loop: each element's
// values are all computed before any output is stored, so an output may also be an input.

import type { View } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { type Expr, exprKey } from '../expr.js';
import { typeExprs } from '../expr-types.js';
import { collapseDims } from './layout.js';
import { helpers, renderStored } from './render.js';

type Kernel = (
  outs: readonly TypedArray[],
  outOffsets: readonly number[],
  outStrides: readonly (readonly number[])[],
  shape: readonly number[],
  inputs: readonly TypedArray[],
  offsets: readonly number[],
  strides: readonly (readonly number[])[],
  params: readonly number[],
  h: typeof helpers,
) => void;

const cache = new Map<string, Kernel>();

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
  const store =
    exprs.length === 1
      ? `y0[qo0] = ${value(0)};`
      : `${outs.map((k) => `const v${k} = ${value(k)};`).join(' ')}
         ${outs.map((k) => `y${k}[qo${k}] = v${k};`).join(' ')}`;
  // An integer param is an int32 (wrapped, as the WebGPU backend's metadata wraps it).
  const param = (k: number) => (typed.params[k] === 'int' ? `params[${k}] | 0` : `params[${k}]`);
  const source = `
    ${Array.from({ length: paramCount }, (_, k) => `const c${k} = ${param(k)};`).join(' ')}
    const rank = shape.length;
    const inner = shape[rank - 1];
    let total = 1;
    for (let d = 0; d < rank; d++) total *= shape[d];
    const outerCount = inner === 0 ? 0 : total / inner;
    const index = new Int32Array(rank);
    ${outs.map((k) => `const y${k} = outs[${k}], r${k} = outStrides[${k}], so${k} = r${k}[rank - 1]; let po${k} = outOffsets[${k}];`).join('\n')}
    ${ins.map((k) => `const x${k} = inputs[${k}], s${k} = strides[${k}], t${k} = s${k}[rank - 1]; let p${k} = offsets[${k}];`).join('\n')}
    for (let outer = 0; outer < outerCount; outer++) {
      ${outs.map((k) => `let qo${k} = po${k};`).join(' ')}
      ${ins.map((k) => `let q${k} = p${k};`).join(' ')}
      for (let j = 0; j < inner; j++) {
        ${ins.map((k) => `const a${k} = x${k}[q${k}]; q${k} += t${k};`).join(' ')}
        ${store}
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
  return compile(
    'outs',
    'outOffsets',
    'outStrides',
    'shape',
    'inputs',
    'offsets',
    'strides',
    'params',
    'h',
    source,
  );
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

/** outs[k] = exprs[k](inputs) elementwise; all outs share one shape. */
export function runElementwise(
  exprs: readonly Expr[],
  inputs: readonly Operand[],
  outs: readonly Operand[],
  params: readonly number[],
): void {
  const { shape: dims, strides } = collapseDims(outs[0]!.view.shape, [
    ...outs.map((out) => out.view.strides),
    ...inputs.map((input) => input.view.strides),
  ]);
  const typeNames = (operands: readonly Operand[]) => operands.map((o) => o.view.dtype).join(',');
  const key = `${params.length}|${typeNames(outs)}|${typeNames(inputs)}|${exprs.map(exprKey).join(';')}`;
  let kernel = cache.get(key);
  if (!kernel) {
    kernel = generate(
      exprs,
      inputs.map((i) => i.view.dtype),
      outs.map((o) => o.view.dtype),
      params.length,
    );
    cache.set(key, kernel);
  }
  kernel(
    outs.map((o) => o.data),
    outs.map((o) => o.view.offset),
    strides.slice(0, outs.length),
    dims,
    inputs.map((i) => i.data),
    inputs.map((i) => i.view.offset),
    strides.slice(outs.length),
    params,
    helpers,
  );
}
