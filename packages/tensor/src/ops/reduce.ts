// Reductions: sum, prod, max/min and their arg forms are kernels; mean, var, std,
// logsumexp and the norms are composed from them (and so differentiate for free).

import { describeValue, reduceArgs } from '../args.js';
import type { ReduceKind } from '../backend.js';
import { type DType, isFloating } from '../dtype.js';
import { emptyTensor, record, viewDescriptor } from '../internal.js';
import { formatShape, normalizeDim, normalizeDims, numelOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { full } from './creation.js';
import { where } from './elementwise.js';

/** One dim or several; negative dims count from the end. */
export type Dims = number | readonly number[];

/** The shape after reducing `dims`: removed, or kept as 1 with keepdim. */
function reducedShape(shape: Shape, dims: readonly number[], keepdim: boolean): number[] {
  return keepdim
    ? shape.map((d, i) => (dims.includes(i) ? 1 : d))
    : shape.filter((_, i) => !dims.includes(i));
}

function reduceKernel(
  kind: ReduceKind,
  x: Tensor,
  dims: readonly number[],
  keepdim: boolean,
  dtype: DType,
): Tensor {
  const out = emptyTensor(reducedShape(x.shape, dims, false), dtype, x.device);
  x.device.reduce(kind, viewDescriptor(x, kind), dims, viewDescriptor(out, kind));
  return keepdim ? out.reshape(reducedShape(x.shape, dims, true)) : out;
}

/** Gradient `g` of a reduction, broadcast back over the reduced dims of `shape`. */
function expandReduced(g: Tensor, shape: Shape, dims: readonly number[], keepdim: boolean): Tensor {
  return (keepdim ? g : g.reshape(reducedShape(shape, dims, true))).expand(shape);
}

/** Sums `g` down to `shape` (the inverse of broadcasting), for gradients of broadcast inputs. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const summed = dims.length > 0 ? g.sum(dims, true) : g;
  return summed.reshape(shape);
}

function sumDType(dtype: DType): DType {
  return dtype === 'bool' ? 'int32' : dtype;
}

export function sum(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const axes = normalizeDims(dims, x.ndim, 'sum');
  const y = reduceKernel('sum', x, axes, keepdim, sumDType(x.dtype));
  return record(y, 'Sum', [x], (g) => [expandReduced(g, x.shape, axes, keepdim)], []);
}

export function mean(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  if (!isFloating(x.dtype)) {
    throw new TypeError(
      `mean(): could not infer output dtype. Input dtype must be a floating point dtype, but got ${x.dtype}`,
    );
  }
  const axes = normalizeDims(dims, x.ndim, 'mean');
  const count = axes.reduce((n, d) => n * x.shape[d]!, 1);
  return sum(x, axes, keepdim).div(count);
}

export function prod(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const axes = normalizeDims(dims, x.ndim, 'prod');
  const y = reduceKernel('prod', x, axes, keepdim, sumDType(x.dtype));
  return record(
    y,
    'Prod',
    [x],
    (g) => {
      // Where x is 0 the quotient prod / x fails; there the gradient is the product of the
      // other elements, which is nonzero only when x holds the reduction's single zero.
      const isZero = x.eq(0);
      const withoutZeros = where(isZero, 1, x).prod(axes, true);
      const zeros = isZero.sum(axes, true);
      const product = expandReduced(y, x.shape, axes, keepdim);
      const others = where(isZero, where(zeros.eq(1), withoutZeros, 0), product.div(x));
      return [expandReduced(g, x.shape, axes, keepdim).mul(others)];
    },
    [x, y],
  );
}

function checkNotEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  if (
    axes.some((d) => x.shape[d] === 0) ||
    (x.ndim > 0 && x.numel() === 0 && axes.length === x.ndim)
  ) {
    throw new Error(
      `${op}(): expected reduction dim to have a nonzero size, but the input has shape ${formatShape(x.shape)}`,
    );
  }
}

/** Maximum over dims; ties share the gradient evenly (torch.amax). */
export function amax(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  return extreme('max', x, dims, keepdim);
}

export function amin(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  return extreme('min', x, dims, keepdim);
}

function extreme(kind: 'max' | 'min', x: Tensor, dims: Dims | undefined, keepdim: boolean): Tensor {
  const op = kind === 'max' ? 'amax' : 'amin';
  const axes = normalizeDims(dims, x.ndim, op);
  checkNotEmpty(op, x, axes);
  const y = reduceKernel(kind, x, axes, keepdim, x.dtype);
  return record(
    y,
    kind === 'max' ? 'Amax' : 'Amin',
    [x],
    (g) => {
      const hits = x.eq(expandReduced(y, x.shape, axes, keepdim));
      const count = hits.sum(axes, true);
      return [expandReduced(g, x.shape, axes, keepdim).mul(hits).div(count)];
    },
    [x, y],
  );
}

export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}

