// Training throughput of the MNIST CNN (batch 64; a step is forward, nll loss, backward,
// Adam(1e-3) and the loss read back): dl on WebGPU and on the CPU against TensorFlow.js 4.22
// (WebGPU and wasm backends) and jax-js 0.1.25 (WebGPU and wasm, jit), all in this process,
// WebGPU sides on the same Dawn adapter (lavapipe without a GPU), and dl on WebGPU with its
// device-side index checks off, so that 'dl webgpu vs it' on that row is what the checks cost
// (below 1: the checked side is slower). The CPU rows ('dl cpu vs it') compare dl's CPU
// backend with the peers' WebAssembly ones (wasm-peers.ts says how each runs: SIMD, threads).
// Run with `pnpm bench` (or `pnpm bench:train` in apps/mnist); arguments: the number of
// timed samples (5), and --tfjs-cpu to add tfjs's CPU backend, which takes minutes a step and
// so gets one step, timed in the cross-check, instead of alternated samples.
//
// First every side trains three steps from dl's initial weights on the same fixed batch with
// dropout off, and the run fails unless their first losses agree and every side's loss goes
// down. Then fresh sides train with dropout on, warmed up and timed in alternation, sample by
// sample, so load from elsewhere on the shared machine lands on all of them. A sample is
// steps run back to back for at least two seconds (one step of the slowest sides), as in an
// epoch: a side's first step after the others ran pays for waking the driver's threads, and
// one-step samples counted that into every step. The batch is the same every step: data
// loading is not timed.

import { webgpu } from '@dl/webgpu';
import type * as Jax from '@jax-js/jax';
import * as dawn from 'webgpu';
import { compareAll } from '../../../tooling/bench/compare.ts';
import {
  hostLine,
  importCopy,
  loadAverage,
  provideNavigatorGpu,
  provideWebWorkers,
  resolveTfjsCoreEsm,
} from '../../../tooling/bench/peers.node.ts';
import { firstBatch, initialWeights } from './dl-data.ts';
import { describeDlCpu, dlSide } from './dl-side.ts';
import { jaxSide } from './jax-side.ts';
import { batchSize, type SideOptions, type TrainingSide } from './side.ts';
import { tfjsSide } from './tfjs-side.ts';
import { describeJaxWasm, startTfjsWasm } from './wasm-peers.ts';

const args = process.argv.slice(2);
/** tfjs's CPU backend takes minutes per step (about 190 s here): its row is opt-in. */
const withTfjsCpu = args.includes('--tfjs-cpu');
const samplesArg = args.find((a) => a !== '--tfjs-cpu');
const samples = Number(samplesArg ?? 5);
/** Each sample's length: steps run back to back until it has lasted this long. */
const sampleMs = 2000;
if (!Number.isInteger(samples) || samples < 1) {
  throw new Error(`samples must be a positive integer, got ${samplesArg}`);
}
const checkSteps = 3;
/** How closely the sides' first losses (same weights, same batch, no dropout) must agree. */
const lossTolerance = 1e-4;

// tfjs registers its WebGPU backend at import only when navigator.gpu exists: import it after.
provideNavigatorGpu(dawn);
// jax-js's wasm backend looks for Web Workers when it is imported: give them first.
const workers = provideWebWorkers();
const tf = await import('@tensorflow/tfjs-core');
// tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs bundle does).
resolveTfjsCoreEsm();
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
await import('@tensorflow/tfjs-backend-webgpu');
await import('@tensorflow/tfjs-backend-cpu');
const jax = await import('@jax-js/jax');
// The wasm side runs on a second copy of jax-js: in one instance, jax-js's library functions
// (relu, logSoftmax, ...) keep the constants of their first trace, made on the WebGPU side's
// device, and a later call from the wasm side then runs on WebGPU (its losses matched the
// WebGPU side's bit for bit, at WebGPU's speed). The copy is the package loaded again by its
// file's URL, whose types are the package's.
const jaxWasm = (await importCopy(import.meta.resolve('@jax-js/jax'), 'wasm')) as typeof Jax;
if (!(await jaxWasm.init('wasm')).includes('wasm')) throw new Error('jax-js has no wasm backend');
jaxWasm.defaultDevice('wasm');

