// The elementwise kernel: one WGSL shader per (expression, dtypes), generated from the op's
// expression. Shapes, strides, offsets and scalar parameters travel in a small metadata
// buffer, so one pipeline serves every shape; strided and broadcast inputs are read in
// place (stride 0 for broadcast dims), and the output may itself be a strided view.

import {
  type DType,
  type Expr,
  exprKey,
  type NumberKind,
  type TypedExprs,
  type View,
} from '@dl/tensor';
import { checkedMeta } from './meta.js';
import {
  flatIndexWgsl,
  grid,
  helpersWgsl,
  kindOfStorage,
  loadAs,
  renderStored,
  storageType,
  valueType,
  workgroupSize,
} from './wgsl.js';

/**
 * Metadata layout: [count, rank, shape[r], (strides[r], offset) per output, (strides[r],
 * offset) per input, params]: an int param as an int32 (wrapped past int32's range, as
 * PyTorch wraps an integer scalar), a float param as its f32 bits.
 */
export function elementwiseMeta(
  outs: readonly Pick<View, 'offset'>[],
  inputs: readonly Pick<View, 'offset'>[],
  params: readonly number[],
  paramKinds: readonly NumberKind[],
  collapsed: { shape: number[]; strides: number[][] },
): Int32Array {
  const rank = collapsed.shape.length;
  const count = collapsed.shape.reduce((a, b) => a * b, 1);
  const views = [...outs, ...inputs];
  const layout: number[] = [count, rank, ...collapsed.shape];
  for (const [i, view] of views.entries()) layout.push(...collapsed.strides[i]!, view.offset);
  const meta = checkedMeta(layout, params.length);
  const bits = new Float32Array(meta.buffer, layout.length * 4, params.length);
  for (const [i, p] of params.entries()) {
    if (paramKinds[i] === 'int') meta[layout.length + i] = p;
    else bits[i] = p;
  }
  return meta;
}

/**
 * What the kernel computes: one expression per output, the dtypes involved, and for each
 * input the output whose binding it reads (an input that views an output's storage cannot
 * be bound a second time, read-only, in the same dispatch), or -1 for its own binding.
 */
export interface ElementwiseSpec {
  readonly exprs: readonly Expr[];
  /** The expressions' exprKey, joined by ';' (computed once per call). */
  readonly exprText: string;
  readonly outs: readonly DType[];
  readonly inputs: readonly DType[];
  readonly aliases: readonly number[];
  readonly params: number;
  /**
   * The rank of the collapsed shape when it is small enough to unroll (1 to 6): the index
   * arithmetic is then written out, with no loop and, for rank 1, no division (integer
   * division is slow on CPU-backed WebGPU); 0 for a loop over any rank.
   */
  readonly rank: number;
  /**
   * Each invocation walks runs of up to `rowChunk` elements along the innermost dim, so the
   * other coordinates are divided out once per run, not once per element (rank 1 to 6;
   * see ElementwiseOrder). Otherwise neighbouring invocations take neighbouring elements.
   */
  readonly rows: boolean;
  /**
   * Every view is contiguous (rank 1 after collapsing), its offset and the count multiples
   * of 4: elements are read and written four at a time, which halves the time of a large
   * elementwise kernel on lavapipe. Inputs marked here are broadcast scalars (stride 0),
   * read one at a time. Undefined: not so.
   */
  readonly vec4?: readonly boolean[];
}

/** Vectors of four one 'rows' invocation walks in the vec4 kernel. */
export const vec4Chunk = 16;

/** Elementwise kernels over at least this many elements may take four at a time. */
export const vec4MinCount = 4096;

/**
 * Whether the kernel over views [...outs, ...inputs] with these collapsed strides can take
 * four elements at a time: per input, true when it is a broadcast scalar; undefined when
 * the kernel cannot.
 */
export function vec4Inputs(
  views: readonly View[],
  outs: number,
  collapsed: { shape: readonly number[]; strides: readonly (readonly number[])[] },
): boolean[] | undefined {
  const count = collapsed.shape[0]!;
  if (collapsed.shape.length !== 1 || count % 4 !== 0 || count < vec4MinCount) return undefined;
  const scalars: boolean[] = [];
  for (const [v, view] of views.entries()) {
    const stride = collapsed.strides[v]![0]!;
    if (v >= outs && stride === 0) scalars.push(true);
    else if (stride !== 1 || view.offset % 4 !== 0) return undefined;
    else if (v >= outs) scalars.push(false);
  }
  return scalars;
}

