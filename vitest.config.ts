// Runs every package's test projects (Node, and Chromium where a package has browser
// tests) in one process, ending with a plain `tests: N passed, N failed` line.
import { defineConfig } from 'vitest/config';
import { appProject, workspaceProjects } from './tooling/vitest/projects.ts';

export default defineConfig({
  test: {
    projects: [
      ...workspaceProjects(`${import.meta.dirname}/packages`),
      appProject(`${import.meta.dirname}/apps/playground`),
    ],
    reporters: ['default', './tooling/vitest/summary-reporter.ts'],
  },
});