const gpu = await webgpu();
/** The same adapter with index checks off, for their cost (the 'dl webgpu vs it' ratio). */
const uncheckedGpu = await webgpu({ checkIndices: false });
if (!(await jax.init('webgpu')).includes('webgpu')) {
  throw new Error('jax-js could not start its WebGPU backend');
}
const tfjsWasm = await startTfjsWasm(tf);

const makers: Record<string, (options: SideOptions) => TrainingSide | Promise<TrainingSide>> = {
  'dl webgpu': (o) => dlSide(gpu, o),
  'dl webgpu, no index checks': (o) => dlSide(uncheckedGpu, o),
  'dl cpu': (o) => dlSide('cpu', o),
  'tfjs webgpu': (o) => tfjsSide(tf, 'webgpu', o),
  'jax-js webgpu': (o) => jaxSide(jax, 'webgpu', o),
  'tfjs wasm': (o) => tfjsSide(tf, 'wasm', o),
  'jax-js wasm': (o) => jaxSide(jaxWasm, 'wasm', o),
  ...(withTfjsCpu ? { 'tfjs cpu': (o: SideOptions) => tfjsSide(tf, 'cpu', o) } : {}),
};
/** Sides taking minutes per step: one step in the cross-check, timed there, not alternated. */
const slow = new Set(['tfjs cpu']);
const names = Object.keys(makers);
const alternated = names.filter((n) => !slow.has(n));

interface Checked {
  losses: Record<string, number[]>;
  /** Milliseconds of each slow side's one step. */
  slowMs: Record<string, number>;
  /** Why each peer that cannot train the CNN could not (tfjs's wasm backend lacks a kernel). */
  failed: Record<string, string>;
}

/**
 * Each side's losses over `checkSteps` steps without dropout (one step for slow sides); fails
 * unless the first losses agree and every side's loss goes down. A peer that throws is left
 * out of the run, with the reason; dl's sides throwing fail the run.
 */
async function crossCheck(options: Omit<SideOptions, 'dropout'>): Promise<Checked> {
  const checked: Checked = { losses: {}, slowMs: {}, failed: {} };
  for (const name of names) {
    const taken: number[] = [];
    const steps = slow.has(name) ? 1 : checkSteps;
    const started = performance.now();
    try {
      const side = await makers[name]!({ ...options, dropout: false });
      try {
        for (let i = 0; i < steps; i++) taken.push(await side.step());
      } finally {
        side.dispose();
      }
    } catch (error) {
      if (name.startsWith('dl ')) throw error;
      checked.failed[name] = error instanceof Error ? error.message : String(error);
      console.log(`  ${name.padEnd(26)} cannot train the CNN: ${checked.failed[name]}`);
      continue;
    }
    if (slow.has(name)) checked.slowMs[name] = performance.now() - started;
    checked.losses[name] = taken;
    console.log(`  ${name.padEnd(26)} losses ${taken.map((l) => l.toFixed(6)).join(', ')}`);
  }
  const reference = checked.losses['dl cpu']![0]!;
  for (const name of Object.keys(checked.losses)) {
    const taken = checked.losses[name]!;
    const first = taken[0]!;
    if (!(Math.abs(first - reference) <= lossTolerance * Math.max(1, Math.abs(reference)))) {
      throw new Error(
        `${name}: first loss ${first} differs from dl cpu's ${reference} by more than ${lossTolerance}`,
      );
    }
    if (taken.length > 1 && !(taken.at(-1)! < first)) {
      throw new Error(`${name}: the loss did not go down (${taken.join(', ')})`);
    }
  }
  const spread = (sides: string[], step: number) => {
    const values = sides.filter((n) => checked.losses[n]).map((n) => checked.losses[n]![step]!);
    return (Math.max(...values) - Math.min(...values)).toExponential(1);
  };
  console.log(
    `  first losses agree within ${spread(names, 0)} (tolerance ${lossTolerance}); ` +
      `after ${checkSteps - 1} Adam steps within ${spread(alternated, checkSteps - 1)}`,
  );
  return checked;
}

