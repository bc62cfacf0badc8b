// Shape ops. Those PyTorch makes views (reshape when it can, view, permute, transpose,
// expand, squeeze, unsqueeze, narrow, select, slicing) share storage through strides; the
// rest (cat, stack, flip, roll, repeat, contiguous copies) write new tensors.

import { describeValue, dimArg } from '../args.js';
import { promoteTypes } from '../dtype.js';
import { E } from '../expr.js';
import {
  checkTensor,
  commonDevice,
  emptyTensor,
  record,
  viewDescriptor,
  viewOf,
} from '../internal.js';
import {
  broadcastStrides,
  checkShape,
  contiguousStrides,
  formatShape,
  normalizeDim,
  normalizeDims,
  numelOf,
  type Shape,
} from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sumToShape } from './reduce.js';

/** Refuses anything but an array of tensors (cat(a, b) instead of cat([a, b])). */
function checkTensorList(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors)) {
    throw new TypeError(
      `${op}: expected an array of tensors (${op}([a, b], dim)), got ${describeValue(tensors)}`,
    );
  }
  for (const [i, t] of tensors.entries()) checkTensor(op, t, `item ${i} of the list`);
}

/** Resolves one -1 in a requested shape against `numel`, or throws like PyTorch. */
export function inferShape(shape: readonly number[], numel: number, op: string): number[] {
  let inferred = -1;
  let known = 1;
  for (const [i, d] of shape.entries()) {
    if (d === -1) {
      if (inferred >= 0) throw new Error(`${op}: only one dimension can be inferred`);
      inferred = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: invalid shape dimension ${d} in ${formatShape(shape)}`);
    } else known *= d;
  }
  const out = [...shape];
  if (inferred >= 0) {
    if (known === 0 || numel % known !== 0) {
      throw new Error(`${op}: shape '${formatShape(shape)}' is invalid for input of size ${numel}`);
    }
    out[inferred] = numel / known;
  } else if (known !== numel) {
    throw new Error(`${op}: shape '${formatShape(shape)}' is invalid for input of size ${numel}`);
  }
  return out;
}

/** Strides giving `newShape` over the same memory without copying, or null (PyTorch's computeStride). */
function viewStrides(
  oldShape: Shape,
  oldStrides: readonly number[],
  newShape: Shape,
): number[] | null {
  if (numelOf(oldShape) === 0 || oldShape.length === 0) return contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBaseStride = oldStrides[oldStrides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBaseStride = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? newStrides : null;
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel(), 'view');
  const strides = viewStrides(x.shape, x.stride(), target);
  if (!strides) {
    throw new Error(
      `view size is not compatible with input tensor's size and stride (at least one dimension ` +
        `spans across two contiguous subspaces). Use .reshape(...) instead.`,
    );
  }
  const y = viewOf('view', x, target, strides, x.storageOffset);
  return record(y, 'View', [x], (g) => [g.reshape(x.shape)], []);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel(), 'reshape');
  const strides = viewStrides(x.shape, x.stride(), target);
  if (strides) {
    const y = viewOf('reshape', x, target, strides, x.storageOffset);
    return record(y, 'Reshape', [x], (g) => [g.reshape(x.shape)], []);
  }
  return contiguous(x).view(target);
}

/** A contiguous copy when x is not contiguous, x itself otherwise. */
export function contiguous(x: Tensor): Tensor {
  return x.isContiguous() ? x : clone(x);
}

