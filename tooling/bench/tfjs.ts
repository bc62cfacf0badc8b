// tfjs's WebGPU backend as the benchmarks use it, in Node and in browsers alike: starting
// a backend quietly, and waiting for its queued GPU work. tfjs is passed in by the caller
// (each package depends on it itself), so this file imports nothing.

/** The public methods of tfjs's WebGPUBackend that submit its work and wait for it. */
export interface TfWebGPU {
  queue: { onSubmittedWorkDone(): Promise<unknown> };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Submits tfjs's queued WebGPU work and waits until the GPU has done it. */
export async function syncTf(backend: TfWebGPU): Promise<void> {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.queue.onSubmittedWorkDone();
}

/** The part of @tensorflow/tfjs-core that selects a backend. */
export interface TfBackends {
  setBackend(name: string): Promise<boolean>;
  backend(): unknown;
  scalar(value: number): { dispose(): void };
}

/** The tfjs backends the benchmarks use: on the GPU, its JavaScript CPU one, WebAssembly. */
export type TfBackendName = 'webgpu' | 'cpu' | 'wasm';

/**
 * Makes `name` tfjs's backend, silencing its advice to install tfjs-node, and returns the
 * WebGPU backend's queue methods (undefined for other backends). The wasm backend starts
 * only once its .wasm files were located (setWasmPaths).
 */
export async function useTfBackend(tf: TfBackends, name: 'webgpu'): Promise<TfWebGPU>;
export async function useTfBackend(tf: TfBackends, name: 'cpu' | 'wasm'): Promise<undefined>;
export async function useTfBackend(
  tf: TfBackends,
  name: TfBackendName,
): Promise<TfWebGPU | undefined>;
export async function useTfBackend(
  tf: TfBackends,
  name: TfBackendName,
): Promise<TfWebGPU | undefined> {
  const [log, warn] = [console.log, console.warn];
  console.log = console.warn = () => {};
  try {
    if (!(await tf.setBackend(name))) throw new Error(`tfjs could not start its ${name} backend`);
    // The CPU backend gives its advice at its first tensor: made here, while silenced.
    tf.scalar(0).dispose();
  } finally {
    [console.log, console.warn] = [log, warn];
  }
  // The backend's public methods submit and wait (see TfWebGPU); its class is not exported typed.
  return name === 'webgpu' ? (tf.backend() as TfWebGPU) : undefined;
}
