import { defineConfig } from 'vitest/config';
import { packageProjects } from '../../tooling/vitest/projects.ts';

export default defineConfig({
  test: {
    projects: packageProjects(import.meta.dirname),
    // A package whose API has not arrived yet has no tests to run.
    passWithNoTests: true,
  },
});
