// Bind groups cached by pipeline and bound buffers. Creating one costs more than the
// dispatch itself in Dawn, and a training loop binds the same pooled buffers step after step.

import type { BufferRange, ComputeProgram } from './program.js';

/** Bind groups kept at most (the cache starts over past this). */
const maxBindGroups = 4096;

export const rangeOf = (
  binding: GPUBuffer | BufferRange,
): { buffer: GPUBuffer; offset?: number; size?: number } =>
  'buffer' in binding ? binding : { buffer: binding };

export class BindGroupCache {
  readonly #groups = new Map<string, GPUBindGroup>();
  readonly #bufferIds = new WeakMap<GPUBuffer, number>();
  #nextId = 0;

  constructor(
    private readonly gpu: GPUDevice,
    /** The metadata buffer bound at binding 0 of programs with `meta`, and its bound size. */
    private readonly meta: () => GPUBuffer,
    private readonly metaBindingBytes: number,
  ) {}

  /**
   * The bind group of `program`'s buffers for the pipeline `pipelineId` (of `layout`), with
   * its metadata at `metaOffset` of the metadata buffer. The offset is part of the group
   * rather than a dynamic offset: lavapipe spends several times longer on a dispatch with
   * dynamic offsets, and a training loop records the same dispatches in the same order step
   * after step, so the groups are found again.
   */
  get(
    pipelineId: number,
    layout: GPUBindGroupLayout,
    program: ComputeProgram,
    metaOffset: number | undefined,
  ): GPUBindGroup {
    let key = metaOffset === undefined ? String(pipelineId) : `${pipelineId}@${metaOffset}`;
    for (const binding of program.bindings) {
      const { buffer, offset, size } = rangeOf(binding);
      let id = this.#bufferIds.get(buffer);
      if (id === undefined) {
        id = this.#nextId++;
        this.#bufferIds.set(buffer, id);
      }
      key += offset === undefined ? `,${id}` : `,${id}@${offset}+${size}`;
    }
    let group = this.#groups.get(key);
    if (!group) {
      if (this.#groups.size >= maxBindGroups) this.#groups.clear();
      group = this.gpu.createBindGroup({
        label: program.label,
        layout,
        entries: program.meta
          ? [
              {
                binding: 0,
                resource: {
                  buffer: this.meta(),
                  offset: metaOffset ?? 0,
                  size: this.metaBindingBytes,
                },
              },
              ...program.bindings.map((b, i) => ({ binding: i + 1, resource: rangeOf(b) })),
            ]
          : program.bindings.map((b, binding) => ({ binding, resource: rangeOf(b) })),
      });
      this.#groups.set(key, group);
    }
    return group;
  }
}
