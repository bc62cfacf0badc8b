// dl's CPU device against the JavaScript CPU peers, TensorFlow.js 4.22's wasm backend and
// jax-js 0.1.25's wasm backend, in one process and one run, on the five workloads of issue 21:
// matmul 1024x1024, MLP training (784-128-10, batch 64, Adam), MNIST CNN training (batch 64,
// Adam), MNIST CNN inference at batch 1000 (with each library's peak memory, measured in a
// child process of its own: inference-memory.ts) and one small elementwise op. PyTorch's
// figures (2 threads, cpu_peers_torch.py, its own process) come last when `import torch`
// works. Run with `pnpm bench` at the root, or `pnpm bench:cpu` in apps/mnist; arguments name
// the rows to run (matmul, mlp, cnn-train, cnn-infer, add; all by default) and --no-torch
// leaves PyTorch out.
//
// jax-js runs twice: as in a browser, its wasm backend splitting kernels over a pool of Web
// Workers (given to Node by peers.node.ts, one per core), and as Node gives it, without
// Workers, on the main thread. Neither is best everywhere (the pool pays a message per kernel,
// which small kernels do not repay), so both count as peers.
//
// On the two MNIST CNN rows (training and inference, not the memory row) jax-js also runs on
// WebGPU, in a third instance of its own, on Dawn's Vulkan backend (lavapipe, a software
// driver running on the same cores, where there is no GPU): a reference, checked and timed
// with the others but not a peer, so 'dl cpu vs best peer' stays the best JavaScript CPU peer
// and 'dl cpu vs jax-js webgpu' has a column of its own. Where jax-js cannot start WebGPU, a
// note says why and the run goes on without it.
//
// Every library starts from the same data (MNIST's first images) and dl's initial weights,
// and the run fails unless they compute the same thing: matmul entries against float64,
// first training losses (dropout off) within 1e-4 with each loss going down, inference
// outputs within 1e-3 of dl's. Then each row's sides are warmed up and timed in alternation,
// sample by sample in a shuffled order (tooling/bench/compare.ts), so load from elsewhere on
// the shared machine lands on all of them; medians are reported. A side's work ends when its
// result is computed (jax-js dispatches to worker threads or the GPU, so its work waits for
// them), and training steps read the loss back, as a training loop does.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { manualSeed, randn, type Tensor } from '@dl/tensor';
import type * as Jax from '@jax-js/jax';
import { compareAll } from '../../../tooling/bench/compare.ts';
import type { Work } from '../../../tooling/bench/harness.ts';
import {
  hostLine,
  importCopy,
  loadAverage,
  provideNavigatorGpu,
  provideWebWorkers,
  resolveTfjsCoreEsm,
} from '../../../tooling/bench/peers.node.ts';
import { formatTable, type Row as TableRow } from './cpu-peers-table.ts';
import { checkTorch, runTorch } from './cpu-peers-torch.ts';
import { firstBatch, firstImages, initialMlpWeights, initialWeights } from './dl-data.ts';
import { describeDlCpu, dlInference, dlMlpSide, dlSide, settle } from './dl-side.ts';
import { type Arrays, writeFixture } from './fixture.ts';
import type { MemoryFigures, MemoryLibrary } from './inference-memory.ts';
import { jaxInference, jaxMlpSide, jaxSide } from './jax-side.ts';
import {
  batchSize,
  checkLosses,
  type InferenceSide,
  inferenceBatchSize,
  mlpSizes,
  type TrainingSide,
  type Weights,
} from './side.ts';
import { tfjsInference, tfjsMlpSide, tfjsSide } from './tfjs-side.ts';
import { describeJaxWasm, startTfjsWasm } from './wasm-peers.ts';

const started = performance.now();
const execFileAsync = promisify(execFile);
const rowNames = ['matmul', 'mlp', 'cnn-train', 'cnn-infer', 'add'] as const;
type RowName = (typeof rowNames)[number];
const args = process.argv.slice(2);
const withTorch = !args.includes('--no-torch');
const asked = args.filter((a) => a !== '--no-torch');
for (const name of asked) {
  if (!rowNames.some((row) => row === name)) {
    throw new Error(`unknown row ${name}: expected some of ${rowNames.join(', ')} or --no-torch`);
  }
}
const wanted = (row: RowName) => asked.length === 0 || asked.includes(row);
const notes: string[] = [];