export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}

function argExtreme(
  kind: 'argmax' | 'argmin',
  x: Tensor,
  dim: number | undefined,
  keepdim: boolean,
): Tensor {
  // The result is an int32 index (WebGPU has no 64-bit integers): refuse what it cannot hold.
  const count = dim === undefined ? x.numel() : (x.shape[normalizeDim(dim, x.ndim, kind)] ?? 1);
  if (count > 2 ** 31 - 1) {
    throw new RangeError(
      `${kind}(): an index among ${count} elements (input shape ${formatShape(x.shape)}) does not fit the int32 result (at most 2147483647)`,
    );
  }
  if (dim === undefined) {
    const flat = x.reshape([-1]);
    const y = argExtreme(kind, flat, 0, false);
    return keepdim ? y.reshape(x.shape.map(() => 1)) : y;
  }
  const axis = normalizeDim(dim, x.ndim, kind);
  const axes = x.ndim === 0 ? [] : [axis];
  checkNotEmpty(kind, x, axes);
  return reduceKernel(kind, x, axes, keepdim, 'int32');
}

/** Values and indices of the maximum along `dim` (torch.max(x, dim)). */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

export function maxAlong(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return valuesAndIndices('argmax', x, dim, keepdim);
}

export function minAlong(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return valuesAndIndices('argmin', x, dim, keepdim);
}

function valuesAndIndices(
  kind: 'argmax' | 'argmin',
  x: Tensor,
  dim: number,
  keepdim: boolean,
): ValuesIndices {
  const op = kind === 'argmax' ? 'max' : 'min';
  const axis = normalizeDim(dim, x.ndim, op);
  checkNotEmpty(op, x, x.ndim === 0 ? [] : [axis]);
  const indices = argExtreme(kind, x, axis, true);
  const values = x.ndim === 0 ? x.clone() : x.gather(axis, indices);
  return keepdim || x.ndim === 0
    ? { values, indices }
    : { values: values.squeeze(axis), indices: indices.squeeze(axis) };
}

/**
 * max and min, the methods and the functions: of all elements, along a dim (values and
 * indices), or the elementwise extreme with another tensor.
 */
export function maxOrMin(
  x: Tensor,
  op: 'max' | 'min',
  args: readonly unknown[],
): Tensor | ValuesIndices {
  const [first] = args;
  if (first instanceof Tensor && args.length === 1) {
    return op === 'max' ? x.maximum(first) : x.minimum(first);
  }
  if (args.length === 0 || (args.length === 1 && first === undefined)) {
    checkReducible(x, op);
    return op === 'max' ? amax(x) : amin(x);
  }
  const [dim, keepdim] = reduceArgs<number>(op, args);
  if (typeof dim !== 'number') {
    throw new TypeError(
      `${op}: expected (), (other: Tensor), (dim, keepdim) or ({ dim, keepdim }) with dim an integer; got (${args.map((a) => describeValue(a)).join(', ')})`,
    );
  }
  return op === 'max' ? maxAlong(x, dim, keepdim) : minAlong(x, dim, keepdim);
}

function checkReducible(t: Tensor, op: string): void {
  if (t.numel() === 0) {
    throw new Error(
      `${op}(): expected reduction dim to have a nonzero size, but the input has shape [${t.shape.join(', ')}]; ` +
        "specify the reduction dim with the 'dim' argument",
    );
  }
}

/** Options of var and std: the correction (1 by default), and keepdim (false). */
export interface VarianceOptions {
  /** Subtracted from the count in the denominator: 1 (default) is Bessel's correction. */
  correction?: number;
  /** Same as correction: 1 when true (default), 0 when false. */
  unbiased?: boolean;
  keepdim?: boolean;
}

export function variance(x: Tensor, dims?: Dims, options: VarianceOptions = {}): Tensor {
  const correction = options.correction ?? (options.unbiased === false ? 0 : 1);
  const axes = normalizeDims(dims, x.ndim, 'var');
  const count = axes.reduce((n, d) => n * x.shape[d]!, 1);
  const centered = x.sub(x.mean(axes, true));
  return centered
    .square()
    .sum(axes, options.keepdim ?? false)
    .div(Math.max(0, count - correction));
}

export function std(x: Tensor, dims?: Dims, options: VarianceOptions = {}): Tensor {
  const v = variance(x, dims, options);
  const y = v.detach().sqrt();
  // 1 / (2 std), taken as 0 where std is 0 (a constant input), as PyTorch does: sqrt's own
  // derivative would be infinite there, and times var's zero gradient, NaN.
  return record(y, 'Std', [v], (g) => [where(y.eq(0), 0, g.div(y.mul(2)))], [y]);
}

