// A pool of GPU storage buffers bucketed by size. Freed buffers wait until the work recorded
// so far is submitted (a queue write into a buffer that recorded work still reads would
// land first), then join a free list of their size class; the pool keeps at most `cap`
// bytes of free buffers and destroys the rest.

import type { WebGPUDevice } from './device.js';

/** Rounds up to a size class: 256 bytes, then steps of a quarter power of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const power = 2 ** Math.floor(Math.log2(bytes));
  const step = power / 4;
  return Math.ceil(bytes / step) * step;
}

/** The buffer pool's counters, from `backend.poolStats()`; sizes in bytes. */
export interface PoolStats {
  /** Bytes in buffers handed out and not yet freed. */
  inUse: number;
  /** Bytes in free buffers kept for reuse. */
  pooled: number;
  /** Buffers created so far (a steady training loop stops creating them). */
  created: number;
  /** Garbage collections the pool asked for. */
  collections: number;
}

/**
 * Tensors nobody disposed are freed when the garbage collector finds them, and it does not
 * know how much GPU memory they hold: a loop can pile up garbage buffers long before the
 * JavaScript heap asks for a collection. So the pool asks for one itself (where the
 * runtime allows: Node) once the bytes in use have doubled since the last one settled,
 * checked when a buffer must be created and when a wait for the device begins.
 */
export interface CollectionPolicy {
  /** Starts a garbage collection (it may complete later). */
  collect: () => void;
  /** No collection is asked for below this many bytes in use (default 16 MiB). */
  floor?: number;
}

export class BufferPool {
  readonly #free = new Map<number, GPUBuffer[]>();
  #waiting: GPUBuffer[] = [];
  #pooledBytes = 0;
  #inUseBytes = 0;
  #created = 0;
  #collections = 0;
  /** The fewest bytes in use since the last collection: what survives it, roughly. */
  #lowSinceCollection = 0;
  #collecting = false;

  constructor(
    private readonly device: WebGPUDevice,
    private readonly policy?: CollectionPolicy,
    /** Free bytes kept for reuse at most. */
    private readonly cap = 512 * 2 ** 20,
  ) {
    device.onSubmit(() => this.#recycle());
    // Before a wait (a training step reading its loss) rather than only when a buffer must be
    // created: the collector's finalizers then hand the step's garbage buffers back while
    // the device works, and the next step reuses them instead of creating new ones.
    device.onWait(() => this.#collectIfGrown());
  }

  acquire(bytes: number, label: string): GPUBuffer {
    this.#forgetIfLost();
    const size = sizeClass(bytes);
    const list = this.#free.get(size);
    const reused = list?.pop();
    this.#inUseBytes += size;
    if (reused) {
      this.#pooledBytes -= size;
      return reused;
    }
    this.#created++;
    this.#collectIfGrown();
    return this.device.createBuffer(size, label);
  }

  /** Collects when the bytes in use passed the threshold (see #collect). */
  #collectIfGrown(): void {
    if (
      this.#inUseBytes > Math.max(this.policy?.floor ?? 16 * 2 ** 20, 2 * this.#lowSinceCollection)
    ) {
      this.#collect();
    }
  }

  /**
   * Asks for a collection. Finalizers release the garbage buffers in later tasks; the
   * fewest bytes in use seen after that sets the next threshold (twice that, at least the
   * floor), so a loop whose live set grows still collects only now and then.
   */
  #collect(): void {
    if (!this.policy || this.#collecting) return;
    this.#collecting = true;
    this.#collections++;
    this.#lowSinceCollection = this.#inUseBytes;
    this.policy.collect();
    setTimeout(() => {
      this.#collecting = false;
    }, 0);
  }

  release(buffer: GPUBuffer): void {
    this.#inUseBytes -= buffer.size;
    this.#lowSinceCollection = Math.min(this.#lowSinceCollection, this.#inUseBytes);
    if (this.device.isLost) return;
    if (this.device.hasPendingWork) this.#waiting.push(buffer);
    else this.#keep(buffer);
  }

  stats(): PoolStats {
    this.#forgetIfLost();
    return {
      inUse: this.#inUseBytes,
      pooled: this.#pooledBytes,
      created: this.#created,
      collections: this.#collections,
    };
  }

  /** A lost device took its buffers with it: the free ones are no longer kept or counted. */
  #forgetIfLost(): void {
    if (!this.device.isLost || this.#pooledBytes === 0) return;
    this.#free.clear();
    this.#waiting = [];
    this.#pooledBytes = 0;
  }

  /** Destroys every free buffer. */
  trim(): void {
    for (const list of this.#free.values()) for (const buffer of list) buffer.destroy();
    this.#free.clear();
    this.#pooledBytes = 0;
  }

  #recycle(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const buffer of waiting) this.#keep(buffer);
  }

  #keep(buffer: GPUBuffer): void {
    if (this.#pooledBytes + buffer.size > this.cap) {
      buffer.destroy();
      return;
    }
    const list = this.#free.get(buffer.size) ?? [];
    list.push(buffer);
    this.#free.set(buffer.size, list);
    this.#pooledBytes += buffer.size;
  }
}
