// @dl/webgpu in Node: the device comes from Dawn (the `webgpu` package, an optional peer
// dependency) on its Vulkan backend. The browser entry (index.ts) exports the same names.
// The declarations name WebGPU's types (GPUBuffer, GPUDevice): these references bring them
// to a user's compiler with no set-up, with the DOM library @webgpu/types builds on.
/// <reference types="@webgpu/types" preserve="true" />
/// <reference lib="dom" preserve="true" />

import { registerDevice } from '@dl/tensor';
import { WebGPUBackend } from './backend.js';
import { dawnAdapter, nodeCollection, openDawnDevice } from './dawn.js';
import type { WebGPUOptions } from './open.js';

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

/**
 * Whether `await webgpu()` can open a device here: the `webgpu` package loads and Dawn finds
 * an adapter (PyTorch's `torch.cuda.is_available()`). Never rejects.
 */
export async function isWebGPUAvailable(
  options: Pick<WebGPUOptions, 'powerPreference'> = {},
): Promise<boolean> {
  try {
    return (await dawnAdapter(options)) !== null;
  } catch {
    return false;
  }
}

/**
 * Opens a WebGPU device through Dawn, which the name 'webgpu' then means (`tensor(data,
 * { device: 'webgpu' })`, `x.to('webgpu')`) until it is destroyed. Rejects with a
 * WebGPUUnavailableError that names the fix when the `webgpu` package or a Vulkan driver
 * is missing.
 */
export async function webgpu(options: WebGPUOptions = {}): Promise<WebGPUBackend> {
  const collection =
    options.collectAbove === Infinity ? undefined : nodeCollection(options.collectAbove);
  const backend = new WebGPUBackend(await openDawnDevice(options), collection, options);
  registerDevice(backend);
  return backend;
}
