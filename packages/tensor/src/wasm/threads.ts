// A pool of worker threads that run the CPU backend's WebAssembly kernels over the runtime's
// shared memory: worker_threads in Node, Web Workers in cross-origin-isolated pages, and the
// calling thread alone everywhere else (`info` says why).
//
// A kernel is an export whose last two i32 arguments are a range [start, end) of independent
// work. Each thread has its own instance of a module, so a kernel keeps no state but the
// memory (scratch comes as pointer arguments). `run` splits [0, total) into chunks whose
// bounds are multiples of `grain`; the caller
// takes chunks like any worker (it is the last worker), so a worker that is slow to wake
// costs nothing but its share. Small work runs inline with no synchronisation at all.
//
// Coordination is an Int32Array over its own SharedArrayBuffer (the control block); `run` is
// synchronous. Per worker, STATE moves through
//
//   AWAY ──worker──▶ IDLE ──caller CAS──▶ CLAIMED ──worker CAS──▶ RUNNING ──worker──▶ IDLE
//                     ▲ │                    │
//                     │ └─worker CAS─▶ AWAY  └─caller CAS (take-back, never started)──▶ IDLE
//
// AWAY is a worker that is not listening: starting, or back in its event loop to receive
// modules by postMessage (a thread blocked in Atomics.wait receives no messages, so a worker
// leaves its wait loop when POSTED says a message is on its way). The caller only claims
// IDLE workers that have instantiated the module (READY), so start-up and registration never
// block a run. A worker sleeps with Atomics.wait on its SIGNAL word, which the caller bumps
// for every claim and message, after polling it a while (`spinMicroseconds`: waking a
// sleeping thread takes tens of microseconds, longer than many kernels). The caller waits for
// PENDING (workers claimed and not yet done) to reach zero: polling, then Atomics.wait where
// the thread may block (Node, a worker); on a page's main thread, where Atomics.wait is
// forbidden, it polls until the end.

import { type WasmExports, wasmApi } from './api.js';
import type { WasmRuntime } from './runtime.js';

/** A compiled WebAssembly.Module (what `new WebAssembly.Module(bytes)` returns). */
export type WasmModule = object;

/** Options of a pool. */
export interface ThreadPoolOptions {
  /**
   * Threads in all, the caller included: 1 disables workers. By default the hardware
   * concurrency, at most 8.
   */
  readonly threads?: number;
  /**
   * Microseconds a thread polls before it sleeps in Atomics.wait: a worker after its job, the
   * caller waiting for workers. Waking a sleeping thread takes tens of microseconds, so
   * polling a while makes back-to-back kernels cheap, at the price of a core busy for that
   * long after the last one. 100 by default; 0 sleeps at once.
   */
  readonly spinMicroseconds?: number;
}

/** How many threads run kernels here, and why that many. */
export interface ThreadInfo {
  /** Threads that take part in large kernels, the caller included (1: no workers). */
  readonly threads: number;
  readonly reason: string;
}

/** A module registered with a pool: `exports` are the calling thread's instance. */
export interface ThreadModule {
  readonly id: number;
  readonly exports: WasmExports;
}

type Kernel = (...args: number[]) => unknown;

interface ModuleRecord {
  readonly handle: ThreadModule;
  readonly module: WasmModule;
  /** The function exports, by name, with their place among the module's function exports. */
  readonly kernels: ReadonlyMap<string, { readonly index: number; readonly fn: Kernel }>;
}

// The control block. The header, then one stride of ints per worker.
const header = {
  PENDING: 0,
  NEXT: 1,
  CHUNKS: 2,
  MODULE: 3,
  EXPORT: 4,
  ARGC: 5,
  TOTAL: 6,
  GRAIN: 7,
};
const headerInts = 16;
const slot = {
  STATE: 0,
  SIGNAL: 1,
  READY: 2,
  POSTED: 3,
  FAILED: 4,
  ERROR_LENGTH: 5,
  ERROR_START: 6,
  ERROR_END: 7,
};
const strideInts = 8;
const state = { AWAY: 0, IDLE: 1, CLAIMED: 2, RUNNING: 3, DEAD: 4 };
/** Arguments a kernel may take before its range. */
const maxArgs = 30;
/** Characters of a worker's error message kept. */
const errorChars = 400;
/** Chunks per participating thread: enough to even out a late or slow thread. */
const chunksPerThread = 4;
/** Default time a thread polls before sleeping. */
const defaultSpinMicroseconds = 100;
/** Default cap on threads. */
const defaultMaxThreads = 8;

