// Peak memory of one library's MNIST CNN inference at batch 1000, in a process of its own, so
// one library's memory never mixes with another's: cpu-peers.bench.ts starts one per
// library. The process loads that library alone, reads the weights and images from the
// fixture folder the bench wrote, and runs the batch through the model twice, as evaluation
// runs batch after batch (what a first run leaves for the collector shows in the second: one
// run of dl's JavaScript backend peaked 150 MB lower than two). It prints one line of JSON:
// the resident set before the first run and its peak, in MB of 2^20 bytes.
//
//   tsx inference-memory.ts <library> <fixture folder>
//
// where <library> is one of 'dl cpu', 'tfjs-wasm', 'jax-js wasm' (on Web Workers, as in a
// browser) and 'jax-js wasm, main thread' (as Node gives it).

import { floatArray, readFixture, weightsIn } from './fixture.ts';
import type { InferenceSide, Weights } from './side.ts';

const memoryLibraries = ['dl cpu', 'tfjs-wasm', 'jax-js wasm', 'jax-js wasm, main thread'] as const;
export type MemoryLibrary = (typeof memoryLibraries)[number];

function isMemoryLibrary(name: string | undefined): name is MemoryLibrary {
  return memoryLibraries.some((known) => known === name);
}

/** What the child prints. */
export interface MemoryFigures {
  library: MemoryLibrary;
  /** Resident set once the library, weights and images are loaded, before inference. */
  beforeMB: number;
  /** Peak resident set of the whole process. */
  peakMB: number;
}

const mb = (bytes: number) => bytes / 2 ** 20;

async function open(
  library: MemoryLibrary,
  weights: Weights,
  images: Float32Array,
): Promise<InferenceSide> {
  switch (library) {
    case 'dl cpu': {
      const { dlInference } = await import('./dl-side.ts');
      return dlInference('cpu', weights, images);
    }
    case 'tfjs-wasm': {
      const tf = await import('@tensorflow/tfjs-core');
      const { startTfjsWasm } = await import('./wasm-peers.ts');
      const { tfjsInference } = await import('./tfjs-side.ts');
      await startTfjsWasm(tf);
      return tfjsInference(tf, 'wasm', weights, images);
    }
    case 'jax-js wasm':
    case 'jax-js wasm, main thread': {
      if (library === 'jax-js wasm') {
        const { provideWebWorkers } = await import('../../../tooling/bench/peers.node.ts');
        provideWebWorkers();
      }
      const jax = await import('@jax-js/jax');
      const { jaxInference } = await import('./jax-side.ts');
      if (!(await jax.init('wasm')).includes('wasm')) throw new Error('jax-js: no wasm backend');
      return jaxInference(jax, 'wasm', weights, images);
    }
  }
}

async function main(): Promise<void> {
  const [library, folder] = process.argv.slice(2);
  if (!isMemoryLibrary(library) || folder === undefined) {
    throw new Error(
      `usage: inference-memory.ts <${memoryLibraries.join(' | ')}> <fixture folder>, got ${process.argv.slice(2).join(' ')}`,
    );
  }
  const arrays = readFixture(folder);
  const images = floatArray(arrays, 'inference/images');
  const side = await open(library, weightsIn(arrays, 'cnn/'), images);
  arrays.clear();
  const beforeMB = mb(process.memoryUsage.rss());
  for (let run = 0; run < 2; run++) await side.run();
  // resourceUsage's maxRSS is in kilobytes (of 1024 bytes).
  const peakMB = mb(process.resourceUsage().maxRSS * 1024);
  const figures: MemoryFigures = { library, beforeMB, peakMB };
  console.log(JSON.stringify(figures));
  // jax-js's worker threads would keep the process alive.
  process.exit(0);
}

await main();
