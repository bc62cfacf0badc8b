// Runs every example as a user would (`node --import tsx NN-topic.ts --device D`) on one
// device, one test per example: it passes when the program exits 0, and each example's own
// asserts make a wrong answer fail. Without a WebGPU adapter the WebGPU runs are skipped,
// unless DL_REQUIRE_WEBGPU=1 makes that a failure.

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { webgpu } from '@dl/webgpu';
import { describe, expect, inject, it } from 'vitest';

const folder = join(import.meta.dirname, '..');

/** The example programs, in their order: `01-tensors.ts` ... */
export const examples = readdirSync(folder)
  .filter((name) => /^\d\d-[\w-]+\.ts$/.test(name))
  .sort();

interface Run {
  code: number;
  output: string;
  seconds: number;
}

function runExample(file: string, device: string): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file, '--device', device],
      { cwd: folder, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const seconds = (performance.now() - started) / 1000;
        resolve({ code, output: `${stdout}\n${stderr}`, seconds });
      },
    );
  });
}

async function hasWebGPU(): Promise<boolean> {
  try {
    (await webgpu()).destroy();
    return true;
  } catch (error) {
    if (inject('requireWebGPU'))
      throw new Error(`DL_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${String(error)}`);
    console.warn(`WebGPU runs of the examples left out: ${String(error)}`);
    return false;
  }
}

export async function describeExamples(device: 'cpu' | 'webgpu'): Promise<void> {
  const available = device === 'cpu' || (await hasWebGPU());
  describe.skipIf(!available)(`examples on ${device}`, () => {
    it('finds the examples', () => {
      expect(examples.length).toBe(16);
    });
    it.each(examples)('%s', { timeout: 180_000 }, async (file) => {
      const run = await runExample(file, device);
      if (run.code !== 0) {
        throw new Error(
          `${file} --device ${device} exited with ${run.code}:\n${run.output.slice(-6000)}`,
        );
      }
      console.log(`${file} --device ${device}: ${run.seconds.toFixed(1)} s`);
    });
  });
}
