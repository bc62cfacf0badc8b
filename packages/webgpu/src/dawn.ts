// Dawn in Node, through the `webgpu` package. Node-only: imported by index.node.ts alone.
// The package is an optional peer dependency, so that browser installs never download
// Dawn's binaries: Node users install it themselves, and its absence says how.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { WebGPUDevice } from './device.js';
import { WebGPUUnavailableError } from './errors.js';
import { openDevice, type WebGPUOptions } from './open.js';
import { pacedWait } from './paced-wait.js';
import type { CollectionPolicy } from './pool.js';

interface DawnModule {
  create(flags: string[]): GPU;
}

/** The `webgpu` version dl is tested with (its devDependency; the peer range starts there). */
export const dawnVersion = '0.6.2';

const noAdapterHint =
  'Dawn needs a Vulkan driver: on a machine without a GPU install Mesa 25 lavapipe ' +
  '(Debian 12: `tooling/scripts/system-deps.sh vulkan` in the dl repository, or ' +
  '`apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1`). ' +
  "Set DL_WEBGPU_BACKEND to try another Dawn backend, or use the 'cpu' device.";

export async function openDawnDevice(options: WebGPUOptions): Promise<WebGPUDevice> {
  // Mesa and the Vulkan loader warn on every start without it.
  process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
  let dawn: DawnModule;
  try {
    // A dynamic import keeps this optional dependency out of module loading until asked.
    dawn = (await import('webgpu')) as DawnModule;
  } catch (error) {
    throw dawnLoadError(error);
  }
  const backend =
    process.env['DL_WEBGPU_BACKEND'] ?? (process.platform === 'linux' ? 'vulkan' : '');
  // The device holds the instance until it is destroyed or lost (see WebGPUDevice); it
  // does not keep Node's event loop alive by itself once no work is pending.
  const instance = dawn.create(backend ? [`backend=${backend}`] : []);
  return openDevice(instance, options, noAdapterHint, pacedWait);
}

/** The error webgpu() raises in Node when importing the `webgpu` package failed. */
export function dawnLoadError(error: unknown): WebGPUUnavailableError {
  const install = `npm install webgpu@${dawnVersion}`;
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (code === 'ERR_MODULE_NOT_FOUND') {
    return new WebGPUUnavailableError(
      `WebGPU in Node needs Dawn, the 'webgpu' package, which is not installed: ${install} ` +
        "(or use the 'cpu' device).",
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new WebGPUUnavailableError(
    `the 'webgpu' package (Dawn) could not be loaded: ${message}. It ships for linux-x64, ` +
      `linux-arm64, darwin and win32; reinstall it (${install}) or use the 'cpu' device.`,
  );
}

/** V8's gc(), which takes options when exposed (--expose-gc). */
type Gc = (options?: { type: 'major'; execution: 'async' }) => void;

let gc: Gc | undefined;

/**
 * Lets the buffer pool run the garbage collector when garbage GPU buffers pile up (see
 * CollectionPolicy). Node exposes `gc` only with --expose-gc; the flag can be set at run
 * time, and a new context then sees the function.
 */
export function nodeCollection(floor?: number): CollectionPolicy | undefined {
  if (!gc) {
    const exposed = (globalThis as { gc?: Gc }).gc;
    if (exposed) gc = exposed;
    else {
      try {
        setFlagsFromString('--expose-gc');
        gc = runInNewContext('gc') as Gc;
      } catch {
        return undefined;
      }
    }
  }
  const run = gc;
  // A full collection whose marking runs alongside the JavaScript that follows (it is asked
  // for when a wait for the device begins), not a pause of tens of milliseconds; the
  // finalizers that free garbage tensors' buffers run when it completes.
  const collect = () => run({ type: 'major', execution: 'async' });
  return floor === undefined ? { collect } : { collect, floor };
}
