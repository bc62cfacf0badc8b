// Runs the matmul tuning (tune-matmul.chromium.ts) in headless Chromium, on SwiftShader:
//
//   pnpm --filter @dl/webgpu exec vitest run -c bench/vitest.chromium.config.ts
//
// with DL_TUNE_PROBLEM, DL_TUNE_SHAPES and DL_TUNE_ROUNDS as for tune-matmul.ts.

import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from '../../../tooling/vitest/projects.ts';

export default defineConfig({
  test: {
    root: `${import.meta.dirname}/..`,
    include: ['bench/tune-matmul.chromium.ts'],
    testTimeout: 30 * 60_000,
    provide: {
      tune: {
        filter: process.env['DL_TUNE_FILTER'] ?? '',
        problem: process.env['DL_TUNE_PROBLEM'] ?? '',
        shapes: process.env['DL_TUNE_SHAPES'] ?? '',
        rounds: Number(process.env['DL_TUNE_ROUNDS'] ?? 6),
      },
    },
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
    },
  },
});

declare module 'vitest' {
  export interface ProvidedContext {
    tune: { filter: string; problem: string; shapes: string; rounds: number };
  }
}
