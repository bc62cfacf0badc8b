// The WebGPU benchmark suite, shared by the Node entry (webgpu.bench.ts, Dawn on lavapipe)
// and the Chromium one (webgpu.chromium.ts, SwiftShader): dl against TensorFlow.js 4.22's
// WebGPU backend and jax-js 0.1.25's WebGPU backend, all three on the same adapter in one
// process.
//
// Work: matmul 256/1024/2048; conv2d forward, and forward with both backward passes (input
// and weight gradients), for the MNIST CNN's two layers at batch 64; a chain of 1,000 small
// elementwise ops (the per-op overhead); softmax and sum over 1M elements. Each side waits
// for its GPU work within the timed region, with the cheapest wait its library offers, and
// every case first checks that the three agree.
//
// tfjs runs its convolutions in NHWC with HWIO filters, its native layout: the data are the
// same numbers transposed. jax-js uses NCHW and OIHW, as dl does.

import { conv2d, manualSeed, randn, type Tensor, tensor } from '@dl/tensor';
import { type WebGPUBackend, webgpu } from '@dl/webgpu';
import type * as Jax from '@jax-js/jax';
import type * as Tf from '@tensorflow/tfjs-core';
import { compareAll, formatTable, type MultiResult } from '../../../tooling/bench/compare.ts';
import { syncTf as syncTfQueue, type TfWebGPU, useTfBackend } from '../../../tooling/bench/tfjs.ts';

type Work = () => Promise<void>;

interface Prepared {
  sides: { dl: Work; tfjs: Work; 'jax-js': Work };
  dispose(): void;
}

interface Case {
  name: string;
  flops?: number;
  /** Ops in one run: the table then says how long each op took. */
  ops?: number;
  /**
   * Long cases (a second or more per run on some side) take fewer samples and no warm-up
   * beyond the checking run of setup(), to keep the whole run within a few minutes.
   */
  long?: boolean;
  /** Builds each side's inputs, checks that the results agree, returns the work. */
  setup(): Promise<Prepared>;
}

/** The peers, imported by the entry once navigator.gpu exists (tfjs registers its WebGPU backend at import). */
export interface Peers {
  tf: typeof Tf;
  jax: typeof Jax;
}

let tf: typeof Tf;
let jax: typeof Jax;
let np: typeof Jax.numpy;

let device: WebGPUBackend;
let tfBackend: TfWebGPU;

function syncTf(): Promise<void> {
  return syncTfQueue(tfBackend);
}

/** The same numbers for every side: dl's seeded randn, as plain floats. */
function values(shape: number[]): Float32Array {
  const data = randn(shape).dataSync();
  if (!(data instanceof Float32Array)) throw new Error(`expected float32, got ${data}`);
  return data;
}

function onDevice(data: Float32Array, shape: number[]): Tensor {
  return tensor(data, { device }).reshape(shape);
}

/** tfjs's tensor of `data` [shape], with its dims reordered by `perm`. */
function tfTensor(data: Float32Array, shape: number[], perm?: number[]): Tf.Tensor {
  const plain = tf.tensor(data, shape);
  if (!perm) return plain;
  const permuted = tf.transpose(plain, perm);
  plain.dispose();
  return permuted;
}

/** Fails the run if dl and a peer differ by more than float32 noise. */
function check(name: string, peer: string, ours: ArrayLike<number>, theirs: ArrayLike<number>) {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
    scale = Math.max(scale, Math.abs(theirs[i]!));
  }
  if (ours.length !== theirs.length || !(worst <= 1e-4 * Math.max(scale, 1))) {
    throw new Error(`${name}: dl and ${peer} disagree (max difference ${worst}, scale ${scale})`);
  }
}

