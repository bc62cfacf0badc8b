// What every family of WebAssembly kernels keeps beside its runtime: compiled kernels by key,
// a metadata block for calls made on this thread, and typed views of the memory to write it.

import type { WasmRuntime } from './runtime.js';

/** A compiled kernel: its bytes (to instantiate in workers) and this thread's instance's exports. */
export interface CompiledKernel {
  readonly key: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly exports: Record<string, unknown>;
}

export class KernelCache {
  readonly runtime: WasmRuntime;
  readonly #kernels = new Map<string, CompiledKernel>();
  #meta = 0;
  #metaBytes = 0;
  #buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  #words: Int32Array<ArrayBuffer | SharedArrayBuffer> = new Int32Array(0);
  #doubles: Float64Array<ArrayBuffer | SharedArrayBuffer> = new Float64Array(0);

  constructor(runtime: WasmRuntime) {
    this.runtime = runtime;
  }

  /** Kernels compiled so far. */
  get size(): number {
    return this.#kernels.size;
  }

  /** The kernel for `key`, compiled from `build()`'s bytes on first use. */
  get(key: string, build: () => Uint8Array<ArrayBuffer>, imports = {}): CompiledKernel {
    let kernel = this.#kernels.get(key);
    if (!kernel) {
      const bytes = build();
      kernel = { key, bytes, exports: this.runtime.instantiate(bytes, imports) };
      this.#kernels.set(key, kernel);
    }
    return kernel;
  }

  /** This thread's metadata block, at least `bytes` long (reused by every call). */
  meta(bytes: number): number {
    if (bytes > this.#metaBytes) {
      if (this.#metaBytes > 0) this.runtime.free(this.#meta);
      const size = Math.max(256, bytes);
      const meta = this.runtime.alloc(size);
      if (meta === undefined) throw new RangeError('wasm kernels: out of memory for metadata');
      this.#meta = meta;
      this.#metaBytes = size;
    }
    return this.#meta;
  }

  /** The memory as int32 words (made again after a grow). */
  words(): Int32Array<ArrayBuffer | SharedArrayBuffer> {
    this.#refresh();
    return this.#words;
  }

  /** The memory as float64 values (made again after a grow). */
  doubles(): Float64Array<ArrayBuffer | SharedArrayBuffer> {
    this.#refresh();
    return this.#doubles;
  }

  #refresh(): void {
    const buffer = this.runtime.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#words = new Int32Array(buffer);
      this.#doubles = new Float64Array(buffer);
    }
  }
}
