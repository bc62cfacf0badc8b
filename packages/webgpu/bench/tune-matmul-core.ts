// Measures matmul kernel variants (tile shapes, operand order, with and without subgroup
// broadcasts) on a WebGPU device, to choose the tiles in src/kernels/matmul.ts. Every
// variant is checked against a float64 reference, then timed on the shapes and layouts that
// matter (square, transposed operands, nn.Linear, the MNIST CNN's convolutions), beside the
// first kernel this package had (32x32 tiles staged in workgroup memory, 4x4 outputs per
// invocation), kept below as the baseline. Entry points: tune-matmul.ts (Node, lavapipe)
// and tune-matmul.chromium.ts (Chromium, SwiftShader).
//
// The machines are shared and noisy: variants are timed in alternation, many short samples
// each, and the best sample is reported, which is what a kernel does when it has the cores.

import type { View } from '@dl/tensor';
import type { GPUStorage, WebGPUBackend } from '@dl/webgpu';
import { type MatmulVariant, matmulTarget, planMatmul, variantKey } from '../src/kernels/matmul.ts';

interface Problem {
  name: string;
  batch: number;
  m: number;
  k: number;
  n: number;
  /** a stored as [K, M] and viewed transposed. */
  aT?: boolean;
  /** b stored as [N, K] and viewed transposed. */
  bT?: boolean;
}

const problems: Problem[] = [
  { name: '1024 (a @ b)', batch: 1, m: 1024, k: 1024, n: 1024 },
  { name: '256 (a @ b)', batch: 1, m: 256, k: 256, n: 256 },
  { name: '2048 (a @ b)', batch: 1, m: 2048, k: 2048, n: 2048 },
  { name: '1024 (a @ b^T)', batch: 1, m: 1024, k: 1024, n: 1024, bT: true },
  { name: '1024 (a^T @ b)', batch: 1, m: 1024, k: 1024, n: 1024, aT: true },
  { name: 'linear x @ W^T [64,9216]x[9216,128]', batch: 1, m: 64, k: 9216, n: 128, bT: true },
  { name: 'linear dW = dY^T @ x [128,64]x[64,9216]', batch: 1, m: 128, k: 64, n: 9216, aT: true },
  { name: 'conv2 forward 64x [64,288]x[288,576]', batch: 64, m: 64, k: 288, n: 576 },
  { name: 'conv2 dW 64x [64,576]x[576,288]', batch: 64, m: 64, k: 576, n: 288, bT: true },
  { name: 'conv2 dX 64x [288,64]x[64,576]', batch: 64, m: 288, k: 64, n: 576, aT: true },
  { name: 'conv1 forward 64x [32,9]x[9,676]', batch: 64, m: 32, k: 9, n: 676 },
];

function view(storage: GPUStorage, batch: number, rows: number, cols: number, t: boolean): View {
  // Stored [batch, rows, cols] contiguous, or [batch, cols, rows] and viewed transposed.
  const strides = t ? [rows * cols, 1, rows] : [rows * cols, cols, 1];
  return { storage, dtype: 'float32', shape: [batch, rows, cols], strides, offset: 0 };
}

