import { defineConfig } from 'vitest/config';
import { e2eProject } from '../../tooling/vitest/projects.ts';

export default defineConfig({ test: { projects: [e2eProject(import.meta.dirname)] } });
