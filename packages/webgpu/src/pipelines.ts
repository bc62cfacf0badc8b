// The device's compute pipelines, cached by shader key and entry point. A pipeline compiles
// synchronously, or with createComputePipelineAsync so the compile runs on the
// implementation's worker threads while JavaScript goes on recording work.

import type { ComputeProgram } from './program.js';

/** 'async': createComputePipelineAsync; 'sync': createComputePipeline. */
export type CompileMode = 'async' | 'sync';

export interface CachedPipeline {
  /** Undefined while an asynchronous compile is pending, or when it failed. */
  pipeline: GPUComputePipeline | undefined;
  /** Known at once for metadata layouts; for 'auto' layouts, once the pipeline exists. */
  layout: GPUBindGroupLayout | undefined;
  /** Names the pipeline in bind group keys. */
  readonly id: number;
  /** Why an asynchronous compile failed, as WebGPU said it (kind and message). */
  failure?: { kind: 'validation' | 'internal'; message: string };
}

/** Whether `cached` can be used or reported now (compiled, or failed). */
export const settled = (cached: CachedPipeline): boolean =>
  cached.pipeline !== undefined || cached.failure !== undefined;

export class PipelineCache {
  readonly #pipelines = new Map<string, CachedPipeline>();

  constructor(
    private readonly gpu: GPUDevice,
    private readonly mode: CompileMode,
    /** Runs `body` inside error scopes whose errors name `label` at the next wait. */
    private readonly scoped: <T>(label: string, body: () => T) => T,
    private readonly nextId: () => number,
    /** Called when an asynchronous compile settles, in a task of its own. */
    private readonly onSettled: () => void,
  ) {}

  /** The pipeline `program` needs, compiling it (at once or in the background) when new. */
  get(program: ComputeProgram): CachedPipeline {
    const entryPoint = program.entryPoint ?? 'main';
    const withMeta = program.meta !== undefined;
    const writable = program.writable ?? 1;
    const layoutKey = withMeta ? `${program.bindings.length}w${writable}` : 'auto';
    const key = `${entryPoint}|${layoutKey}|${program.key ?? program.code}`;
    let cached = this.#pipelines.get(key);
    if (cached) return cached;
    // Compiled in scopes of its own, so a shader error names the op that needed it.
    cached = this.scoped(program.label, () => {
      const module = this.gpu.createShaderModule({ label: program.label, code: program.code });
      const layout = withMeta ? this.#metaLayout(program.bindings.length, writable) : undefined;
      const descriptor: GPUComputePipelineDescriptor = {
        label: program.label,
        layout: layout ? this.gpu.createPipelineLayout({ bindGroupLayouts: [layout] }) : 'auto',
        compute: { module, entryPoint },
      };
      if (this.mode === 'sync') {
        const pipeline = this.gpu.createComputePipeline(descriptor);
        return { pipeline, layout: layout ?? pipeline.getBindGroupLayout(0), id: this.nextId() };
      }
      const entry: CachedPipeline = { pipeline: undefined, layout, id: this.nextId() };
      this.gpu.createComputePipelineAsync(descriptor).then(
        (pipeline) => {
          entry.layout ??= this.scoped(program.label, () => pipeline.getBindGroupLayout(0));
          entry.pipeline = pipeline;
          this.onSettled();
        },
        (error: unknown) => {
          // A GPUPipelineError says whether the shader or descriptor was invalid
          // ('validation') or the implementation failed ('internal').
          const reason = (error as { reason?: string }).reason;
          entry.failure = {
            kind: reason === 'internal' ? 'internal' : 'validation',
            message: error instanceof Error ? error.message : String(error),
          };
          this.onSettled();
        },
      );
      return entry;
    });
    this.#pipelines.set(key, cached);
    return cached;
  }

  /** Binding 0: the dispatch's metadata; then `writable` outputs; then read-only inputs. */
  #metaLayout(buffers: number, writable: number): GPUBindGroupLayout {
    const compute = 4; // GPUShaderStage.COMPUTE
    return this.gpu.createBindGroupLayout({
      entries: [
        {
          binding: 0,
          visibility: compute,
          buffer: { type: 'read-only-storage' },
        },
        ...Array.from({ length: buffers }, (_, i) => ({
          binding: i + 1,
          visibility: compute,
          buffer: { type: i < writable ? ('storage' as const) : ('read-only-storage' as const) },
        })),
      ],
    });
  }
}
