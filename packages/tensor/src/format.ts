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
  // Loops, not Math.max(...finite): a summary of a many-dim tensor prints many elements.
  let max = 0;
  let min = Number.POSITIVE_INFINITY;
  for (const v of finite) {
    max = Math.max(max, v);
    min = Math.min(min, v);
  }
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

/**
 * What is printed, in order: brackets, separators and ellipses as text, elements as their
 * flat index in `values`. Built with a stack rather than recursion, so a tensor of any rank
 * prints (PyTorch prints rank 100,000).
 */
function layout(shape: readonly number[], summarize: boolean, indent: number): (string | number)[] {
  const ndim = shape.length;
  if (ndim === 0) return [0];
  const strides: number[] = [];
  let s = 1;
  for (let i = ndim - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  // Between the items of a dim: ', ' along the last; a comma, a blank line per dim below,
  // and the indent of the next item elsewhere.
  const separators: string[] = [];
  const separator = (dim: number): string => {
    if (dim === ndim - 1) return ', ';
    separators[dim] ??= `,${'\n'.repeat(ndim - dim - 1)}${' '.repeat(indent + dim + 1)}`;
    return separators[dim];
  };
  const tokens: (string | number)[] = ['['];
  const open = [{ dim: 0, base: 0, items: shownIndices(shape[0]!, summarize), next: 0 }];
  while (open.length > 0) {
    const frame = open[open.length - 1]!;
    const { dim } = frame;
    if (frame.next === frame.items.length) {
      tokens.push(']');
      open.pop();
      continue;
    }
    if (frame.next > 0) tokens.push(separator(dim));
    const index = frame.items[frame.next++]!;
    if (index < 0) {
      tokens.push('...');
      continue;
    }
    const base = frame.base + index * strides[dim]!;
    if (dim === ndim - 1) tokens.push(base);
    else {
      tokens.push('[');
      open.push({ dim: dim + 1, base, items: shownIndices(shape[dim + 1]!, summarize), next: 0 });
    }
  }
  return tokens;
}

export function formatValues(
  values: TypedArray,
  shape: readonly number[],
  dtype: Tensor['dtype'],
  indent: number,
): string {
  const tokens = layout(shape, values.length > threshold, indent);
  // Only the printed elements decide the notation and column width.
  const printed: number[] = [];
  for (const token of tokens) if (typeof token === 'number') printed.push(values[token]!);
  let format: Formatter;
  if (dtype === 'bool') format = (v) => (v ? 'True' : 'False');
  else if (dtype === 'int32') format = (v) => String(v);
  else format = floatFormatter(printed);
  let width = 1;
  for (const v of printed) width = Math.max(width, format(v).length);
  return tokens
    .map((token) => (typeof token === 'number' ? format(values[token]!).padStart(width) : token))
    .join('');
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
