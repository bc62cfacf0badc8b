// Indexing: NumPy-style index(), indexSelect, gather/scatter, masks, triangles, one-hot
// and padding. Views where PyTorch makes views; gathers otherwise.

import { checkInt32Scalar } from '../dtype.js';
import { IndexError, type OutOfRangeMessage } from '../errors.js';
import { E } from '../expr.js';
import { checkAlive, commonDevice, emptyTensor, record, viewDescriptor } from '../internal.js';
import { formatShape, normalizeDim, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arange, fromValues, full, zeros } from './creation.js';
import { where } from './elementwise.js';
import { embed, select, slice as sliceDim } from './shape.js';

/** A Python slice: `slice(null, null, 2)` is `::2`. */
export interface Slice {
  readonly kind: 'slice';
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number | null;
}

/** Python's slice(start, stop, step) for index(): null (or undefined) leaves a bound open. */
export function slice(
  start: number | null = null,
  stop: number | null = null,
  step: number | null = null,
): Slice {
  return { kind: 'slice', start, stop, step };
}

/**
 * One item of an index: an integer, a slice, null (a new axis, Python's None), '...' (the remaining
 * dims) or an int32 or bool index tensor.
 */
export type IndexItem = number | Slice | null | '...' | Tensor;

/**
 * A list of index items, one item (`x.index(0)` is PyTorch's `x[0]`), or the same written as a
 * string: '::2, 1, None, ...'.
 */
export type IndexSpec = readonly IndexItem[] | IndexItem | string;

function parseIndex(spec: string): IndexItem[] {
  // x.index('') is Python's x[()]: no index at all.
  if (spec.trim() === '') return [];
  return spec.split(',').map((raw) => {
    const part = raw.trim();
    if (part === '...' || part === 'Ellipsis') return '...';
    if (part === 'None') return null;
    if (part.includes(':')) {
      const bounds = part.split(':').map((b) => b.trim());
      if (bounds.length > 3) throw new Error(`index: invalid slice '${part}'`);
      const [start, stop, step] = bounds.map((b) => (b === '' ? null : toInt(b, spec)));
      return slice(start ?? null, stop ?? null, step ?? null);
    }
    return toInt(part, spec);
  });
}

function toInt(text: string, spec: string): number {
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value))
    throw new Error(`index: '${text}' in '${spec}' is not an integer, slice, None or ...`);
  return value;
}

function isTensorItem(item: IndexItem): item is Tensor {
  return typeof item === 'object' && item !== null && (item as { kind?: string }).kind !== 'slice';
}

/** How many dims of the indexed tensor an item uses up (a bool mask: one per mask dim). */
function dimsConsumed(item: IndexItem): number {
  if (item === null || item === '...') return 0;
  return isTensorItem(item) && item.dtype === 'bool' ? item.ndim : 1;
}

