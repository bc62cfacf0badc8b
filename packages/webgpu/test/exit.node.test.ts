// A Node program that opened a Dawn device must end when its work ends, whether or not it
// destroyed the device: the instance must not keep the event loop alive.

import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openTestDevice } from './device.js';

const probe = await openTestDevice();
probe?.destroy();
const entry = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/index.node.js');

function runScript(body: string) {
  const script = `import { webgpu } from ${JSON.stringify(entry)};\n${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe.skipIf(!probe)('process lifetime with Dawn', () => {
  it('exits after reading a result without destroying the device', () => {
    const result = runScript(`
      const device = await webgpu();
      const buffer = device.runtime.upload(new Float32Array([1, 2, 3]));
      const values = new Float32Array(await device.runtime.read(buffer));
      console.log('read', values.join(','));
    `);
    expect(result.signal, result.stderr).toBeNull();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('read 1,2,3');
  });

  it('exits after destroying the device while work is pending', () => {
    const result = runScript(`
      const device = await webgpu();
      const pending = device.runtime.read(device.runtime.upload(new Float32Array(4096)));
      device.destroy();
      const outcome = await pending.then(() => 'resolved', (error) => error.name);
      console.log('outcome', outcome);
    `);
    expect(result.signal, result.stderr).toBeNull();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/outcome (resolved|WebGPUDeviceLostError)/);
  });

  it('exits after destroying the device while a pipeline is compiling', () => {
    const result = runScript(`
      const device = await webgpu({ compile: 'async' });
      const x = device.runtime.upload(new Float32Array(64));
      device.runtime.dispatch({
        label: 'negate',
        code: '@group(0) @binding(0) var<storage, read_write> x: array<f32>; @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) { x[id.x] = -x[id.x]; }',
        bindings: [x],
        workgroups: [1],
      });
      const pending = device.runtime.read(x);
      device.destroy();
      const outcome = await pending.then(() => 'resolved', (error) => error.name);
      console.log('outcome', outcome);
    `);
    expect(result.signal, result.stderr).toBeNull();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('outcome WebGPUDeviceLostError');
  });
});
