// Tunes the matmul tiles on this machine's lavapipe (Dawn in Node): see tune-matmul-core.ts.
//
//   pnpm --filter @dl/webgpu exec tsx bench/tune-matmul.ts [filter]
//
// `filter` keeps the variants whose key contains it (`|ab|bc`: straight order, broadcast).
// DL_TUNE_SHAPES lists tiles as groups x rows x cols, DL_TUNE_PROBLEM keeps the problems
// whose name contains it, DL_TUNE_ROUNDS and DL_TUNE_MS size the sampling.

import { webgpu } from '@dl/webgpu';
import { defaultShapes, tuneMatmul } from './tune-matmul-core.ts';

const device = await webgpu();
try {
  await tuneMatmul(device, {
    filter: process.argv[2] ?? '',
    problem: process.env['DL_TUNE_PROBLEM'] ?? '',
    shapes: process.env['DL_TUNE_SHAPES'] ?? defaultShapes,
    rounds: Number(process.env['DL_TUNE_ROUNDS'] ?? 12),
    minMs: Number(process.env['DL_TUNE_MS'] ?? 40),
    cpuMs: () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    },
  });
} finally {
  device.destroy();
}