// jax-js's wasm backend looks for Web Workers when its module loads: a copy of jax-js loaded
// before they exist runs on the main thread; the package, loaded after, on the workers. It
// also looks when it compiles a kernel (for shared memory or not), so the copy works with the
// Worker global hidden (inMainThreadCopy). The copy is the package loaded again by its
// file's URL, whose types are the package's.
const jaxMainThread = (await importCopy(
  import.meta.resolve('@jax-js/jax'),
  'main-thread',
)) as typeof Jax;

/** jax-js on WebGPU and the adapter it runs on, where it could start. */
interface JaxWebgpu {
  jax: typeof Jax;
  adapter: string;
  /** The adapter's maxStorageBufferBindingSize, which jax-js asks its device for. */
  maxBindingBytes: number;
}

/**
 * Starts jax-js on WebGPU, for the CNN rows' reference: Dawn given to Node as navigator.gpu
 * (before the Web Workers, which then keep its navigator), and a third copy of jax-js, as in
 * train.bench.ts (jax-js's library functions keep the constants of their first trace, made on
 * the device of their first use). Returns undefined, with a note, where it cannot start.
 */
async function startJaxWebgpu(): Promise<JaxWebgpu | undefined> {
  try {
    provideNavigatorGpu(await import('webgpu'));
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('Dawn found no adapter');
    const jax = (await importCopy(import.meta.resolve('@jax-js/jax'), 'webgpu')) as typeof Jax;
    if (!(await jax.init('webgpu')).includes('webgpu')) throw new Error('jax.init found no WebGPU');
    jax.defaultDevice('webgpu');
    const { description, vendor, device } = adapter.info;
    return {
      jax,
      adapter: description || `${vendor} ${device}`,
      maxBindingBytes: adapter.limits.maxStorageBufferBindingSize,
    };
  } catch (error) {
    notes.push(`jax-js webgpu could not start: ${error instanceof Error ? error.message : error}`);
    return undefined;
  }
}
const jaxWebgpu = wanted('cnn-train') || wanted('cnn-infer') ? await startJaxWebgpu() : undefined;
const workers = provideWebWorkers();
const tf = await import('@tensorflow/tfjs-core');
// tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs bundle does).
resolveTfjsCoreEsm();
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
const tfjsWasm = await startTfjsWasm(tf);
const jaxWorkers = await import('@jax-js/jax');
const jaxes = { 'jax-js wasm': jaxWorkers, 'jax-js wasm, main thread': jaxMainThread } as const;
type JaxName = keyof typeof jaxes;
/** Runs work of the main-thread copy of jax-js as it was loaded: without Web Workers. */
function inMainThreadCopy<T>(fn: () => T): T {
  return workers.without(fn);
}
/** How each jax-js instance's work runs. */
const around: Record<JaxName, <T>(fn: () => T) => T> = {
  'jax-js wasm': (fn) => fn(),
  'jax-js wasm, main thread': inMainThreadCopy,
};
const jaxNames = Object.keys(jaxes) as JaxName[]; // exactly the keys written above
for (const name of jaxNames) {
  const devices = await around[name](() => jaxes[name].init('wasm'));
  if (!devices.includes('wasm')) throw new Error(`${name}: no wasm backend`);
  jaxes[name].defaultDevice('wasm');
}

/** The sides on the CPU: dl and its peers. */
const cpuSideNames = ['dl cpu', 'tfjs-wasm', ...jaxNames] as const;
type CpuSideName = (typeof cpuSideNames)[number];
/** A side shown and compared with on the CNN rows, but not a peer. */
type Reference = 'jax-js webgpu';
type SideName = CpuSideName | Reference;
const sideNames: readonly SideName[] = [...cpuSideNames, 'jax-js webgpu'];
const peers: readonly SideName[] = ['tfjs-wasm', ...jaxNames];
const references: readonly SideName[] = ['jax-js webgpu'];

type Row = TableRow<SideName>;
type Figures = Partial<Record<SideName, number>>;
type Sides<T> = { [side in SideName]?: T | undefined };