/** Checks one result of each side; tfjs's is permuted back to NCHW/OIHW by `tfPerm`. */
async function checkAll(
  name: string,
  ours: Tensor,
  fromTf: Tf.Tensor,
  fromJax: Jax.Array,
  tfPerm?: number[],
): Promise<void> {
  const mine = await ours.data();
  const permuted = tfPerm ? tf.transpose(fromTf, tfPerm) : fromTf;
  check(name, 'tfjs', mine, await permuted.data());
  check(name, 'jax-js', mine, await fromJax.data());
  if (permuted !== fromTf) permuted.dispose();
  fromTf.dispose();
  ours.dispose();
}

function matmulCase(n: number): Case {
  return {
    name: `matmul ${n}`,
    flops: 2 * n ** 3,
    long: n >= 2048,
    async setup() {
      const [aData, bData] = [values([n, n]), values([n, n])];
      const [a, b] = [onDevice(aData, [n, n]), onDevice(bData, [n, n])];
      const [ta, tb] = [tfTensor(aData, [n, n]), tfTensor(bData, [n, n])];
      const [ja, jb] = [np.array(aData, { shape: [n, n] }), np.array(bData, { shape: [n, n] })];
      await checkAll(this.name, a.matmul(b), tf.matMul(ta, tb), np.matmul(ja.ref, jb.ref));
      return {
        sides: {
          dl: async () => {
            const c = a.matmul(b).realize();
            await device.synchronize();
            c.dispose();
          },
          tfjs: async () => {
            const c = tf.matMul(ta, tb);
            await syncTf();
            c.dispose();
          },
          'jax-js': async () => {
            await np
              .matmul(ja.ref, jb.ref)
              .blockUntilReady()
              .then((c) => c.dispose());
          },
        },
        dispose() {
          a.dispose();
          b.dispose();
          tf.dispose([ta, tb]);
          ja.dispose();
          jb.dispose();
        },
      };
    },
  };
}

const nchwToNhwc = [0, 2, 3, 1];
const nhwcToNchw = [0, 3, 1, 2];
const oihwToHwio = [2, 3, 1, 0];
const hwioToOihw = [3, 2, 0, 1];

/**
 * conv2d of x [N, C, H, W] with weight [O, C, 3, 3], stride 1, no padding; with `backward`,
 * also both gradients (input and weight) for an upstream gradient dy.
 */
