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

/**
 * Dawn's instance for each backend asked for, made once per process. Dawn enumerates the
 * adapters of each new instance and prints its notices then (see the README), so devices
 * opened later reuse it. It does not keep Node's event loop alive once no work is pending.
 */
const instances = new Map<string, GPU>();

async function dawnInstance(): Promise<GPU> {
  // Mesa and the Vulkan loader warn on every start without it.
  process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
  const backend =
    process.env['DL_WEBGPU_BACKEND'] ?? (process.platform === 'linux' ? 'vulkan' : '');
  const known = instances.get(backend);
  if (known) return known;
  let dawn: DawnModule;
  try {
    // A dynamic import keeps this optional dependency out of module loading until asked.
    dawn = (await import('webgpu')) as DawnModule;
  } catch (error) {
    throw dawnLoadError(error);
  }
  // Another call may have made it while the import was pending.
  const instance = instances.get(backend) ?? dawn.create(backend ? [`backend=${backend}`] : []);
  instances.set(backend, instance);
  return instance;
}

/** The adapter Dawn offers (null when there is none), for isWebGPUAvailable. */
export async function dawnAdapter(options: WebGPUOptions): Promise<GPUAdapter | null> {
  const instance = await dawnInstance();
  return instance.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
}

export async function openDawnDevice(options: WebGPUOptions): Promise<WebGPUDevice> {
  // The device holds the instance too (see WebGPUDevice).
  return openDevice(await dawnInstance(), options, noAdapterHint, pacedWait);
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
