// Tunes the matmul tiles in Chromium (WebGPU on SwiftShader): see tune-matmul-core.ts and,
// for how to run it, vitest.chromium.config.ts.

import { webgpu } from '@dl/webgpu';
import { inject, it } from 'vitest';
import { defaultShapes, tuneMatmul } from './tune-matmul-core.ts';

it('measures the matmul variants in Chromium', async () => {
  const { filter, problem, shapes, rounds } = inject('tune');
  const device = await webgpu();
  try {
    await tuneMatmul(device, { filter, problem, shapes: shapes || defaultShapes, rounds });
  } finally {
    device.destroy();
  }
});