/** A side's setup; for a peer that cannot run the workload, undefined and a note saying why. */
async function attempt<T>(side: SideName, row: string, make: () => T | Promise<T>) {
  try {
    return await make();
  } catch (error) {
    if (side === 'dl cpu') throw error;
    notes.push(`${side} could not run ${row}: ${error instanceof Error ? error.message : error}`);
    return undefined;
  }
}

/** A float32 tensor's values. */
function floats(t: Tensor): Float32Array {
  const values = t.dataSync();
  if (!(values instanceof Float32Array)) throw new Error(`expected float32, got ${t.dtype}`);
  return values;
}

/** Times the sides that could run, in alternation: median milliseconds per run by side. */
async function time(
  work: Sides<Work>,
  options: { warmupRuns: number; samples: number; minSampleMs: number },
): Promise<Figures> {
  const sides: Record<string, Work> = {};
  for (const name of sideNames) if (work[name]) sides[name] = work[name];
  const result = await compareAll({ name: '', sides }, options);
  return Object.fromEntries(Object.entries(result.timings).map(([n, t]) => [n, t.medianMs]));
}

/** `count` items per run as items per second. */
function perSecond(count: number, ms: Figures): Figures {
  return Object.fromEntries(Object.entries(ms).map(([n, t]) => [n, (count * 1000) / t]));
}

/** matmul of two 1024x1024 float32 matrices; sampled entries checked against float64. */
async function matmulRow(): Promise<Row> {
  const n = 1024;
  manualSeed(1);
  const [a, b] = [randn([n, n]), randn([n, n])];
  const [aData, bData] = [floats(a), floats(b)];
  fixture.set('matmul/a', { shape: [n, n], data: aData });
  fixture.set('matmul/b', { shape: [n, n], data: bData });
  const check = (side: string, c: ArrayLike<number>) => {
    for (let s = 0; s < 64; s++) {
      const [i, j] = [(s * 97) % n, (s * 389 + 5) % n];
      let [exact, scale] = [0, 0];
      for (let k = 0; k < n; k++) {
        exact += aData[i * n + k]! * bData[k * n + j]!;
        scale += Math.abs(aData[i * n + k]! * bData[k * n + j]!);
      }
      if (!(Math.abs(c[i * n + j]! - exact) <= 1e-5 * scale)) {
        throw new Error(`matmul: ${side} gives ${c[i * n + j]} at [${i}, ${j}], float64 ${exact}`);
      }
    }
  };
  const work: Sides<Work> = {};
  work['dl cpu'] = await attempt('dl cpu', 'matmul', async () => {
    const c = a.matmul(b);
    check('dl cpu', await c.data());
    c.dispose();
    return async () => {
      const result = a.matmul(b);
      await settle('cpu');
      result.dispose();
    };
  });
  const [ta, tb] = [tf.tensor2d(aData, [n, n]), tf.tensor2d(bData, [n, n])];
  work['tfjs-wasm'] = await attempt('tfjs-wasm', 'matmul', () => {
    const c = tf.matMul(ta, tb);
    check('tfjs-wasm', c.dataSync());
    c.dispose();
    return () => tf.matMul(ta, tb).dispose();
  });
  const jaxArrays: { dispose(): void }[] = [];
  for (const name of jaxNames) {
    const jax = jaxes[name];
    const np = jax.numpy;
    const [ja, jb] = [np.array(aData, { shape: [n, n] }), np.array(bData, { shape: [n, n] })];
    jaxArrays.push(ja, jb);
    work[name] = await attempt(name, 'matmul', async () => {
      check(name, await around[name](() => np.matmul(ja.ref, jb.ref).data()));
      return () =>
        around[name](async () => (await jax.blockUntilReady(np.matmul(ja.ref, jb.ref))).dispose());
    });
  }
  const ms = await time(work, { warmupRuns: 1, samples: 5, minSampleMs: 300 });
  a.dispose();
  b.dispose();
  tf.dispose([ta, tb]);
  for (const array of jaxArrays) array.dispose();
  const gflops = Object.fromEntries(
    Object.entries(ms).map(([s, t]) => [s, (2 * n ** 3) / t / 1e6]),
  );
  return { workload: 'matmul 1024x1024 float32, GFLOP/s', higherIsBetter: true, figures: gflops };
}

