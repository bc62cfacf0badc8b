// Binding tensors larger than the device's largest storage binding (128 MiB on lavapipe).
// A kernel binds each buffer whole when it fits; otherwise only the byte range its views
// touch, with their offsets made relative to that range. When even that range is too large,
// the work is split in halves along a dimension the kernel names, and each half runs as its
// own dispatch over smaller views: the same kernel, the same results.

import type { View } from '@dl/tensor';
import type { BufferRange } from './device.js';

/** The lowest and highest element offsets a view reads or writes. */
export function extentOf(view: View): { lo: number; hi: number } {
  let lo = view.offset;
  let hi = view.offset;
  for (let d = 0; d < view.shape.length; d++) {
    const reach = (view.shape[d]! - 1) * view.strides[d]!;
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  return { lo, hi };
}

/** The part of `view` whose index along `dim` lies in [start, end). */
export function narrowView(view: View, dim: number, start: number, end: number): View {
  const shape = [...view.shape];
  shape[dim] = end - start;
  return { ...view, shape, offset: view.offset + start * view.strides[dim]! };
}

/**
 * Which dim of each view to split for one kernel call (null: the view is read whole, like a
 * weight), or undefined when the call cannot be split further. The split dims of all views
 * have the same size: they are the same index of the work.
 */
export type Splitter = (views: readonly View[]) => readonly (number | null)[] | undefined;

/** For kernels whose views all share the work's shape (elementwise): the first dim of size > 1. */
export const splitSharedShape: Splitter = (views) => {
  const dim = views[0]!.shape.findIndex((d) => d > 1);
  return dim < 0 ? undefined : views.map(() => dim);
};

/** Splits `views` in two along the dims `splitter` names, or undefined when it cannot. */
export function halve(views: readonly View[], splitter: Splitter): [View[], View[]] | undefined {
  const dims = splitter(views);
  if (!dims) return undefined;
  const index = dims.findIndex((d) => d !== null);
  if (index < 0) return undefined;
  const size = views[index]!.shape[dims[index]!]!;
  if (size < 2) return undefined;
  const half = Math.ceil(size / 2);
  const part = (start: number, end: number) =>
    views.map((v, i) => (dims[i] === null ? v : narrowView(v, dims[i]!, start, end)));
  return [part(0, half), part(half, size)];
}

/**
 * The binding for each distinct buffer among `views` and the views with offsets relative to
 * it, or undefined when some buffer's touched range exceeds `limit` bytes. Views of one buffer
 * share one binding, so a kernel may read an output it also writes.
 */
export function bindRanges(
  views: readonly View[],
  bufferOf: (view: View) => GPUBuffer,
  limit: number,
  alignment: number,
): { views: readonly View[]; bindings: Map<GPUBuffer, GPUBuffer | BufferRange> } | undefined {
  const bindings = new Map<GPUBuffer, GPUBuffer | BufferRange>();
  // The usual case, once per dispatch: every buffer fits and binds whole, views unchanged.
  for (const view of views) {
    const buffer = bufferOf(view);
    if (buffer.size > limit) return bindLarge(views, bufferOf, limit, alignment);
    bindings.set(buffer, buffer);
  }
  return { views, bindings };
}

function bindLarge(
  views: readonly View[],
  bufferOf: (view: View) => GPUBuffer,
  limit: number,
  alignment: number,
): { views: readonly View[]; bindings: Map<GPUBuffer, GPUBuffer | BufferRange> } | undefined {
  const ranges = new Map<GPUBuffer, { lo: number; hi: number }>();
  for (const view of views) {
    if (view.shape.some((d) => d === 0)) continue;
    const buffer = bufferOf(view);
    const { lo, hi } = extentOf(view);
    const seen = ranges.get(buffer);
    ranges.set(
      buffer,
      seen ? { lo: Math.min(lo, seen.lo), hi: Math.max(hi, seen.hi) } : { lo, hi },
    );
  }
  const bindings = new Map<GPUBuffer, GPUBuffer | BufferRange>();
  const starts = new Map<GPUBuffer, number>();
  for (const view of views) {
    const buffer = bufferOf(view);
    if (bindings.has(buffer)) continue;
    const range = ranges.get(buffer);
    if (buffer.size <= limit) {
      bindings.set(buffer, buffer);
      starts.set(buffer, 0);
      continue;
    }
    if (!range) {
      // Only empty views of this buffer: any small range will do.
      bindings.set(buffer, { buffer, offset: 0, size: 4 });
      starts.set(buffer, 0);
      continue;
    }
    const offset = Math.floor((range.lo * 4) / alignment) * alignment;
    const size = (range.hi + 1) * 4 - offset;
    if (size > limit) return undefined;
    bindings.set(buffer, { buffer, offset, size });
    starts.set(buffer, offset / 4);
  }
  return {
    views: views.map((v) => ({ ...v, offset: v.offset - starts.get(bufferOf(v))! })),
    bindings,
  };
}
