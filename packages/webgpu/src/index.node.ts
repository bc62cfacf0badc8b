// @dl/webgpu in Node: the device comes from Dawn (the `webgpu` package, an optional peer
// dependency) on its Vulkan backend. The browser entry (index.ts) exports the same names.
// The declarations name WebGPU's types (GPUBuffer, GPUDevice): these references bring them
// to a user's compiler with no set-up, with the DOM library @webgpu/types builds on.
/// <reference types="@webgpu/types" preserve="true" />
/// <reference lib="dom" preserve="true" />

import { WebGPUBackend } from './backend.js';
import { nodeCollection, openDawnDevice } from './dawn.js';
import type { WebGPUOptions } from './open.js';

export { GPUStorage, WebGPUBackend } from './backend.js';
export type { AdapterDescription, ComputeProgram, WebGPUDevice } from './device.js';
export { WebGPUDeviceLostError, WebGPUOperationError, WebGPUUnavailableError } from './errors.js';
export type { WebGPUOptions } from './open.js';
export type { CompileMode } from './pipelines.js';
export type { PoolStats } from './pool.js';

/**
 * Opens a WebGPU device through Dawn. Rejects with a WebGPUUnavailableError that names
 * the fix when the `webgpu` package or a Vulkan driver is missing.
 */
export async function webgpu(options: WebGPUOptions = {}): Promise<WebGPUBackend> {
  const collection =
    options.collectAbove === Infinity ? undefined : nodeCollection(options.collectAbove);
  return new WebGPUBackend(await openDawnDevice(options), collection, options);
}
