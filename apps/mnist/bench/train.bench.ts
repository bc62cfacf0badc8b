// Training throughput of the MNIST CNN (batch 64; a step is forward, nll loss, backward,
// Adam(1e-3) and the loss read back): dl on WebGPU and on the CPU against TensorFlow.js 4.22
// (WebGPU backend) and jax-js 0.1.25 (WebGPU, jit), all in this process, WebGPU sides on the
// same Dawn adapter (lavapipe without a GPU), and dl on WebGPU with its device-side index
// checks off, so that 'dl webgpu vs it' on that row is what the checks cost (below 1: the
// checked side is slower). Run with `pnpm bench`; arguments: the number of
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
import * as dawn from 'webgpu';
import { compareAll } from '../../../tooling/bench/compare.ts';
import {
  hostLine,
  provideNavigatorGpu,
  resolveTfjsCoreEsm,
} from '../../../tooling/bench/peers.node.ts';
import { dlSide } from './dl-side.ts';
import { jaxSide } from './jax-side.ts';
import {
  batchSize,
  firstBatch,
  initialWeights,
  type SideOptions,
  type TrainingSide,
} from './side.ts';
import { tfjsSide } from './tfjs-side.ts';

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
const tf = await import('@tensorflow/tfjs-core');
// tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs bundle does).
resolveTfjsCoreEsm();
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
await import('@tensorflow/tfjs-backend-webgpu');
await import('@tensorflow/tfjs-backend-cpu');
const jax = await import('@jax-js/jax');

const gpu = await webgpu();
/** The same adapter with index checks off, for their cost (the 'dl webgpu vs it' ratio). */
const uncheckedGpu = await webgpu({ checkIndices: false });
if (!(await jax.init('webgpu')).includes('webgpu')) {
  throw new Error('jax-js could not start its WebGPU backend');
}
jax.defaultDevice('webgpu');

const makers: Record<string, (options: SideOptions) => TrainingSide | Promise<TrainingSide>> = {
  'dl webgpu': (o) => dlSide(gpu, o),
  'dl webgpu, no index checks': (o) => dlSide(uncheckedGpu, o),
  'dl cpu': (o) => dlSide('cpu', o),
  'tfjs webgpu': (o) => tfjsSide(tf, 'webgpu', o),
  'jax-js webgpu': (o) => jaxSide(jax, o),
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
}

/**
 * Each side's losses over `checkSteps` steps without dropout (one step for slow sides); fails
 * unless the first losses agree and every side's loss goes down.
 */
async function crossCheck(options: Omit<SideOptions, 'dropout'>): Promise<Checked> {
  const checked: Checked = { losses: {}, slowMs: {} };
  for (const name of names) {
    const side = await makers[name]!({ ...options, dropout: false });
    const taken: number[] = [];
    const steps = slow.has(name) ? 1 : checkSteps;
    const started = performance.now();
    for (let i = 0; i < steps; i++) taken.push(await side.step());
    if (slow.has(name)) checked.slowMs[name] = performance.now() - started;
    side.dispose();
    checked.losses[name] = taken;
    console.log(`  ${name.padEnd(26)} losses ${taken.map((l) => l.toFixed(6)).join(', ')}`);
  }
  const reference = checked.losses['dl cpu']![0]!;
  for (const name of names) {
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
    const values = sides.map((n) => checked.losses[n]![step]!);
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
      `tfjs ${tf.version_core} (webgpu${withTfjsCpu ? ', cpu' : ''}) and jax-js 0.1.25 (webgpu, jit)`,
  );
  console.log(`adapter: ${gpu.adapter.description}`);
  console.log(`${hostLine()}\n`);
  const options = { weights: initialWeights(), batch: firstBatch() };

  console.log(`cross-check: ${checkSteps} steps on the same batch from dl's weights, no dropout`);
  const checked = await crossCheck(options);

  const sides: Record<string, TrainingSide> = {};
  for (const name of alternated) sides[name] = await makers[name]!({ ...options, dropout: true });
  const lastLoss: Record<string, number> = {};
  const work = Object.fromEntries(
    alternated.map((name) => [
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
  for (const name of alternated) {
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
      const { ms, samples: taken, loss } = timings[name]!;
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
  console.log(`\n${format(rows)}\n`);
  console.log(
    `Medians of ${samples} samples taken alternately in one process. "dl X vs it" = the side's ` +
      "time / dl X's time (above 1: dl is faster). loss: the last timed step's (dropout on).",
  );
  // tfjs and jax-js hold devices of their own, which keep Node's event loop alive.
  process.exit(0);
}

await main();