/**
 * How elementwise kernels walk their elements: 'rows' (each invocation a
 * run of the innermost dim: far fewer integer divisions, which CPU-backed WebGPU runs one
 * lane at a time) or 'interleaved' (neighbouring invocations on neighbouring elements, so a
 * GPU coalesces their loads).
 */
export type ElementwiseOrder = 'rows' | 'interleaved';

/** Elements of the innermost dim one invocation walks in 'rows' order. */
export const rowChunk = 64;

/** The work items of a 'rows' kernel over `shape` (collapsed): runs of the innermost dim. */
export function rowItems(shape: readonly number[]): number {
  const inner = shape[shape.length - 1]!;
  const outer = shape.reduce((a, b) => a * b, 1) / inner;
  return outer * Math.ceil(inner / rowChunk);
}

/**
 * Workgroups an elementwise kernel is dispatched with at most; each invocation loops over
 * the elements a stride apart. On CPU-backed WebGPU every workgroup costs a task, so fewer,
 * longer ones run faster; on a GPU this many still fill the device.
 */
export const elementwiseMaxWorkgroups = 256;

/** The dispatch grid for `count` elements. */
export function elementwiseGrid(count: number, maxPerDimension: number): [number, number] {
  return grid(Math.min(count, elementwiseMaxWorkgroups * workgroupSize), maxPerDimension);
}

/** Ranks up to this get index arithmetic unrolled in the shader. */
export const unrolledRank = 6;

export function elementwiseKey(spec: ElementwiseSpec): string {
  const vec4 = spec.vec4 ? `v4${spec.vec4.map((scalar) => (scalar ? 's' : 'v')).join('')}` : '';
  return `ew|r${spec.rank}${spec.rows ? 'rows' : ''}${vec4}|${spec.outs.join(',')}|${spec.inputs.join(',')}|${spec.aliases.join(',')}|${spec.params}|${spec.exprText}`;
}

/** The text of `exprs` for kernel keys. */
export function exprsText(exprs: readonly Expr[]): string {
  return exprs.map(exprKey).join(';');
}

/** `let p0 = ...;` for each param: an int32 as it is, a float from its bits. */
function paramLets(kinds: readonly NumberKind[], at: (k: number) => string): string {
  return kinds
    .map((kind, k) =>
      kind === 'int' ? `let p${k} = info[${at(k)}];` : `let p${k} = bitcast<f32>(info[${at(k)}]);`,
    )
    .join('\n  ');
}

