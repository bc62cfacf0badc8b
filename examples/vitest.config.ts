import { defineConfig } from 'vitest/config';
import { packageProjects } from '../tooling/vitest/projects.ts';

export default defineConfig({
  test: {
    projects: packageProjects(import.meta.dirname),
  },
});