/** A copy with its own (contiguous) storage. */
export function clone(x: Tensor): Tensor {
  const y = emptyTensor(x.shape, x.dtype, x.device);
  x.device.elementwise(E.input(0), [viewDescriptor(x, 'clone')], viewDescriptor(y, 'clone'));
  return record(y, 'Clone', [x], (g) => [g], []);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new Error(
      `permute(): number of dimensions in the tensor input does not match the length of the ` +
        `desired ordering of dimensions i.e. input.dim() = ${x.ndim} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const order = dims.map((d) => normalizeDim(d, x.ndim, 'permute'));
  if (new Set(order).size !== order.length)
    throw new Error(`permute: repeated dim in ${formatShape(dims)}`);
  const strides = x.stride();
  const y = viewOf(
    'permute',
    x,
    order.map((d) => x.shape[d]!),
    order.map((d) => strides[d]!),
    x.storageOffset,
  );
  const inverse = new Array<number>(order.length);
  for (const [i, d] of order.entries()) inverse[d] = i;
  return record(y, 'Permute', [x], (g) => [g.permute(inverse)], []);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim(dim0, x.ndim, 'transpose');
  const b = normalizeDim(dim1, x.ndim, 'transpose');
  if (x.ndim === 0) return x;
  const order = Array.from({ length: x.ndim }, (_, i) => i);
  order[a] = b;
  order[b] = a;
  return permute(x, order);
}

export function t(x: Tensor): Tensor {
  if (x.ndim > 2)
    throw new Error(`t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

export function squeeze(x: Tensor, dims?: number | readonly number[]): Tensor {
  const axes = dims === undefined ? undefined : normalizeDims(dims, x.ndim, 'squeeze');
  const keep = x.shape.map((d, i) => !(d === 1 && (axes === undefined || axes.includes(i))));
  const strides = x.stride();
  const y = viewOf(
    'squeeze',
    x,
    x.shape.filter((_, i) => keep[i]),
    strides.filter((_, i) => keep[i]),
    x.storageOffset,
  );
  return record(y, 'Squeeze', [x], (g) => [g.reshape(x.shape)], []);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const axis = normalizeDim(dim, x.ndim + 1, 'unsqueeze');
  const shape = [...x.shape];
  const strides = [...x.stride()];
  shape.splice(axis, 0, 1);
  strides.splice(axis, 0, axis < x.ndim ? x.shape[axis]! * strides[axis]! : 1);
  const y = viewOf('unsqueeze', x, shape, strides, x.storageOffset);
  return record(y, 'Unsqueeze', [x], (g) => [g.squeeze(axis)], []);
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new Error(
      `expand: the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`,
    );
  }
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 ? (i < lead ? Number.NaN : x.shape[i - lead]!) : d));
  if (target.some((d) => Number.isNaN(d))) {
    throw new Error(
      `expand: -1 is not allowed in a leading, non-existing dimension (shape ${formatShape(shape)})`,
    );
  }
  checkShape(target, 'expand');
  const strides = broadcastStrides(x.shape, x.stride(), target);
  const y = viewOf('expand', x, target, strides, x.storageOffset);
  return record(y, 'Expand', [x], (g) => [sumToShape(g, x.shape)], []);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const start = normalizeDim(startDim, x.ndim, 'flatten');
  const end = normalizeDim(endDim, x.ndim, 'flatten');
  if (x.ndim === 0) return x.reshape([1]);
  if (start > end)
    throw new Error('flatten() has invalid args: start_dim cannot come after end_dim');
  const shape = [
    ...x.shape.slice(0, start),
    numelOf(x.shape.slice(start, end + 1)),
    ...x.shape.slice(end + 1),
  ];
  return x.reshape(shape);
}

export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const axis = normalizeDim(dim, x.ndim, 'unflatten');
  const inner = inferShape(sizes, x.shape[axis]!, 'unflatten');
  return x.reshape([...x.shape.slice(0, axis), ...inner, ...x.shape.slice(axis + 1)]);
}

/** Elements start, start + step, ... below end along `dim`, as a view (Python's x[start:end:step]). */
export function slice(x: Tensor, dim: number, start = 0, end = Infinity, step = 1): Tensor {
  const axis = normalizeDim(dim, x.ndim, 'slice');
  if (!Number.isInteger(step) || step <= 0)
    throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[axis]!;
  const clampIndex = (i: number) => Math.min(size, Math.max(0, i < 0 ? i + size : i));
  const from = clampIndex(start);
  const to = Math.max(from, clampIndex(end));
  const length = Math.ceil((to - from) / step);
  const strides = [...x.stride()];
  const shape = [...x.shape];
  shape[axis] = length;
  const offset = x.storageOffset + from * strides[axis]!;
  strides[axis] = strides[axis]! * step;
  const y = viewOf('slice', x, shape, strides, offset);
  return record(
    y,
    'Slice',
    [x],
    (g) => [embed(g, x.shape, (z) => slice(z, axis, from, to, step))],
    [],
  );
}

