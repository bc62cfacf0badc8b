// The WebAssembly memory the CPU backend keeps its tensors in, its allocator, and kernel
// compilation against it.
//
// One WebAssembly.Memory holds every CPU tensor: kernels address storage by byte offset, and
// JavaScript sees each storage as a typed array over the memory's buffer. The memory is
// shared (SharedArrayBuffer) where the runtime allows it, so worker threads can run kernels
// over the same tensors and growing it never detaches a view; otherwise growing detaches the
// old buffer and views are made again from the new one (see `generation`).
//
// The allocator is a free list with coalescing, kept in JavaScript, that takes the lowest
// fitting block: blocks are 16-byte aligned (one v128), 64-byte aligned from 4 KiB up (a
// cache line); freed blocks merge with free neighbours, and a free block at the top gives
// its bytes back to the bump pointer. Memory only grows (WebAssembly cannot shrink it); freed bytes are reused.

import { type WasmExports, type WasmMemory, wasmApi } from './api.js';
import { type WasmFeatures, wasmFeatures } from './features.js';

const pageBytes = 65536;

/** Options for a runtime (tests make small ones). */
export interface WasmRuntimeOptions {
  /** Most bytes the memory may grow to; 4 GiB (the wasm32 limit) by default. */
  readonly maximumBytes?: number;
  /** Use a non-shared memory even where shared memory is available. */
  readonly unshared?: boolean;
}

const log2Floor = (n: number) => 31 - Math.clz32(n);

/** Freed blocks up to this size are cached by size for reuse (see WasmRuntime's #cache). */
const cachedBlockBytes = 64 * 1024;
/** The most bytes the cache holds. */
const cacheLimitBytes = 4 * 2 ** 20;

/**
 * One WebAssembly memory with its allocator. `compile` instantiates generated modules
 * against it; `alloc`/`free` manage its bytes.
 */
export class WasmRuntime {
  readonly memory: WasmMemory;
  readonly shared: boolean;
  readonly maximumPages: number;
  readonly features: WasmFeatures;
  /**
   * The most bytes the allocator hands out from this memory (it may grow to maximumPages,
   * but alloc() returns undefined past this); settable.
   */
  limitBytes: number;
  /** Incremented whenever the memory's buffer object changes (a grow). */
  generation = 0;
  #buffer: ArrayBuffer | SharedArrayBuffer;
  /** The first byte never handed out (everything above is free). */
  #top = 64;
  /** Bytes of each allocated block, by its start. */
  readonly #allocated = new Map<number, number>();
  /** Free blocks: size by start, start by end, and starts by log2(size). */
  readonly #freeSize = new Map<number, number>();
  readonly #freeEnd = new Map<number, number>();
  readonly #bins: Set<number>[] = Array.from({ length: 33 }, () => new Set<number>());
  #freeBytes = 0;
  /**
   * Freed small blocks by size / 16, kept for the next request of exactly that size (a loop
   * of small ops frees and asks for the same few sizes): taking one is a pop, with no
   * search and no coalescing. Given back to the free list when the memory would otherwise
   * grow, and past `cacheLimitBytes`.
   */
  readonly #cache: (number[] | undefined)[] = [];
  #cachedBytes = 0;

  constructor(options: WasmRuntimeOptions = {}) {
    this.features = wasmFeatures();
    const maximumBytes = Math.min(options.maximumBytes ?? 2 ** 32, 2 ** 32);
    const shared = this.features.sharedMemory && options.unshared !== true;
    // A shared memory reserves its maximum up front; hosts that cannot reserve 4 GiB of
    // address space (32-bit browsers) get a smaller one.
    let memory: WasmMemory | undefined;
    let maximumPages = Math.floor(maximumBytes / pageBytes);
    for (;;) {
      try {
        memory = new wasmApi!.Memory({ initial: 1, maximum: maximumPages, shared });
        break;
      } catch (error) {
        if (maximumPages <= 1024) throw error;
        maximumPages = Math.floor(maximumPages / 4);
      }
    }
    this.memory = memory;
    this.shared = shared;
    this.maximumPages = maximumPages;
    this.limitBytes = maximumPages * pageBytes;
    this.#buffer = memory.buffer;
  }