/**
 * The worker: no imports, it gets the control block, the memory and the modules by
 * postMessage and instantiates each module against the memory. Plain JavaScript (it is
 * evaluated as it stands in Node and in browsers).
 */
const workerSource = `'use strict';
let port;
const H = ${JSON.stringify(header)}, S = ${JSON.stringify(slot)}, ST = ${JSON.stringify(state)};
let ctl, args, text, memory, base = 0, spinMs = 0, received = 0;
const modules = [];

function fail(error, start, end) {
  const message = String(error).slice(0, text.length);
  for (let i = 0; i < message.length; i++) text[i] = message.charCodeAt(i);
  ctl[base + S.ERROR_LENGTH] = message.length;
  ctl[base + S.ERROR_START] = start;
  ctl[base + S.ERROR_END] = end;
  Atomics.store(ctl, base + S.FAILED, 1);
  Atomics.store(ctl, H.NEXT, ctl[H.CHUNKS]);
}

function work() {
  const argc = ctl[H.ARGC], chunks = ctl[H.CHUNKS], total = ctl[H.TOTAL], grain = ctl[H.GRAIN];
  const fn = modules[ctl[H.MODULE]]?.[ctl[H.EXPORT]];
  if (typeof fn !== 'function') return fail('no such kernel in this worker', 0, total);
  const units = Math.floor(total / grain);
  const call = new Array(argc + 2);
  for (let i = 0; i < argc; i++) call[i] = args[i];
  for (;;) {
    const c = Atomics.add(ctl, H.NEXT, 1);
    if (c >= chunks) return;
    const start = grain * Math.floor((c * units) / chunks);
    const end = c === chunks - 1 ? total : grain * Math.floor(((c + 1) * units) / chunks);
    call[argc] = start;
    call[argc + 1] = end;
    try {
      fn.apply(undefined, call);
    } catch (error) {
      return fail(error, start, end);
    }
  }
}

function listen() {
  for (;;) {
    const signal = Atomics.load(ctl, base + S.SIGNAL);
    const now = Atomics.load(ctl, base + S.STATE);
    if (now === ST.CLAIMED) {
      if (Atomics.compareExchange(ctl, base + S.STATE, ST.CLAIMED, ST.RUNNING) === ST.CLAIMED) {
        try {
          work();
        } finally {
          Atomics.store(ctl, base + S.STATE, ST.IDLE);
          if (Atomics.sub(ctl, H.PENDING, 1) === 1) Atomics.notify(ctl, H.PENDING);
        }
      }
      continue;
    }
    if (now !== ST.IDLE) return;
    if (Atomics.load(ctl, base + S.POSTED) !== received) {
      if (Atomics.compareExchange(ctl, base + S.STATE, ST.IDLE, ST.AWAY) === ST.IDLE) return;
      continue;
    }
    if (spinMs > 0) {
      const until = performance.now() + spinMs;
      for (let i = 1; Atomics.load(ctl, base + S.SIGNAL) === signal; i++) {
        if ((i & 255) === 0 && performance.now() > until) break;
      }
    }
    Atomics.wait(ctl, base + S.SIGNAL, signal);
  }
}

function receive(message) {
  try {
    if (message.type === 'init') {
      ctl = new Int32Array(message.control, 0, message.ints);
      args = new Float64Array(message.control, message.argsOffset, message.maxArgs);
      text = new Uint16Array(message.control, message.textOffset, message.textLength);
      memory = message.memory;
      base = message.base;
      spinMs = message.spinMs;
    } else {
      const instance = new WebAssembly.Instance(message.module, { env: { memory } });
      modules.push(Object.values(instance.exports).filter((f) => typeof f === 'function'));
      received++;
      Atomics.store(ctl, base + S.READY, modules.length);
    }
  } catch (error) {
    if (ctl) Atomics.store(ctl, base + S.STATE, ST.DEAD);
    port.postMessage({ type: 'failed', message: String(error) });
    return;
  }
  const listening = Atomics.load(ctl, base + S.POSTED) === received;
  if (listening) Atomics.store(ctl, base + S.STATE, ST.IDLE);
  port.postMessage({ type: 'ready', modules: modules.length });
  if (listening) listen();
}

// Node evaluates this as CommonJS, or as a module when the process runs with
// --input-type=module (workers inherit it): require where it exists, else import().
if (typeof process === 'object' && process.versions && process.versions.node) {
  const attach = (threads) => {
    port = threads.parentPort;
    port.on('message', receive);
  };
  // A name in a variable: bundlers' and checkers' scans for node: imports skip this string.
  const name = 'node:' + 'worker_threads';
  if (typeof require === 'function') attach(require(name));
  else import(name).then(attach);
} else {
  port = self;
  self.onmessage = (event) => receive(event.data);
}
`;

