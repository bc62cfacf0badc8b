// The matmul kernels against the CPU backend: every variant planMatmul can choose (both
// operand orders, vec4 and scalar reads, with and without subgroup broadcasts) on odd,
// skinny, batched, broadcast, strided and transposed operands; then matmul through the
// tensor API, as users call it.

import { cpu, manualSeed, randn, type Storage, type Tensor, type View } from '@dl/tensor';
import { compareValues } from '@dl/tensor/testing';
import type { GPUStorage } from '@dl/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { type MatmulVariant, matmulTarget, planMatmul, variantKey } from '../src/kernels/matmul.js';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

/** One operand as stored: its own batch dims, transposed or not, after `offset` elements. */
interface Stored {
  batch: number[];
  transposed?: boolean;
  offset?: number;
}

interface Case {
  name: string;
  m: number;
  k: number;
  n: number;
  a: Stored;
  b: Stored;
}

const cases: Case[] = [
  { name: 'odd sizes', m: 13, k: 7, n: 29, a: { batch: [] }, b: { batch: [] } },
  { name: 'square 64', m: 64, k: 64, n: 64, a: { batch: [] }, b: { batch: [] } },
  { name: 'K a multiple of 4', m: 37, k: 52, n: 45, a: { batch: [] }, b: { batch: [] } },
  { name: 'row vector [1,K]x[K,N]', m: 1, k: 300, n: 77, a: { batch: [] }, b: { batch: [] } },
  { name: 'column result [M,K]x[K,1]', m: 70, k: 33, n: 1, a: { batch: [] }, b: { batch: [] } },
  { name: 'dot [1,K]x[K,1]', m: 1, k: 1000, n: 1, a: { batch: [] }, b: { batch: [] } },
  { name: 'K = 1 (outer product)', m: 9, k: 1, n: 11, a: { batch: [] }, b: { batch: [] } },
  {
    name: 'nn.Linear [64,9216]x[9216,128]^T',
    m: 64,
    k: 9216,
    n: 128,
    a: { batch: [] },
    b: { batch: [], transposed: true },
  },
  {
    name: 'a^T @ b',
    m: 40,
    k: 24,
    n: 36,
    a: { batch: [], transposed: true },
    b: { batch: [] },
  },
  {
    name: 'a^T @ b^T, odd',
    m: 23,
    k: 19,
    n: 17,
    a: { batch: [], transposed: true },
    b: { batch: [], transposed: true },
  },
  {
    name: 'offsets of 1 and 4',
    m: 20,
    k: 16,
    n: 24,
    a: { batch: [], offset: 1 },
    b: { batch: [], offset: 4 },
  },
  { name: 'batched [3]', m: 17, k: 12, n: 19, a: { batch: [3] }, b: { batch: [3] } },
  {
    name: 'broadcast batch [3,1] x [1,2]',
    m: 9,
    k: 8,
    n: 10,
    a: { batch: [3, 1] },
    b: { batch: [1, 2], transposed: true },
  },
  {
    name: 'conv-shaped: weight [1,32,9] x columns [4,1,9,676]',
    m: 32,
    k: 9,
    n: 676,
    a: { batch: [1, 1] },
    b: { batch: [4, 1] },
  },
  {
    name: 'conv-shaped: weight^T x gradient, batched',
    m: 72,
    k: 16,
    n: 100,
    a: { batch: [1], transposed: true },
    b: { batch: [3] },
  },
];

