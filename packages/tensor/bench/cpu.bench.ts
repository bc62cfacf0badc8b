// CPU backend benchmarks: matmul and the MNIST CNN's convolutions, forward and
// forward+backward, against TensorFlow.js's pure-JS CPU backend doing the same work in the
// same process. Run with `pnpm bench` (add a word to run only the cases whose names hold it:
// `pnpm --filter @dl/tensor bench:cpu conv2`).
//
// tfjs runs its convolutions in NHWC with HWIO filters, its native layout; the data are the
// same numbers transposed, and each case checks once that both give the same results.

import { cpus } from 'node:os';
import { conv2d, manualSeed, randn, type Tensor, tidy } from '@dl/tensor';
import { version_cpu as peerVersion } from '@tensorflow/tfjs-backend-cpu'; // registers 'cpu' with tfjs-core
import * as tf from '@tensorflow/tfjs-core';
import { type ComparisonResult, compare, formatTable } from '../../../tooling/bench/harness.ts';

const peerName = 'tfjs-cpu';

/**
 * Node loads tfjs-core's CommonJS build, which leaves gradient definitions to the
 * @tensorflow/tfjs bundle. Registers Conv2D's as tfjs defines it (gradients/Conv2D_grad.js):
 * the input gradient by Conv2DBackpropInput, the filter gradient by Conv2DBackpropFilter.
 */
function registerConv2dGradient(): void {
  // runKernel returns TensorInfo; the engine makes these Tensors (a foreign boundary).
  const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) =>
    tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor;
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor, tf.Tensor];
      const gradient = dy as tf.Tensor; // Conv2D has one output
      const { strides, pad, dataFormat, dimRoundingMode } = attrs;
      const common = { strides, pad, dataFormat, dimRoundingMode } as tf.NamedAttrMap;
      return {
        x: () =>
          run('Conv2DBackpropInput', { dy: gradient, filter }, { ...common, inputShape: x.shape }),
        filter: () =>
          run(
            'Conv2DBackpropFilter',
            { x, dy: gradient },
            { ...common, filterShape: filter.shape },
          ),
      };
    },
  });
}

/** A tfjs tensor holding `t`'s values, with its dims reordered by `perm`. */
function toPeer(t: Tensor, perm?: number[]): tf.Tensor {
  const values = t.dataSync();
  if (!(values instanceof Float32Array)) throw new Error(`expected float32, got ${t.dtype}`);
  const plain = tf.tensor(values, [...t.shape]);
  if (!perm) return plain;
  const permuted = tf.transpose(plain, perm);
  plain.dispose();
  return permuted;
}

/** Fails the run if ours and the peer's results differ by more than float32 noise. */
function check(name: string, ours: Tensor, peer: tf.Tensor, perm?: number[]): void {
  const peerValues = tf.tidy(() => (perm ? tf.transpose(peer, perm) : peer).dataSync());
  const ourValues = ours.dataSync();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < ourValues.length; i++) {
    worst = Math.max(worst, Math.abs(ourValues[i]! - peerValues[i]!));
    scale = Math.max(scale, Math.abs(peerValues[i]!));
  }
  if (ourValues.length !== peerValues.length || !(worst <= 1e-4 * scale)) {
    throw new Error(
      `${name}: dl and ${peerName} disagree (max difference ${worst}, scale ${scale})`,
    );
  }
}

function disposeAll(tensors: readonly { dispose(): void }[]): void {
  for (const t of tensors) t.dispose();
}

interface Case {
  name: string;
  flops: number;
  /** Builds both sides' inputs, checks they agree, and returns the two pieces of work. */
  setup(): { ours: () => void; peer: () => void; dispose(): void };
}

function matmulCase(n: number): Case {
  return {
    name: `matmul ${n}x${n}x${n}`,
    flops: 2 * n ** 3,
    setup() {
      const a = randn([n, n]);
      const b = randn([n, n]);
      const [pa, pb] = [toPeer(a), toPeer(b)];
      tidy(() => tf.tidy(() => check(this.name, a.matmul(b), tf.matMul(pa, pb))));
      return {
        ours: () => a.matmul(b).dispose(),
        peer: () => tf.matMul(pa, pb).dispose(),
        dispose: () => disposeAll([a, b, pa, pb]),
      };
    },
  };
}

const nchwToNhwc = [0, 2, 3, 1];
const nhwcToNchw = [0, 3, 1, 2];
const oihwToHwio = [2, 3, 1, 0];
const hwioToOihw = [3, 2, 0, 1];

/**
 * conv2d of x [N, C, H, W] with weight [O, C, kh, kw], stride 1, no padding. With `backward`,
 * also the gradients for an upstream gradient dy: of the weight always, and of the input when
 * `inputGrad` (conv1's input is the data, which needs none).
 */