// The host's APIs this file uses, typed here (@dl/tensor has neither the DOM library nor
// Node's types).

interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): unknown;
  /** Node: whether the worker keeps the process alive (only while someone awaits ready()). */
  ref?(): void;
  unref?(): void;
}

interface NodeWorker extends WorkerHandle {
  on(event: 'message' | 'error' | 'exit', listener: (value: unknown) => void): void;
  ref(): void;
  unref(): void;
}

interface WebWorker extends WorkerHandle {
  addEventListener(type: 'message' | 'error', listener: (event: WebWorkerEvent) => void): void;
}

interface WebWorkerEvent {
  readonly data?: unknown;
  readonly message?: string;
}

interface Host {
  process?: {
    versions?: { node?: string };
    getBuiltinModule?: (id: string) => unknown;
  };
  navigator?: { hardwareConcurrency?: number };
  document?: unknown;
  crossOriginIsolated?: boolean;
  Worker?: new (url: string, options?: { name?: string }) => WebWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  performance?: { now(): number };
}

/** The global object, typed with the host APIs used here (they are foreign to this package). */
const host = globalThis as unknown as Host;

/** Milliseconds from a monotonic clock (every supported host has `performance`). */
const now = (): number => host.performance?.now() ?? Date.now();

type WorkerThreads = {
  Worker: new (source: string, options: { eval: true; name: string }) => NodeWorker;
};

/** Node's worker_threads, got without an import so that browser bundles have no `node:` module. */
function nodeWorkerThreads(): WorkerThreads | undefined {
  const load = host.process?.getBuiltinModule;
  if (typeof load !== 'function' || host.process?.versions?.node === undefined) return undefined;
  // A foreign boundary: Node's module, whose shape @dl/tensor does not import types for.
  return load('node:worker_threads') as WorkerThreads | undefined;
}

/** The host's hardware concurrency, or undefined where it does not say. */
function hardwareConcurrency(): number | undefined {
  const reported = host.navigator?.hardwareConcurrency;
  if (typeof reported === 'number' && reported >= 1) return reported;
  const load = host.process?.getBuiltinModule;
  if (typeof load !== 'function') return undefined;
  // A foreign boundary: node:os, as above.
  const os = load('node:os') as { availableParallelism?: () => number } | undefined;
  return os?.availableParallelism?.();
}

/** What the environment offers for threads: the facts `planThreads` decides from. */
export interface ThreadHost {
  /** The runtime's memory is a shared WebAssembly.Memory. */
  readonly sharedMemory: boolean;
  /** SharedArrayBuffer exists. */
  readonly sharedArrayBuffer: boolean;
  /** A browser page or worker (not Node). */
  readonly browser: boolean;
  /** `crossOriginIsolated` (browsers). */
  readonly crossOriginIsolated: boolean;
  /** Which worker API there is. */
  readonly workers: 'node' | 'web' | undefined;
  readonly hardwareConcurrency: number | undefined;
}

/** The facts of this host for a runtime whose memory is shared or not. */
export function threadHost(sharedMemory: boolean): ThreadHost {
  const browser = typeof host.document === 'object' || host.process?.versions?.node === undefined;
  const node = nodeWorkerThreads() !== undefined;
  const web = typeof host.Worker === 'function' && typeof host.Blob === 'function';
  return {
    sharedMemory,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    browser: !node && browser,
    crossOriginIsolated: host.crossOriginIsolated === true,
    workers: node ? 'node' : web ? 'web' : undefined,
    hardwareConcurrency: hardwareConcurrency(),
  };
}

