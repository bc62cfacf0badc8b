// @dl/webgpu in browsers and bundlers: the device comes from `navigator.gpu`.
// The Node entry (index.node.ts) exports the same names, backed by Dawn.
// The declarations name WebGPU's types (GPUBuffer, GPUDevice): these references bring them
// to a user's compiler with no set-up, with the DOM library @webgpu/types builds on.
/// <reference types="@webgpu/types" preserve="true" />
/// <reference lib="dom" preserve="true" />

import { WebGPUBackend } from './backend.js';
import { WebGPUUnavailableError } from './errors.js';
import { openDevice, type WebGPUOptions } from './open.js';

export { GPUStorage, WebGPUBackend } from './backend.js';
export type { AdapterDescription, ComputeProgram, WebGPUDevice } from './device.js';
export { WebGPUDeviceLostError, WebGPUOperationError, WebGPUUnavailableError } from './errors.js';
export type { WebGPUOptions } from './open.js';
export type { CompileMode } from './pipelines.js';
export type { PoolStats } from './pool.js';

/**
 * Opens a WebGPU device. Rejects with a WebGPUUnavailableError that says what to do
 * when the browser has no WebGPU or no adapter.
 */
export async function webgpu(options: WebGPUOptions = {}): Promise<WebGPUBackend> {
  // `navigator` is typed by the DOM library; workers and non-browser hosts may lack `gpu`.
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
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
  return new WebGPUBackend(device, undefined, options);
}