function random(length: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** out = a @ b in float64, from the stored layouts. */
function reference(p: Problem, a: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(p.batch * p.m * p.n);
  for (let z = 0; z < p.batch; z++)
    for (let i = 0; i < p.m; i++)
      for (let j = 0; j < p.n; j++) {
        let sum = 0;
        for (let kk = 0; kk < p.k; kk++) {
          const av = p.aT ? a[z * p.m * p.k + kk * p.m + i]! : a[z * p.m * p.k + i * p.k + kk]!;
          const bv = p.bT ? b[z * p.k * p.n + j * p.k + kk]! : b[z * p.k * p.n + kk * p.n + j]!;
          sum += av * bv;
        }
        out[z * p.m * p.n + i * p.n + j] = sum;
      }
  return out;
}

interface Runner {
  key: string;
  run(): void;
}

/** The first kernel (contiguous float32 operands only), as the baseline. */
function baselineRunner(device: WebGPUBackend, p: Problem, buffers: GPUBuffer[]): Runner {
  const [aRow, aCol] = p.aT ? [1, p.m] : [p.k, 1];
  const [bRow, bCol] = p.bT ? [1, p.k] : [p.n, 1];
  const meta = Int32Array.from([
    ...[p.m, p.n, p.k, 1, p.batch],
    ...[p.m * p.k, p.k * p.n, p.m * p.n],
    ...[aRow, aCol, 0, bRow, bCol, 0, p.n, 1, 0],
  ]);
  const code = firstKernel();
  return {
    key: 'first kernel (32x32 tiles)',
    run: () =>
      device.runtime.dispatch({
        label: 'first kernel',
        code,
        key: 'first kernel',
        meta,
        bindings: buffers,
        workgroups: [Math.ceil(p.n / 32), Math.ceil(p.m / 32), p.batch],
      }),
  };
}

function variantRunner(
  device: WebGPUBackend,
  views: [View, View, View],
  buffers: GPUBuffer[],
  override: Partial<MatmulVariant>,
): Runner {
  const program = planMatmul(...views, matmulTarget(device.runtime), override);
  const code = program.shader();
  return {
    key: variantKey(program.variant),
    run: () =>
      device.runtime.dispatch({
        label: program.key,
        code,
        key: program.key,
        meta: program.meta,
        bindings: buffers,
        workgroups: program.workgroups,
      }),
  };
}

interface Sample {
  /** GFLOP per second of wall time. */
  wall: number;
  /** GFLOP per second of CPU time used by the process (all of lavapipe's threads), if known. */
  cpu: number | undefined;
}

/** One sample: as many runs as fill `minMs`, each waited for. */
async function sample(
  device: WebGPUBackend,
  runner: Runner,
  flops: number,
  minMs: number,
  cpuMs: (() => number) | undefined,
): Promise<Sample> {
  let reps = 0;
  const start = performance.now();
  const cpuStart = cpuMs?.();
  do {
    runner.run();
    reps++;
    await device.synchronize();
  } while (performance.now() - start < minMs);
  const wallMs = performance.now() - start;
  const cpu = cpuMs && cpuStart !== undefined ? cpuMs() - cpuStart : undefined;
  return {
    wall: (flops * reps) / (wallMs * 1e6),
    cpu: cpu === undefined ? undefined : (flops * reps) / (cpu * 1e6),
  };
}

/** Tiles (groups x rows x cols), each tried in both operand orders. */
export const defaultShapes = '2x4x24,4x4x24,2x4x32,2x4x16,2x2x32,2x8x16,1x4x24';

function candidates(shapes: string): Partial<MatmulVariant>[] {
  const list: Partial<MatmulVariant>[] = [];
  for (const shape of shapes.split(',')) {
    const [groups, rows, cols] = shape.split('x').map(Number) as [number, number, number];
    for (const swapped of [false, true]) list.push({ groups, rows, cols, swapped });
  }
  return list;
}

export interface TuneOptions {
  /** Keeps the variants whose key contains this. */
  filter?: string;
  /** Keeps the problems whose name contains this. */
  problem?: string;
  /** Tiles to try, as in defaultShapes. */
  shapes?: string;
  /** Rounds over all variants; the best round is reported. */
  rounds?: number;
  /** Milliseconds per sample. */
  minMs?: number;
  /** The process's CPU time in milliseconds (Node), for GFLOP per CPU-second. */
  cpuMs?: () => number;
  log?: (line: string) => void;
}

/** Checks and times the variants on every problem, printing one line per variant. */
export async function tuneMatmul(device: WebGPUBackend, options: TuneOptions = {}): Promise<void> {
  const { filter = '', problem = '', shapes = defaultShapes, rounds = 12, minMs = 40 } = options;
  const log = options.log ?? console.log;
  log(`matmul tuning on ${device}: ${JSON.stringify(matmulTarget(device.runtime))}`);
  for (const p of problems.filter((q) => q.name.includes(problem))) {
    const aData = random(p.batch * p.m * p.k, 1);
    const bData = random(p.batch * p.k * p.n, 2);
    const views: [View, View, View] = [
      view(device.fromData('float32', aData), p.batch, p.m, p.k, p.aT ?? false),
      view(device.fromData('float32', bData), p.batch, p.k, p.n, p.bT ?? false),
      view(device.allocate('float32', p.batch * p.m * p.n), p.batch, p.m, p.n, false),
    ];
    // Bound as the backend binds them: the output, then a and b.
    const buffers = [views[2], views[0], views[1]].map((v) => (v.storage as GPUStorage).buffer);
    const flops = 2 * p.batch * p.m * p.n * p.k;
    const pick = variantRunner(device, views, buffers, {});
    log(`\n${p.name}: planMatmul picks ${pick.key}`);
    const seen = new Set<string>([pick.key]);
    const runners = [
      pick,
      baselineRunner(device, p, buffers),
      ...candidates(shapes)
        .map((c) => variantRunner(device, views, buffers, c))
        .filter((r) => r.key.includes(filter) && !seen.has(r.key) && seen.add(r.key)),
    ];

    const expected = p.batch * p.m * p.n * p.k <= 2 ** 28 ? reference(p, aData, bData) : undefined;
    const notes = new Map<Runner, string>();
    for (const runner of runners) {
      runner.run();
      if (!expected) continue;
      const got = new Float32Array(await device.runtime.read(buffers[0]!, expected.length * 4));
      let worst = 0;
      for (let i = 0; i < expected.length; i++)
        worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      if (!(worst < 1e-3)) notes.set(runner, `  WRONG (max error ${worst})`);
    }

    const samples = new Map<Runner, Sample[]>(runners.map((r) => [r, []]));
    for (let round = 0; round < rounds; round++)
      for (const runner of runners)
        samples.get(runner)!.push(await sample(device, runner, flops, minMs, options.cpuMs));
    for (const runner of runners) {
      const taken = samples.get(runner)!;
      const wall = Math.max(...taken.map((t) => t.wall));
      const cpu = Math.max(...taken.map((t) => t.cpu ?? 0));
      const cpuColumn = options.cpuMs ? ` ${cpu.toFixed(2).padStart(6)} GFLOP/cpu-s` : '';
      log(
        `  ${runner.key.padEnd(32)} ${wall.toFixed(2).padStart(6)} GFLOP/s${cpuColumn}${notes.get(runner) ?? ''}`,
      );
    }
    for (const v of views) device.release(v.storage);
  }
}

/** The first kernel: float32, any strides, grid [N / 32, M / 32, batch]. */
function firstKernel(): string {
  return /* wgsl */ `

@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;

var<workgroup> tileA: array<array<f32, 33>, 32>; // [m][k], padded against bank conflicts
var<workgroup> tileB: array<array<f32, 33>, 32>; // [k][n]

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = info[0];
  let N = info[1];
  let K = info[2];
  let r = info[3];
  // Batch coordinates from wid.z.
  var rem = i32(wid.z);
  var aBase = 0;
  var bBase = 0;
  var oBase = 0;
  for (var d = r - 1; d >= 0; d--) {
    let size = info[4 + d];
    let c = rem % size;
    rem = rem / size;
    aBase += c * info[4 + r + d];
    bBase += c * info[4 + 2 * r + d];
    oBase += c * info[4 + 3 * r + d];
  }
  let t = 4 + 4 * r;
  let aRow = info[t]; let aCol = info[t + 1]; aBase += info[t + 2];
  let bRow = info[t + 3]; let bCol = info[t + 4]; bBase += info[t + 5];
  let oRow = info[t + 6]; let oCol = info[t + 7]; oBase += info[t + 8];

  let row0 = i32(wid.y) * 32;
  let col0 = i32(wid.x) * 32;
  let ty = i32(lid.y);
  let tx = i32(lid.x);
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0; k0 < K; k0 += 32) {
    // 64 invocations load 32x32 of A and of B: 16 elements each.
    for (var e = 0; e < 16; e++) {
      let flat = (ty * 8 + tx) * 16 + e;
      let i = flat / 32;
      let j = flat % 32;
      let ar = row0 + i;
      let ak = k0 + j;
      var av = 0.0;
      if (ar < M && ak < K) { av = f32(A[aBase + ar * aRow + ak * aCol]); }
      tileA[i][j] = av;
      let bk = k0 + i;
      let bc = col0 + j;
      var bv = 0.0;
      if (bk < K && bc < N) { bv = f32(B[bBase + bk * bRow + bc * bCol]); }
      tileB[i][j] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < 32; kk++) {
      var bvals: array<f32, 4>;
      for (var j = 0; j < 4; j++) { bvals[j] = tileB[kk][tx * 4 + j]; }
      for (var i = 0; i < 4; i++) {
        let av = tileA[ty * 4 + i][kk];
        for (var j = 0; j < 4; j++) { acc[i][j] = acc[i][j] + av * bvals[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i++) {
    let orow = row0 + ty * 4 + i;
    if (orow >= M) { continue; }
    for (var j = 0; j < 4; j++) {
      let ocol = col0 + tx * 4 + j;
      if (ocol < N) { out[oBase + orow * oRow + ocol * oCol] = acc[i][j]; }
    }
  }
}
`;
}