function values(length: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** The batch dims of the output: each operand's own, broadcast. */
function outBatch(c: Case): number[] {
  const rank = Math.max(c.a.batch.length, c.b.batch.length);
  const pad = (dims: number[]) => [...Array(rank - dims.length).fill(1), ...dims];
  return pad(c.a.batch).map((d, i) => Math.max(d, pad(c.b.batch)[i]!));
}

/** The view the backend gets for an operand stored as `stored`, of rows x cols. */
function viewOf(
  storage: Storage,
  stored: Stored,
  rows: number,
  cols: number,
  batch: number[],
): View {
  const own = [...Array(batch.length - stored.batch.length).fill(1), ...stored.batch];
  const matrix = stored.transposed ? [1, rows] : [cols, 1];
  const strides: number[] = [];
  let size = rows * cols;
  for (let d = own.length - 1; d >= 0; d--) {
    strides.unshift(own[d] === 1 ? 0 : size);
    size *= own[d]!;
  }
  return {
    storage,
    dtype: 'float32',
    shape: [...batch, rows, cols],
    strides: [...strides, ...matrix],
    offset: stored.offset ?? 0,
  };
}

function storedLength(stored: Stored, rows: number, cols: number): number {
  return (stored.offset ?? 0) + stored.batch.reduce((p, d) => p * d, 1) * rows * cols;
}

function contiguousOut(storage: Storage, batch: number[], m: number, n: number): View {
  const shape = [...batch, m, n];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  return { storage, dtype: 'float32', shape, strides, offset: 0 };
}

describe.skipIf(!device)(`matmul kernels on WebGPU in ${runtime}`, () => {
  const gpu = device!;
  const target = matmulTarget(gpu.runtime);
  console.log(`matmul target in ${runtime}: ${JSON.stringify(target)}`);
  afterAll(() => gpu.destroy());

  // The plan's pick, then the other variants with a small tile (each variant compiles
  // once, and small unrolled loops compile fast).
  const small = { groups: 1, rows: 1, cols: 8 };
  const overrides: Partial<MatmulVariant>[] = [
    {},
    { ...small, swapped: false },
    { ...small, swapped: true },
    { ...small, swapped: false, laneLoad: 'scalar', sharedLoad: 'scalar' },
    { ...small, swapped: true, broadcast: false },
    { groups: 2, rows: 4, cols: 24, swapped: true },
  ];

  for (const c of cases) {
    it(`${c.name}: every variant agrees with the CPU backend`, async () => {
      const batch = outBatch(c);
      const aData = values(storedLength(c.a, c.m, c.k), 1);
      const bData = values(storedLength(c.b, c.k, c.n), 2);
      const count = batch.reduce((p, d) => p * d, 1) * c.m * c.n;
      const onCpu = [cpu.fromData('float32', aData), cpu.fromData('float32', bData)];
      const cpuOut = contiguousOut(cpu.allocate('float32', count), batch, c.m, c.n);
      cpu.matmul(
        viewOf(onCpu[0]!, c.a, c.m, c.k, batch),
        viewOf(onCpu[1]!, c.b, c.k, c.n, batch),
        cpuOut,
      );
      const expected = await cpu.read(cpuOut);

      const a = viewOf(gpu.fromData('float32', aData), c.a, c.m, c.k, batch);
      const b = viewOf(gpu.fromData('float32', bData), c.b, c.k, c.n, batch);
      const out = contiguousOut(gpu.allocate('float32', count), batch, c.m, c.n);
      const tried = new Set<string>();
      for (const override of overrides) {
        const program = planMatmul(a, b, out, target, override);
        const key = variantKey(program.variant);
        if (tried.has(key)) continue;
        tried.add(key);
        gpu.runtime.dispatch({
          label: program.key,
          code: program.shader(),
          key: program.key,
          meta: program.meta,
          bindings: [out, a, b].map((v) => (v.storage as GPUStorage).buffer),
          workgroups: program.workgroups,
        });
        const got = await gpu.read(out);
        const problem = compareValues(got, expected, { rtol: 1e-4, atol: 1e-6 * c.k });
        expect(problem, `variant ${key}`).toBeUndefined();
      }
      for (const v of [a, b, out]) gpu.release(v.storage);
    });
  }

  it('plans vec4 reads and the operand order from the layout', () => {
    const storage = gpu.allocate('float32', 4);
    const plan = (m: number, k: number, n: number, aT: boolean, bT: boolean) =>
      planMatmul(
        viewOf(storage, { batch: [], transposed: aT }, m, k, [1]),
        viewOf(storage, { batch: [], transposed: bT }, k, n, [1]),
        contiguousOut(storage, [1], m, n),
        { subgroupSize: 8 },
      ).variant;
    // a @ b: lanes along N read b^T as four rows side by side, and a^T along K.
    expect(plan(1024, 1024, 1024, false, false)).toMatchObject({
      swapped: true,
      laneLoad: 'm4',
      sharedLoad: 'k4',
      broadcast: true,
    });
    expect(plan(1024, 1024, 1024, false, true)).toMatchObject({ laneLoad: 'k4', sharedLoad: 'k4' });
    expect(plan(1024, 1024, 1024, true, false)).toMatchObject({ laneLoad: 'm4', sharedLoad: 'n4' });
    // A single row puts the lanes along N: b^T is read with vec4s along K.
    expect(plan(1, 512, 256, false, true)).toMatchObject({ swapped: true, laneLoad: 'k4' });
    expect(plan(13, 7, 29, false, false)).toMatchObject({ laneLoad: 'scalar' });
    gpu.release(storage);
  });

  it('matmul through the tensor API: transposed, sliced, broadcast and skinny operands', async () => {
    manualSeed(1);
    const pairs: [string, () => [Tensor, Tensor]][] = [
      ['square 96', () => [randn([96, 96]), randn([96, 96])]],
      ['x @ W.t()', () => [randn([64, 300]), randn([128, 300]).t()]],
      ['W.t() @ g', () => [randn([50, 72]).t(), randn([50, 40])]],
      ['narrowed rows and columns', () => [randn([30, 41]).narrow(1, 1, 37), randn([37, 22])]],
      ['vector @ matrix', () => [randn([200]), randn([200, 33])]],
      ['matrix @ vector', () => [randn([33, 200]), randn([200])]],
      ['batch @ matrix', () => [randn([4, 7, 12]), randn([12, 9])]],
      ['broadcast batches', () => [randn([2, 1, 5, 8]), randn([3, 8, 6])]],
    ];
    for (const [name, make] of pairs) {
      const [a, b] = make();
      const expected = await a.matmul(b).data();
      const got = await a.to(gpu).matmul(b.to(gpu)).data();
      const k = a.shape[a.ndim - 1]!;
      expect(compareValues(got, expected, { rtol: 1e-4, atol: 1e-6 * k }), name).toBeUndefined();
    }
  });
});
