#!/usr/bin/env node
// dl-webgpu-info: prints the WebGPU adapter dl gets in Node and checks one kernel on it.
// Exits non-zero, with the reason, when there is no adapter or the kernel is wrong.

import { checkDevice } from './check.js';
import { webgpu } from './index.node.js';

async function main(): Promise<number> {
  const device = await webgpu();
  const { adapter, limits } = device;
  const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
  console.log(`WebGPU adapter: ${adapter.description}`);
  console.log(`  vendor ${adapter.vendor || '?'}, architecture ${adapter.architecture || '?'}`);
  console.log(`  features: ${[...device.features].sort().join(', ') || 'none'}`);
  console.log(
    `  limits: storage binding ${mib(limits.maxStorageBufferBindingSize)}, ` +
      `buffer ${mib(limits.maxBufferSize)}, workgroup storage ${limits.maxComputeWorkgroupStorageSize} B, ` +
      `${limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup`,
  );
  const check = await checkDevice(device.runtime);
  device.destroy();
  const verdict = check.ok ? 'matches the CPU' : 'DOES NOT match the CPU';
  console.log(
    `Kernel y = 3x^2 - 2x + 1 over ${check.count.toLocaleString('en')} floats: ${verdict} ` +
      `(max relative error ${check.maxRelativeError.toExponential(2)}, ${check.milliseconds.toFixed(1)} ms)`,
  );
  return check.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exitCode = 1;
  },
);