export function index(x: Tensor, spec: IndexSpec): Tensor {
  checkAlive('index', [x]);
  const items =
    typeof spec === 'string' ? parseIndex(spec) : Array.isArray(spec) ? [...spec] : [spec];
  const ellipses = items.filter((i) => i === '...').length;
  if (ellipses > 1) throw new Error('index: an index can only have a single ellipsis (...)');
  const consumed = items.reduce<number>((n, i) => n + dimsConsumed(i), 0);
  if (consumed > x.ndim) {
    throw new Error(`index: too many indices for tensor of dimension ${x.ndim} (got ${consumed})`);
  }
  const expanded: IndexItem[] = [];
  for (const item of items) {
    if (item === '...') for (let k = 0; k < x.ndim - consumed; k++) expanded.push(slice());
    else expanded.push(item);
  }
  // Each item makes a new view of the previous one; only the last is the result. The views
  // between them are disposed here, so they do not stay counted in memory() until the
  // collector finds them (their storage lives on in the result, and their backward steps
  // never read their values).
  const intermediates: Tensor[] = [];
  let y = x;
  const step = (next: Tensor) => {
    if (next === y) return;
    if (y !== x) intermediates.push(y);
    y = next;
  };
  let dim = 0; // the dim of y the next item applies to
  let sourceDim = 0; // the same dim counted in x, for error messages
  /** Index tensors, and whether index() made them (a mask's positions). */
  const tensorDims: { dim: number; index: Tensor; owned: boolean; sourceDim: number }[] = [];
  for (const item of expanded) {
    if (item === null) {
      step(y.unsqueeze(dim));
      dim++;
    } else if (typeof item === 'number') {
      const size = y.shape[dim]!;
      if (!Number.isInteger(item) || item < -size || item >= size) {
        throw new IndexError(
          `index: index ${item} is out of bounds for dimension ${sourceDim} with size ${size}`,
        );
      }
      step(select(y, dim, item));
      sourceDim++;
    } else if (isTensorItem(item)) {
      if (item.dtype === 'bool') {
        const { flat, positions } = maskPositions(y, item, dim);
        step(flat);
        tensorDims.push({ dim, index: positions, owned: true, sourceDim });
        sourceDim += item.ndim;
      } else {
        tensorDims.push({ dim, index: item, owned: false, sourceDim });
        sourceDim++;
      }
      dim++;
    } else if (item !== '...') {
      if ((item.step ?? 1) <= 0)
        throw new Error(`index: step must be greater than zero, got ${item.step}`);
      step(sliceDim(y, dim, item.start ?? 0, item.stop ?? Infinity, item.step ?? 1));
      dim++;
      sourceDim++;
    }
  }
  if (tensorDims.length > 1)
    throw new Error(
      'index: indexing with more than one index tensor is not supported; index one dim at a time',
    );
  const advanced = tensorDims[0];
  if (!advanced) {
    disposeAll(intermediates);
    return y;
  }
  // An index tensor on the CPU also indexes a tensor on another device, as in PyTorch.
  const onCpu = advanced.index.device !== y.device && advanced.index.device.readSync;
  const idx = onCpu ? advanced.index.to(y.device) : advanced.index;
  if (idx.dtype !== 'int32')
    throw new TypeError(
      `index: tensors used as indices must be int32 or bool, got ${idx.dtype}${intHint(idx.dtype)}`,
    );
  const size = y.shape[advanced.dim]!;
  const advancedSourceDim = advanced.sourceDim;
  // Negative indices count from the end, as in Python.
  const negative = idx.lt(0);
  const shifted = idx.add(size);
  const wrapped = where(negative, shifted, idx);
  const flat = wrapped.flatten();
  const picked = indexSelect(y, advanced.dim, flat, {
    // A negative index was wrapped above: name it as given.
    outOfRange: (k, n) =>
      `index: index ${k >= n ? k : k - n} is out of bounds for dimension ${advancedSourceDim} with size ${n}`,
  });
  const result = picked.reshape([
    ...y.shape.slice(0, advanced.dim),
    ...idx.shape,
    ...y.shape.slice(advanced.dim + 1),
  ]);
  // What only computed the result (the gather's backward reads an index view of its own).
  const temporaries = [negative, shifted, wrapped, flat, ...intermediates];
  if (result !== picked) temporaries.push(picked);
  if (y !== x) temporaries.push(y);
  if (idx !== advanced.index || advanced.owned) temporaries.push(idx);
  disposeAll(temporaries);
  return result;
}

function disposeAll(tensors: readonly Tensor[]): void {
  for (const t of tensors) t.dispose();
}

/**
 * For x[..., mask] with the mask's dims starting at `dim`: x with those dims merged into one
 * (a new size-1 dim for a 0-d mask), and the positions the mask selects along it. The
 * output shape depends on the mask's values, so the mask must be readable now (a CPU tensor).
 */
