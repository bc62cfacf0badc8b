// What one compute dispatch is made of: the WGSL, the buffers it binds, its grid and the
// small metadata it reads. The device records programs; the backend builds them.

/** One compute dispatch: a WGSL module, the buffers it binds and the grid it runs on. */
export interface ComputeProgram {
  /** Names the work in error messages, e.g. `add [64, 128]`. */
  label: string;
  /** WGSL source. */
  code: string;
  /** Identifies `code` for the pipeline cache (the source itself when omitted). */
  key?: string;
  /** Entry point name; `main` when omitted. */
  entryPoint?: string;
  /**
   * Buffers bound, in order, to `@group(0) @binding(0..n-1)`; with `meta`, to bindings
   * 1..n instead, the first `writable` read_write and the rest read-only.
   */
  bindings: readonly (GPUBuffer | BufferRange)[];
  /** With `meta`: how many leading bindings are read_write (default 1). */
  writable?: number;
  /** Workgroup counts along x, y and z. */
  workgroups: readonly [number, number?, number?];
  /**
   * Small per-dispatch parameters (shapes, strides, scalars), bound at binding 0 as
   * `var<storage, read> info: array<i32>`. They are staged in one buffer per batch, each
   * dispatch's at its own place, so dispatches that differ only in them share a pipeline.
   */
  meta?: Int32Array;
}

/** A byte range of a buffer, bound in place of the whole buffer (for buffers past the binding limit). */
export interface BufferRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}
