// Setting up the peer libraries of the benchmarks in Node: TensorFlow.js and jax-js look for
// WebGPU at navigator.gpu with the GPU* classes as globals, as in a browser, and tfjs's
// gradients need its ESM files. The `webgpu` module is passed in by the caller (each package
// depends on it itself), so this file imports only Node's modules. tfjs.ts: the rest.

import { register } from 'node:module';
import { cpus } from 'node:os';

/** The `webgpu` package (Dawn for Node): its GPU* classes and its navigator.gpu factory. */
export interface DawnModule {
  create(flags: string[]): unknown;
  globals: object;
}

/**
 * Gives Node a browser's navigator.gpu (Dawn on Vulkan: lavapipe without a GPU) and GPU*
 * globals. Call before importing tfjs's WebGPU backend: it registers itself at import only
 * when navigator.gpu exists.
 */
export function provideNavigatorGpu(dawn: DawnModule): void {
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, 'navigator', {
    value: {
      gpu: dawn.create(['backend=vulkan']),
      userAgent: `Node.js ${process.version}`,
      hardwareConcurrency: cpus().length,
    },
    configurable: true,
  });
}

/** One line naming the host: Node's version and the CPU. */
export function hostLine(): string {
  const processor = cpus();
  return `node ${process.version}, ${processor.length} x ${processor[0]?.model ?? 'unknown CPU'}`;
}

/** A module hook resolving the extensionless relative imports of tfjs-core's ESM files. */
const tfjsCoreEsmHook = `
export async function resolve(specifier, context, next) {
  const inCore = context.parentURL?.includes('/@tensorflow/tfjs-core/dist/');
  if (inCore && specifier.startsWith('.') && !specifier.endsWith('.js'))
    return next(specifier + '.js', context);
  return next(specifier, context);
}`;

/**
 * Lets Node import tfjs-core's gradients (`@tensorflow/tfjs-core/dist/register_all_gradients.js`):
 * the package's Node bundle has none (the @tensorflow/tfjs bundle carries them), and its ESM
 * files import each other without extensions, which Node's resolver refuses. The gradients
 * register into tfjs's global registry, shared with the Node bundle's engine.
 */
export function resolveTfjsCoreEsm(): void {
  register(`data:text/javascript,${encodeURIComponent(tfjsCoreEsmHook)}`);
}
