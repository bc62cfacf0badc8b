// Elementwise fusion. On backends that allow it, an elementwise op's result is not computed
// at once: its storage stays pending, holding the expression and the views it reads. A later
// elementwise op whose input is such a result folds that expression into its own, so a chain
// x.mul(a).add(b).relu() becomes one kernel. Whatever needs the values (another kind of op, a
// read, a view's kernel, an in-place write to a source) computes them on first use.

import type { Backend, Storage } from '../backend.js';
import type { DType } from '../dtype.js';
import { E, type Expr } from '../expr.js';
import {
  broadcastStrides,
  contiguousStrides,
  isContiguousLayout,
  numelOf,
  type Shape,
  sameShape,
} from '../shape.js';
import { type Pending, StorageRef } from '../storage.js';
import { Tensor } from '../tensor.js';

/** One view a fused kernel reads, already broadcast to the kernel's shape. */
interface FusedInput {
  readonly ref: StorageRef;
  readonly dtype: DType;
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * A fused kernel's scalar params as a list appended to without copying: a result that folds
 * a pending input whose params come first (each op of a chain) shares that input's list and
 * adds its own after it, so a chain costs O(1) per op, not a copy of all params so far.
 */
class ParamList {
  readonly length: number;
  constructor(
    readonly before: ParamList | undefined,
    readonly own: readonly number[],
  ) {
    this.length = (before?.length ?? 0) + own.length;
  }

  values(): number[] {
    const out = new Array<number>(this.length);
    let end = this.length;
    for (let list: ParamList | undefined = this; list; list = list.before) {
      end -= list.own.length;
      for (let i = 0; i < list.own.length; i++) out[end + i] = list.own[i]!;
    }
    return out;
  }
}

/** A pending elementwise result: what it computes, over which inputs, in which shape. */
class PendingElementwise implements Pending {
  sources: readonly StorageRef[];
  constructor(
    readonly device: Backend,
    readonly expr: Expr,
    public inputs: readonly FusedInput[],
    readonly params: ParamList,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly nodes: number,
  ) {
    this.sources = [...new Set(inputs.map((input) => input.ref))];
  }

  replaceSource(source: StorageRef, replacement: StorageRef): void {
    this.inputs = this.inputs.map((input) =>
      input.ref === source ? { ...input, ref: replacement } : input,
    );
    this.sources = this.sources.map((ref) => (ref === source ? replacement : ref));
  }

