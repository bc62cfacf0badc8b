// The devices the backend-independent suites run on: 'cpu', and WebGPU when an adapter
// answers (a missing adapter fails the run when DL_REQUIRE_WEBGPU=1).

import type { Backend } from '@dl/tensor';
import { webgpu } from '@dl/webgpu';
import { inject } from 'vitest';

export async function testDevices(): Promise<[string, Backend | 'cpu'][]> {
  try {
    return [
      ['cpu', 'cpu'],
      ['webgpu', await webgpu()],
    ];
  } catch (error) {
    if (inject('requireWebGPU'))
      throw new Error(`DL_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${error}`);
    console.warn(`WebGPU vision tests skipped: ${error}`);
    return [['cpu', 'cpu']];
  }
}