/** A training side of the main-thread copy of jax-js, made and run without Web Workers. */
function mainThreadTraining(make: () => TrainingSide): TrainingSide {
  const side = inMainThreadCopy(make);
  return {
    step: () => inMainThreadCopy(() => side.step()),
    dispose: () => inMainThreadCopy(() => side.dispose()),
  };
}

/** Each CPU side's maker of a row's work, and the references' where they run it. */
type Makers<M> = Record<CpuSideName, M> & Partial<Record<Reference, M>>;

/**
 * A training row: each side trains `checkSteps` steps without dropout from the same weights
 * (checked), then fresh sides are timed, with dropout where the model has it. Returns the
 * row and dl's losses, which PyTorch's must match.
 */
async function trainingRow(
  workload: string,
  makers: Makers<(dropout: boolean) => TrainingSide | Promise<TrainingSide>>,
  checkSteps: number,
  timing: { samples: number; minSampleMs: number },
): Promise<{ row: Row; losses: number[] }> {
  const losses: Sides<number[]> = {};
  const work: Sides<Work> = {};
  const sides: TrainingSide[] = [];
  for (const name of sideNames) {
    const make = makers[name];
    if (!make) continue;
    work[name] = await attempt(name, workload, async () => {
      const checkStarted = performance.now();
      const checking = await make(false);
      const taken: number[] = [];
      for (let i = 0; i < checkSteps; i++) taken.push(await checking.step());
      checking.dispose();
      losses[name] = taken;
      const seconds = ((performance.now() - checkStarted) / 1000).toFixed(1);
      const values = taken.map((l) => l.toFixed(6)).join(', ');
      console.log(`  ${name.padEnd(24)} losses ${values} (${seconds} s, compiling included)`);
      const side = await make(true);
      sides.push(side);
      return () => side.step();
    });
  }
  for (const name of [...peers, ...references]) {
    if (losses[name]) checkLosses(workload, name, losses[name], losses['dl cpu']![0]!);
  }
  const ms = await time(work, { warmupRuns: 1, ...timing });
  for (const side of sides) side.dispose();
  return {
    row: { workload, higherIsBetter: true, figures: perSecond(batchSize, ms) },
    losses: losses['dl cpu']!,
  };
}

/** The CNN over 1000 images; outputs checked against dl's. Returns the row and dl's outputs. */
async function inferenceRow(
  weights: Weights,
  images: Float32Array,
): Promise<{ row: Row; outputs: Float32Array }> {
  const makers: Makers<() => InferenceSide | Promise<InferenceSide>> = {
    'dl cpu': () => dlInference('cpu', weights, images),
    'tfjs-wasm': () => tfjsInference(tf, 'wasm', weights, images),
    'jax-js wasm': () => jaxInference(jaxWorkers, 'wasm', weights, images),
    'jax-js wasm, main thread': () => {
      const side = inMainThreadCopy(() => jaxInference(jaxMainThread, 'wasm', weights, images));
      return {
        run: () => inMainThreadCopy(() => side.run()),
        dispose: () => inMainThreadCopy(() => side.dispose()),
      };
    },
    ...(jaxWebgpu && {
      'jax-js webgpu': () => jaxWebgpuInference(jaxWebgpu, weights, images),
    }),
  };
  const work: Sides<Work> = {};
  const sides: InferenceSide[] = [];
  let reference: Float32Array | undefined;
  for (const name of sideNames) {
    const make = makers[name];
    if (!make) continue;
    work[name] = await attempt(name, 'inference', async () => {
      const side = await make();
      sides.push(side);
      // The first run (which compiles the peers' kernels) is the check; it warms up too.
      const outputs = await side.run();
      reference ??= outputs;
      let worst = 0;
      for (let i = 0; i < outputs.length; i++) {
        worst = Math.max(worst, Math.abs(outputs[i]! - reference[i]!));
      }
      if (outputs.length !== reference.length || !(worst <= 1e-3)) {
        throw new Error(`inference: ${name}'s outputs differ from dl cpu's by ${worst}`);
      }
      if (name !== 'dl cpu')
        console.log(`  ${name.padEnd(24)} outputs within ${worst.toExponential(1)} of dl's`);
      return () => side.run();
    });
  }
  // The check's run warmed each side up; a run takes seconds, so two samples.
  const ms = await time(work, { warmupRuns: 0, samples: 2, minSampleMs: 0 });
  for (const side of sides) side.dispose();
  const row: Row = {
    workload: `MNIST CNN inference, batch ${inferenceBatchSize}, images/s`,
    higherIsBetter: true,
    figures: perSecond(inferenceBatchSize, ms),
  };
  return { row, outputs: reference! };
}