export function logsumexp(x: Tensor, dims: Dims, keepdim = false): Tensor {
  const axes = normalizeDims(dims, x.ndim, 'logsumexp');
  // The log of an empty sum is -inf; there is no maximum to shift by.
  if (axes.some((d) => x.shape[d] === 0)) return x.exp().sum(axes, keepdim).log();
  // Shifting by the (detached) maximum keeps exp in range; it cancels in the derivative.
  const m = x.detach().amax(axes, true);
  const shift = where(m.isinf(), 0, m);
  const y = x.sub(shift).exp().sum(axes, true).log().add(shift);
  return keepdim ? y : y.squeeze(axes);
}

/** The p-norm over dims: p = 2 (default), 1, Infinity or any other positive number. */
export function norm(x: Tensor, p: number = 2, dims?: Dims, keepdim = false): Tensor {
  const axes = normalizeDims(dims, x.ndim, 'norm');
  if (p === Infinity) return x.abs().amax(axes, keepdim);
  if (p === -Infinity) return x.abs().amin(axes, keepdim);
  if (p === 1) return x.abs().sum(axes, keepdim);
  if (p === 2) {
    const y = reduceKernel('sum', x.square().detach(), axes, keepdim, x.dtype).sqrt().detach();
    return record(
      y,
      'Norm',
      [x],
      (g) => {
        // x / ||x||, taken as 0 where the norm is 0 (PyTorch's subgradient there).
        const n = expandReduced(y, x.shape, axes, keepdim);
        return [expandReduced(g, x.shape, axes, keepdim).mul(where(n.eq(0), 0, x.div(n)))];
      },
      [x, y],
    );
  }
  if (!(p > 0)) throw new RangeError(`norm: p must be positive or ±Infinity, got ${p}`);
  const y = x
    .detach()
    .abs()
    .pow(p)
    .sum(axes, keepdim)
    .pow(1 / p);
  return record(
    y,
    'Norm',
    [x],
    (g) => {
      // sign(x) |x|^(p-1) / ||x||^(p-1), taken as 0 where x is 0 (|x|^(p-1) is infinite
      // there for p < 1) and where the norm is 0 (composing pow would give NaN), as PyTorch does.
      const n = expandReduced(y, x.shape, axes, keepdim);
      const scaled = where(x.eq(0), 0, x.sign().mul(x.abs().pow(p - 1)));
      const direction = scaled.div(n.pow(p - 1));
      return [expandReduced(g, x.shape, axes, keepdim).mul(where(n.eq(0), 0, direction))];
    },
    [x, y],
  );
}

export function cumsum(x: Tensor, dim: number): Tensor {
  const axis = normalizeDim(dim, x.ndim, 'cumsum');
  const out = emptyTensor(x.shape, sumDType(x.dtype), x.device);
  if (x.ndim === 0) {
    out.device.elementwise(
      { kind: 'input', index: 0 },
      [viewDescriptor(x, 'cumsum')],
      viewDescriptor(out, 'cumsum'),
    );
  } else if (numelOf(x.shape) > 0) {
    x.device.cumsum(viewDescriptor(x, 'cumsum'), axis, viewDescriptor(out, 'cumsum'));
  }
  return record(
    out,
    'Cumsum',
    [x],
    (g) => {
      if (x.ndim === 0) return [g];
      // Reverse cumulative sum: total - cumsum + g.
      return [g.sum(axis, true).sub(g.cumsum(axis)).add(g)];
    },
    [],
  );
}

export function all(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const axes = normalizeDims(dims, x.ndim, 'all');
  if (axes.some((d) => x.shape[d] === 0)) return emptyReduction(x, axes, keepdim, true);
  return reduceKernel('min', x.ne(0), axes, keepdim, 'bool');
}

export function any(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const axes = normalizeDims(dims, x.ndim, 'any');
  if (axes.some((d) => x.shape[d] === 0)) return emptyReduction(x, axes, keepdim, false);
  return reduceKernel('max', x.ne(0), axes, keepdim, 'bool');
}

/**
 * all() of no elements is true and any() false. Decided here rather than by the min/max
 * kernels, which only ever reduce non-empty dims otherwise (amax refuses empty ones).
 */
function emptyReduction(
  x: Tensor,
  axes: readonly number[],
  keepdim: boolean,
  value: boolean,
): Tensor {
  return full(reducedShape(x.shape, axes, keepdim), value, { device: x.device });
}
