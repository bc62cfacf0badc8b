import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dawnLoadError, dawnVersion } from './dawn.js';
import { WebGPUUnavailableError } from './errors.js';

/** An import failure as Node reports it, with its error code. */
function importError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('dawnLoadError', () => {
  it('gives the exact install command when the webgpu package is missing', () => {
    const error = dawnLoadError(
      importError(
        "Cannot find package 'webgpu' imported from /app/dawn.js",
        'ERR_MODULE_NOT_FOUND',
      ),
    );
    expect(error).toBeInstanceOf(WebGPUUnavailableError);
    expect(error.message).toBe(
      "WebGPU in Node needs Dawn, the 'webgpu' package, which is not installed: " +
        "npm install webgpu@0.6.2 (or use the 'cpu' device).",
    );
  });

  it('keeps the reason when the package is there but does not load', () => {
    const error = dawnLoadError(
      importError('libvulkan.so.1: cannot open shared object file', 'ERR_DLOPEN_FAILED'),
    );
    expect(error).toBeInstanceOf(WebGPUUnavailableError);
    expect(error.message).toContain('libvulkan.so.1: cannot open shared object file');
    expect(error.message).toContain('reinstall it (npm install webgpu@0.6.2)');
  });
});

describe('the webgpu package in the manifest', () => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

  it('is an optional peer from the tested version, so browser installs skip Dawn', () => {
    expect(manifest.peerDependencies.webgpu).toBe(`^${dawnVersion}`);
    expect(manifest.peerDependenciesMeta.webgpu).toEqual({ optional: true });
    expect(manifest.dependencies.webgpu).toBeUndefined();
    expect(manifest.optionalDependencies?.webgpu).toBeUndefined();
  });

  it('is installed in the workspace at the version the error names', () => {
    expect(manifest.devDependencies.webgpu).toBe(dawnVersion);
  });

  it('is installed by the command the READMEs give', () => {
    for (const readme of ['../README.md', '../../../README.md']) {
      const text = readFileSync(new URL(readme, import.meta.url), 'utf8');
      expect(text, readme).toContain(`npm install webgpu@${dawnVersion}`);
    }
  });
});