/** Bytes per image of the CNN's largest array, conv2's output: 64 channels of 24x24 float32. */
const conv2OutputBytes = 64 * 24 * 24 * 4;

/**
 * jax-js's inference on WebGPU, in as few calls as the device can bind: jax-js binds each
 * array whole, and conv2's output at batch 1000 (141 MiB) is over lavapipe's 128 MiB limit,
 * which fails validation and leaves the output wrong. A WebGPU program would split the batch
 * so; the calls are dispatched together and their outputs read back once all are.
 */
function jaxWebgpuInference(
  { jax, maxBindingBytes }: JaxWebgpu,
  weights: Weights,
  images: Float32Array,
): InferenceSide {
  const count = images.length / (28 * 28);
  const imagesPerCall = Math.max(1, Math.floor(maxBindingBytes / conv2OutputBytes));
  const calls = Math.ceil(count / imagesPerCall);
  if (calls > 1) {
    notes.push(
      `jax-js webgpu runs inference's ${count} images as ${calls} calls of ${count / calls}: ` +
        `its device binds at most ${maxBindingBytes / 2 ** 20} MiB of one buffer, and conv2's ` +
        `output for all of them is ${((count * conv2OutputBytes) / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  return jaxInference(jax, 'webgpu', weights, images, imagesPerCall);
}

/** 1000 adds of two 100-element tensors per run, then the device's work waited for. */
async function addRow(): Promise<Row> {
  const ops = 1000;
  manualSeed(2);
  const [a, b] = [randn([100]), randn([100])];
  const [aData, bData] = [floats(a), floats(b)];
  const check = (side: string, sum: ArrayLike<number>) => {
    for (let i = 0; i < 100; i++) {
      if (sum[i] !== Math.fround(aData[i]! + bData[i]!)) {
        throw new Error(`add: ${side} gives ${sum[i]} at ${i}, not ${aData[i]} + ${bData[i]}`);
      }
    }
  };
  const work: Sides<Work> = {};
  work['dl cpu'] = await attempt('dl cpu', 'add', async () => {
    const sum = a.add(b);
    check('dl cpu', await sum.data());
    sum.dispose();
    return async () => {
      for (let i = 0; i < ops; i++) a.add(b).dispose();
      await settle('cpu');
    };
  });
  const [ta, tb] = [tf.tensor1d(aData), tf.tensor1d(bData)];
  work['tfjs-wasm'] = await attempt('tfjs-wasm', 'add', () => {
    check('tfjs-wasm', tf.add(ta, tb).dataSync());
    return () => {
      for (let i = 0; i < ops; i++) tf.add(ta, tb).dispose();
    };
  });
  const jaxArrays: { dispose(): void }[] = [];
  for (const name of jaxNames) {
    const jax = jaxes[name];
    const np = jax.numpy;
    const [ja, jb] = [np.array(aData), np.array(bData)];
    jaxArrays.push(ja, jb);
    work[name] = await attempt(name, 'add', async () => {
      check(name, await around[name](() => np.add(ja.ref, jb.ref).data()));
      return () =>
        around[name](async () => {
          for (let i = 0; i < ops - 1; i++) np.add(ja.ref, jb.ref).dispose();
          (await jax.blockUntilReady(np.add(ja.ref, jb.ref))).dispose();
        });
    });
  }
  const ms = await time(work, { warmupRuns: 1, samples: 5, minSampleMs: 200 });
  a.dispose();
  b.dispose();
  tf.dispose([ta, tb]);
  for (const array of jaxArrays) array.dispose();
  const microseconds = Object.fromEntries(
    Object.entries(ms).map(([s, t]) => [s, (t * 1000) / ops]),
  );
  return {
    workload: 'add of two 100-element float32 tensors, us per op',
    higherIsBetter: false,
    figures: microseconds,
  };
}

/** The data the child processes and PyTorch start from (fixture.ts), filled as rows run. */
const fixture: Arrays = new Map();

function addWeights(prefix: string, weights: Weights): void {
  for (const [name, value] of weights) fixture.set(`${prefix}${name}`, value);
}

/**
 * Each library's peak memory running inference, each in a child process of its own. The
 * children run at the same time: nothing is timed there, and a process's peak memory does
 * not depend on how fast it runs.
 */
async function memoryRow(folder: string): Promise<Row> {
  const script = new URL('./inference-memory.ts', import.meta.url).pathname;
  const measure = async (library: MemoryLibrary): Promise<MemoryFigures> => {
    // The child runs as this process does: under tsx, with the same Node options.
    const { stdout } = await execFileAsync(process.execPath, [
      ...process.execArgv,
      script,
      library,
      folder,
    ]);
    // The child's last line is its JSON (inference-memory.ts).
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as MemoryFigures;
  };
  const libraries: readonly MemoryLibrary[] = cpuSideNames;
  const results = await Promise.allSettled(libraries.map(measure));
  const figures: Figures = {};
  const before: string[] = [];
  results.forEach((result, i) => {
    const library = libraries[i]!;
    if (result.status === 'fulfilled') {
      figures[library] = result.value.peakMB;
      before.push(`${library} ${result.value.beforeMB.toFixed(0)}`);
      return;
    }
    const reason = result.reason instanceof Error ? result.reason.message : result.reason;
    if (library === 'dl cpu') throw new Error(`dl cpu's memory child failed: ${reason}`);
    notes.push(`${library}'s memory child failed: ${reason}`);
  });
  notes.push(
    `resident MB before inference (library, weights, images loaded): ${before.join(', ')}`,
  );
  return { workload: '  peak memory of that inference, MB', higherIsBetter: false, figures };
}