function maskPositions(x: Tensor, mask: Tensor, dim: number): { flat: Tensor; positions: Tensor } {
  if (!mask.device.readSync) {
    throw new Error(
      'index: a boolean mask gives a shape that depends on its values, so it needs a CPU mask; use maskedFill or where on other devices',
    );
  }
  const covered = x.shape.slice(dim, dim + mask.ndim);
  if (covered.length !== mask.ndim || covered.some((d, i) => d !== mask.shape[i])) {
    throw new Error(
      `index: the shape of the mask ${formatShape(mask.shape)} does not match the shape of the indexed tensor ${formatShape(x.shape)} at dimension ${dim}`,
    );
  }
  const values = mask.dataSync();
  const positions: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i]) positions.push(i);
  const flat = mask.ndim === 0 ? x.unsqueeze(dim) : x.flatten(dim, dim + mask.ndim - 1);
  return {
    flat,
    positions: fromValues(Int32Array.from(positions), [positions.length], 'int32', {
      device: x.device,
    }),
  };
}

/** Options of gather, scatter and the ops built on them. */
export interface IndexOptions {
  /**
   * The message of the IndexError an index outside the indexed dim raises (by default
   * `gather: index 5 is out of bounds for dimension 1 with size 3`), for ops built on
   * these to name themselves and their arguments.
   */
  outOfRange?: OutOfRangeMessage | undefined;
}

const outOfBounds =
  (op: string, dim: number): OutOfRangeMessage =>
  (index, size) =>
    `${op}: index ${index} is out of bounds for dimension ${dim} with size ${size}`;

/** Numbers become float32 tensors; say how to make indices. */
function intHint(dtype: string): string {
  return dtype === 'float32' || dtype === 'float64'
    ? " (numbers become float32 tensors: write tensor([...], { dtype: 'int32' }) or pass an Int32Array)"
    : '';
}

function checkIndexTensor(op: string, index: Tensor): void {
  if (index.dtype !== 'int32')
    throw new TypeError(
      `${op}(): expected an int32 index tensor, got ${index.dtype}${intHint(index.dtype)}`,
    );
}

/** {@inheritDoc Tensor.indexSelect} */
export function indexSelect(
  x: Tensor,
  dim: number,
  index: Tensor,
  options: IndexOptions = {},
): Tensor {
  checkIndexTensor('indexSelect', index);
  if (index.ndim > 1)
    throw new Error(`indexSelect(): index should have at most 1 dimension, got ${index.ndim}`);
  const axis = normalizeDim(dim, x.ndim, 'indexSelect');
  if (x.ndim === 0) {
    // A 0-d tensor has one element: index [0] (or [-1]) picks it, and the result stays 0-d.
    if (index.numel() !== 1)
      throw new Error(
        `indexSelect(): index to a 0-d tensor can have only 1 value, got ${index.numel()}`,
      );
    return gather(x.reshape([1]), 0, index.reshape([1]), {
      outOfRange: options.outOfRange ?? outOfBounds('indexSelect', 0),
    }).reshape([]);
  }
  const shape = [...x.shape];
  shape[axis] = index.numel();
  // The 1-d index, broadcast over the other dims (stride 0): gather without a copy.
  const column = index.reshape(shape.map((_, d) => (d === axis ? index.numel() : 1)));
  const lifted = column.expand(shape);
  const out = gather(x, axis, lifted, {
    outOfRange: options.outOfRange ?? outOfBounds('indexSelect', axis),
  });
  // Views made only for the kernel; the backward step, when recorded, keeps `lifted`.
  if (column !== index && column !== lifted) column.dispose();
  if (!out.requiresGrad) lifted.dispose();
  return out;
}

