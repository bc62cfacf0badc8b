// The relaxed-SIMD (fused multiply-add) kernels: Node 20 compiles them only when started with
// --experimental-wasm-relaxed-simd, so their sweeps run in a child Node started that way
// (wasm-relaxed-child.ts); from Node 22 on the flag is not needed.

import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { wasmFeatures } from '../src/wasm/features.js';
import { defaultGemmConfig, gemmModuleBytes } from '../src/wasm/gemm.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Whether `bytes` holds `pattern` somewhere. */
function contains(bytes: Uint8Array, pattern: readonly number[]): boolean {
  outer: for (let i = 0; i + pattern.length <= bytes.length; i++) {
    for (let j = 0; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer;
    return true;
  }
  return false;
}

describe('wasm kernels on relaxed SIMD', () => {
  it('use f32x4.relaxed_madd, and only when asked to', () => {
    const memory = { initialPages: 1, maximumPages: 16, shared: false };
    const madd = [0xfd, 0x85, 0x02]; // the SIMD prefix and LEB128 of opcode 0x105
    expect(contains(gemmModuleBytes(memory, defaultGemmConfig(true)), madd)).toBe(true);
    expect(contains(gemmModuleBytes(memory, defaultGemmConfig(false)), madd)).toBe(false);
  });

  it('match the JavaScript kernels in a Node with relaxed SIMD', () => {
    const flags = wasmFeatures().relaxedSimd ? [] : ['--experimental-wasm-relaxed-simd'];
    const result = spawnSync(
      process.execPath,
      [...flags, '--import', 'tsx', resolve(here, 'wasm-relaxed-child.ts')],
      { cwd: resolve(here, '..'), encoding: 'utf8', timeout: 120_000 },
    );
    expect(result.signal, result.stderr).toBeNull();
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      products: number;
      convs: number;
      failures: string[];
    };
    expect(report.failures).toEqual([]);
    expect(report.products).toBe(450);
    expect(report.convs).toBe(152);
  });
});