/** A progress line, with the seconds since the run started. */
function progress(text: string): void {
  console.log(`\n[${((performance.now() - started) / 1000).toFixed(0)} s] ${text}`);
}

async function main(): Promise<void> {
  console.log(
    `dl's CPU device vs tfjs-wasm (${tf.version_core}) and jax-js wasm (0.1.25, on workers and ` +
      'on the main thread), one process; jax-js webgpu as a reference on the CNN rows',
  );
  console.log(`${hostLine()}, load average ${loadAverage()}`);
  const weights = initialWeights();
  const batch = firstBatch();
  fixture.set('batch/images', { shape: [batchSize, 1, 28, 28], data: batch.images });
  fixture.set('batch/labels', { shape: [batchSize], data: batch.labels });
  /** The rows by workload, in the table's order (the memory row after inference). */
  const rows: Partial<Record<RowName | 'memory', Row>> = {};
  const order = ['matmul', 'mlp', 'cnn-train', 'cnn-infer', 'memory', 'add'] as const;
  const dlLosses: Partial<Record<'mlp' | 'cnn', number[]>> = {};
  const folder = mkdtempSync(join(tmpdir(), 'dl-cpu-peers-'));
  try {
    if (wanted('matmul')) {
      progress('matmul 1024x1024: checking sampled entries against float64, then timing');
      rows.matmul = await matmulRow();
    }
    if (wanted('mlp')) {
      const mlpWeights = initialMlpWeights();
      addWeights('mlp/', mlpWeights);
      const options = { weights: mlpWeights, batch };
      progress('MLP training: 3 steps from the same weights, then timing');
      const { row, losses } = await trainingRow(
        `MLP ${mlpSizes.input}-${mlpSizes.hidden}-${mlpSizes.classes} training, batch ${batchSize}, Adam, samples/s`,
        {
          'dl cpu': () => dlMlpSide('cpu', options),
          'tfjs-wasm': () => tfjsMlpSide(tf, 'wasm', options),
          'jax-js wasm': () => jaxMlpSide(jaxWorkers, 'wasm', options),
          'jax-js wasm, main thread': () =>
            mainThreadTraining(() => jaxMlpSide(jaxMainThread, 'wasm', options)),
        },
        3,
        { samples: 5, minSampleMs: 300 },
      );
      rows.mlp = row;
      dlLosses.mlp = losses;
    }
    addWeights('cnn/', weights);
    if (wanted('cnn-train')) {
      progress(
        'MNIST CNN training: 2 steps from the same weights without dropout, then timing with it',
      );
      const { row, losses } = await trainingRow(
        `MNIST CNN training, batch ${batchSize}, Adam, samples/s`,
        {
          'dl cpu': (dropout) => dlSide('cpu', { weights, batch, dropout }),
          'tfjs-wasm': (dropout) => tfjsSide(tf, 'wasm', { weights, batch, dropout }),
          'jax-js wasm': (dropout) => jaxSide(jaxWorkers, 'wasm', { weights, batch, dropout }),
          'jax-js wasm, main thread': (dropout) =>
            mainThreadTraining(() => jaxSide(jaxMainThread, 'wasm', { weights, batch, dropout })),
          ...(jaxWebgpu && {
            'jax-js webgpu': (dropout: boolean) =>
              jaxSide(jaxWebgpu.jax, 'webgpu', { weights, batch, dropout }),
          }),
        },
        2,
        // A sample runs steps for at least 1.5 s, as an epoch does: a side's first step after
        // another library's pays for waking its threads (lavapipe's after jax-js's WebGPU
        // steps), which one-step samples would count into every step. The slow sides still
        // take one step a sample.
        { samples: 3, minSampleMs: 1500 },
      );
      rows['cnn-train'] = row;
      dlLosses.cnn = losses;
    }
    if (wanted('cnn-infer')) {
      progress(`MNIST CNN inference at batch ${inferenceBatchSize}: outputs checked, then timing`);
      const images = firstImages(inferenceBatchSize).images;
      fixture.set('inference/images', { shape: [inferenceBatchSize, 1, 28, 28], data: images });
      const { row, outputs } = await inferenceRow(weights, images);
      fixture.set('check/inference', { shape: [inferenceBatchSize, 10], data: outputs });
      rows['cnn-infer'] = row;
    }
    if (wanted('add')) {
      progress('add of 100-element tensors: checked, then timing');
      rows.add = await addRow();
    }
    writeFixture(folder, fixture);
    if (wanted('cnn-infer')) {
      progress('peak memory of inference: one child process per library, run together');
      rows.memory = await memoryRow(folder);
    }
    let torchLabel: string | undefined;
    if (withTorch) {
      progress('PyTorch: cpu_peers_torch.py on the same data, its own process');
      const torch = runTorch(folder, rowNames.filter(wanted));
      if (typeof torch === 'string') {
        notes.push(torch);
      } else {
        checkTorch(torch, dlLosses);
        torchLabel = `PyTorch ${torch.version.replace(/a0$/, '')} (${torch.threads} threads)`;
        if (rows.matmul) rows.matmul.torch = torch.matmul;
        if (rows.mlp) rows.mlp.torch = torch.mlp;
        if (rows['cnn-train']) rows['cnn-train'].torch = torch.cnnTrain;
        if (rows['cnn-infer']) rows['cnn-infer'].torch = torch.cnnInfer;
        if (rows.memory) rows.memory.torch = torch.memoryMB;
        if (rows.add) rows.add.torch = torch.add;
      }
    } else {
      notes.push('PyTorch left out (--no-torch)');
    }
    progress(`done; ${hostLine()}, load average ${loadAverage()}`);
    console.log(`dl cpu: ${describeDlCpu()}`);
    console.log(tfjsWasm);
    console.log(describeJaxWasm('jax-js wasm', workers));
    console.log(describeJaxWasm('jax-js wasm, main thread', { started: 0 }));
    if (jaxWebgpu) console.log(`jax-js webgpu: Dawn's Vulkan backend on ${jaxWebgpu.adapter}`);
    const table = order.flatMap((key) => rows[key] ?? []);
    console.log(`\n${formatTable(table, sideNames, peers, references, torchLabel)}\n`);
    for (const note of notes) console.log(`note: ${note}`);
    console.log(
      'Medians of samples taken alternately in one process (PyTorch: its own process, after). ' +
        'dl cpu vs X: how many times better dl is than X (above 1: dl ahead), that is dl / X ' +
        'for rates and X / dl for times and memory; best peer: of the JavaScript CPU peers ' +
        '(jax-js webgpu, a reference on the CNN rows, is not one). MB: 2^20 bytes of peak ' +
        'resident memory.',
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  // jax-js's worker threads keep Node's event loop alive.
  process.exit(0);
}

await main();