function convCase(label: string, input: number[], weight: number[], backward: boolean): Case {
  const [n, c, h, w] = input as [number, number, number, number];
  const [o, , kh, kw] = weight as [number, number, number, number];
  const outShape = [n, o, h - kh + 1, w - kw + 1];
  const forwardFlops = 2 * n * o * outShape[2]! * outShape[3]! * c * kh * kw;
  return {
    name: `${label} ${backward ? 'fwd+bwd' : 'forward'}`,
    flops: (backward ? 3 : 1) * forwardFlops,
    long: input[1]! > 1,
    async setup() {
      const [xData, wData, dyData] = [values(input), values(weight), values(outShape)];
      const x = onDevice(xData, input).requiresGrad_(backward);
      const k = onDevice(wData, weight).requiresGrad_(backward);
      const dy = onDevice(dyData, outShape);
      const tx = tfTensor(xData, input, nchwToNhwc) as Tf.Tensor4D;
      const tk = tfTensor(wData, weight, oihwToHwio) as Tf.Tensor4D;
      const tdy = tfTensor(dyData, outShape, nchwToNhwc) as Tf.Tensor4D;
      const [jx, jk, jdy] = [
        np.array(xData, { shape: input }),
        np.array(wData, { shape: weight }),
        np.array(dyData, { shape: outShape }),
      ];
      const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' };
      // runKernel returns TensorInfo; the engine makes it a Tensor (a foreign boundary).
      const tfGrads = (): Tf.Tensor[] => [
        tf.engine().runKernel(
          'Conv2DBackpropInput',
          { dy: tdy, filter: tk },
          {
            ...attrs,
            inputShape: tx.shape,
          },
        ) as Tf.Tensor,
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: tx, dy: tdy },
          {
            ...attrs,
            filterShape: tk.shape,
          },
        ) as Tf.Tensor,
      ];
      const jaxConv = (a: Jax.Array, b: Jax.Array) => jax.lax.conv(a, b, [1, 1], 'VALID');
      const jaxGrads = (): Jax.Array[] => {
        const [y, pullback] = jax.vjp(jaxConv, [jx.ref, jk.ref]);
        const grads = pullback(jdy.ref) as Jax.Array[];
        y.dispose();
        pullback.dispose();
        return grads;
      };

      if (backward) {
        const y = conv2d(x, k);
        y.backward(dy);
        const [gx, gw] = tfGrads();
        const [jgx, jgw] = jaxGrads();
        await checkAll(`${this.name} (input gradient)`, x.grad!, gx!, jgx!, nhwcToNchw);
        await checkAll(`${this.name} (weight gradient)`, k.grad!, gw!, jgw!, hwioToOihw);
        y.dispose();
        x.grad = null;
        k.grad = null;
      } else {
        await checkAll(
          this.name,
          conv2d(x, k),
          tf.conv2d(tx, tk, 1, 'valid'),
          jaxConv(jx.ref, jk.ref),
          nhwcToNchw,
        );
      }
      return {
        sides: {
          dl: async () => {
            const y = conv2d(x, k).realize();
            if (backward) {
              y.backward(dy);
              x.grad?.realize();
              k.grad?.realize();
              x.grad = null;
              k.grad = null;
            }
            await device.synchronize();
            y.dispose();
          },
          tfjs: async () => {
            const outputs = backward
              ? [tf.conv2d(tx, tk, 1, 'valid'), ...tfGrads()]
              : [tf.conv2d(tx, tk, 1, 'valid')];
            await syncTf();
            tf.dispose(outputs);
          },
          'jax-js': async () => {
            const outputs = backward ? jaxGrads() : [jaxConv(jx.ref, jk.ref)];
            await jax.blockUntilReady(outputs);
            for (const t of outputs) t.dispose();
          },
        },
        dispose() {
          for (const t of [x, k, dy]) t.dispose();
          tf.dispose([tx, tk, tdy]);
          for (const t of [jx, jk, jdy]) t.dispose();
        },
      };
    },
  };
}

/** 1,000 elementwise ops on 1,000 floats, alternately times 1.0001 and plus 0.0001. */
function chainCase(): Case {
  const ops = 1000;
  const shape = [1000];
  return {
    name: `chain of ${ops} small ops`,
    ops,
    async setup() {
      const data = values(shape);
      const x = onDevice(data, shape);
      const tx = tfTensor(data, shape);
      const [scale, shift] = [tf.scalar(1.0001), tf.scalar(0.0001)];
      const jx = np.array(data, { shape });
      const dl = (): Tensor => {
        let y = x;
        for (let i = 0; i < ops; i++) {
          const next = i % 2 === 0 ? y.mul(1.0001) : y.add(0.0001);
          if (y !== x) y.dispose();
          y = next;
        }
        return y;
      };
      const tfChain = () =>
        tf.tidy(() => {
          let y = tx;
          for (let i = 0; i < ops; i++) y = i % 2 === 0 ? tf.mul(y, scale) : tf.add(y, shift);
          return y;
        });
      const jaxChain = (): Jax.Array => {
        let y = jx.ref;
        for (let i = 0; i < ops; i++) y = i % 2 === 0 ? y.mul(1.0001) : y.add(0.0001);
        return y;
      };
      await checkAll(this.name, dl(), tfChain(), jaxChain());
      return {
        sides: {
          dl: async () => {
            const y = dl().realize();
            await device.synchronize();
            y.dispose();
          },
          tfjs: async () => {
            const y = tfChain();
            await syncTf();
            y.dispose();
          },
          'jax-js': async () => {
            await jaxChain()
              .blockUntilReady()
              .then((y) => y.dispose());
          },
        },
        dispose() {
          x.dispose();
          tf.dispose([tx, scale, shift]);
          jx.dispose();
        },
      };
    },
  };
}

