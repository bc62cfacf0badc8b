// Elementwise kernels for the CPU, generated as JavaScript from the op's expression: one
// function per (expression, dtypes), with the expression inlined in a loop over the
// innermost dim and an odometer over the others. No per-element calls or allocations.

import type { View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { type Expr, exprKey } from '../expr.js';
import { collapseDims } from './layout.js';
import { helpers, renderJs } from './render.js';

type Kernel = (
  out: TypedArray,
  outOffset: number,
  outStrides: readonly number[],
  shape: readonly number[],
  inputs: readonly TypedArray[],
  offsets: readonly number[],
  strides: readonly (readonly number[])[],
  params: readonly number[],
  h: typeof helpers,
) => void;

const cache = new Map<string, Kernel>();

function generate(expr: Expr, arity: number, paramCount: number): Kernel {
  const ins = Array.from({ length: arity }, (_, k) => k);
  const source = `
    ${Array.from({ length: paramCount }, (_, k) => `const c${k} = params[${k}];`).join(' ')}
    const rank = shape.length;
    const inner = shape[rank - 1];
    let total = 1;
    for (let d = 0; d < rank; d++) total *= shape[d];
    const outerCount = inner === 0 ? 0 : total / inner;
    const index = new Int32Array(rank);
    const so = outStrides[rank - 1];
    ${ins.map((k) => `const x${k} = inputs[${k}], s${k} = strides[${k}], t${k} = s${k}[rank - 1]; let p${k} = offsets[${k}];`).join('\n')}
    let po = outOffset;
    for (let outer = 0; outer < outerCount; outer++) {
      let qo = po;
      ${ins.map((k) => `let q${k} = p${k};`).join(' ')}
      for (let j = 0; j < inner; j++) {
        ${ins.map((k) => `const a${k} = x${k}[q${k}]; q${k} += t${k};`).join(' ')}
        out[qo] = ${renderJs(expr)};
        qo += so;
      }
      for (let d = rank - 2; d >= 0; d--) {
        index[d]++;
        po += outStrides[d];
        ${ins.map((k) => `p${k} += s${k}[d];`).join(' ')}
        if (index[d] < shape[d]) break;
        const n = shape[d];
        index[d] = 0;
        po -= outStrides[d] * n;
        ${ins.map((k) => `p${k} -= s${k}[d] * n;`).join(' ')}
      }
    }`;
  // Generated once per expression and dtypes; the only dynamic code in the CPU backend.
  return new Function(
    'out',
    'outOffset',
    'outStrides',
    'shape',
    'inputs',
    'offsets',
    'strides',
    'params',
    'h',
    source,
  ) as Kernel;
}

export function runElementwise(
  expr: Expr,
  inputs: readonly { view: View; data: TypedArray }[],
  out: { view: View; data: TypedArray },
  params: readonly number[],
): void {
  const { shape: dims, strides } = collapseDims(out.view.shape, [
    out.view.strides,
    ...inputs.map((input) => input.view.strides),
  ]);
  const key = `${params.length}|${out.data.constructor.name}|${inputs.map((i) => i.data.constructor.name).join(',')}|${exprKey(expr)}`;
  let kernel = cache.get(key);
  if (!kernel) {
    kernel = generate(expr, inputs.length, params.length);
    cache.set(key, kernel);
  }
  kernel(
    out.data,
    out.view.offset,
    strides[0]!,
    dims,
    inputs.map((i) => i.data),
    inputs.map((i) => i.view.offset),
    strides.slice(1),
    params,
    helpers,
  );
}
