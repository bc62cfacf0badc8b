// Measures the convolution kernel variants (tile shapes, broadcast or not, the weight
// gradient's split over the batch) on the MNIST CNN's two layers at batch 64, to choose the
// tiles in src/kernels/conv.ts. Each variant is first checked against the CPU backend.
//
//   pnpm --filter @dl/webgpu exec tsx bench/tune-conv.ts [problem filter]
//
// DL_TUNE_VARIANTS lists variants as groups x rows x cols[/chunks][/nobc][/scalar][/x1], separated by
// spaces (scalar: no vec4 stores, x1: no vec4 reads of X); DL_TUNE_ROUNDS and DL_TUNE_MS size the sampling. The machine is shared and noisy:
// variants are timed in alternation and the best sample is reported, in wall time and in
// CPU time of this process (lavapipe's threads included), which other load disturbs less.

import { type ConvGeometry, cpu, type View } from '@dl/tensor';
import { type GPUStorage, webgpu } from '@dl/webgpu';
import { type ConvKind, type ConvVariant, planConv, relaidWeight } from '../src/kernels/conv.ts';
import { matmulTarget } from '../src/kernels/matmul.ts';

interface Problem {
  name: string;
  kind: ConvKind;
  input: number[];
  weight: number[];
}

const layers = {
  conv1: { input: [64, 1, 28, 28], weight: [32, 1, 3, 3] },
  conv2: { input: [64, 32, 26, 26], weight: [64, 32, 3, 3] },
};
const problems: Problem[] = Object.entries(layers).flatMap(([name, shapes]) =>
  (['forward', 'input', 'weight'] as ConvKind[]).map((kind) => ({
    name: `${name} ${kind}`,
    kind,
    ...shapes,
  })),
);

const defaultVariants = '2x4x24 1x4x24 2x2x24 2x4x16 1x8x16 2x4x32 1x1x8';

type Override = Partial<ConvVariant> & { chunks?: number };

function parseVariant(text: string): Override {
  const [shape, ...flags] = text.split('/');
  const [groups, rows, cols] = shape!.split('x').map(Number) as [number, number, number];
  const override: Override = { groups, rows, cols };
  for (const flag of flags) {
    if (flag === 'nobc') override.broadcast = false;
    else if (flag === 'scalar') override.vec4Out = false;
    else if (flag === 'x1') override.x4 = false;
    else override.chunks = Number(flag);
  }
  return override;
}

