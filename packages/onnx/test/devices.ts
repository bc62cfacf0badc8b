// The devices every backend-independent suite runs on: the CPU, and WebGPU (Dawn in Node)
// when an adapter is there. Without one the WebGPU runs are left out, unless
// DL_REQUIRE_WEBGPU=1 makes that a failure.

import { type Backend, cpu } from '@dl/tensor';
import { webgpu } from '@dl/webgpu';
import { inject } from 'vitest';

async function openWebGPU(): Promise<Backend | undefined> {
  try {
    return await webgpu();
  } catch (error) {
    if (inject('requireWebGPU'))
      throw new Error(`DL_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${String(error)}`);
    console.warn(`WebGPU runs left out: ${String(error)}`);
    return undefined;
  }
}

const gpu = await openWebGPU();

/** [name, device] pairs for describe.each. */
export const devices: [string, Backend][] = [
  ['cpu', cpu],
  ...(gpu ? [['webgpu', gpu] as [string, Backend]] : []),
];
