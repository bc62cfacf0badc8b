// Devices: a tensor's device is the Backend that holds its storage. 'cpu' names the CPU
// backend; other backends (WebGPU) are objects created explicitly and passed around.

import type { Backend } from './backend.js';
import { cpu } from './cpu/backend.js';

/** Where a tensor lives: 'cpu', or a backend object such as the one `await webgpu()` returns. */
export type DeviceLike = 'cpu' | Backend;

export function resolveDevice(device: DeviceLike | undefined): Backend {
  if (device === undefined || device === 'cpu') return cpu;
  if (typeof device === 'string') {
    throw new Error(
      `unknown device '${device}': use 'cpu', or a device object such as the one ` +
        "`await webgpu()` from '@dl/webgpu' returns",
    );
  }
  return device;
}
