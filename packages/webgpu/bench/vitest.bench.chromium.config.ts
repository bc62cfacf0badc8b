// Runs the WebGPU benchmark suite in headless Chromium on SwiftShader (webgpu.chromium.ts):
//
//   pnpm --filter @dl/webgpu exec vitest run -c bench/vitest.bench.chromium.config.ts
//
// (part of `pnpm bench`), with DL_BENCH_FILTER to run only cases whose names hold a word.

import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from '../../../tooling/vitest/projects.ts';

export default defineConfig({
  test: {
    root: `${import.meta.dirname}/..`,
    include: ['bench/webgpu.chromium.ts'],
    testTimeout: 30 * 60_000,
    provide: { benchFilter: process.env['DL_BENCH_FILTER'] ?? '' },
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
    benchFilter: string;
  }
}
