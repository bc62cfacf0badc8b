// The WebGPU device the tests run on, in Node (Dawn) or in Chromium, through the package's
// public entry point so the export conditions are exercised too. Without an adapter the
// tests that need one are skipped, unless DL_REQUIRE_WEBGPU=1 makes that a failure.

import { type WebGPUBackend, type WebGPUOptions, webgpu } from '@dl/webgpu';
import { inject } from 'vitest';

export const runtime = 'document' in globalThis ? 'Chromium' : 'Node';

export async function openTestDevice(
  options: WebGPUOptions = {},
): Promise<WebGPUBackend | undefined> {
  try {
    return await webgpu(options);
  } catch (error) {
    if (inject('requireWebGPU')) {
      throw new Error(`DL_REQUIRE_WEBGPU=1 but no WebGPU adapter in ${runtime}: ${error}`);
    }
    console.warn(`WebGPU tests skipped in ${runtime}: ${error}`);
    return undefined;
  }
}
