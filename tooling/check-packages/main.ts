// `pnpm check:packages`: dl as an npm user meets it. Packs every publishable package with
// `pnpm pack`, installs the tarballs into two fresh projects outside the workspace (their
// third-party dependencies from the npm registry) and checks what a user would meet:
//
//   the tarballs (tarballs.ts): LICENSE, no source map pointing at a missing file, the
//     versions and ranges npm will see, and `pnpm publish -r --dry-run`;
//   a Node project (node-project.ts): a lean install, the install commands webgpu() and
//     new MNIST() name while their optional peers are missing, `tsc --strict` under
//     nodenext, and a script that trains an MLP on the CPU and on WebGPU (Dawn);
//   a browser project (browser-project.ts): an install without Dawn or MNIST's files,
//     `tsc --strict` under bundler, an esbuild bundle with no `node:` or Dawn import that
//     trains the MLP in headless Chromium on the CPU and on WebGPU (SwiftShader).
//
// One line per check with what it measured; exits 1 if any fails. No WebGPU is a skip, or a
// failure with DL_REQUIRE_WEBGPU=1 (as in CI). `--keep` keeps the temporary folder. The
// projects' sources are in fixtures/.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserProject } from './browser-project.ts';
import { nodeProject } from './node-project.ts';
import { bytes, check, notRun, root, run, summary } from './report.ts';
import {
  checkLicenses,
  checkManifests,
  checkPublishDryRun,
  checkSourceMaps,
  type Packed,
  pack,
  tarballSizes,
} from './tarballs.ts';

const started = performance.now();
await run('pnpm', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root });
const work = mkdtempSync(join(tmpdir(), 'dl-check-packages-'));
console.log(`check:packages in ${work}`);
try {
  let packed: Packed[] = [];
  const packedAll = await check('pnpm pack', async () => {
    packed = await pack(work);
    const { total, each } = tarballSizes(packed);
    return `${packed.length} tarballs, ${bytes(total)}: ${each}`;
  });
  if (packedAll) {
    await check('tarballs: manifests', async () => checkManifests(packed));
    await check('tarballs: LICENSE', async () => checkLicenses(packed));
    await check('tarballs: source maps', async () => checkSourceMaps(packed));
    await nodeProject(work, packed);
    await browserProject(work, packed);
    await check('pnpm publish -r --dry-run', checkPublishDryRun);
  } else {
    notRun('the rest', 'pnpm pack');
  }
} finally {
  if (process.argv.includes('--keep')) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
const { line, failed } = summary();
console.log(`check:packages: ${line} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
if (failed) process.exitCode = 1;
