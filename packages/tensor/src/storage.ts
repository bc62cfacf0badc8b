// A tensor's storage as tensors share it: views of one tensor point at one StorageRef,
// which counts in-place modifications (so autograd can tell when a saved value changed)
// and the tensors still using it (so it is released when the last one is disposed).

import type { Backend, Storage } from './backend.js';
import { bytesPerElement, type DType } from './dtype.js';
import { E } from './expr.js';
import { noteStorage } from './task.js';

/** What one backend holds: memory() adds these up over the backends not lost. */
interface Live {
  tensors: number;
  storages: number;
  bytes: number;
}
const live = new Map<Backend, Live>();
/** Backends that keep freed memory for reuse, for memory().pooled. */
const pooling = new Set<Backend>();

function liveOn(backend: Backend): Live {
  let counts = live.get(backend);
  if (!counts) {
    counts = { tensors: 0, storages: 0, bytes: 0 };
    live.set(backend, counts);
  }
  return counts;
}

/**
 * What the garbage collector needs to free a storage nobody disposed: its size for the
 * accounting, the backend storage only where it must be released explicitly (GPU buffers),
 * and, while the storage is still pending, the sources it keeps alive. It never holds CPU
 * data, which the collector reclaims with the StorageRef.
 */
interface Finalizer {
  /** The counts of the storage's backend. */
  live: Live;
  bytes: number;
  /** Whether `bytes` are counted in memory() (the storage exists). */
  counted: boolean;
  storage: Storage | undefined;
  sources: readonly StorageRef[];
  /** Tensors on this storage not yet disposed, counted in memory() until it is freed. */
  tensors: number;
  done: boolean;
}

function finish(finalizer: Finalizer): void {
  if (finalizer.done) return;
  finalizer.done = true;
  finalizer.live.tensors -= finalizer.tensors;
  finalizer.tensors = 0;
  if (finalizer.counted) {
    finalizer.live.storages--;
    finalizer.live.bytes -= finalizer.bytes;
  }
  finalizer.storage?.backend.release(finalizer.storage);
  for (const source of finalizer.sources) source.drop();
  finalizer.sources = [];
}

// The last resort for memory: a storage whose tensors were all garbage-collected without
// dispose() is freed here.
const collected = new FinalizationRegistry<Finalizer>(finish);

/** A view's claim on its storage: a user and a live tensor until dropped. */
export interface TensorShare {
  readonly ref: WeakRef<StorageRef>;
  dropped: boolean;
}

// Views collected without dispose() give their share back here.
const collectedViews = new FinalizationRegistry<TensorShare>((share) => {
  share.ref.deref()?.dropTensor(share);
});

// Storages are registered with the registry at the end of the current task, those not yet
// released by then: registering costs more than the rest of creating one, and most
// intermediates of a chain of ops are disposed within the task that made them. Until then
// this list holds them, so none can be collected unregistered. Likewise a storage holds the
// pending storages that read it strongly until the end of the task, and then through weak
// references only those still pending (a weak reference keeps its target alive until the
// end of the task anyway, and makes it outlive the young generation).
let unregistered: StorageRef[] = [];
let withRecentDependents: StorageRef[] = [];
/** Storages (or one storage's dependents) held so at most, then handed over at once. */
const deferredLimit = 1024;
/**
 * Storage whose memory the collector reclaims by itself (typed arrays) is deferred only up
 * to this size: the list would keep larger ones from the collector within a task, while
 * deferredLimit small ones hold a few MiB at most.
 */
const deferredCollectableBytes = 4096;

function endOfTask(): void {
  const refs = unregistered;
  const sources = withRecentDependents;
  unregistered = [];
  withRecentDependents = [];
  for (const ref of refs) ref.register();
  for (const source of sources) source.weakenDependents();
}

function atEndOfTask(): void {
  if (unregistered.length === 0 && withRecentDependents.length === 0) {
    void Promise.resolve().then(endOfTask);
  }
}

/**
 * Storage computed on first use: an elementwise result that later elementwise ops may fold
 * into their own kernels (fusion), so that a chain of them runs as one dispatch. `compute`
 * fills freshly allocated storage; `sources` are the storages it reads, kept alive until then.
 */
export interface Pending {
  readonly sources: readonly StorageRef[];
  compute(storage: Storage): void;
  /** Reads `replacement` wherever it read `source` (which holds the same values now). */
  replaceSource?(source: StorageRef, replacement: StorageRef): void;
}

/** Pending dependents a storage sweeps for dead entries past this many. */
const dependentsSweep = 64;

