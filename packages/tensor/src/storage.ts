// A tensor's storage as tensors share it: views of one tensor point at one StorageRef,
// which counts in-place modifications (so autograd can tell when a saved value changed)
// and the tensors still using it (so it is released when the last one is disposed).

import type { Storage } from './backend.js';
import { bytesPerElement } from './dtype.js';

let liveStorages = 0;
let liveBytes = 0;

/**
 * What the garbage collector needs to free a storage nobody disposed: its size for the
 * accounting, and the backend storage only where it must be released explicitly (GPU
 * buffers). It never holds CPU data, which the collector reclaims with the StorageRef.
 */
interface Finalizer {
  bytes: number;
  storage: Storage | undefined;
  done: boolean;
}

function finish(finalizer: Finalizer): void {
  if (finalizer.done) return;
  finalizer.done = true;
  liveStorages--;
  liveBytes -= finalizer.bytes;
  finalizer.storage?.backend.release(finalizer.storage);
}

// The last resort for memory: a storage whose tensors were all garbage-collected without
// dispose() is freed here.
const collected = new FinalizationRegistry<Finalizer>(finish);

export class StorageRef {
  /** Bumped by every in-place write. */
  version = 0;
  #users = 0;
  readonly #finalizer: Finalizer;

  constructor(readonly storage: Storage) {
    const bytes = storage.length * bytesPerElement[storage.dtype];
    liveStorages++;
    liveBytes += bytes;
    this.#finalizer = {
      bytes,
      storage: storage.backend.releasesMemory ? storage : undefined,
      done: false,
    };
    collected.register(this, this.#finalizer, this);
  }

  get released(): boolean {
    return this.#finalizer.done;
  }

  retain(): void {
    this.#users++;
  }

  /** Drops one user; frees the storage when none is left. */
  drop(): void {
    if (--this.#users <= 0) this.release();
  }

  release(): void {
    if (this.#finalizer.done) return;
    collected.unregister(this);
    this.#finalizer.storage = this.storage; // released now, explicitly, whatever the backend
    finish(this.#finalizer);
  }
}

export interface MemoryInfo {
  /** Storages not yet released (views share one). */
  storages: number;
  /** Bytes they hold. */
  bytes: number;
}

/** Live storage across all devices. */
export function memory(): MemoryInfo {
  return { storages: liveStorages, bytes: liveBytes };
}
