// The WebAssembly elementwise kernels (wasm/elementwise.ts) against the JavaScript reference
// kernel (cpu/elementwise.ts) on the same float32 data in the same memory: add, mul, exp, a
// fused x*y+1 and relu, over 1M elements and over 100 (where the per-call cost dominates;
// each run there is 1000 calls). Both include their per-call work (collapsing dims, the
// kernel cache lookup).
// Run: `pnpm tsx --expose-gc bench/wasm-elementwise.bench.ts` (from packages/tensor).

import { cpus, loadavg } from 'node:os';
import { type ComparisonResult, compare, formatTable } from '../../../tooling/bench/harness.ts';
import type { View } from '../src/backend.js';
import { cpu } from '../src/cpu/backend.js';
import { runElementwise } from '../src/cpu/elementwise.js';
import { E, type Expr } from '../src/expr.js';
import { WasmElementwise } from '../src/wasm/elementwise.js';
import { WasmRuntime } from '../src/wasm/runtime.js';

const runtime = new WasmRuntime();
const kernels = new WasmElementwise(runtime);

/** A float32 operand of n elements in wasm memory, as both kernels take it. */
function operand(n: number, fill: (i: number) => number) {
  const ptr = runtime.alloc(n * 4)!;
  // The memory's buffer may be shared; the reference kernel reads a typed array either way.
  const data = new Float32Array(runtime.buffer as ArrayBuffer, ptr, n);
  for (let i = 0; i < n; i++) data[i] = fill(i);
  const view: View = {
    storage: cpu.allocate('float32', 0),
    dtype: 'float32',
    shape: [n],
    strides: [1],
    offset: 0,
  };
  return { ptr, view, data };
}

function benchCase(name: string, expr: Expr, n: number, calls: number) {
  const a = operand(n, (i) => Math.sin(i) * 3);
  const b = operand(n, (i) => Math.cos(i) + 1.5);
  const out = operand(n, () => 0);
  const inputs = [a, b];
  const outs = [out];
  return {
    name: `${name} ${n >= 1e6 ? `${n / 1e6}M` : n}${calls > 1 ? ` (x${calls})` : ''}`,
    ours: () => {
      for (let c = 0; c < calls; c++) kernels.run([expr], inputs, outs);
    },
    peer: () => {
      for (let c = 0; c < calls; c++) runElementwise([expr], inputs, outs, []);
    },
    check: () => {
      kernels.run([expr], inputs, outs);
      const wasm = out.data.slice();
      runElementwise([expr], inputs, outs, []);
      for (let i = 0; i < n; i++) {
        if (!Object.is(wasm[i], out.data[i])) throw new Error(`${name}: element ${i} differs`);
      }
    },
    free: () => {
      for (const o of [a, b, out]) runtime.free(o.ptr);
    },
  };
}

const x = E.input(0);
const y = E.input(1);
const cases = [
  ['add', E.add(x, y)],
  ['mul', E.mul(x, y)],
  ['exp', E.exp(x)],
  // Two roundings in a row: computed in f64 lanes (two per vector).
  ['x*y+1', E.add(E.mul(x, y), 1)],
  ['relu', E.max(x, 0)],
] as const;

const filter = process.argv[2] ?? '';
const cpu0 = cpus()[0];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`wasm elementwise vs the JavaScript kernel (float32), simd ${runtime.features.simd}`);
console.log(`node ${process.version}, ${cpus().length} x ${cpu0?.model ?? 'unknown CPU'}`);
console.log(`load before: ${load()}\n`);
const results: ComparisonResult[] = [];
for (const [n, calls] of [
  [1_000_000, 1],
  [100, 1000],
] as const) {
  for (const [name, expr] of cases) {
    const c = benchCase(name, expr, n, calls);
    if (!c.name.includes(filter)) continue;
    c.check();
    results.push(await compare({ name: c.name, ours: c.ours, peer: c.peer }, { samples: 9 }));
    c.free();
    console.log(`  ${c.name}: ${results[results.length - 1]!.ratio.toFixed(2)}x`);
  }
}
console.log(`\n${formatTable(results, { ours: 'wasm', peer: 'js' })}`);
console.log(`load after: ${load()}`);