  compute(storage: Storage): void {
    const views = this.inputs.map((input) => ({
      storage: input.ref.storage,
      dtype: input.dtype,
      shape: this.shape,
      strides: input.strides,
      offset: input.offset,
    }));
    const out = {
      storage,
      dtype: this.dtype,
      shape: this.shape,
      strides: contiguousStrides(this.shape),
      offset: 0,
    };
    this.device.elementwise(this.expr, views, out, this.params.values());
  }
}

/** Expression nodes one fused kernel holds at most: longer chains run as several kernels. */
const maxNodes = 512;
/**
 * Scalar params one fused kernel takes at most: they travel in the kernel's metadata, which
 * backends bound in size (WebGPU: 256 words, with shapes and strides).
 */
const maxParams = 160;
/** Distinct input views one fused kernel reads at most (storage bindings are limited). */
const maxInputs = 6;

function countNodes(expr: Expr): number {
  switch (expr.kind) {
    case 'input':
    case 'param':
    case 'const':
      return 1;
    case 'unary':
    case 'cast':
      return 1 + countNodes(expr.x);
    case 'binary':
      return 1 + countNodes(expr.a) + countNodes(expr.b);
    case 'select':
      return 1 + countNodes(expr.cond) + countNodes(expr.a) + countNodes(expr.b);
  }
}

/** `expr` with input i replaced by inputs(i) and param k by E.param(k + paramOffset). */
function substitute(expr: Expr, inputs: (index: number) => Expr, paramOffset: number): Expr {
  const walk = (e: Expr): Expr => {
    switch (e.kind) {
      case 'input':
        return inputs(e.index);
      case 'param':
        return paramOffset === 0 ? e : E.param(e.index + paramOffset);
      case 'const':
        return e;
      case 'unary':
        return { ...e, x: walk(e.x) };
      case 'cast':
        return { ...e, x: walk(e.x) };
      case 'binary':
        return { ...e, a: walk(e.a), b: walk(e.b) };
      case 'select':
        return { ...e, cond: walk(e.cond), a: walk(e.a), b: walk(e.b) };
    }
  };
  return walk(expr);
}

/** The pending expression `t` can be folded from: t must be all of it, as computed. */
function foldable(t: Tensor): PendingElementwise | undefined {
  const pending = t.storageRef.pending;
  if (!(pending instanceof PendingElementwise)) return undefined;
  if (t.storageOffset !== 0 || !sameShape(t.shape, pending.shape)) return undefined;
  if (!isContiguousLayout(t.shape, t.stride())) return undefined;
  return pending;
}

/**
 * A tensor of `shape` and `dtype` whose values are `expr` over `inputs` (E.input(i) reads
 * inputs[i] broadcast to `shape`), computed when first needed and folding pending inputs'
 * expressions into its own.
 */
export function lazyElementwise(
  device: Backend,
  inputs: readonly Tensor[],
  expr: Expr,
  params: readonly number[],
  shape: Shape,
  dtype: DType,
): Tensor {
  const fused: FusedInput[] = [];
  // Folded expressions' params come first, so the first one folded keeps its numbering and,
  // with its inputs first too, is reused as it is, params included: a chain costs O(1) per
  // op, not a copy. Params of later folds and the op's own follow in `extra`.
  let shared: ParamList | undefined;
  const extra: number[] = [];
  const paramCount = () => (shared?.length ?? 0) + extra.length;
  let nodes = countNodes(expr);
  const find = (input: FusedInput): number => {
    for (let k = 0; k < fused.length; k++) {
      const f = fused[k]!;
      if (f.ref !== input.ref || f.dtype !== input.dtype || f.offset !== input.offset) continue;
      let same = true;
      for (let d = 0; d < f.strides.length && same; d++) same = f.strides[d] === input.strides[d];
      if (same) return k;
    }
    return -1;
  };
  const inputIndex = (input: FusedInput): number => {
    const found = find(input);
    if (found >= 0) return found;
    fused.push(input);
    return fused.length - 1;
  };
  const replacements = inputs.map((t): Expr => {
    const pending = foldable(t);
    if (
      pending &&
      nodes + pending.nodes <= maxNodes &&
      paramCount() + pending.params.length + params.length <= maxParams
    ) {
      const mapped = sameShape(pending.shape, shape)
        ? pending.inputs
        : pending.inputs.map((input) => ({
            ...input,
            strides: broadcastStrides(pending.shape, input.strides, shape),
          }));
      const novel = mapped.filter((m) => find(m) < 0).length;
      if (fused.length + novel <= maxInputs) {
        const indices = mapped.map(inputIndex);
        const paramOffset = paramCount();
        // First params in: share the list (replacing an empty one, if any), else copy.
        if (paramOffset === 0) shared = pending.params;
        else extra.push(...pending.params.values());
        nodes += pending.nodes;
        const identity = paramOffset === 0 && indices.every((index, i) => index === i);
        const body = identity
          ? pending.expr
          : substitute(pending.expr, (i) => E.input(indices[i]!), paramOffset);
        // Unfused, the result would be stored in its dtype and read back as such: the cast
        // does that (int32 truncation, bool 0/1, float32 rounding) and, for every dtype, fixes
        // the kind the folded expression computes in (see expr-types.ts), so a param it holds
        // is typed as it was in its own kernel.
        return E.cast(pending.dtype, body);
      }
    }
    const strides = sameShape(t.shape, shape)
      ? t.stride()
      : broadcastStrides(t.shape, t.stride(), shape);
    return E.input(
      inputIndex({ ref: t.storageRef, dtype: t.dtype, strides, offset: t.storageOffset }),
    );
  });
  const ownParams = paramCount();
  extra.push(...params);
  const body = substitute(expr, (i) => replacements[i]!, ownParams);
  const list = shared && extra.length === 0 ? shared : new ParamList(shared, extra);
  const pending = new PendingElementwise(device, body, fused, list, shape, dtype, nodes);
  const ref = new StorageRef(device, dtype, numelOf(shape), pending);
  return new Tensor(ref, shape, contiguousStrides(shape), 0, dtype);
}
