// The per-op overhead of the CPU backend: one small op (add, mul, relu, sum over 100
// float32 elements) against TensorFlow.js's pure-JS CPU backend doing the same op in the
// same process. At this size the kernel is a few dozen nanoseconds; what is timed is the
// path around it (argument checks, broadcasting, dtype promotion, autograd, allocation and
// the storage accounting). Run with `pnpm bench` (a word runs only the cases whose names
// hold it: `pnpm --filter @dl/tensor bench:small-op relu`).
//
// Each run is 1,000 ops, each result disposed at once on both sides (tfjs frees nothing
// by itself), except in the case that leaves dl's results to the garbage collector. tfjs
// records no graph outside tf.grad, so in the requiresGrad cases its side is the plain op:
// those rows show what recording the graph costs on top.

import { manualSeed, noGrad, randn, type Tensor } from '@dl/tensor';
import { version_cpu as peerVersion } from '@tensorflow/tfjs-backend-cpu'; // registers 'cpu' with tfjs-core
import * as tf from '@tensorflow/tfjs-core';
import { compareAll, formatTable, type MultiResult } from '../../../tooling/bench/compare.ts';
import { hostLine } from '../../../tooling/bench/peers.node.ts';
import { useTfBackend } from '../../../tooling/bench/tfjs.ts';

const peerName = 'tfjs-cpu';
const size = 100;
const opsPerRun = 1000;

interface Op {
  name: string;
  ours: (a: Tensor, b: Tensor) => Tensor;
  peer: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
}

const ops: Op[] = [
  { name: 'add', ours: (a, b) => a.add(b), peer: (a, b) => tf.add(a, b) },
  { name: 'mul', ours: (a, b) => a.mul(b), peer: (a, b) => tf.mul(a, b) },
  { name: 'relu', ours: (a) => a.relu(), peer: (a) => tf.relu(a) },
  { name: 'sum', ours: (a) => a.sum(), peer: (a) => tf.sum(a) },
];

/** How dl's side runs: a plain op, recording the graph, or with a grad-requiring input under noGrad. */
type Mode = 'plain' | 'requiresGrad' | 'requiresGrad, noGrad' | 'not disposed';

interface Case {
  name: string;
  sides: { dl: () => void; [peerName]: () => void };
}

/** A tfjs tensor holding `t`'s values. */
function toPeer(t: Tensor): tf.Tensor {
  const values = t.dataSync();
  if (!(values instanceof Float32Array)) throw new Error(`expected float32, got ${t.dtype}`);
  return tf.tensor(values, [...t.shape]);
}

/** Fails the run if dl and the peer disagree beyond float32 rounding. */
function check(name: string, ours: Tensor, peer: tf.Tensor): void {
  const [a, b] = [ours.dataSync(), peer.dataSync()];
  const worst = Math.max(0, ...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
  if (a.length !== b.length || !(worst <= 1e-5 * Math.max(1, ...Array.from(b, Math.abs)))) {
    throw new Error(`${name}: dl and ${peerName} disagree (max difference ${worst})`);
  }
}

function makeCase(op: Op, mode: Mode, a: Tensor, b: Tensor, pa: tf.Tensor, pb: tf.Tensor): Case {
  const name = `${op.name} [${size}]${mode === 'plain' ? '' : `, ${mode}`}`;
  const x = mode === 'requiresGrad' || mode === 'requiresGrad, noGrad' ? a.detach() : a;
  if (x !== a) x.requiresGrad_();
  const disposed = () => {
    for (let i = 0; i < opsPerRun; i++) op.ours(x, b).dispose();
  };
  const ours =
    mode === 'requiresGrad, noGrad'
      ? () => noGrad(disposed)
      : mode === 'not disposed'
        ? () => {
            for (let i = 0; i < opsPerRun; i++) op.ours(x, b);
          }
        : disposed;
  const peer = () => {
    for (let i = 0; i < opsPerRun; i++) op.peer(pa, pb).dispose();
  };
  const y = op.ours(x, b);
  const py = op.peer(pa, pb);
  check(name, y, py);
  if (mode === 'requiresGrad' && y.gradFn === null) throw new Error(`${name}: no graph recorded`);
  y.dispose();
  py.dispose();
  return { name, sides: { dl: ours, [peerName]: peer } };
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  manualSeed(0);
  await useTfBackend(tf, 'cpu');
  const a = randn([size]);
  const b = randn([size]);
  const [pa, pb] = [toPeer(a), toPeer(b)];
  const modes: Mode[] = ['plain', 'requiresGrad', 'requiresGrad, noGrad'];
  const cases = [
    ...ops.flatMap((op) => modes.map((mode) => makeCase(op, mode, a, b, pa, pb))),
    makeCase(ops[0]!, 'not disposed', a, b, pa, pb),
  ];

  console.log(`dl CPU backend vs ${peerName} (@tensorflow/tfjs-backend-cpu ${peerVersion})`);
  console.log(`${hostLine()}, single-threaded; ${opsPerRun} ops per run\n`);
  const results: MultiResult[] = [];
  for (const testCase of cases.filter((c) => c.name.includes(filter))) {
    const result = await compareAll(
      { name: testCase.name, ops: opsPerRun, sides: testCase.sides },
      { warmupRuns: 5, samples: 7 },
    );
    results.push(result);
    const perOp = (side: string) => (result.timings[side]!.medianMs * 1000) / opsPerRun;
    console.log(
      `  ${testCase.name}: dl ${perOp('dl').toFixed(2)} us, ${peerName} ` +
        `${perOp(peerName).toFixed(2)} us per op (${(perOp(peerName) / perOp('dl')).toFixed(2)}x)`,
    );
  }
  console.log(`\n${formatTable(results)}`);
}

await main();