function random(length: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

const numel = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

function contiguous(storage: View['storage'], shape: number[]): View {
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  return { storage, dtype: 'float32', shape, strides, offset: 0 };
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const device = await webgpu();
const target = matmulTarget(device.runtime);
const filter = process.argv[2] ?? '';
const variants = (process.env['DL_TUNE_VARIANTS'] ?? defaultVariants).split(/\s+/).filter(Boolean);
const rounds = Number(process.env['DL_TUNE_ROUNDS'] ?? 6);
const minMs = Number(process.env['DL_TUNE_MS'] ?? 100);
console.log(`adapter: ${device.adapter.description}, target ${JSON.stringify(target)}`);

try {
  for (const p of problems.filter((q) => q.name.includes(filter))) {
    const [n, , h, w] = p.input as [number, number, number, number];
    const [o, , kh, kw] = p.weight as [number, number, number, number];
    const geometry: ConvGeometry = {
      kernel: [kh, kw],
      stride: [1, 1],
      padding: [0, 0],
      dilation: [1, 1],
      outSize: [h - kh + 1, w - kw + 1],
      groups: 1,
    };
    const grad = [n, o, ...geometry.outSize];
    // The backend method's operands [a, b, out]; kernels bind [X, Y] = [b, a].
    const [aShape, bShape, outShape] = {
      forward: [p.input, p.weight, grad],
      input: [grad, p.weight, p.input],
      weight: [p.input, grad, p.weight],
    }[p.kind] as [number[], number[], number[]];
    const [aData, bData] = [random(numel(aShape), 1), random(numel(bShape), 2)];
    const cpuOut = contiguous(cpu.allocate('float32', numel(outShape)), outShape);
    const ca = contiguous(cpu.fromData('float32', aData), aShape);
    const cb = contiguous(cpu.fromData('float32', bData), bShape);
    if (p.kind === 'forward') cpu.conv2d(ca, cb, geometry, cpuOut);
    else if (p.kind === 'input') cpu.conv2dBackwardInput(ca, cb, geometry, cpuOut);
    else cpu.conv2dBackwardWeight(ca, cb, geometry, cpuOut);
    const expected = await cpu.read(cpuOut);
    const a = contiguous(device.fromData('float32', aData), aShape);
    const b = contiguous(device.fromData('float32', bData), bShape);
    const flops = 2 * numel(grad) * numel(p.weight.slice(1));

    const runners = [];
    for (const text of variants) {
      const program = planConv(
        p.kind,
        p,
        geometry,
        { x: b, y: a, out: a },
        target,
        parseVariant(text),
      );
      const out = device.allocate('float32', program.chunks * numel(outShape));
      // The x4 kernels of the forward pass and input gradient read a relaid weight (b).
      let xStorage = b.storage;
      if (program.variant.x4 && p.kind !== 'weight') {
        const source = relaidWeight(p.kind, b, 1);
        const relaid = contiguous(
          device.allocate('float32', numel(bShape)),
          source.shape as number[],
        );
        device.elementwise({ kind: 'input', index: 0 }, [source], relaid);
        xStorage = relaid.storage;
      }
      const summed = contiguous(device.allocate('float32', numel(outShape)), outShape);
      const run = () => {
        device.runtime.dispatch({
          label: program.key,
          code: program.shader(),
          key: program.key,
          meta: program.meta,
          bindings: [out, xStorage, a.storage].map((s) => (s as GPUStorage).buffer),
          workgroups: program.workgroups,
        });
        if (program.chunks > 1) {
          const partials = contiguous(out, [program.chunks, numel(outShape)]);
          device.reduce('sum', partials, [0], {
            ...summed,
            shape: [numel(outShape)],
            strides: [1],
          });
        }
      };
      const started = performance.now();
      run();
      const got = await device.read(program.chunks > 1 ? summed : contiguous(out, outShape));
      const compile = performance.now() - started;
      let worst = 0;
      for (let i = 0; i < got.length; i++)
        worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
      if (!(worst < 1e-3)) throw new Error(`${p.name} ${text}: wrong by ${worst}`);
      runners.push({
        text,
        key: program.key,
        chunks: program.chunks,
        run,
        compile,
        best: Infinity,
        bestCpu: Infinity,
      });
    }
    for (let round = 0; round < rounds; round++) {
      for (const r of runners) {
        let count = 0;
        const started = performance.now();
        const cpuStarted = cpuMs();
        let elapsed = 0;
        while (elapsed < minMs || count === 0) {
          r.run();
          await device.synchronize();
          count++;
          elapsed = performance.now() - started;
        }
        r.best = Math.min(r.best, elapsed / count);
        r.bestCpu = Math.min(r.bestCpu, (cpuMs() - cpuStarted) / count);
      }
    }
    console.log(`\n${p.name} (${(flops / 1e6).toFixed(0)} MFLOP)`);
    for (const r of runners.sort((x, y) => x.bestCpu - y.bestCpu)) {
      console.log(
        `  ${r.text.padEnd(14)} ${r.best.toFixed(2).padStart(8)} ms ${((flops / r.best) * 1e-6).toFixed(2).padStart(7)} GFLOP/s  cpu ${r.bestCpu.toFixed(2).padStart(8)} ms  chunks ${r.chunks}  first run ${r.compile.toFixed(0)} ms`,
      );
    }
  }
} finally {
  device.destroy();
}
