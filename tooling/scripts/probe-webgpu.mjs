// Asks Dawn (the `webgpu` package installed for @dl/webgpu) for an adapter and prints it.
// Exit code 0 when an adapter answers, 1 otherwise. Used by system-deps.sh before and
// after it installs a Vulkan driver; needs nothing built.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const webgpuPackage = fileURLToPath(new URL('../../packages/webgpu/package.json', import.meta.url));
process.env.XDG_RUNTIME_DIR ??= '/tmp';

let dawn;
try {
  const require = createRequire(webgpuPackage);
  dawn = await import(require.resolve('webgpu'));
} catch (error) {
  console.error(`the 'webgpu' package is not installed (${error.message})`);
  process.exit(1);
}

let gpu = dawn.create(['backend=vulkan']);
const adapter = await gpu.requestAdapter();
gpu = undefined; // an instance still referenced keeps Node alive
if (!adapter) {
  console.error('no WebGPU adapter (Dawn, Vulkan backend)');
  process.exit(1);
}
const info = adapter.info;
console.log(`${info.vendor} ${info.device || info.architecture} (${info.description})`.trim());
process.exit(0);
