// The device an example runs on, from `--device cpu|webgpu` or the DL_DEVICE environment
// variable (cpu when neither is given): what `device = "cuda" if ... else "cpu"` is at the
// top of a PyTorch tutorial. WebGPU is opened with `await webgpu()` from @dl/webgpu, which
// fails with a message naming the fix when there is no adapter.

import { parseArgs } from 'node:util';
import { type WebGPUBackend, webgpu } from '@dl/webgpu';

export type Device = 'cpu' | WebGPUBackend;

export async function deviceFromArgs(): Promise<Device> {
  const { values } = parseArgs({
    options: { device: { type: 'string', default: process.env['DL_DEVICE'] ?? 'cpu' } },
  });
  if (values.device === 'cpu') return 'cpu';
  if (values.device === 'webgpu') return webgpu();
  throw new Error(`unknown device '${values.device}': use --device cpu or --device webgpu`);
}
