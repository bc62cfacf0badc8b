// A tensor's storage as tensors share it: views of one tensor point at one StorageRef,
// which counts in-place modifications (so autograd can tell when a saved value changed)
// and the tensors still using it (so it is released when the last one is disposed).

import type { Storage } from './backend.js';
import { bytesPerElement } from './dtype.js';

let liveStorages = 0;
let liveBytes = 0;

export class StorageRef {
  /** Bumped by every in-place write. */
  version = 0;
  #users = 0;
  #released = false;

  constructor(readonly storage: Storage) {
    liveStorages++;
    liveBytes += storage.length * bytesPerElement[storage.dtype];
  }

  get released(): boolean {
    return this.#released;
  }

  retain(): void {
    this.#users++;
  }

  /** Drops one user; frees the storage when none is left. */
  drop(): void {
    if (--this.#users <= 0) this.release();
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    liveStorages--;
    liveBytes -= this.storage.length * bytesPerElement[this.storage.dtype];
    this.storage.backend.release(this.storage);
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