/** Refuses a 0-d tensor in ops that work along a dim, as PyTorch does. */
function needsDim(x: Tensor, op: string): void {
  if (x.ndim === 0) throw new Error(`${op}() cannot be applied to a 0-dim tensor.`);
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  needsDim(x, 'narrow');
  const axis = normalizeDim(dim, x.ndim, 'narrow');
  const size = x.shape[axis]!;
  const from = start < 0 ? start + size : start;
  if (from < 0 || length < 0 || from + length > size) {
    throw new RangeError(
      `narrow: start (${start}) + length (${length}) exceeds dimension size (${size})`,
    );
  }
  return slice(x, axis, from, from + length);
}

/** The sub-tensor at `index` along `dim`, with that dim removed (x[..., index, ...]). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  needsDim(x, 'select');
  const axis = normalizeDim(dim, x.ndim, 'select');
  const size = x.shape[axis]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(
      `select(): index ${index} out of range for tensor of size ${formatShape(x.shape)} at dimension ${axis}`,
    );
  }
  const i = index < 0 ? index + size : index;
  const strides = x.stride();
  const y = viewOf(
    'select',
    x,
    x.shape.filter((_, d) => d !== axis),
    strides.filter((_, d) => d !== axis),
    x.storageOffset + i * strides[axis]!,
  );
  return record(y, 'Select', [x], (g) => [embed(g, x.shape, (z) => select(z, axis, i))], []);
}

/**
 * A zero tensor of `shape` with `g` written into the region `region` selects: the
 * gradient of a view op. Differentiable itself (its gradient is the region of the input).
 */
export function embed(g: Tensor, shape: Shape, region: (z: Tensor) => Tensor): Tensor {
  const out = emptyTensor(shape, g.dtype, g.device);
  out.device.elementwise(E.const(0), [], viewDescriptor(out, 'embed'));
  const target = region(out);
  g.device.elementwise(E.input(0), [viewDescriptor(g, 'embed')], viewDescriptor(target, 'embed'));
  return record(out, 'Embed', [g], (gg) => [region(gg)], []);
}

/** Joins tensors along an existing dim: `cat([a, b], 1)` or `cat([a, b], { dim: 1 })`. */
export function cat(tensors: readonly Tensor[], dim: number | { dim: number } = 0): Tensor {
  checkTensorList('cat', tensors);
  if (tensors.length === 0) throw new Error('cat(): expected a non-empty list of tensors');
  return catAlong(tensors, dimArg('cat', dim));
}