  /** The memory's current buffer (re-read after a grow). */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.#buffer;
  }

  /** Bytes the memory holds now. */
  get byteLength(): number {
    return this.#buffer.byteLength;
  }

  /** Bytes freed and kept for reuse (below the top). */
  get freeBytes(): number {
    return this.#freeBytes + this.#cachedBytes;
  }

  /** Bytes in allocated blocks. */
  get allocatedBytes(): number {
    return this.#top - 64 - this.#freeBytes - this.#cachedBytes;
  }

  /** Instantiates a module's bytes against this memory, with `imports` beside env.memory. */
  instantiate(
    bytes: Uint8Array<ArrayBuffer>,
    imports: Record<string, Record<string, unknown>> = {},
  ): WasmExports {
    const module = new wasmApi!.Module(bytes);
    return new wasmApi!.Instance(module, {
      ...imports,
      env: { ...imports['env'], memory: this.memory },
    }).exports;
  }

  /** The memory import a module compiled for this runtime must declare. */
  get memoryImport(): { initialPages: number; maximumPages: number; shared: boolean } {
    return { initialPages: 1, maximumPages: this.maximumPages, shared: this.shared };
  }

  /**
   * A block of at least `bytes` bytes (its start, 16-byte aligned, 64 from 4 KiB up), or
   * undefined when the memory cannot grow that far.
   */
  alloc(bytes: number): number | undefined {
    const align = bytes >= 4096 ? 64 : 16;
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const cached = this.#cache[size >> 4];
    let start: number | undefined;
    if (cached && cached.length > 0 && cached[cached.length - 1]! + size <= this.limitBytes) {
      start = cached.pop()!;
      this.#cachedBytes -= size;
    } else {
      start = this.#takeFree(size, align);
      if (start === undefined && this.#cachedBytes > 0) {
        // Cached blocks may coalesce into room enough before the memory grows.
        this.releaseCache();
        start = this.#takeFree(size, align);
      }
      start ??= this.#bump(size, align);
    }
    if (start !== undefined) this.#allocated.set(start, size);
    return start;
  }

  /** Frees a block alloc() returned. */
  free(start: number): void {
    const size = this.#allocated.get(start);
    if (size === undefined) throw new Error(`wasm memory: no block allocated at ${start}`);
    this.#allocated.delete(start);
    if (size <= cachedBlockBytes && this.#cachedBytes + size <= cacheLimitBytes) {
      const starts = this.#cache[size >> 4];
      if (starts) starts.push(start);
      else this.#cache[size >> 4] = [start];
      this.#cachedBytes += size;
    } else this.#addFree(start, size);
  }

  /** Gives every cached small block back to the free list, where it coalesces. */
  releaseCache(): void {
    this.#cache.forEach((starts, bin) => {
      for (const start of starts ?? []) this.#addFree(start, bin << 4);
      if (starts) starts.length = 0;
    });
    this.#cachedBytes = 0;
  }

  #bump(size: number, align: number): number | undefined {
    const start = Math.ceil(this.#top / align) * align;
    const end = start + size;
    if (end > this.limitBytes) return undefined;
    if (end > this.#buffer.byteLength) {
      const pages = Math.ceil((end - this.#buffer.byteLength) / pageBytes);
      const current = this.#buffer.byteLength / pageBytes;
      if (current + pages > this.maximumPages) return undefined;
      // Grow by at least a quarter of the memory, so a growing model does not grow it
      // once per tensor.
      const wanted = Math.min(this.maximumPages - current, Math.max(pages, Math.ceil(current / 4)));
      try {
        this.memory.grow(wanted);
      } catch {
        try {
          this.memory.grow(pages);
        } catch {
          return undefined;
        }
      }
      this.#buffer = this.memory.buffer;
      this.generation++;
    }
    if (start > this.#top) this.#addFree(this.#top, start - this.#top);
    this.#top = end;
    return start;
  }

  /**
   * The free block to carve `size` bytes from: the lowest-addressed one that fits among those
   * looked at, so live blocks pack towards the bottom and the top stays free for the bump
   * pointer. Large requests (1 MiB and up; such free blocks are few) look at every bin above
   * their size, and a batch loop that frees its activations in another order than it made
   * them still finds them where they were, instead of growing the memory past its own peak;
   * small ones look at 16 blocks per bin, starting with the smallest bin that may fit.
   */
  #takeFree(size: number, align: number): number | undefined {
    const large = size >= 2 ** 20;
    let best: number | undefined;
    let bestSize = 0;
    for (let bin = log2Floor(size); bin < 33; bin++) {
      let scanned = 0;
      for (const start of this.#bins[bin]!) {
        const blockSize = this.#freeSize.get(start)!;
        const aligned = Math.ceil(start / align) * align;
        if (
          aligned + size <= start + blockSize &&
          aligned + size <= this.limitBytes &&
          (best === undefined || start < best)
        ) {
          best = start;
          bestSize = blockSize;
        }
        if (!large && ++scanned === 16) break;
      }
      if (best !== undefined && !large) break;
    }
    if (best === undefined) return undefined;
    const aligned = Math.ceil(best / align) * align;
    this.#removeFree(best, bestSize);
    if (aligned > best) this.#addFree(best, aligned - best);
    const rest = best + bestSize - (aligned + size);
    if (rest > 0) this.#addFree(aligned + size, rest);
    return aligned;
  }

  #addFree(start: number, size: number): void {
    let begin = start;
    let length = size;
    const before = this.#freeEnd.get(begin);
    if (before !== undefined) {
      const beforeSize = this.#freeSize.get(before)!;
      this.#removeFree(before, beforeSize);
      begin = before;
      length += beforeSize;
    }
    const afterSize = this.#freeSize.get(begin + length);
    if (afterSize !== undefined) {
      this.#removeFree(begin + length, afterSize);
      length += afterSize;
    }
    if (begin + length === this.#top) {
      this.#top = begin;
      return;
    }
    this.#freeSize.set(begin, length);
    this.#freeEnd.set(begin + length, begin);
    this.#bins[log2Floor(length)]!.add(begin);
    this.#freeBytes += length;
  }

  #removeFree(start: number, size: number): void {
    this.#freeSize.delete(start);
    this.#freeEnd.delete(start + size);
    this.#bins[log2Floor(size)]!.delete(start);
    this.#freeBytes -= size;
  }
}

/**
 * A block of a runtime's memory a kernel reuses between calls: it grows (freed and allocated
 * again) when a call needs more bytes than it holds, and never shrinks.
 */
export class ScratchBlock {
  #ptr = 0;
  #bytes = 0;

  constructor(
    readonly runtime: WasmRuntime,
    /** Names the kernel in the error when the memory cannot hold it. */
    readonly owner: string,
  ) {}

  /** The block's byte offset, at least `size` bytes long. */
  at(size: number): number {
    if (size > this.#bytes) {
      if (this.#bytes > 0) this.runtime.free(this.#ptr);
      const ptr = this.runtime.alloc(size);
      if (ptr === undefined) {
        this.#bytes = 0;
        throw new Error(`${this.owner}: cannot allocate ${size} bytes of scratch`);
      }
      this.#ptr = ptr;
      this.#bytes = size;
    }
    return this.#ptr;
  }
}
