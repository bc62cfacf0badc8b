// Devices: a tensor's device is the Backend that holds its storage. 'cpu' names the CPU
// backend; other backends (WebGPU) are objects created explicitly, and once one is open its
// type names it too: after `await webgpu()`, `{ device: 'webgpu' }` and `.to('webgpu')`
// mean that device, as 'cuda' means the current GPU in PyTorch.

import { checkDType, describeValue, isPyTorchDTypeName } from './args.js';
import type { Backend } from './backend.js';
import { cpu } from './cpu/backend.js';
import { type DType, isDType } from './dtype.js';

/** The names of devices: 'cpu', and 'webgpu' for the device `await webgpu()` opened. */
export type DeviceName = 'cpu' | 'webgpu';

/** Where a tensor lives: a device name, or a backend object such as `await webgpu()` returns. */
export type DeviceLike = DeviceName | Backend;

/** Devices that can be asked for by their type's name, the most recently opened last. */
const named: Backend[] = [];

/**
 * Lets `device.type` ('webgpu') name `device` until unregisterDevice, or until a device of the
 * same type is registered after it. Backends call this when they open a device (webgpu() does).
 */
export function registerDevice(device: Backend): void {
  unregisterDevice(device);
  named.push(device);
}

/** Withdraws a device's name (when it is destroyed); the one registered before it takes it back. */
export function unregisterDevice(device: Backend): void {
  const i = named.indexOf(device);
  if (i >= 0) named.splice(i, 1);
}

/** PyTorch's device names that dl has no device for, and what to use instead. */
const otherDevices: Readonly<Record<string, string>> = {
  cuda: 'dl has no CUDA device; WebGPU runs on any GPU',
  mps: 'dl has no MPS device; WebGPU runs on Apple GPUs through Metal',
  xpu: 'dl has no XPU device; WebGPU runs on any GPU',
  gpu: "the GPU device is called 'webgpu'",
};

/** The Backend that `device` names; `op` names the caller in errors. */
export function resolveDevice(device: DeviceLike | undefined, op = 'device'): Backend {
  if (device === undefined || device === 'cpu') return cpu;
  if (typeof device === 'string') {
    const found = named.findLast((d) => d.type === device);
    if (found) return found;
    throw new Error(unknownDevice(op, device));
  }
  if (typeof device !== 'object' || device === null || typeof device.allocate !== 'function') {
    throw new TypeError(
      `${op}: expected a device: 'cpu', 'webgpu' (once \`await webgpu()\` opened one) or a ` +
        `device object such as \`await webgpu()\` returns; got ${describeValue(device)}`,
    );
  }
  return device;
}

function unknownDevice(op: string, name: string): string {
  if (name === 'webgpu') {
    return (
      `${op}: no WebGPU device is open: open one with \`await webgpu()\` from '@dl/webgpu' ` +
      "first (then 'webgpu' names it), or use 'cpu'"
    );
  }
  const base = name.split(':')[0] ?? name;
  const hint = Object.hasOwn(otherDevices, base) ? `${otherDevices[base]}: ` : '';
  return (
    `${op}: unknown device '${name}'; ${hint}use 'cpu', 'webgpu' (once \`await webgpu()\` ` +
    `from '@dl/webgpu' opened one) or a device object${op === 'to' ? ", or a dtype ('float32', 'float64', 'int32', 'bool')" : ''}`
  );
}

/**
 * What `to(target)` means: a dtype, or the device `target` names. A PyTorch dtype name that
 * dl lacks ('int64', 'long', 'half') is refused as a dtype, saying what to use.
 */
export function resolveDeviceOrDType(target: DeviceLike | DType, op: string): DType | Backend {
  if (isDType(target)) return target;
  if (typeof target === 'string' && isPyTorchDTypeName(target)) return checkDType(op, target);
  return resolveDevice(target, op);
}