/** The kernel's WGSL, from its expressions typed for its dtypes (see @dl/tensor's typeExprs). */
export function elementwiseShader(spec: ElementwiseSpec, typed: TypedExprs): string {
  if (spec.vec4) return vec4Shader(spec, typed, spec.vec4);
  const { outs, inputs, aliases } = spec;
  const m = outs.length;
  const outIds = Array.from({ length: m }, (_, k) => k);
  const inIds = Array.from({ length: inputs.length }, (_, k) => k);
  const bound = inIds.filter((k) => aliases[k]! < 0);
  // Where view v's (strides, offset) start in the metadata, as a WGSL expression.
  const at = (v: number) => `${2 + v} + rank + ${v} * rank`;
  const source = (k: number) => (aliases[k]! >= 0 ? `out${aliases[k]}` : `in${k}`);
  // Each output's expression, after the statements its deep parts were cut into.
  const rendered = outIds.map((k) => {
    const lines: string[] = [];
    const value = renderStored(typed.exprs[k]!, outs[k]!, lines, `e${k}_`);
    return { lines, value };
  });
  const values =
    m === 1
      ? `${rendered[0]!.lines.join('\n  ')}
  out0[o0] = ${rendered[0]!.value};`
      : `${rendered.map(({ lines, value }, k) => [...lines, `let v${k} = ${value};`].join('\n  ')).join('\n  ')}
  ${outIds.map((k) => `out${k}[o${k}] = v${k};`).join('\n  ')}`;
  const views = [...outIds, ...inIds.map((k) => m + k)];
  const name = (v: number) => (v < m ? `o${v}` : `q${v - m}`);
  let positions: string;
  if (spec.rank === 0) {
    positions = `var rem = i32(i);
  ${views.map((v) => `var ${name(v)} = info[${at(v)} + rank];`).join('\n  ')}
  for (var d = rank - 1; d >= 0; d--) {
    let size = info[2 + d];
    let c = rem % size;
    rem = rem / size;
    ${views.map((v) => `${name(v)} += c * info[${at(v)} + d];`).join('\n    ')}
  }`;
  } else if (spec.rows) {
    // Item i is run `chunk` of the row at coordinates c0..c(r-2); c0 needs no modulo.
    const r = spec.rank;
    const coords: string[] = ['var rem = i32(i);', 'let chunk = rem % runs;', 'rem = rem / runs;'];
    for (let d = r - 2; d >= 1; d--) {
      coords.push(`let c${d} = rem % info[${2 + d}];`, `rem = rem / info[${2 + d}];`);
    }
    if (r >= 2) coords.push('let c0 = rem;');
    const base = (v: number) => 2 + r + v * (r + 1);
    positions = `${coords.join('\n  ')}
  ${views
    .map((v) => {
      const terms = Array.from({ length: r - 1 }, (_, d) => `c${d} * info[${base(v) + d}]`);
      return `let ${name(v)}Row = ${[`info[${base(v) + r}]`, ...terms].join(' + ')};
  let ${name(v)}Step = info[${base(v) + r - 1}];`;
    })
    .join('\n  ')}
  let first = chunk * ${rowChunk};
  let last = min(first + ${rowChunk}, inner);
  for (var e = first; e < last; e++) {
  ${views.map((v) => `let ${name(v)} = ${name(v)}Row + e * ${name(v)}Step;`).join('\n  ')}`;
  } else {
    // Coordinates c0..c(r-1) of element i, innermost last; c0 needs no modulo.
    const r = spec.rank;
    const coords: string[] = [`var rem = i32(i);`];
    for (let d = r - 1; d >= 1; d--) {
      coords.push(`let c${d} = rem % info[${2 + d}];`, `rem = rem / info[${2 + d}];`);
    }
    coords.push('let c0 = rem;');
    const base = (v: number) => 2 + r + v * (r + 1);
    positions = `${coords.join('\n  ')}
  ${views
    .map((v) => {
      const terms = Array.from({ length: r }, (_, d) => `c${d} * info[${base(v) + d}]`);
      return `let ${name(v)} = info[${base(v) + r}] + ${terms.join(' + ')};`;
    })
    .join('\n  ')}`;
  }
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
${outIds.map((k) => `@group(0) @binding(${k + 1}) var<storage, read_write> out${k}: array<${storageType(outs[k]!)}>;`).join('\n')}
${bound.map((k, b) => `@group(0) @binding(${m + 1 + b}) var<storage, read> in${k}: array<${storageType(inputs[k]!)}>;`).join('\n')}

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let count = u32(info[0]);
  let rank = info[1];
  ${paramLets(typed.params, (k) => `${at(m + inputs.length)} + ${k}`)}
  ${
    spec.rows
      ? `let inner = info[${2 + spec.rank - 1}];
  let runs = (inner + ${rowChunk - 1}) / ${rowChunk};
  let items = u32(i32(count / u32(inner)) * runs);`
      : 'let items = count;'
  }
  // A grid-stride loop: a bounded number of workgroups (see elementwiseGrid) covers any size.
  let threads = nwg.x * nwg.y * ${workgroupSize}u;
  for (var i = ${flatIndexWgsl}; i < items; i += threads) {
  ${positions}
  ${inIds.map((k) => `let a${k} = ${loadAs(inputs[k]!, `${source(k)}[q${k}]`)};`).join('\n  ')}
  ${values}
  }${spec.rows ? '\n  }' : ''}
}
`;
}

/**
 * The four-at-a-time kernel (see ElementwiseSpec.vec4): each output's expression is a
 * function of the inputs' values and the params, applied to the four lanes of a vector.
 * Metadata as elementwiseMeta's for rank 1: [count, 1, count, (1, offset) per view, params].
 */
function vec4Shader(spec: ElementwiseSpec, typed: TypedExprs, scalars: readonly boolean[]): string {
  const { outs, inputs, aliases, params } = spec;
  const m = outs.length;
  const outIds = Array.from({ length: m }, (_, k) => k);
  const inIds = Array.from({ length: inputs.length }, (_, k) => k);
  const bound = inIds.filter((k) => aliases[k]! < 0);
  const offset = (v: number) => `info[${4 + 2 * v}]`;
  const source = (k: number) => (aliases[k]! >= 0 ? `out${aliases[k]}` : `in${k}`);
  const args = [
    ...inIds.map((k) => `a${k}: ${valueType(kindOfStorage(inputs[k]!))}`),
    ...typed.params.map((kind, k) => `p${k}: ${valueType(kind)}`),
  ].join(', ');
  const values = outIds.map((k) => {
    const lines: string[] = [];
    const value = renderStored(typed.exprs[k]!, outs[k]!, lines, 'e');
    return `fn value${k}(${args}) -> ${storageType(outs[k]!)} {
  ${[...lines, `return ${value};`].join('\n  ')}
}`;
  });
  const lanes = ['x', 'y', 'z', 'w'];
  const call = (k: number, lane: string) =>
    `value${k}(${[
      ...inIds.map((i) => (scalars[i] ? `s${i}` : loadAs(inputs[i]!, `v${i}.${lane}`))),
      ...Array.from({ length: params }, (_, p) => `p${p}`),
    ].join(', ')})`;
  const body = [
    ...inIds.map((k) => (scalars[k] ? '' : `let v${k} = ${source(k)}[q${k} + j];`)),
    ...outIds.map(
      (k) =>
        `let r${k} = vec4<${storageType(outs[k]!)}>(${lanes.map((lane) => call(k, lane)).join(', ')});`,
    ),
    ...outIds.map((k) => `out${k}[o${k} + j] = r${k};`),
  ].filter((line) => line !== '');
  const vector = (dtype: DType) => `vec4<${storageType(dtype)}>`;
  // 'rows': invocation t takes vectors [t * chunk, (t + 1) * chunk), walking memory in order;
  // otherwise neighbouring invocations take neighbouring vectors.
  const loop = spec.rows
    ? `for (var t = ${flatIndexWgsl}; t < (vectors + ${vec4Chunk - 1}u) / ${vec4Chunk}u; t += threads) {
    for (var j = t * ${vec4Chunk}u; j < min(vectors, (t + 1u) * ${vec4Chunk}u); j++) {`
    : `for (var j = ${flatIndexWgsl}; j < vectors; j += threads) {
    {`;
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
${outIds.map((k) => `@group(0) @binding(${k + 1}) var<storage, read_write> out${k}: array<${vector(outs[k]!)}>;`).join('\n')}
${bound.map((k, b) => `@group(0) @binding(${m + 1 + b}) var<storage, read> in${k}: array<${scalars[k] ? storageType(inputs[k]!) : vector(inputs[k]!)}>;`).join('\n')}

${values.join('\n')}

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let vectors = u32(info[0]) / 4u;
  ${paramLets(typed.params, (k) => `${3 + 2 * (m + inputs.length)} + ${k}`)}
  ${inIds
    .filter((k) => scalars[k])
    .map((k) => `let s${k} = ${loadAs(inputs[k]!, `${source(k)}[${offset(m + k)}]`)};`)
    .join('\n  ')}
  // Offsets read once: the compiler cannot tell that the writes below leave them alone.
  ${outIds.map((k) => `let o${k} = u32(${offset(k)} / 4);`).join('\n  ')}
  ${inIds
    .filter((k) => !scalars[k])
    .map((k) => `let q${k} = u32(${offset(m + k)} / 4);`)
    .join('\n  ')}
  let threads = nwg.x * nwg.y * ${workgroupSize}u;
  ${loop}
      ${body.join('\n      ')}
    }
  }
}
`;
}
