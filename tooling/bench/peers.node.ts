// Setting up the peer libraries of the benchmarks in Node: TensorFlow.js and jax-js look for
// WebGPU at navigator.gpu with the GPU* classes as globals, as in a browser, jax-js's wasm
// backend for Web Workers, and tfjs's gradients need its ESM files. The `webgpu` module is
// passed in by the caller (each package depends on it itself), so this file imports only
// Node's modules. tfjs.ts: the rest.

import { resolveObjectURL } from 'node:buffer';
import { register } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Worker as NodeWorker } from 'node:worker_threads';

/** The `webgpu` package (Dawn for Node): its GPU* classes and its navigator.gpu factory. */
export interface DawnModule {
  create(flags: string[]): unknown;
  globals: object;
}

/**
 * Gives Node a browser's navigator.gpu (Dawn on Vulkan: lavapipe without a GPU) and GPU*
 * globals. Call before importing tfjs's WebGPU backend: it registers itself at import only
 * when navigator.gpu exists.
 */
export function provideNavigatorGpu(dawn: DawnModule): void {
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, 'navigator', {
    value: {
      gpu: dawn.create(['backend=vulkan']),
      userAgent: `Node.js ${process.version}`,
      hardwareConcurrency: cpus().length,
    },
    configurable: true,
  });
}

/** One line naming the host: Node's version and the CPU. */
export function hostLine(): string {
  const processor = cpus();
  return `node ${process.version}, ${processor.length} x ${processor[0]?.model ?? 'unknown CPU'}`;
}

/** The 1, 5 and 15 minute load averages, as uptime prints them. */
export function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
}

/** A module hook carrying a `?copy=...` query from a module to its relative imports. */
const copyHook = `
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const copy = context.parentURL?.match(/[?]copy=[\\w-]+$/)?.[0];
  if (copy && specifier.startsWith('.') && !resolved.url.includes('?')) {
    return { ...resolved, url: resolved.url + copy };
  }
  return resolved;
}`;
let copyHookRegistered = false;

/**
 * Imports a second, independent instance of the package whose entry file is `entryUrl`
 * (a file: URL): the entry and every module it imports by a relative path load again, under
 * URLs ending in `?copy=<name>`, so module-level state (jax-js's backends, made when its
 * module loads) is made afresh. The package must import its own files by relative paths.
 */
export async function importCopy(entryUrl: string, name: string): Promise<unknown> {
  if (!copyHookRegistered) {
    register(`data:text/javascript,${encodeURIComponent(copyHook)}`);
    copyHookRegistered = true;
  }
  return import(`${entryUrl}?copy=${name}`);
}

/** A module hook resolving the extensionless relative imports of tfjs-core's ESM files. */
const tfjsCoreEsmHook = `
export async function resolve(specifier, context, next) {
  const inCore = context.parentURL?.includes('/@tensorflow/tfjs-core/dist/');
  if (inCore && specifier.startsWith('.') && !specifier.endsWith('.js'))
    return next(specifier + '.js', context);
  return next(specifier, context);
}`;

/**
 * Lets Node import tfjs-core's gradients (`@tensorflow/tfjs-core/dist/register_all_gradients.js`):
 * the package's Node bundle has none (the @tensorflow/tfjs bundle carries them), and its ESM
 * files import each other without extensions, which Node's resolver refuses. The gradients
 * register into tfjs's global registry, shared with the Node bundle's engine.
 */
export function resolveTfjsCoreEsm(): void {
  register(`data:text/javascript,${encodeURIComponent(tfjsCoreEsmHook)}`);
}

/** The script a thread runs first: a browser worker's globals, then the page's script. */
const workerBootstrap = `
const { parentPort } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (message) => parentPort.postMessage(message);
let started = false;
parentPort.on('message', (data) => {
  if (!started) {
    started = true;
    (0, eval)(data);
  } else {
    self.onmessage?.({ data });
  }
});`;

/** The Web Worker shim of provideWebWorkers. */
export interface WebWorkers {
  /** How many workers it has started. */
  readonly started: number;
  /**
   * Runs `fn` with no Worker global, restored when fn returns or its promise settles. A
   * library that looks for Worker while it works (jax-js's wasm backend compiles each kernel
   * for shared memory when there is one) then works as Node gives it. Nothing else may run
   * meanwhile that needs the workers.
   */
  without<T>(fn: () => T): T;
}

/**
 * Gives Node a browser's Worker for scripts a page starts from a blob: URL, on
 * worker_threads, and a navigator.hardwareConcurrency (the cores Node may use) where Node has
 * no navigator. jax-js's wasm backend runs its kernels on a pool of such workers over shared
 * memory, one per hardwareConcurrency (4 without a navigator); in Node, which has no Worker
 * global, it finds none and runs every kernel on the main thread. Call before importing
 * jax-js: its wasm backend looks for Worker when the module loads.
 *
 * Only what jax-js uses is there: onmessage, onerror, postMessage and terminate. The
 * script's text is read from its blob asynchronously, so messages posted meanwhile wait and
 * are delivered after it, in order.
 */
export function provideWebWorkers(): WebWorkers {
  let started = 0;
  class NodeWebWorker {
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onerror: ((event: { message: string }) => void) | null = null;
    readonly #thread: NodeWorker;
    #posted: Promise<unknown>;
    constructor(url: string | URL) {
      const blob = resolveObjectURL(String(url));
      if (!blob) throw new Error(`Worker: ${url} is not a blob: URL this process made`);
      this.#thread = new NodeWorker(workerBootstrap, { eval: true });
      this.#thread.on('message', (data: unknown) => this.onmessage?.({ data }));
      this.#thread.on('error', (error: Error) => this.onerror?.({ message: error.message }));
      this.#posted = blob.text().then((script) => this.#thread.postMessage(script));
      started++;
    }
    postMessage(message: unknown): void {
      this.#posted = this.#posted.then(() => this.#thread.postMessage(message));
    }
    terminate(): void {
      void this.#thread.terminate();
    }
  }
  const restore = () => {
    Object.defineProperty(globalThis, 'Worker', {
      value: NodeWebWorker,
      configurable: true,
      writable: true,
    });
  };
  restore();
  if (!('navigator' in globalThis)) {
    Object.defineProperty(globalThis, 'navigator', {
      value: {
        userAgent: `Node.js ${process.version}`,
        hardwareConcurrency: availableParallelism(),
      },
      configurable: true,
    });
  }
  return {
    get started() {
      return started;
    },
    without<T>(fn: () => T): T {
      Reflect.deleteProperty(globalThis, 'Worker');
      let result: T;
      try {
        result = fn();
      } catch (error) {
        restore();
        throw error;
      }
      if (!(result instanceof Promise)) {
        restore();
        return result;
      }
      // The promise fn returned settles as the T it was typed as.
      return result.finally(restore) as T;
    },
  };
}
