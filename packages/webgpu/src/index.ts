// @dl/webgpu in browsers and bundlers: the device comes from `navigator.gpu`.
// The Node entry (index.node.ts) exports the same names, backed by Dawn.
// The declarations name WebGPU's types (GPUBuffer, GPUDevice): these references bring them
// to a user's compiler with no set-up, with the DOM library @webgpu/types builds on.
/// <reference types="@webgpu/types" preserve="true" />
/// <reference lib="dom" preserve="true" />

import { registerDevice } from '@dl/tensor';
import { WebGPUBackend } from './backend.js';
import { WebGPUUnavailableError } from './errors.js';
import { openDevice, type WebGPUOptions } from './open.js';

export { GPUStorage, WebGPUBackend } from './backend.js';
export type {
  AdapterDescription,
  BufferRange,
  ComputeProgram,
  IndexReport,
  WebGPUDevice,
} from './device.js';
export { WebGPUDeviceLostError, WebGPUOperationError, WebGPUUnavailableError } from './errors.js';
export type { ElementwiseOrder } from './kernels/elementwise.js';
export type { WebGPUOptions } from './open.js';
export type { CompileMode } from './pipelines.js';
export type { PoolStats } from './pool.js';

/** `navigator.gpu`, where the browser (or worker) has WebGPU. */
function browserGPU(): GPU | undefined {
  // `navigator` is typed by the DOM library; workers and non-browser hosts may lack `gpu`.
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

/**
 * Whether `await webgpu()` can open a device here: the browser has WebGPU and an adapter
 * (PyTorch's `torch.cuda.is_available()`). Never rejects.
 */
export async function isWebGPUAvailable(
  options: Pick<WebGPUOptions, 'powerPreference'> = {},
): Promise<boolean> {
  try {
    const adapter = await browserGPU()?.requestAdapter(
      options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
    );
    return Boolean(adapter);
  } catch {
    return false;
  }
}

/**
 * Opens a WebGPU device, which the name 'webgpu' then means (`tensor(data, { device:
 * 'webgpu' })`, `x.to('webgpu')`) until it is destroyed. Rejects with a
 * WebGPUUnavailableError that says what to do when the browser has no WebGPU or no adapter.
 */
export async function webgpu(options: WebGPUOptions = {}): Promise<WebGPUBackend> {
  const gpu = browserGPU();
  if (!gpu) {
    throw new WebGPUUnavailableError(
      'this browser has no WebGPU (navigator.gpu is undefined). Use a browser with WebGPU ' +
        "enabled (Chromium: --enable-unsafe-webgpu), or the 'cpu' device.",
    );
  }
  const device = await openDevice(
    gpu,
    options,
    "The browser exposes navigator.gpu but found no usable GPU; check chrome://gpu, or use the 'cpu' device.",
  );
  const backend = new WebGPUBackend(device, undefined, options);
  registerDevice(backend);
  return backend;
}