/** {@inheritDoc Tensor.gather} */
export function gather(x: Tensor, dim: number, index: Tensor, options: IndexOptions = {}): Tensor {
  checkIndexTensor('gather', index);
  const axis = normalizeDim(dim, x.ndim, 'gather');
  const outOfRange = options.outOfRange ?? outOfBounds('gather', axis);
  if (x.ndim === 0 && index.ndim === 0) {
    return gather(x.reshape([1]), 0, index.reshape([1]), { outOfRange }).reshape([]);
  }
  if (index.ndim !== x.ndim) {
    throw new Error(
      `gather(): index tensor must have the same number of dimensions as input tensor (${index.ndim} vs ${x.ndim})`,
    );
  }
  for (let d = 0; d < x.ndim; d++) {
    if (d !== axis && index.shape[d]! > x.shape[d]!) {
      throw new Error(
        `gather(): size does not match at dimension ${d}: expected index ${formatShape(index.shape)} to be no larger than self ${formatShape(x.shape)} apart from dimension ${axis}`,
      );
    }
  }
  const device = commonDevice('gather', [x, index]);
  const out = emptyTensor(index.shape, x.dtype, device);
  if (out.numel() > 0)
    device.gather(
      viewDescriptor(x, 'gather'),
      axis,
      viewDescriptor(index, 'gather'),
      viewDescriptor(out, 'gather'),
      outOfRange,
    );
  return record(
    out,
    'Gather',
    [x],
    (g) => [zeros(x.shape, { dtype: g.dtype, device: g.device }).scatterAdd(axis, index, g)],
    [],
  );
}

function scatterInto(
  mode: 'assign' | 'add',
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor,
  op: string,
  options: IndexOptions,
): Tensor {
  checkIndexTensor(op, index);
  const axis = normalizeDim(dim, x.ndim, op);
  const outOfRange = options.outOfRange ?? outOfBounds(op, axis);
  if (x.ndim === 0 && index.ndim === 0 && src.ndim === 0) {
    const [flatX, flatIndex, flatSrc] = [x.reshape([1]), index.reshape([1]), src.reshape([1])];
    return scatterInto(mode, flatX, 0, flatIndex, flatSrc, op, { outOfRange }).reshape([]);
  }
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new Error(
      `${op}(): index and src must have the same number of dimensions as self (${index.ndim}, ${src.ndim} vs ${x.ndim})`,
    );
  }
  for (let d = 0; d < x.ndim; d++) {
    if (index.shape[d]! > src.shape[d]! || (d !== axis && index.shape[d]! > x.shape[d]!)) {
      throw new Error(
        `${op}(): expected index ${formatShape(index.shape)} to be no larger than self ${formatShape(x.shape)} apart from dimension ${axis} and no larger than src ${formatShape(src.shape)}`,
      );
    }
  }
  const device = commonDevice(op, [x, index, src]);
  const out = emptyTensor(x.shape, x.dtype, device);
  device.elementwise(E.input(0), [viewDescriptor(x, op)], viewDescriptor(out, op));
  if (index.numel() > 0)
    device.scatter(
      mode,
      viewDescriptor(out, op),
      axis,
      viewDescriptor(index, op),
      viewDescriptor(src.dtype === x.dtype ? src : src.to(x.dtype), op),
      outOfRange,
    );
  return out;
}

/**
 * The gradient of scatter's src from `g` gathered at the index: src may be larger than the
 * index, and its elements beyond the index's extent get zero (PyTorch 1.13 fails there).
 */
function sourceGradient(g: Tensor, axis: number, index: Tensor, source: Tensor): Tensor {
  const { shape, dtype } = source;
  const gathered = g.gather(axis, index);
  const picked = gathered.dtype === dtype ? gathered : gathered.to(dtype);
  if (sameShape(picked.shape, shape)) return picked;
  return embed(picked, shape, (z) =>
    index.shape.reduce((t, size, d) => sliceDim(t, d, 0, size), z),
  );
}

