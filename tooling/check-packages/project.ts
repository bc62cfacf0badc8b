// A fresh user's project outside the workspace: its package.json depending on every
// tarball, its install from the npm registry, its tsconfig and a compile with the
// workspace's TypeScript, and how its training results read.

import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TrainResult } from './fixtures/mlp.ts';
import { assert, bytes, root, run, Skip, sizeOf } from './report.ts';
import type { Packed } from './tarballs.ts';

export const npmFlags = ['--no-audit', '--no-fund', '--no-update-notifier'];

/** The TypeScript blocks of the root README, each a module a user may paste as it is. */
export function readmeBlocks(): string[] {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/**
 * Creates `dir` with a package.json that depends on every tarball, copies the named files
 * of fixtures/ into its src/, and writes the README's TypeScript blocks there, verbatim, as
 * readme-1.ts, readme-2.ts, ... (compiled with the rest).
 */
export function createProject(dir: string, packed: readonly Packed[], files: string[]): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const dependencies = Object.fromEntries(
    packed.map((p) => [p.manifest.name, `file:${relative(dir, p.tarball)}`]),
  );
  const manifest = { name: `dl-check-${dir.split('/').at(-1)}`, private: true, type: 'module' };
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ ...manifest, dependencies }, null, 2)}\n`,
  );
  for (const file of files) {
    copyFileSync(join(import.meta.dirname, 'fixtures', file), join(dir, 'src', file));
  }
  const blocks = readmeBlocks();
  assert(blocks.length > 0, 'the README has no ```ts blocks to compile');
  for (const [k, block] of blocks.entries()) {
    writeFileSync(join(dir, 'src', `readme-${k + 1}.ts`), block);
  }
}

/**
 * `npm install`, then checks that dl's packages came from the tarballs and that the
 * `absent` packages were not installed; says how many packages and bytes it took.
 */
export async function install(
  dir: string,
  packed: readonly Packed[],
  absent: readonly string[],
): Promise<string> {
  await run('npm', ['install', ...npmFlags], { cwd: dir });
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { resolved?: string }>;
  };
  const installed = Object.keys(lock.packages).filter((path) => path !== '');
  for (const { manifest } of packed) {
    const resolved = lock.packages[`node_modules/${manifest.name}`]?.resolved;
    assert(
      resolved?.startsWith('file:'),
      `${manifest.name} came from ${resolved}, not its tarball`,
    );
  }
  for (const name of absent) {
    const found = installed.filter((path) => path.endsWith(`node_modules/${name}`));
    assert(found.length === 0, `${name} was installed (${found.join(', ')})`);
  }
  const registry = installed.length - packed.length;
  const size = bytes(sizeOf(join(dir, 'node_modules')));
  return `${installed.length} packages (${packed.length} of dl, ${registry} from the registry), ${size}; no ${absent.join(', no ')}`;
}

/** A strict tsconfig over src/, as a user's, never with skipLibCheck. */
export function writeTsconfig(dir: string, compilerOptions: Record<string, unknown>): void {
  const tsconfig = {
    compilerOptions: { strict: true, skipLibCheck: false, target: 'es2022', ...compilerOptions },
    include: ['src'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
}

/** The workspace's TypeScript on the project; any error fails the check, and is shown. */
export async function tsc(dir: string): Promise<string> {
  const compiler = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const { stdout } = await run(process.execPath, [compiler, '-p', dir, '--listFiles'], {
    cwd: dir,
    pick: (lines) => lines.filter((line) => !line.startsWith('/')),
  });
  const declarations = stdout.split('\n').filter((f) => /node_modules\/@dl\/.*\.d\.ts$/.test(f));
  const files = readdirSync(join(dir, 'src')).filter((f) => f.endsWith('.ts'));
  return `${files.join(', ')} and ${declarations.length} declaration files of dl: no errors`;
}

export type DeviceResult = TrainResult | { unavailable: string };

/** `loss a -> b in n steps [on adapter]`. */
export function describeLoss(result: TrainResult, adapter = ''): string {
  const loss = `loss ${result.first.toFixed(3)} -> ${result.last.toFixed(3)} in ${result.steps} steps`;
  return adapter ? `${loss} on ${adapter}` : loss;
}

/**
 * The loss on WebGPU; a skip when WebGPU was unavailable, or a failure with
 * DL_REQUIRE_WEBGPU=1 (as in CI).
 */
export function describeWebGPU(result: DeviceResult | undefined, adapter = ''): string | Skip {
  assert(result, 'the script did not run');
  if (!('unavailable' in result)) return describeLoss(result, adapter);
  const message = `no WebGPU: ${result.unavailable}`;
  assert(process.env['DL_REQUIRE_WEBGPU'] !== '1', `${message} (DL_REQUIRE_WEBGPU=1)`);
  return new Skip(message);
}
