// Times dl against several peers doing the same work in the same process, and prints one
// table with each side's median time and GFLOP/s and dl's ratio against each peer. It is
// harness.ts (which compares against one peer) widened to several: all sides
// are warmed up, then timed in alternation, sample by sample, each sample in a shuffled
// order, so load from elsewhere on the shared machine lands on all of them alike.

import type { Timing, Work } from './harness.ts';

export interface MultiComparison {
  name: string;
  /** Floating-point operations in one run, for the GFLOP/s columns. */
  flops?: number | undefined;
  /** Ops in one run, for a microseconds-per-op line (the per-op overhead case). */
  ops?: number | undefined;
  /** The work of each side, by name; the first is ours. */
  sides: Record<string, Work>;
}

export interface MultiOptions {
  /** Runs of each side before timing (kernels compile on first use); 1 by default. */
  warmupRuns?: number;
  /** Timed samples per side. */
  samples?: number;
  /** Repeat the work within a sample until it takes at least this long. */
  minSampleMs?: number;
}

export interface MultiResult {
  name: string;
  flops: number | undefined;
  ops: number | undefined;
  timings: Record<string, Timing>;
}

function collectGarbage(): void {
  const gc: unknown = Reflect.get(globalThis, 'gc');
  if (typeof gc === 'function') gc();
}

/**
 * Milliseconds per run over one sample: the work runs back to back until the sample has
 * lasted `minMs` (at least once). Timing by the clock, not by a run count fixed from one
 * warm-up run: that run can be many times slower than the rest (a side's first run after
 * the others ran wakes the driver's threads), and a count sized from it made samples too
 * short to average that cost away.
 */
async function time(work: Work, minMs: number): Promise<number> {
  collectGarbage();
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await work();
    runs++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return elapsed / runs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function compareAll(
  comparison: MultiComparison,
  options: MultiOptions = {},
): Promise<MultiResult> {
  const { warmupRuns = 1, samples = 5, minSampleMs = 50 } = options;
  const names = Object.keys(comparison.sides);
  for (const name of names)
    for (let run = 0; run < warmupRuns; run++) await time(comparison.sides[name]!, 0);
  const taken: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  // Each sample runs the sides in a new order (a seeded shuffle, the same in every run), so
  // no side always follows the same one: the side that runs right after the slowest peers
  // pays for waking the driver's threads, which in a fixed order (or a rotation, which
  // keeps who follows whom) would always be the same side.
  let seed = 0x2545f491;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let sample = 0; sample < samples; sample++) {
    const order = [...names];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const name of order) taken[name]!.push(await time(comparison.sides[name]!, minSampleMs));
  }
  const timings: Record<string, Timing> = {};
  for (const name of names)
    timings[name] = { medianMs: median(taken[name]!), samplesMs: taken[name]! };
  return { name: comparison.name, flops: comparison.flops, ops: comparison.ops, timings };
}

function milliseconds(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** A plain-text table: per side its time and GFLOP/s, then ours against each peer. */
export function formatTable(results: readonly MultiResult[]): string {
  const names = Object.keys(results[0]?.timings ?? {});
  const [ours, ...peers] = names;
  const header = [
    'case',
    ...names.flatMap((n) => [`${n} ms`, `${n} GFLOP/s`]),
    ...peers.map((p) => `${ours} vs ${p}`),
  ];
  const rows = results.map((r) => {
    const ms = (n: string) => r.timings[n]!.medianMs;
    return [
      r.name,
      ...names.flatMap((n) => [
        milliseconds(ms(n)),
        r.flops === undefined ? '-' : (r.flops / ms(n) / 1e6).toFixed(2),
      ]),
      ...peers.map((p) => `${(ms(p) / ms(ours!)).toFixed(2)}x`),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ');
  const perOp = results
    .filter((r) => r.ops !== undefined)
    .map(
      (r) =>
        `${r.name}: ${names.map((n) => `${n} ${((r.timings[n]!.medianMs * 1000) / r.ops!).toFixed(1)} us`).join(', ')} per op`,
    );
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    ...perOp,
    `Medians of samples taken alternately in one process. ${ours} vs X = X's time / ${ours}'s ` +
      `time (above 1: ${ours} is faster).`,
  ].join('\n');
}