function catAlong(tensors: readonly Tensor[], dim: number): Tensor {
  // PyTorch skips 1-d empty tensors in cat, for convenience when building lists.
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.numel() === 0));
  if (parts.length === 0) return tensors[0]!.clone();
  const first = parts[0]!;
  const scalar = parts.findIndex((t) => t.ndim === 0);
  if (scalar >= 0)
    throw new Error(
      `cat(): zero-dimensional tensor (at position ${tensors.indexOf(parts[scalar]!)}) cannot be concatenated`,
    );
  const axis = normalizeDim(dim, first.ndim, 'cat');
  const device = commonDevice('cat', parts);
  let dtype = first.dtype;
  let total = 0;
  for (const [i, t] of parts.entries()) {
    if (t.ndim !== first.ndim) {
      throw new Error(
        `cat(): tensors must have same number of dimensions: got ${first.ndim} and ${t.ndim}`,
      );
    }
    for (let d = 0; d < t.ndim; d++) {
      if (d !== axis && t.shape[d] !== first.shape[d]) {
        throw new Error(
          `cat(): sizes of tensors must match except in dimension ${axis}. Expected size ${first.shape[d]} but got size ${t.shape[d]} for tensor number ${i} in the list.`,
        );
      }
    }
    total += t.shape[axis]!;
    dtype = promoteTypes(dtype, t.dtype);
  }
  const shape = [...first.shape];
  shape[axis] = total;
  const out = emptyTensor(shape, dtype, device);
  let offset = 0;
  for (const t of parts) {
    const length = t.shape[axis]!;
    const target = slice(out, axis, offset, offset + length);
    device.elementwise(E.input(0), [viewDescriptor(t, 'cat')], viewDescriptor(target, 'cat'));
    offset += length;
  }
  return record(
    out,
    'Cat',
    parts,
    (g) => {
      let start = 0;
      return parts.map((t) => {
        const length = t.shape[axis]!;
        const piece = narrow(g, axis, start, length);
        start += length;
        // With mixed dtypes the output has the promoted one; each input's gradient has its own.
        return piece.dtype === t.dtype ? piece : piece.to(t.dtype);
      });
    },
    [],
  );
}

/** Joins tensors along a new dim: `stack([a, b], 1)` or `stack([a, b], { dim: 1 })`. */
export function stack(tensors: readonly Tensor[], dim: number | { dim: number } = 0): Tensor {
  checkTensorList('stack', tensors);
  if (tensors.length === 0) throw new Error('stack expects a non-empty TensorList');
  const stackDim = dimArg('stack', dim);
  const first = tensors[0]!;
  for (const [i, t] of tensors.entries()) {
    if (t.ndim !== first.ndim || t.shape.some((d, k) => d !== first.shape[k])) {
      throw new Error(
        `stack expects each tensor to be equal size, but got ${formatShape(first.shape)} at entry 0 and ${formatShape(t.shape)} at entry ${i}`,
      );
    }
  }
  const axis = normalizeDim(stackDim, first.ndim + 1, 'stack');
  return catAlong(
    tensors.map((t) => t.unsqueeze(axis)),
    axis,
  );
}

/** Splits into pieces of `sizeOrSections` (a size, or the list of sizes) along dim. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  needsDim(x, 'split');
  const axis = normalizeDim(dim, x.ndim, 'split');
  const size = x.shape[axis]!;
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) {
      throw new RangeError(`split: split_size must be a positive integer, got ${sizeOrSections}`);
    }
    sizes = [];
    for (let s = 0; s < size; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, size - s));
    if (sizes.length === 0) sizes = [0];
  } else {
    sizes = [...sizeOrSections];
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== size) {
      throw new Error(
        `split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${axis}), but got split_sizes=${formatShape(sizes)}`,
      );
    }
  }
  let start = 0;
  return sizes.map((length) => {
    const piece = narrow(x, axis, start, length);
    start += length;
    return piece;
  });
}

/** {@inheritDoc Tensor.chunk} */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw new RangeError(`chunk expects chunks to be greater than 0, got: ${chunks}`);
  needsDim(x, 'chunk');
  const axis = normalizeDim(dim, x.ndim, 'chunk');
  const size = x.shape[axis]!;
  // PyTorch gives `chunks` empty pieces of an empty dim (and at most `chunks` pieces otherwise).
  if (size === 0) return Array.from({ length: chunks }, () => narrow(x, axis, 0, 0));
  return split(x, Math.ceil(size / chunks), axis);
}

export function unbind(x: Tensor, dim = 0): Tensor[] {
  needsDim(x, 'unbind');
  const axis = normalizeDim(dim, x.ndim, 'unbind');
  return Array.from({ length: x.shape[axis]! }, (_, i) => select(x, axis, i));
}