export class StorageRef {
  /** Bumped by every in-place write. */
  version = 0;
  readonly backend: Backend;
  readonly dtype: DType;
  /** Number of elements. */
  readonly length: number;
  #storage: Storage | undefined;
  #pending: Pending | undefined;
  /**
   * Pending storages that read this one: computed before this one is written in place.
   * Those added in the current task are held strongly, in #recent, until its end.
   */
  #dependents: WeakRef<StorageRef>[] = [];
  #recent: StorageRef[] = [];
  #users = 0;
  #registered = false;
  readonly #finalizer: Finalizer;

  constructor(storage: Storage);
  constructor(backend: Backend, dtype: DType, length: number, pending: Pending);
  constructor(
    storageOrBackend: Storage | Backend,
    dtype?: DType,
    length?: number,
    pending?: Pending,
  ) {
    this.#finalizer = {
      // The overloads: a backend with a pending computation, or a storage.
      live: liveOn(pending ? (storageOrBackend as Backend) : (storageOrBackend as Storage).backend),
      bytes: 0,
      counted: false,
      storage: undefined,
      sources: [],
      tensors: 0,
      done: false,
    };
    if (pending) {
      this.backend = storageOrBackend as Backend;
      this.dtype = dtype!;
      this.length = length!;
      this.#pending = pending;
      this.#finalizer.sources = pending.sources;
      for (const source of pending.sources) {
        source.retain();
        source.#addDependent(this);
      }
    } else {
      const storage = storageOrBackend as Storage;
      this.backend = storage.backend;
      this.dtype = storage.dtype;
      this.length = storage.length;
      this.#adopt(storage);
    }
    // Large CPU storages are registered at once: their memory is the collector's to reclaim
    // within a task, which a list holding them would prevent.
    if (
      !this.backend.releasesMemory &&
      this.length * bytesPerElement[this.dtype] > deferredCollectableBytes
    ) {
      this.register();
    } else if (unregistered.length >= deferredLimit) {
      // A long task (a synchronous loop): register what is held so far now.
      for (const ref of unregistered) ref.register();
      unregistered = [this];
    } else {
      atEndOfTask();
      unregistered.push(this);
    }
  }

  /** @internal Hands this storage to the registry, unless it was released already. */
  register(): void {
    if (this.#finalizer.done || this.#registered) return;
    this.#registered = true;
    collected.register(this, this.#finalizer, this);
  }

  /** The backend storage, computed first when it is pending. */
  get storage(): Storage {
    if (this.#storage === undefined) this.materialize();
    if (this.#storage === undefined) {
      throw new Error(
        'the storage of this tensor was released (the tensor was disposed) before its value was computed',
      );
    }
    return this.#storage;
  }

  /** @internal What computes this storage, while it has not been computed. */
  get pending(): Pending | undefined {
    return this.#pending;
  }

  /** Computes a pending storage now (no-op otherwise). */
  materialize(): void {
    const pending = this.#pending;
    if (!pending || this.#finalizer.done) return;
    const storage = this.backend.allocate(this.dtype, this.length);
    pending.compute(storage);
    this.#pending = undefined;
    this.#adopt(storage);
    this.#finalizer.sources = [];
    for (const source of pending.sources) source.drop();
  }

  /**
   * Call before writing this storage in place: every pending storage that reads it is
   * computed now, or, when it is larger than this one, reads a copy of this storage's
   * current values instead. A pending result whose tensors are unreachable but not yet
   * collected (a bias add whose relu was fused, after an optimizer updates the bias) then
   * costs a copy of the small storage, not a kernel over the whole result.
   */
  beforeWrite(): void {
    const dependents = [...this.#recent, ...this.#dependents.map((weak) => weak.deref())];
    this.#dependents = [];
    this.#recent = [];
    let copy: StorageRef | undefined;
    for (const ref of dependents) {
      if (!ref) continue;
      const pending = ref.#pending;
      if (!pending || ref.#finalizer.done) continue;
      if (ref.length > this.length && pending.replaceSource && !this.#finalizer.done) {
        copy ??= this.#copy();
        copy.retain();
        pending.replaceSource(this, copy);
        ref.#finalizer.sources = pending.sources;
        this.drop();
      } else ref.materialize();
    }
  }

  /** A new storage holding this one's values, computed now. */
  #copy(): StorageRef {
    const storage = this.backend.allocate(this.dtype, this.length);
    const view = (s: Storage) => ({
      storage: s,
      dtype: this.dtype,
      shape: [this.length],
      strides: [1],
      offset: 0,
    });
    this.backend.elementwise(E.input(0), [view(this.storage)], view(storage));
    return new StorageRef(storage);
  }

  get released(): boolean {
    return this.#finalizer.done;
  }

  retain(): void {
    this.#users++;
  }

  /**
   * @internal A tensor now reads this storage: a user, and a live tensor in memory(). The
   * first tensor of a storage leaves with the storage when the collector frees it; a later
   * one (a view) gets a share of its own, dropped if the collector finds the view
   * unreachable before dispose(), so views of a long-lived tensor (a parameter reshaped at
   * every step) neither pile up in the count nor keep its storage after it is disposed.
   */
  retainTensor(tensor: object): TensorShare | undefined {
    this.retain();
    if (this.#finalizer.done) return undefined;
    const shared = this.#finalizer.tensors > 0;
    this.#finalizer.tensors++;
    this.#finalizer.live.tensors++;
    if (!shared) return undefined;
    const share: TensorShare = { ref: new WeakRef(this), dropped: false };
    collectedViews.register(tensor, share);
    return share;
  }

  /** @internal A tensor reading this storage was disposed (or collected, with its share). */
  dropTensor(share?: TensorShare): void {
    if (share) {
      if (share.dropped) return;
      share.dropped = true;
    }
    if (!this.#finalizer.done) {
      this.#finalizer.tensors--;
      this.#finalizer.live.tensors--;
    }
    this.drop();
  }

  /** Drops one user; frees the storage when none is left. */
  drop(): void {
    if (--this.#users <= 0) this.release();
  }

  release(): void {
    if (this.#finalizer.done) return;
    if (this.#registered) collected.unregister(this);
    this.#pending = undefined;
    if (this.#storage) this.#finalizer.storage = this.#storage; // released now, explicitly
    finish(this.#finalizer);
  }

  #adopt(storage: Storage): void {
    this.#storage = storage;
    const bytes = storage.length * bytesPerElement[storage.dtype];
    this.#finalizer.live.storages++;
    this.#finalizer.live.bytes += bytes;
    noteStorage(bytes);
    this.#finalizer.bytes = bytes;
    this.#finalizer.counted = true;
    if (storage.backend.releasesMemory && !storage.collectable) this.#finalizer.storage = storage;
    if (storage.backend.pooledBytes) pooling.add(storage.backend);
  }

  #addDependent(ref: StorageRef): void {
    if (this.#recent.length === 0) {
      atEndOfTask();
      withRecentDependents.push(this);
    } else if (this.#recent.length >= deferredLimit) {
      this.weakenDependents(); // a long task: hold what came so far weakly now
      withRecentDependents.push(this);
    }
    this.#recent.push(ref);
  }

  /** @internal At the end of a task: the dependents still pending, held weakly from now. */
  weakenDependents(): void {
    const recent = this.#recent;
    this.#recent = [];
    if (this.#dependents.length + recent.length > dependentsSweep) {
      this.#dependents = this.#dependents.filter((d) => {
        const target = d.deref();
        return target !== undefined && target.#pending !== undefined;
      });
    }
    for (const ref of recent) {
      if (ref.#pending !== undefined && !ref.#finalizer.done)
        this.#dependents.push(new WeakRef(ref));
    }
  }
}

/**
 * What memory() reports: live tensors and storages and the bytes they hold, on all devices
 * but those lost or destroyed (their memory went with them).
 */
export interface MemoryInfo {
  /**
   * Tensors not yet disposed (views included). A tensor collected without dispose() leaves
   * the count when its storage is freed, that is once every tensor sharing it is gone.
   */
  tensors: number;
  /** Storages not yet released (views share one). */
  storages: number;
  /** Bytes they hold. */
  bytes: number;
  /** Bytes of freed memory that backends keep for reuse (the WebGPU buffer pool). */
  pooled: number;
}

/**
 * Live tensors and storage across all devices, and what their backends keep pooled. A device
 * that was lost or destroyed counts no more: its tensors hold nothing, and any use of them
 * raises.
 */
export function memory(): MemoryInfo {
  const total: MemoryInfo = { tensors: 0, storages: 0, bytes: 0, pooled: 0 };
  for (const [backend, counts] of live) {
    if (backend.isLost) {
      // Forgotten, so a lost device is not kept alive by the accounting; its storages
      // still released later change only their own (orphaned) counts.
      live.delete(backend);
      pooling.delete(backend);
      continue;
    }
    total.tensors += counts.tensors;
    total.storages += counts.storages;
    total.bytes += counts.bytes;
  }
  for (const backend of pooling) {
    if (backend.isLost) pooling.delete(backend);
    else total.pooled += backend.pooledBytes?.() ?? 0;
  }
  return total;
}