/** {@inheritDoc Tensor.scatter} */
export function scatter(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor | number,
  options: IndexOptions = {},
): Tensor {
  if (typeof src === 'number' && x.dtype === 'int32') checkInt32Scalar('scatter', src);
  const source =
    typeof src === 'number' ? full(index.shape, src, { dtype: x.dtype, device: x.device }) : src;
  const out = scatterInto('assign', x, dim, index, source, 'scatter', options);
  const axis = normalizeDim(dim, x.ndim, 'scatter');
  const inputs = typeof src === 'number' ? [x] : [x, source];
  return record(
    out,
    'Scatter',
    inputs,
    (g) => [
      // Positions overwritten by src get no gradient from the input.
      scatter(g, axis, index, 0),
      ...(inputs.length > 1 ? [sourceGradient(g, axis, index, source)] : []),
    ],
    [],
  );
}

/** {@inheritDoc Tensor.scatterAdd} */
export function scatterAdd(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor,
  options: IndexOptions = {},
): Tensor {
  const out = scatterInto('add', x, dim, index, src, 'scatterAdd', options);
  const axis = normalizeDim(dim, x.ndim, 'scatterAdd');
  return record(out, 'ScatterAdd', [x, src], (g) => [g, sourceGradient(g, axis, index, src)], []);
}

/** {@inheritDoc Tensor.maskedFill} */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (mask.dtype !== 'bool')
    throw new TypeError(
      `maskedFill only supports boolean masks, but got mask with dtype ${mask.dtype}`,
    );
  if (x.dtype === 'int32' && Number.isInteger(value)) checkInt32Scalar('maskedFill', value);
  const y = where(mask, value, x);
  return y.dtype === x.dtype ? y : y.to(x.dtype);
}

function triangle(x: Tensor, diagonal: number, lower: boolean, op: string): Tensor {
  if (x.ndim < 2) throw new Error(`${op}: input tensor must have at least 2 dimensions`);
  const rows = x.shape[x.ndim - 2]!;
  const cols = x.shape[x.ndim - 1]!;
  const offset = arange(cols, undefined, 1, { device: x.device }).sub(
    arange(rows, undefined, 1, { device: x.device }).unsqueeze(1),
  );
  const keep = lower ? offset.le(diagonal) : offset.ge(diagonal);
  return where(keep, x, 0).to(x.dtype);
}

/** {@inheritDoc Tensor.tril} */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle(x, diagonal, true, 'tril');
}

/** {@inheritDoc Tensor.triu} */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle(x, diagonal, false, 'triu');
}

/** One-hot int32 encoding with a new last dim of numClasses (-1: the largest index + 1, CPU only). */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  checkIndexTensor('oneHot', indices);
  let classes = numClasses;
  const outOfRange: OutOfRangeMessage = (value, size) =>
    value < 0
      ? `oneHot: Class values must be non-negative (got ${value}).`
      : `oneHot: Class values must be smaller than num_classes (got ${value} with num_classes ${size}).`;
  // On the CPU the values are at hand: check them (and infer the class count) like PyTorch.
  // Elsewhere an out-of-range value is the scatter kernel's to report, in the same words.
  if (indices.device.readSync) {
    const values = indices.dataSync();
    let low = 0;
    let high = -1;
    for (const v of values) {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    if (low < 0) throw new IndexError(outOfRange(low, classes));
    if (classes < 0) {
      if (values.length === 0)
        throw new Error('oneHot: Can not infer total number of classes from empty tensor.');
      classes = high + 1;
    } else if (high >= classes) {
      throw new IndexError(outOfRange(high, classes));
    }
  } else if (classes < 0) {
    // The class count would be the largest index + 1: the output's shape would depend on
    // values that a device computing asynchronously cannot hand over without a wait.
    throw new Error(
      `oneHot: without numClasses the class count comes from the largest index, which a tensor on ${indices.device} cannot give without a wait; pass numClasses (oneHot(t, 10)), or read the largest index first (await t.max().item())`,
    );
  }
  const out = zeros([...indices.shape, classes], { dtype: 'int32', device: indices.device });
  return out.scatter(-1, indices.unsqueeze(-1), 1, { outOfRange });
}