/** How many threads to run, and the reason, given the host and the options. */
export function planThreads(facts: ThreadHost, options: ThreadPoolOptions = {}): ThreadInfo {
  const requested = options.threads;
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new Error(`thread pool: threads must be a positive integer, got ${requested}`);
  }
  if (requested === 1) return { threads: 1, reason: 'threads: 1 was asked for' };
  if (!facts.sharedMemory) {
    const reason =
      facts.browser && !facts.crossOriginIsolated
        ? 'the page is not cross-origin isolated (SharedArrayBuffer needs COOP/COEP headers)'
        : !facts.sharedArrayBuffer
          ? 'this runtime has no SharedArrayBuffer'
          : "the runtime's WebAssembly memory is not shared";
    return { threads: 1, reason };
  }
  if (facts.workers === undefined) {
    return { threads: 1, reason: 'this runtime has neither node:worker_threads nor Web Workers' };
  }
  const api = facts.workers === 'node' ? 'worker_threads' : 'Web Workers';
  const cores = facts.hardwareConcurrency;
  const threads = requested ?? Math.min(cores ?? 1, defaultMaxThreads);
  if (threads === 1) {
    return {
      threads: 1,
      reason:
        cores === undefined
          ? 'the runtime does not report its hardware concurrency (ask for threads to use workers)'
          : 'one hardware thread',
    };
  }
  const why =
    requested !== undefined
      ? `threads: ${requested} was asked for`
      : cores! > defaultMaxThreads
        ? `${cores} hardware threads, at most ${defaultMaxThreads} by default`
        : `${cores} hardware threads`;
  return {
    threads,
    reason: `the calling thread and ${threads - 1} worker${threads === 2 ? '' : 's'} (${api}) over shared memory (${why})`,
  };
}

/** Whether this thread may block in Atomics.wait (not a page's main thread). */
function mayBlock(control: Int32Array): boolean {
  try {
    Atomics.wait(control, header.PENDING, 1, 0);
    return true;
  } catch {
    return false;
  }
}

interface WorkerEntry {
  readonly handle: WorkerHandle | undefined;
  dead: boolean;
  modulesReady: number;
}

/**
 * Worker threads over one runtime's shared memory. Make it with `threadPool(runtime)`; the
 * workers start with the first run large enough to split (or `ready()`).
 */
export class ThreadPool {
  readonly #runtime: WasmRuntime;
  readonly #plan: ThreadInfo;
  readonly #facts: ThreadHost;
  /** Milliseconds to poll before sleeping. */
  readonly #spinMs: number;
  readonly #workerCount: number;
  readonly #modules: ModuleRecord[] = [];
  readonly #workers: WorkerEntry[] = [];
  #control: Int32Array | undefined;
  #args: Float64Array | undefined;
  #text: Uint16Array | undefined;
  #claimed: Int32Array;
  #canBlock = false;
  #started = false;
  #closed = false;
  #blobUrl: string | undefined;
  #startFailure: string | undefined;
  #waiters: (() => void)[] = [];

  constructor(runtime: WasmRuntime, options: ThreadPoolOptions = {}) {
    this.#runtime = runtime;
    this.#facts = threadHost(runtime.shared);
    this.#plan = planThreads(this.#facts, options);
    const spin = options.spinMicroseconds ?? defaultSpinMicroseconds;
    if (!(spin >= 0 && spin <= 1e7)) {
      throw new Error(`thread pool: spinMicroseconds must be in [0, 1e7], got ${spin}`);
    }
    this.#spinMs = spin / 1000;
    this.#workerCount = this.#plan.threads - 1;
    this.#claimed = new Int32Array(this.#workerCount);
  }

