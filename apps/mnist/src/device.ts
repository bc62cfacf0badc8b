// Picks the device to train on: WebGPU when an adapter exists (auto), else the CPU with a
// notice saying why; --device webgpu without an adapter is an error naming the fix.

import type { Backend } from '@dl/tensor';
import { webgpu } from '@dl/webgpu';
import { type DeviceChoice, UsageError } from './args.js';

export interface OpenedDevice {
  device: Backend | 'cpu';
  /** What the user is told: the device and, for WebGPU, the adapter. */
  description: string;
  close(): void;
}

export async function openDevice(
  choice: DeviceChoice,
  log: (line: string) => void,
): Promise<OpenedDevice> {
  const cpu = { device: 'cpu' as const, description: 'cpu', close: () => undefined };
  if (choice === 'cpu') return cpu;
  try {
    const gpu = await webgpu();
    return { device: gpu, description: gpu.toString(), close: () => gpu.destroy() };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (choice === 'webgpu') throw new UsageError(`--device webgpu: no WebGPU device: ${reason}`);
    log(`notice: no WebGPU adapter, training on the CPU (${reason.split('\n')[0]})`);
    return cpu;
  }
}