function convCase(
  label: string,
  input: number[],
  weight: number[],
  backward: boolean,
  inputGrad: boolean,
): Case {
  const [n, c, h, w] = input as [number, number, number, number];
  const [o, , kh, kw] = weight as [number, number, number, number];
  const [oh, ow] = [h - kh + 1, w - kw + 1];
  const forwardFlops = 2 * n * o * oh * ow * c * kh * kw;
  const passes = backward ? (inputGrad ? 3 : 2) : 1;
  return {
    name: `${label} ${backward ? 'fwd+bwd' : 'forward'} [${input}]*[${weight}]`,
    flops: passes * forwardFlops,
    setup() {
      const x = randn(input).requiresGrad_(backward && inputGrad);
      const k = randn(weight).requiresGrad_(backward);
      const dy = randn([n, o, oh, ow]);
      const [px, pk, pdy] = [toPeer(x, nchwToNhwc), toPeer(k, oihwToHwio), toPeer(dy, nchwToNhwc)];
      const peerConv = (xs: tf.Tensor, ks: tf.Tensor) =>
        tf.conv2d(xs as tf.Tensor4D, ks as tf.Tensor4D, 1, 'valid');
      const peerGrads = (): tf.Tensor[] =>
        inputGrad
          ? tf.grads(peerConv)([px, pk], pdy)
          : [tf.grad((ks: tf.Tensor) => peerConv(px, ks))(pk, pdy)];
      const ours = () =>
        tidy(() => {
          const y = conv2d(x, k);
          if (backward) {
            y.backward(dy);
            x.grad = null;
            k.grad = null;
          }
        });
      const peer = () =>
        tf.tidy(() => {
          if (backward) peerGrads();
          else peerConv(px, pk);
        });

      tidy(() =>
        tf.tidy(() => {
          const y = conv2d(x, k);
          check(`${this.name} (output)`, y, peerConv(px, pk), nhwcToNchw);
          if (!backward) return;
          y.backward(dy);
          const grads = peerGrads();
          check(`${this.name} (weight gradient)`, k.grad!, grads[grads.length - 1]!, hwioToOihw);
          if (inputGrad) check(`${this.name} (input gradient)`, x.grad!, grads[0]!, nhwcToNchw);
          x.grad = null;
          k.grad = null;
        }),
      );
      return { ours, peer, dispose: () => disposeAll([x, k, dy, px, pk, pdy]) };
    },
  };
}

const conv1 = { input: [64, 1, 28, 28], weight: [32, 1, 3, 3] };
const conv2 = { input: [64, 32, 26, 26], weight: [64, 32, 3, 3] };
// tfjs's CPU filter gradient (Conv2DBackpropFilter) reads through TensorBuffer.get and runs
// at about 0.01 GFLOP/s: a batch of 64 through conv2 would take it minutes per run. Its
// forward+backward is compared on 4 images instead, the same work per image.
const conv2Small = { input: [4, 32, 26, 26], weight: conv2.weight };
const cases: Case[] = [
  matmulCase(256),
  matmulCase(1024),
  convCase('conv1', conv1.input, conv1.weight, false, false),
  convCase('conv2', conv2.input, conv2.weight, false, false),
  convCase('conv1', conv1.input, conv1.weight, true, false),
  convCase('conv2', conv2Small.input, conv2Small.weight, true, true),
];

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  manualSeed(0);
  // tfjs greets Node users with advice to install tfjs-node on its first tensor; this
  // benchmark wants its pure-JS backend, so the advice is silenced.
  const warn = console.warn;
  console.warn = () => {};
  await tf.setBackend('cpu');
  registerConv2dGradient();
  tf.tensor([0]).dispose();
  console.warn = warn;

  const cpu = cpus();
  console.log(`dl CPU backend vs ${peerName} (@tensorflow/tfjs-backend-cpu ${peerVersion})`);
  console.log(
    `node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, single-threaded\n`,
  );
  const results: ComparisonResult[] = [];
  for (const testCase of cases.filter((c) => c.name.includes(filter))) {
    const work = testCase.setup();
    results.push(
      // One warm-up run suffices for work that takes seconds; the time floor warms the rest.
      await compare(
        { name: testCase.name, flops: testCase.flops, ...work },
        { samples: 7, warmupRuns: 1 },
      ),
    );
    work.dispose();
    console.log(`  ${testCase.name}: ${results[results.length - 1]!.ratio.toFixed(2)}x`);
  }
  console.log(`\n${formatTable(results, { ours: 'dl', peer: peerName })}`);
}

await main();
