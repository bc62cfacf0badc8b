// A small benchmark harness: times our implementation against a named peer doing the same
// work in the same process, and prints a table of median times, GFLOP/s and their ratio.
//
// The machines these run on are shared and noisy, so absolute times say little; a ratio
// against a peer measured moments apart says a lot. Both sides are warmed up (JIT tiers,
// caches, lazily built kernels), then timed in alternation, sample by sample, so a burst of
// load from elsewhere lands on both. Each sample repeats the work enough times to last at
// least `minSampleMs`, and the median of the samples is reported.
//
// Between runs the harness returns to the event loop, as the steps of a real program do
// (a data loader awaits I/O, a UI yields a frame). Work that JavaScript defers to a later
// task then happens between runs instead of piling up: FinalizationRegistry callbacks, and
// the freeing of objects a WeakRef touched in this task, which are kept alive until it ends.
// Without this, a tight loop of synchronous runs holds every buffer it drops until the loop
// finishes, and times page faults on fresh memory instead of the work.
//
// Usage (any package): build cases with `compare`, print them with `formatTable`.
//
//   const result = await compare({ name: 'matmul 256', flops: 2 * 256 ** 3, ours, peer });
//   console.log(formatTable([result], { ours: 'dl', peer: 'tfjs-cpu' }));

/** One side's work, run once per call. A returned promise is awaited (GPU work). */
export type Work = () => unknown;

export interface Comparison {
  name: string;
  /** Floating-point operations in one run of the work, for the GFLOP/s columns. */
  flops?: number;
  ours: Work;
  peer: Work;
}

export interface BenchOptions {
  /** Run each side for at least this long before timing... */
  warmupMs?: number;
  /** ...and at least this many times (1 suits work that takes seconds). */
  warmupRuns?: number;
  /** Timed samples per side. */
  samples?: number;
  /** Repeat the work within a sample until it takes at least this long. */
  minSampleMs?: number;
  /** Stop sampling (after at least 3 samples) once a comparison has taken this long. */
  maxMs?: number;
}

export interface Timing {
  /** Median milliseconds per run. */
  medianMs: number;
  /** Milliseconds per run, one entry per sample, in the order taken. */
  samplesMs: number[];
}

export interface ComparisonResult {
  name: string;
  flops: number | undefined;
  ours: Timing;
  peer: Timing;
  /** Peer time over our time: above 1 means ours is faster. */
  ratio: number;
}

const defaults: Required<BenchOptions> = {
  warmupMs: 500,
  warmupRuns: 2,
  samples: 9,
  minSampleMs: 50,
  maxMs: 20_000,
};

/** Runs the garbage collector if node was started with --expose-gc, so one side's garbage is not collected on the other's time. */
function collectGarbage(): void {
  const gc: unknown = Reflect.get(globalThis, 'gc');
  if (typeof gc === 'function') gc();
}

/** Lets pending tasks run: resolves from a fresh macrotask (Node and browsers alike). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Milliseconds per run, averaged over `iterations` runs, each timed on its own. */
async function time(work: Work, iterations: number): Promise<number> {
  collectGarbage();
  await nextTask();
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    const result = work();
    if (result instanceof Promise) await result;
    total += performance.now() - start;
    await nextTask();
  }
  return total / iterations;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Times `ours` and `peer` in alternation and returns their medians and ratio. */
export async function compare(
  comparison: Comparison,
  options: BenchOptions = {},
): Promise<ComparisonResult> {
  const { warmupMs, warmupRuns, samples, minSampleMs, maxMs } = { ...defaults, ...options };
  const { ours, peer } = comparison;
  const started = performance.now();

  // Warm each side up; its last run sizes its samples.
  const warmUp = async (work: Work): Promise<number> => {
    const warmStart = performance.now();
    let lastMs = 0;
    for (let runs = 0; runs < warmupRuns || performance.now() - warmStart < warmupMs; runs++) {
      lastMs = await time(work, 1);
    }
    return Math.max(1, Math.ceil(minSampleMs / Math.max(lastMs, 1e-3)));
  };
  const oursIterations = await warmUp(ours);
  const peerIterations = await warmUp(peer);

  const oursMs: number[] = [];
  const peerMs: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    if (sample >= 3 && performance.now() - started > maxMs) break;
    // Alternating which side goes first: the first after a switch can pay for waking the
    // driver's threads.
    if (sample % 2 === 0) {
      oursMs.push(await time(ours, oursIterations));
      peerMs.push(await time(peer, peerIterations));
    } else {
      peerMs.push(await time(peer, peerIterations));
      oursMs.push(await time(ours, oursIterations));
    }
  }
  return {
    name: comparison.name,
    flops: comparison.flops,
    ours: { medianMs: median(oursMs), samplesMs: oursMs },
    peer: { medianMs: median(peerMs), samplesMs: peerMs },
    ratio: median(peerMs) / median(oursMs),
  };
}

function gflops(flops: number | undefined, ms: number): string {
  return flops === undefined ? '-' : (flops / ms / 1e6).toFixed(2);
}

function milliseconds(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** A plain-text table: one row per comparison, with the ratio against the named peer last. */
export function formatTable(
  results: readonly ComparisonResult[],
  labels: { ours: string; peer: string },
): string {
  const header = [
    'case',
    `${labels.ours} ms`,
    `${labels.ours} GFLOP/s`,
    `${labels.peer} ms`,
    `${labels.peer} GFLOP/s`,
    `${labels.ours} vs ${labels.peer}`,
  ];
  const rows = results.map((r) => [
    r.name,
    milliseconds(r.ours.medianMs),
    gflops(r.flops, r.ours.medianMs),
    milliseconds(r.peer.medianMs),
    gflops(r.flops, r.peer.medianMs),
    `${r.ratio.toFixed(2)}x`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ');
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    `Medians of samples taken alternately in one process. ${labels.ours} vs ${labels.peer} = ` +
      `${labels.peer} time / ${labels.ours} time (above 1: ${labels.ours} is faster).`,
  ].join('\n');
}
