// Dawn prints two notices about limits it lowers (maxDynamicUniformBuffersPerPipelineLayout
// and maxDynamicStorageBuffersPerPipelineLayout "artificially reduced") from native code
// when an instance first looks for adapters. dl makes one instance per process, so a
// program that opens several devices sees them once (see the README).

import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openTestDevice } from './device.js';

const probe = await openTestDevice();
probe?.destroy();
const entry = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/index.node.js');

describe.skipIf(!probe)('Dawn notices', () => {
  it('appear at most once per process, however many devices it opens', () => {
    const script = `import { webgpu } from ${JSON.stringify(entry)};
      for (let i = 0; i < 3; i++) (await webgpu()).destroy();
      console.log('opened 3');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stdout, result.stderr).toContain('opened 3');
    const notices = result.stderr
      .split('\n')
      .filter((line) => line.includes('artificially reduced'));
    expect(notices.length, result.stderr).toBeLessThanOrEqual(2);
  });
});
