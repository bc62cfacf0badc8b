// The devices every backend-independent suite runs on: the CPU, and WebGPU when an adapter
// exists (Dawn in Node). Without one the WebGPU runs are skipped with a warning, unless
// DL_REQUIRE_WEBGPU=1 makes that a failure.

import { type Backend, cpu } from '@dl/tensor';
import { type WebGPUBackend, webgpu } from '@dl/webgpu';
import { inject } from 'vitest';

async function openWebGPU(): Promise<WebGPUBackend | undefined> {
  try {
    return await webgpu();
  } catch (error) {
    if (inject('requireWebGPU')) {
      throw new Error(`DL_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${error}`);
    }
    console.warn(`WebGPU runs of the optim tests skipped: ${error}`);
    return undefined;
  }
}

/** [name, device] pairs for describe.each, and a close() for afterAll. */
export async function openDevices(): Promise<{ devices: [string, Backend][]; close(): void }> {
  const gpu = await openWebGPU();
  return {
    devices: gpu
      ? [
          ['cpu', cpu],
          ['webgpu', gpu],
        ]
      : [['cpu', cpu]],
    close: () => gpu?.destroy(),
  };
}