  /** Threads that take part in large kernels (the caller included), and why that many. */
  get info(): ThreadInfo {
    if (this.#workerCount === 0) return this.#plan;
    if (this.#closed) return { threads: 1, reason: 'the thread pool was closed' };
    const failed = this.#workers.filter((w) => w.dead).length;
    if (failed === 0) return this.#plan;
    return {
      threads: 1 + this.#workerCount - failed,
      reason: `${failed} of ${this.#workerCount} workers failed: ${this.#startFailure ?? 'for no reason given'}`,
    };
  }

  /**
   * Registers a module (its bytes, or a compiled module) whose only import is env.memory:
   * instantiates it here at once and in each worker as the worker gets to it.
   */
  register(source: Uint8Array<ArrayBuffer> | WasmModule): ThreadModule {
    if (this.#closed) throw new Error('thread pool: register after close()');
    const module = source instanceof Uint8Array ? new wasmApi!.Module(source) : source;
    const instance = new wasmApi!.Instance(module, { env: { memory: this.#runtime.memory } });
    const kernels = new Map<string, { index: number; fn: Kernel }>();
    for (const [name, value] of Object.entries(instance.exports)) {
      // A foreign boundary: an exported WebAssembly function takes and returns numbers.
      if (typeof value === 'function')
        kernels.set(name, { index: kernels.size, fn: value as Kernel });
    }
    const handle: ThreadModule = { id: this.#modules.length, exports: instance.exports };
    this.#modules.push({ handle, module, kernels });
    if (this.#started) {
      for (let w = 0; w < this.#workers.length; w++) this.#post(w, module);
    }
    return handle;
  }

  /**
   * Runs `exportName(...args, start, end)` over [0, total) and returns how many threads took
   * part (0 when total is 0). Chunks hold at least `grain` items and their bounds are
   * multiples of it; work under 2 grains runs here without synchronisation, so pick a grain
   * worth about 50 µs of the kernel's time.
   */
  run(
    module: ThreadModule,
    exportName: string,
    args: readonly number[],
    total: number,
    grain: number,
  ): number {
    const record = this.#modules[module.id];
    if (record?.handle !== module) {
      throw new Error(`thread pool: module ${module.id} was not registered with this pool`);
    }
    const kernel = record.kernels.get(exportName);
    if (kernel === undefined) {
      const names = [...record.kernels.keys()].join(', ');
      throw new Error(
        `thread pool: module ${module.id} has no export ${exportName} (it has ${names})`,
      );
    }
    if (!Number.isInteger(total) || total < 0 || total > 0x7fffffff) {
      throw new Error(`thread pool: ${exportName} total must be an int32 >= 0, got ${total}`);
    }
    if (!Number.isInteger(grain) || grain < 1) {
      throw new Error(`thread pool: ${exportName} grain must be a positive integer, got ${grain}`);
    }
    if (args.length > maxArgs) {
      throw new Error(
        `thread pool: ${exportName} takes at most ${maxArgs} arguments, got ${args.length}`,
      );
    }
    if (total === 0) return 0;
    if (total < 2 * grain || this.#workerCount === 0 || this.#closed) {
      this.#inline(kernel.fn, exportName, args, total);
      return 1;
    }
    if (!this.#started) this.#start();
    return this.#parallel(module.id, kernel, exportName, args, total, grain);
  }

  /**
   * Starts the workers if they have not started, and resolves once every live worker has
   * instantiated every module registered so far.
   */
  ready(): Promise<void> {
    if (this.#workerCount > 0 && !this.#started && !this.#closed) this.#start();
    return new Promise((resolve) => {
      // Node: the workers keep the process alive while someone waits for them.
      if (this.#waiters.length === 0) for (const w of this.#workers) w.handle?.ref?.();
      this.#waiters.push(resolve);
      this.#checkReady();
    });
  }

  /** Stops the workers; later runs use the calling thread only. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (let w = 0; w < this.#workers.length; w++) {
      if (this.#control)
        Atomics.store(this.#control, headerInts + w * strideInts + slot.STATE, state.DEAD);
      this.#workers[w]!.handle?.terminate();
    }
    if (this.#blobUrl !== undefined) host.URL?.revokeObjectURL(this.#blobUrl);
    this.#checkReady();
  }

  #inline(fn: Kernel, exportName: string, args: readonly number[], total: number): void {
    try {
      fn(...args, 0, total);
    } catch (error) {
      throw new Error(
        `wasm kernel ${exportName} failed on the calling thread over [0, ${total}): ${String(error)}`,
        { cause: error },
      );
    }
  }

  #parallel(
    id: number,
    kernel: { readonly index: number; readonly fn: Kernel },
    exportName: string,
    args: readonly number[],
    total: number,
    grain: number,
  ): number {
    const control = this.#control!;
    const units = Math.floor(total / grain);
    let eligible = 0;
    for (let w = 0; w < this.#workerCount; w++) {
      const base = headerInts + w * strideInts;
      if (
        Atomics.load(control, base + slot.STATE) === state.IDLE &&
        Atomics.load(control, base + slot.READY) > id
      ) {
        eligible++;
      }
    }
    const helpers = Math.min(eligible, units - 1);
    if (helpers === 0) {
      this.#inline(kernel.fn, exportName, args, total);
      return 1;
    }
    const chunks = Math.min(units, (helpers + 1) * chunksPerThread);
    control[header.MODULE] = id;
    control[header.EXPORT] = kernel.index;
    control[header.ARGC] = args.length;
    control[header.TOTAL] = total;
    control[header.GRAIN] = grain;
    control[header.CHUNKS] = chunks;
    const argValues = this.#args!;
    for (let i = 0; i < args.length; i++) argValues[i] = args[i]!;
    Atomics.store(control, header.NEXT, 0);
    Atomics.store(control, header.PENDING, 0);

    // Claim idle workers that have the module.
    let claimed = 0;
    for (let w = 0; w < this.#workerCount && claimed < helpers; w++) {
      const base = headerInts + w * strideInts;
      if (Atomics.load(control, base + slot.READY) <= id) continue;
      control[base + slot.FAILED] = 0;
      Atomics.add(control, header.PENDING, 1);
      if (
        Atomics.compareExchange(control, base + slot.STATE, state.IDLE, state.CLAIMED) ===
        state.IDLE
      ) {
        this.#claimed[claimed++] = w;
        Atomics.add(control, base + slot.SIGNAL, 1);
        Atomics.notify(control, base + slot.SIGNAL, 1);
      } else {
        Atomics.sub(control, header.PENDING, 1);
      }
    }

    // This thread's share: chunks until none is left.
    const call = [...args, 0, 0];
    const argc = args.length;
    let failure: Error | undefined;
    for (;;) {
      const c = Atomics.add(control, header.NEXT, 1);
      if (c >= chunks) break;
      const start = grain * Math.floor((c * units) / chunks);
      const end = c === chunks - 1 ? total : grain * Math.floor(((c + 1) * units) / chunks);
      call[argc] = start;
      call[argc + 1] = end;
      try {
        kernel.fn(...call);
      } catch (error) {
        failure = new Error(
          `wasm kernel ${exportName} failed on the calling thread over [${start}, ${end}) of ${total}: ${String(error)}`,
          { cause: error },
        );
        Atomics.store(control, header.NEXT, chunks);
        break;
      }
    }

    // Take back workers that have not woken yet: the chunks are done without them.
    let took = 1 + claimed;
    for (let i = 0; i < claimed; i++) {
      const base = headerInts + this.#claimed[i]! * strideInts;
      if (
        Atomics.compareExchange(control, base + slot.STATE, state.CLAIMED, state.IDLE) ===
        state.CLAIMED
      ) {
        Atomics.sub(control, header.PENDING, 1);
        this.#claimed[i] = -1;
        took--;
      }
    }
    const until = this.#canBlock ? now() + this.#spinMs : 0;
    for (let polls = 1; ; polls++) {
      const pending = Atomics.load(control, header.PENDING);
      if (pending === 0) break;
      if (this.#canBlock && (polls & 255) === 0 && now() > until) {
        Atomics.wait(control, header.PENDING, pending);
      }
    }

    if (failure) throw failure;
    for (let i = 0; i < claimed; i++) {
      const w = this.#claimed[i]!;
      if (w < 0) continue;
      const base = headerInts + w * strideInts;
      if (Atomics.load(control, base + slot.FAILED) === 0) continue;
      const length = control[base + slot.ERROR_LENGTH]!;
      const text = this.#text!.subarray(w * errorChars, w * errorChars + length);
      const message = String.fromCharCode(...text);
      const start = control[base + slot.ERROR_START];
      const end = control[base + slot.ERROR_END];
      throw new Error(
        `wasm kernel ${exportName} failed on worker ${w + 1} over [${start}, ${end}) of ${total}: ${message}`,
      );
    }
    return took;
  }

  #start(): void {
    this.#started = true;
    const workers = this.#workerCount;
    const ints = headerInts + workers * strideInts;
    const argsOffset = Math.ceil((ints * 4) / 8) * 8;
    const textOffset = argsOffset + maxArgs * 8;
    const bytes = textOffset + workers * errorChars * 2;
    const buffer = new SharedArrayBuffer(bytes);
    this.#control = new Int32Array(buffer, 0, ints);
    this.#args = new Float64Array(buffer, argsOffset, maxArgs);
    this.#text = new Uint16Array(buffer, textOffset, workers * errorChars);
    this.#canBlock = mayBlock(this.#control);
    for (let w = 0; w < workers; w++) {
      let handle: WorkerHandle | undefined;
      try {
        handle = this.#spawn(w);
      } catch (error) {
        this.#startFailure ??= String(error);
      }
      this.#workers.push({ handle, dead: handle === undefined, modulesReady: 0 });
      if (handle === undefined) {
        Atomics.store(this.#control, headerInts + w * strideInts + slot.STATE, state.DEAD);
        continue;
      }
      handle.postMessage({
        type: 'init',
        control: buffer,
        ints,
        argsOffset,
        maxArgs,
        textOffset: textOffset + w * errorChars * 2,
        textLength: errorChars,
        memory: this.#runtime.memory,
        base: headerInts + w * strideInts,
        spinMs: this.#spinMs,
      });
      for (const record of this.#modules) this.#post(w, record.module);
    }
  }

  #spawn(w: number): WorkerHandle {
    const onMessage = (data: unknown) => this.#onMessage(w, data);
    const onError = (message: string) => this.#onDead(w, message);
    if (this.#facts.workers === 'node') {
      const threads = nodeWorkerThreads()!;
      const worker = new threads.Worker(workerSource, { eval: true, name: `dl wasm ${w + 1}` });
      worker.on('message', onMessage);
      worker.on('error', (error) => onError(String(error)));
      worker.on('exit', (code) => onError(`worker exited with code ${String(code)}`));
      worker.unref();
      return worker;
    }
    if (this.#blobUrl === undefined) {
      const blob = new host.Blob!([workerSource], { type: 'text/javascript' });
      this.#blobUrl = host.URL!.createObjectURL(blob);
    }
    const worker = new host.Worker!(this.#blobUrl, { name: `dl wasm ${w + 1}` });
    worker.addEventListener('message', (event) => onMessage(event.data));
    worker.addEventListener('error', (event) =>
      onError(
        event.message ??
          'a Web Worker from a blob: URL did not start (a Content Security Policy without worker-src blob: refuses it)',
      ),
    );
    return worker;
  }

  #post(w: number, module: WasmModule): void {
    const entry = this.#workers[w]!;
    if (entry.dead) return;
    const control = this.#control!;
    const base = headerInts + w * strideInts;
    Atomics.add(control, base + slot.POSTED, 1);
    entry.handle!.postMessage({ type: 'module', module });
    Atomics.add(control, base + slot.SIGNAL, 1);
    Atomics.notify(control, base + slot.SIGNAL, 1);
  }

  #onMessage(w: number, data: unknown): void {
    // A foreign boundary: the worker posts only the two shapes written above.
    const message = data as
      | { type: 'ready'; modules: number }
      | { type: 'failed'; message: string };
    if (message.type === 'ready') this.#workers[w]!.modulesReady = message.modules;
    else this.#onDead(w, message.message);
    this.#checkReady();
  }

  #onDead(w: number, message: string): void {
    const entry = this.#workers[w];
    if (entry === undefined || entry.dead || this.#closed) return;
    entry.dead = true;
    this.#startFailure ??= message;
    Atomics.store(this.#control!, headerInts + w * strideInts + slot.STATE, state.DEAD);
    this.#checkReady();
  }

  #checkReady(): void {
    if (this.#waiters.length === 0) return;
    const done =
      this.#closed ||
      !this.#started ||
      this.#workers.every((w) => w.dead || w.modulesReady === this.#modules.length);
    if (!done) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of this.#workers) w.handle?.unref?.();
    for (const resolve of waiters) resolve();
  }
}

const pools = new WeakMap<WasmRuntime, ThreadPool>();

/**
 * The thread pool of `runtime`, made on first call (later calls ignore `options`). Its
 * workers start with the first run large enough to split.
 */
export function threadPool(runtime: WasmRuntime, options?: ThreadPoolOptions): ThreadPool {
  let pool = pools.get(runtime);
  if (pool === undefined) {
    pool = new ThreadPool(runtime, options);
    pools.set(runtime, pool);
  }
  return pool;
}