/** A reduction-shaped op over 1M elements ([1024, 1024]). */
function reductionCase(
  name: string,
  ours: (t: Tensor) => Tensor,
  theirs: (t: Tf.Tensor) => Tf.Tensor,
  jaxs: (t: Jax.Array) => Jax.Array,
): Case {
  const shape = [1024, 1024];
  return {
    name,
    async setup() {
      const data = values(shape);
      const x = onDevice(data, shape);
      const tx = tfTensor(data, shape);
      const jx = np.array(data, { shape });
      await checkAll(name, ours(x), theirs(tx), jaxs(jx.ref));
      return {
        sides: {
          dl: async () => {
            const y = ours(x).realize();
            await device.synchronize();
            y.dispose();
          },
          tfjs: async () => {
            const y = theirs(tx);
            await syncTf();
            y.dispose();
          },
          'jax-js': async () => {
            await jaxs(jx.ref)
              .blockUntilReady()
              .then((y) => y.dispose());
          },
        },
        dispose() {
          x.dispose();
          tx.dispose();
          jx.dispose();
        },
      };
    },
  };
}

const conv1 = { input: [64, 1, 28, 28], weight: [32, 1, 3, 3] };
const conv2 = { input: [64, 32, 26, 26], weight: [64, 32, 3, 3] };
const cases: Case[] = [
  matmulCase(256),
  matmulCase(1024),
  matmulCase(2048),
  convCase('conv1', conv1.input, conv1.weight, false),
  convCase('conv1', conv1.input, conv1.weight, true),
  convCase('conv2', conv2.input, conv2.weight, false),
  convCase('conv2', conv2.input, conv2.weight, true),
  chainCase(),
  reductionCase(
    'softmax over 1M',
    (t) => t.softmax(-1),
    (t) => tf.softmax(t),
    (t) => jax.nn.softmax(t, -1),
  ),
  reductionCase(
    'sum over 1M',
    (t) => t.sum(),
    (t) => tf.sum(t),
    (t) => np.sum(t),
  ),
];

/**
 * Runs the cases whose names contain `filter`, printing a line per case and returning the
 * table. `host` describes where it runs (Node and CPU, or the browser).
 */
export async function runSuite(peers: Peers, filter: string, host: string): Promise<string> {
  ({ tf, jax } = peers);
  np = jax.numpy;

  manualSeed(0);
  device = await webgpu();
  tfBackend = await useTfBackend(tf, 'webgpu');
  if (!(await jax.init('webgpu')).includes('webgpu'))
    throw new Error('jax-js could not start its WebGPU backend');
  jax.defaultDevice('webgpu');

  console.log(
    `dl WebGPU backend vs tfjs (@tensorflow/tfjs-backend-webgpu ${tf.version_core}) and ` +
      'jax-js (@jax-js/jax 0.1.25 WebGPU)',
  );
  console.log(`adapter: ${device.adapter.description}`);
  console.log(`${host}\n`);
  const results: MultiResult[] = [];
  try {
    for (const testCase of cases.filter((c) => c.name.includes(filter))) {
      const prepared = await testCase.setup();
      const result = await compareAll(
        { name: testCase.name, flops: testCase.flops, ops: testCase.ops, sides: prepared.sides },
        // Samples of at least half a second: the first runs of a side after the others ran
        // (and a forced collection) pay for waking the driver's threads and cold caches,
        // which shorter samples would count as part of every op.
        testCase.long ? { samples: 3, warmupRuns: 0 } : { samples: 5, minSampleMs: 500 },
      );
      prepared.dispose();
      results.push(result);
      const [ours, ...others] = Object.values(result.timings);
      console.log(
        `  ${testCase.name}: ${others.map((p) => `${(p.medianMs / ours!.medianMs).toFixed(2)}x`).join(', ')}`,
      );
    }
  } finally {
    device.destroy();
  }
  const table = formatTable(results);
  console.log(`\n${table}`);
  return table;
}