export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const axes = normalizeDims(dims, x.ndim, 'flip');
  // A view with negative strides, copied so the result owns its storage, as in PyTorch.
  const strides = [...x.stride()];
  let offset = x.storageOffset;
  for (const d of axes) {
    if (x.shape[d]! > 0) offset += (x.shape[d]! - 1) * strides[d]!;
    strides[d] = -strides[d]!;
  }
  const reversed = viewOf('flip', x, x.shape, strides, offset);
  const y = emptyTensor(x.shape, x.dtype, x.device);
  x.device.elementwise(E.input(0), [viewDescriptor(reversed, 'flip')], viewDescriptor(y, 'flip'));
  return record(y, 'Flip', [x], (g) => [g.flip(axes)], []);
}

export function roll(
  x: Tensor,
  shifts: number | readonly number[],
  dims?: number | readonly number[],
): Tensor {
  if (dims === undefined || (typeof dims !== 'number' && dims.length === 0)) {
    // Without dims, roll the flattened tensor by one shift.
    const shiftList = typeof shifts === 'number' ? [shifts] : shifts;
    if (shiftList.length !== 1)
      throw new Error(
        `roll: shifts and dimensions must align. shifts: ${shiftList.length}, dims: 0`,
      );
    return roll(x.flatten(), shiftList[0]!, 0).reshape(x.shape);
  }
  const shiftList = typeof shifts === 'number' ? [shifts] : [...shifts];
  const dimList = typeof dims === 'number' ? [dims] : [...dims];
  if (shiftList.length !== dimList.length) {
    throw new Error(
      `roll: shifts and dimensions must align. shifts: ${shiftList.length}, dims: ${dimList.length}`,
    );
  }
  let y = x;
  for (const [i, d] of dimList.entries()) {
    const axis = normalizeDim(d, x.ndim, 'roll');
    const size = x.shape[axis]!;
    if (size === 0) continue;
    const s = ((shiftList[i]! % size) + size) % size;
    if (s === 0) continue;
    y = cat([narrow(y, axis, size - s, s), narrow(y, axis, 0, size - s)], axis);
  }
  return y;
}

export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  if (repeats.length < x.ndim) {
    throw new Error(
      `repeat: number of repeat dims (${repeats.length}) can not be smaller than number of dimensions of tensor (${x.ndim})`,
    );
  }
  const lead = repeats.length - x.ndim;
  const padded = [...new Array<number>(lead).fill(1), ...x.shape];
  // Interleave a new axis of size r before each dim, expand it, then merge: [r0, d0, r1, d1, ...].
  const interleaved: number[] = [];
  const expanded: number[] = [];
  for (const [i, d] of padded.entries()) {
    interleaved.push(1, d);
    expanded.push(repeats[i]!, d);
  }
  return x
    .reshape(interleaved)
    .expand(expanded)
    .reshape(padded.map((d, i) => d * repeats[i]!));
}

export function movedim(
  x: Tensor,
  source: number | readonly number[],
  destination: number | readonly number[],
): Tensor {
  const sources = (typeof source === 'number' ? [source] : [...source]).map((d) =>
    normalizeDim(d, x.ndim, 'movedim'),
  );
  const destinations = (typeof destination === 'number' ? [destination] : [...destination]).map(
    (d) => normalizeDim(d, x.ndim, 'movedim'),
  );
  if (sources.length !== destinations.length) {
    throw new Error(
      `movedim: Invalid source or destination dims: source (${sources.length} dims) should contain the same number of dims as destination (${destinations.length} dims)`,
    );
  }
  if (new Set(sources).size !== sources.length)
    throw new Error(`movedim: repeated dim in source [${sources.join(', ')}]`);
  if (new Set(destinations).size !== destinations.length)
    throw new Error(`movedim: repeated dim in destination [${destinations.join(', ')}]`);
  if (x.ndim === 0) return x;
  // Place each moved dim at its destination, then fill the other slots in order.
  const order = new Array<number>(x.ndim).fill(-1);
  for (const [i, d] of destinations.entries()) order[d] = sources[i]!;
  const rest = Array.from({ length: x.ndim }, (_, i) => i).filter((d) => !sources.includes(d));
  for (let i = 0, k = 0; i < order.length; i++) if (order[i] === -1) order[i] = rest[k++]!;
  return permute(x, order);
}
