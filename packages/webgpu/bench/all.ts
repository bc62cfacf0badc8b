// `pnpm bench`: the WebGPU suite in Node (Dawn), then the same table in headless Chromium
// (SwiftShader). An argument runs only the cases whose names contain it, in both.

import { spawnSync } from 'node:child_process';

const filter = process.argv[2] ?? '';
const run = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const { status } = spawnSync(command, args, { stdio: 'inherit', env });
  if (status !== 0) process.exit(status ?? 1);
};
run('tsx', ['--expose-gc', 'bench/webgpu.bench.ts', filter]);
console.log('\nThe same suite in Chromium (SwiftShader):\n');
run('vitest', ['run', '-c', 'bench/vitest.bench.chromium.config.ts', '--silent=false'], {
  ...process.env,
  DL_BENCH_FILTER: filter,
});