function format(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)));
  const [header, ...body] = rows.map((row) => line(row).join('  '));
  return [header, widths.map((w) => '-'.repeat(w)).join('  '), ...body].join('\n');
}

async function main(): Promise<void> {
  console.log(
    `MNIST CNN training step (batch ${batchSize}, Adam 1e-3, loss read back): dl vs ` +
      `tfjs ${tf.version_core} (webgpu, wasm${withTfjsCpu ? ', cpu' : ''}) and jax-js 0.1.25 ` +
      '(webgpu, wasm; jit)',
  );
  console.log(`adapter: ${gpu.adapter.description}`);
  console.log(`${hostLine()}, load average ${loadAverage()}`);
  console.log(`dl cpu: ${describeDlCpu()}; ${tfjsWasm}\n`);
  const options = { weights: initialWeights(), batch: firstBatch() };

  console.log(`cross-check: ${checkSteps} steps on the same batch from dl's weights, no dropout`);
  const checked = await crossCheck(options);

  const timed = alternated.filter((name) => !(name in checked.failed));
  const sides: Record<string, TrainingSide> = {};
  for (const name of timed) sides[name] = await makers[name]!({ ...options, dropout: true });
  const lastLoss: Record<string, number> = {};
  const work = Object.fromEntries(
    timed.map((name) => [
      name,
      async () => {
        lastLoss[name] = await sides[name]!.step();
      },
    ]),
  );
  // A tfjs tensor used on the other backend would be copied across at every step.
  const engine = tf.engine();
  const moveData = engine.moveData.bind(engine);
  let moves = 0;
  engine.moveData = (...moved) => {
    moves++;
    moveData(...moved);
  };
  console.log(
    `\ntiming (dropout on): 1 warm-up step, then ${samples} samples per side of steps run ` +
      `back to back for at least ${sampleMs / 1000} s`,
  );
  const result = await compareAll(
    { name: 'train step', sides: work },
    { warmupRuns: 1, samples, minSampleMs: sampleMs },
  );
  if (moves > 0) throw new Error(`tfjs moved ${moves} tensors between backends while timing`);
  for (const side of Object.values(sides)) side.dispose();
  gpu.destroy();
  uncheckedGpu.destroy();

  const timings: Record<string, { ms: number; samples: string; loss: string }> = {};
  for (const name of timed) {
    const { medianMs, samplesMs } = result.timings[name]!;
    const loss = lastLoss[name]!.toFixed(3);
    timings[name] = { ms: medianMs, samples: samplesMs.map((t) => t.toFixed(0)).join(' '), loss };
  }
  for (const [name, ms] of Object.entries(checked.slowMs))
    timings[name] = { ms, samples: 'one step, cross-check', loss: '-' };
  // Ratios against dl's default sides (the unchecked one only gets its own row).
  const dlNames = ['dl webgpu', 'dl cpu'];
  const rows = [
    [
      'side',
      'ms/step',
      'images/s',
      ...dlNames.map((d) => `${d} vs it`),
      'samples (ms/step)',
      'loss',
    ],
    ...names.map((name) => {
      if (!timings[name]) return [name, '-', '-', ...dlNames.map(() => '-'), 'cannot train', '-'];
      const { ms, samples: taken, loss } = timings[name];
      return [
        name,
        ms.toFixed(0),
        ((batchSize * 1000) / ms).toFixed(1),
        ...dlNames.map((d) => `${(ms / timings[d]!.ms).toFixed(2)}x`),
        taken,
        loss,
      ];
    }),
  ];
  console.log(`\n${describeJaxWasm('jax-js wasm', workers)}; load average ${loadAverage()}`);
  console.log(`\n${format(rows)}\n`);
  for (const [name, reason] of Object.entries(checked.failed)) {
    console.log(`${name} cannot train the CNN: ${reason}`);
  }
  console.log(
    `Medians of ${samples} samples taken alternately in one process. "dl X vs it" = the side's ` +
      "time / dl X's time (above 1: dl is faster). loss: the last timed step's (dropout on).",
  );
  // tfjs and jax-js hold devices of their own, which keep Node's event loop alive.
  process.exit(0);
}

await main();
