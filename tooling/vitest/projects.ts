// Vitest projects for dl's packages, shared by each package's own vitest.config.ts and by
// the root config that runs them all at once.
//
// Every package (and app, and the examples folder) gets a Node project: `src/**/*.test.ts`
// and `test/**/*.test.ts`, except `*.browser.test.ts`. Packages listed in `browserTested`
// also get a Chromium project (headless Debian Chromium with WebGPU on SwiftShader) over the
// same files, except `*.node.test.ts` and tests beside the source, which may use Node APIs.

import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { playwright } from '@vitest/browser-playwright';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { chromiumArgs, chromiumPath } from './chromium.ts';

export { chromiumArgs, chromiumPath };

/** Packages whose tests also run in a browser. */
const browserTested = new Set(['autograd', 'webgpu', 'plot']);

/**
 * Packages whose Chromium project runs only their `*.browser.test.ts` files (the browser APIs
 * they wrap), not every test a second time.
 */
const browserOnlyTested = new Set(['vision', 'nn']);

/**
 * Packages whose `*.browser.test.ts` files run in two Chromium projects: a cross-origin-
 * isolated page (COOP/COEP headers: SharedArrayBuffer and worker threads exist), and a plain
 * page (`<name>:chromium-plain`). Tests read which one with `inject('isolatedPage')`.
 */
const isolationTested = new Set(['tensor']);

/** The headers that make a page cross-origin isolated. */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Set DL_REQUIRE_WEBGPU=1 to turn a missing WebGPU adapter into a failure, not a skip. */
const requireWebGPU = process.env['DL_REQUIRE_WEBGPU'] === '1';

export function nodeProject(packageDir: string): TestProjectInlineConfiguration {
  const name = basename(packageDir);
  return {
    test: {
      name: `${name}:node`,
      root: packageDir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
      environment: 'node',
      provide: { requireWebGPU, isolatedPage: false },
      testTimeout: 30_000,
    },
  };
}

export function browserProject(
  packageDir: string,
  include = ['test/**/*.test.ts'],
  page: 'default' | 'isolated' | 'plain' = 'default',
): TestProjectInlineConfiguration {
  const name = basename(packageDir);
  return {
    ...(page === 'isolated' ? { server: { headers: isolationHeaders } } : {}),
    test: {
      name: `${name}:${page === 'plain' ? 'chromium-plain' : 'chromium'}`,
      root: packageDir,
      include,
      exclude: ['**/*.node.test.ts', '**/node_modules/**'],
      provide: { requireWebGPU, isolatedPage: page === 'isolated' },
      testTimeout: 60_000,
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        provider: playwright({
          launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
        }),
        instances: [{ browser: 'chromium' }],
      },
    },
  };
}

/**
 * The project of an app: its `*.test.ts` and end-to-end `*.e2e.ts` files under `test/`, run
 * in Node; an end-to-end test starts the app's server and drives headless Chromium
 * (`chromiumPath`, `chromiumArgs`) with Playwright.
 */
export function appProject(appDir: string): TestProjectInlineConfiguration {
  return {
    test: {
      name: `${basename(appDir)}:app`,
      root: appDir,
      include: ['test/**/*.test.ts', 'test/**/*.e2e.ts'],
      environment: 'node',
      provide: { requireWebGPU },
      testTimeout: 90_000,
      hookTimeout: 90_000,
    },
  };
}

/** Apps whose tests drive a browser themselves (appProject) instead of a Node project. */
const selfDrivenApps = new Set(['playground']);

/** The projects of one package directory. */
export function packageProjects(packageDir: string): TestProjectInlineConfiguration[] {
  if (selfDrivenApps.has(basename(packageDir))) return [appProject(packageDir)];
  const projects = [nodeProject(packageDir)];
  if (browserTested.has(basename(packageDir))) projects.push(browserProject(packageDir));
  else if (browserOnlyTested.has(basename(packageDir)))
    projects.push(browserProject(packageDir, ['test/**/*.browser.test.ts']));
  else if (isolationTested.has(basename(packageDir))) {
    const include = ['test/**/*.browser.test.ts'];
    projects.push(
      browserProject(packageDir, include, 'isolated'),
      browserProject(packageDir, include, 'plain'),
    );
  }
  return projects;
}

/**
 * The projects of every package under `packagesDir`, of every app under the `apps` folder
 * beside it, and of the `examples` folder beside it (itself one workspace member, whose
 * test runs every example on each device).
 */
export function workspaceProjects(packagesDir: string): TestProjectInlineConfiguration[] {
  const root = join(packagesDir, '..');
  const members = [packagesDir, join(root, 'apps')]
    .filter((folder) => existsSync(folder))
    .flatMap((folder) => readdirSync(folder).map((entry) => join(folder, entry)));
  return [...members, join(root, 'examples')]
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .flatMap(packageProjects);
}

declare module 'vitest' {
  export interface ProvidedContext {
    requireWebGPU: boolean;
    /** The test runs in a cross-origin-isolated page (see isolationTested). */
    isolatedPage: boolean;
  }
}
