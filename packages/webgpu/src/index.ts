// @dl/webgpu in browsers and bundlers: the device comes from `navigator.gpu`.
// The Node entry (index.node.ts) exports the same names, backed by Dawn.

import type { WebGPUDevice } from './device.js';
import { WebGPUUnavailableError } from './errors.js';
import { openDevice, type WebGPUOptions } from './open.js';

export type { AdapterDescription, ComputeProgram, WebGPUDevice } from './device.js';
export { WebGPUDeviceLostError, WebGPUOperationError, WebGPUUnavailableError } from './errors.js';
export type { WebGPUOptions } from './open.js';

/**
 * Opens a WebGPU device. Rejects with a WebGPUUnavailableError that says what to do
 * when the browser has no WebGPU or no adapter.
 */
export async function webgpu(options: WebGPUOptions = {}): Promise<WebGPUDevice> {
  // `navigator` is typed by the DOM library; workers and non-browser hosts may lack `gpu`.
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    throw new WebGPUUnavailableError(
      'this browser has no WebGPU (navigator.gpu is undefined). Use a browser with WebGPU ' +
        "enabled (Chromium: --enable-unsafe-webgpu), or the 'cpu' device.",
    );
  }
  return openDevice(
    gpu,
    options,
    "The browser exposes navigator.gpu but found no usable GPU; check chrome://gpu, or use the 'cpu' device.",
  );
}
