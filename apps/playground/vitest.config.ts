import { defineConfig } from 'vitest/config';
import { appProject } from '../../tooling/vitest/projects.ts';

export default defineConfig({ test: { projects: [appProject(import.meta.dirname)] } });