/**
 * How pad fills: with a constant, by reflecting the edge (without repeating it), by repeating the
 * edge, or by wrapping around.
 */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * Pads the last dims: `pads` is [left, right] for the last dim, then [top, bottom] for the one
 * before, and so on (torch.nn.functional.pad). Negative amounts crop (constant mode).
 */
export function pad(
  x: Tensor,
  pads: readonly number[],
  mode: PadMode = 'constant',
  value = 0,
): Tensor {
  if (pads.length % 2 !== 0)
    throw new Error(`pad: padding length must be divisible by 2, got ${pads.length}`);
  const padded = pads.length / 2;
  if (padded > x.ndim)
    throw new Error(`pad: padding length ${pads.length} is too large for a ${x.ndim}-d input`);
  if (x.dtype === 'int32' && mode === 'constant' && Number.isInteger(value))
    checkInt32Scalar('pad', value);
  let y = x;
  for (let k = 0; k < padded; k++) {
    const dim = x.ndim - 1 - k;
    const before = pads[2 * k]!;
    const after = pads[2 * k + 1]!;
    if (before === 0 && after === 0) continue;
    const size = y.shape[dim]!;
    if (size + before + after < 0) {
      throw new Error(
        `pad: the input size ${size}, plus negative padding ${before} and ${after} resulted in a negative output size, which is invalid. Check dimension ${dim} of your input.`,
      );
    }
    y =
      mode === 'constant'
        ? padConstant(y, dim, before, after, value)
        : padByIndex(y, dim, before, after, mode);
  }
  return y;
}

function padConstant(x: Tensor, dim: number, before: number, after: number, value: number): Tensor {
  // Negative padding crops first.
  const size = x.shape[dim]!;
  const cropped = sliceDim(x, dim, Math.max(0, -before), size - Math.max(0, -after));
  const left = Math.max(0, before);
  const right = Math.max(0, after);
  if (left === 0 && right === 0) return cropped;
  const shape = [...cropped.shape];
  shape[dim] = shape[dim]! + left + right;
  const out = full(shape, value, { dtype: x.dtype, device: x.device });
  const region = (t: Tensor) => sliceDim(t, dim, left, left + cropped.shape[dim]!);
  x.device.elementwise(
    E.input(0),
    [viewDescriptor(cropped, 'pad')],
    viewDescriptor(region(out), 'pad'),
  );
  return record(out, 'Pad', [cropped], (g) => [region(g)], []);
}

function padByIndex(x: Tensor, dim: number, before: number, after: number, mode: PadMode): Tensor {
  const size = x.shape[dim]!;
  if (mode === 'reflect' && (before >= size || after >= size)) {
    throw new Error(
      `pad: padding size should be less than the corresponding input dimension, but got: padding (${before}, ${after}) at dimension ${dim} of input ${formatShape(x.shape)}`,
    );
  }
  if (mode === 'circular' && (before > size || after > size)) {
    throw new Error(
      `pad: Padding value causes wrapping around more than once: padding (${before}, ${after}) at dimension ${dim} of input ${formatShape(x.shape)}`,
    );
  }
  if (size === 0) throw new Error(`pad: ${mode} padding of an empty dimension ${dim}`);
  if (mode === 'circular' && (before < 0 || after < 0)) {
    // PyTorch crops first and wraps around what is left.
    const cropped = sliceDim(x, dim, Math.max(0, -before), size - Math.max(0, -after));
    return padByIndex(cropped, dim, Math.max(0, before), Math.max(0, after), mode);
  }
  const positions = new Int32Array(size + before + after);
  for (let i = 0; i < positions.length; i++) {
    const p = i - before;
    if (mode === 'reflect') positions[i] = p < 0 ? -p : p >= size ? 2 * (size - 1) - p : p;
    else if (mode === 'replicate') positions[i] = Math.min(size - 1, Math.max(0, p));
    else positions[i] = ((p % size) + size) % size;
  }
  return indexSelect(
    x,
    dim,
    fromValues(positions, [positions.length], 'int32', { device: x.device }),
  );
}
