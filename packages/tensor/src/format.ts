// Printing tensors the way PyTorch does: `tensor([[1., 2.],\n        [3., 4.]])`, with
// PyTorch's choice of integer, fixed or scientific notation and summarisation of large
// tensors, and the autograd state at the end. Node's console.log uses the same form, and a
// browser's DevTools can (registerDevtoolsFormatter).

import type { TypedArray } from './dtype.js';
import type { Tensor } from './tensor.js';

const threshold = 1000; // elements above which the middle is elided
const edgeItems = 3;

type Formatter = (value: number) => string;

function floatFormatter(values: readonly number[]): Formatter {
  const finite = values
    .filter((v) => Number.isFinite(v))
    .map(Math.abs)
    .filter((v) => v !== 0);
  if (finite.length === 0) return (v) => fixed(v, 0, true);
  const integral = values.every((v) => !Number.isFinite(v) || Number.isInteger(v));
  const max = Math.max(...finite);
  const min = Math.min(...finite);
  if (integral) {
    return max > 1e8 ? (v) => scientific(v) : (v) => fixed(v, 0, true);
  }
  if (max / min > 1000 || max > 1e8 || min < 1e-4) return (v) => scientific(v);
  return (v) => fixed(v, 4, false);
}

function fixed(v: number, digits: number, trailingDot: boolean): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const text = v.toFixed(digits);
  return trailingDot ? `${text}.` : text;
}

function scientific(v: number): string {
  if (!Number.isFinite(v)) return fixed(v, 0, false);
  // JavaScript writes 1.0000e-5; PyTorch (and C) write 1.0000e-05.
  return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** The indices printed along a dim of `size`: all, or the edges around an ellipsis (-1). */
function shownIndices(size: number, summarize: boolean): number[] {
  if (!summarize || size <= 2 * edgeItems) return Array.from({ length: size }, (_, i) => i);
  return [
    ...Array.from({ length: edgeItems }, (_, i) => i),
    -1,
    ...Array.from({ length: edgeItems }, (_, i) => size - edgeItems + i),
  ];
}

export function formatValues(
  values: TypedArray,
  shape: readonly number[],
  dtype: Tensor['dtype'],
  indent: number,
): string {
  const summarize = values.length > threshold;
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  // Only the printed elements decide the notation and column width.
  const printed: number[] = [];
  const collect = (dim: number, base: number): void => {
    if (dim === shape.length) {
      printed.push(values[base]!);
      return;
    }
    for (const i of shownIndices(shape[dim]!, summarize))
      if (i >= 0) collect(dim + 1, base + i * strides[dim]!);
  };
  collect(0, 0);
  let format: Formatter;
  if (dtype === 'bool') format = (v) => (v ? 'True' : 'False');
  else if (dtype === 'int32') format = (v) => String(v);
  else format = floatFormatter(printed);
  const width = Math.max(1, ...printed.map((v) => format(v).length));
  const render = (dim: number, base: number): string => {
    if (dim === shape.length) return format(values[base]!).padStart(width);
    const parts = shownIndices(shape[dim]!, summarize).map((i) =>
      i < 0 ? '...' : render(dim + 1, base + i * strides[dim]!),
    );
    if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
    const separator = `,${'\n'.repeat(shape.length - dim - 1)}${' '.repeat(indent + dim + 1)}`;
    return `[${parts.join(separator)}]`;
  };
  return render(0, 0);
}

export function formatTensor(t: Tensor, values: TypedArray): string {
  const body = t.numel() === 0 ? '[]' : formatValues(values, t.shape, t.dtype, 'tensor('.length);
  const suffix: string[] = [];
  if (t.numel() === 0 && t.ndim > 1) suffix.push(`size=[${t.shape.join(', ')}]`);
  if (t.device.type !== 'cpu') suffix.push(`device='${t.device.type}'`);
  if (t.dtype === 'float64') suffix.push('dtype=float64');
  return `tensor(${[body, ...suffix, ...autogradState(t)].join(', ')})`;
}

/**
 * The printed form of a tensor whose values cannot be shown (not read yet from a device
 * that reads asynchronously, or disposed): what is known, as PyTorch prints a tensor on its
 * 'meta' device: `tensor(<not read yet: await t.format()>, size=[2, 3], dtype=float32, device='webgpu')`.
 */
export function formatUnread(t: Tensor, body: string): string {
  const known = [`size=[${t.shape.join(', ')}]`, `dtype=${t.dtype}`, `device='${t.device.type}'`];
  return `tensor(${[body, ...known, ...autogradState(t)].join(', ')})`;
}

function autogradState(t: Tensor): string[] {
  if (t.gradFn) return [`gradFn=<${t.gradFn.name}>`];
  return t.requiresGrad ? ['requiresGrad=true'] : [];
}

/**
 * Node's util.inspect calls a method under this key to print an object (console.log does):
 * tensors and modules return their printed form. `Symbol.for` gives the same symbol Node
 * looks up, without importing anything from Node.
 */
export const inspect: unique symbol = Symbol.for('nodejs.util.inspect.custom');
