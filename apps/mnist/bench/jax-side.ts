// jax-js 0.1.25's side of the benchmarks, on its WebGPU or its wasm backend: the same CNN and
// MLP as functions of their parameters (NCHW and OIHW, as dl), their gradients by
// valueAndGrad, and Adam written out in jax-js ops (torch.optim.Adam's update), the whole step
// compiled by jit as a jax-js program would be; and the CNN's inference, compiled too. The
// loss is read back each step and the new state waited for.

import type * as Jax from '@jax-js/jax';
import {
  batchSize,
  type InferenceSide,
  lr,
  mlpSizes,
  type SideOptions,
  type TrainingSide,
  type Weights,
  weight,
} from './side.ts';

type Arr = Jax.Array;
type Device = 'webgpu' | 'wasm';
/** A model's parameters by short name (conv1w for dl's conv1.weight, ...). */
type Params<K extends string> = Record<K, Arr>;
const cnnKeys = {
  conv1w: 'conv1.weight',
  conv1b: 'conv1.bias',
  conv2w: 'conv2.weight',
  conv2b: 'conv2.bias',
  fc1w: 'fc1.weight',
  fc1b: 'fc1.bias',
  fc2w: 'fc2.weight',
  fc2b: 'fc2.bias',
};
const mlpKeys = {
  fc1w: 'fc1.weight',
  fc1b: 'fc1.bias',
  fc2w: 'fc2.weight',
  fc2b: 'fc2.bias',
};
type CnnParams = Params<keyof typeof cnnKeys>;
type MlpParams = Params<keyof typeof mlpKeys>;
const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];

/** A loss of the parameters on a batch; two random keys for dropout (disposed when unused). */
type Loss<P> = (p: P, x: Arr, target: Arr, key1: Arr, key2: Arr) => Arr;

/** The parameters named by `keys`, made from dl's weights by `make`. */
function tree<K extends string>(keys: Record<K, string>, make: (name: string) => Arr): Params<K> {
  const entries = Object.entries<string>(keys).map(([key, name]) => [key, make(name)]);
  // The entries are exactly K's keys (from `keys`).
  return Object.fromEntries(entries) as Params<K>;
}

/**
 * The DigitRecognizer's log-probabilities for x [N, 1, 28, 28]. jax-js functions take
 * ownership of their arguments: a value used twice is passed as .ref.
 */
function cnnLogProbs(jax: typeof Jax, p: CnnParams, x: Arr, keys?: [Arr, Arr]): Arr {
  const { numpy: np, lax, nn, random } = jax;
  const n = x.shape[0]!;
  /** Inverted dropout: zeros with probability p, the rest scaled by 1 / (1 - p). */
  const drop = (h: Arr, key: Arr, rate: number, shape: number[]): Arr =>
    h.mul(random.bernoulli(key, 1 - rate, shape).astype(np.float32)).mul(1 / (1 - rate));
  const bias = (b: Arr, channels: number) => b.reshape([1, channels, 1, 1]);
  let h = nn.relu(lax.conv(x, p.conv1w, [1, 1], 'VALID').add(bias(p.conv1b, 32)));
  h = nn.relu(lax.conv(h, p.conv2w, [1, 1], 'VALID').add(bias(p.conv2b, 64)));
  h = lax.reduceWindow(h, (window) => np.max(window), [2, 2], [2, 2]);
  // Dropout2d: whole channels, one draw per (image, channel).
  if (keys) h = drop(h, keys[0], 0.25, [n, 64, 1, 1]);
  h = nn.relu(np.matmul(h.reshape([n, 9216]), p.fc1w.transpose()).add(p.fc1b));
  if (keys) h = drop(h, keys[1], 0.5, [n, 128]);
  const logits = np.matmul(h, p.fc2w.transpose()).add(p.fc2b);
  return nn.logSoftmax(logits, -1);
}

/**
 * Fails unless `result` was computed on `device`. jax-js runs a computation where its inputs
 * are, and its library functions keep the constants of their first trace: in one instance
 * used on two devices, work meant for one ran on the other (see train.bench.ts).
 */
function checkDevice(result: Arr, device: Device): void {
  if (result.device !== device) {
    throw new Error(
      `jax-js computed on ${result.device}, not on ${device}: use one instance per device`,
    );
  }
}

/** The mean negative log-likelihood of one-hot `target` under `logProbs`. */
function nll(logProbs: Arr, target: Arr): Arr {
  return logProbs.mul(target).sum(1).mean().neg();
}

function oneHot(jax: typeof Jax, labels: Int32Array, classes: number): Arr {
  const values = new Float32Array(labels.length * classes);
  labels.forEach((label, i) => {
    values[i * classes + label] = 1;
  });
  return jax.numpy.array(values, { shape: [labels.length, classes] });
}

/**
 * Adam on `loss` over the fixed batch (x, target), the whole step compiled by jit. jax-js
 * places new arrays on its default device, so the side makes `device` the default before
 * anything it does (another side may have changed it).
 */
function trainer<K extends string>(
  jax: typeof Jax,
  device: Device,
  loss: Loss<Params<K>>,
  keys: Record<K, string>,
  weights: Weights,
  [x, target]: [Arr, Arr],
): TrainingSide {
  const { numpy: np, random } = jax;
  type P = Params<K>;
  // jax-js types a transformed function's arguments by mapping their types, which TypeScript
  // cannot resolve for a type parameter such as K: they take and return P's trees as written.
  const valueAndGrad = jax.valueAndGrad(loss) as unknown as (
    ...args: Parameters<Loss<P>>
  ) => [Arr, P];
  const step = (
    p: P,
    m: P,
    v: P,
    xs: Arr,
    targets: Arr,
    key1: Arr,
    key2: Arr,
    stepSize: Arr,
    sqrtCorrection2: Arr,
  ): [Arr, P, P, P] => {
    const [value, g] = valueAndGrad(jax.tree.ref(p), xs, targets, key1, key2);
    const next = { p: { ...p }, m: { ...m }, v: { ...v } };
    // Object.keys loses the key type; `keys` has exactly K's keys.
    for (const name of Object.keys(keys) as K[]) {
      const grad = g[name];
      const m1 = m[name].mul(beta1).add(grad.ref.mul(1 - beta1));
      const v1 = v[name].mul(beta2).add(grad.ref.mul(grad).mul(1 - beta2));
      const denominator = np.sqrt(v1.ref).div(sqrtCorrection2.ref).add(eps);
      next.p[name] = p[name].sub(m1.ref.mul(stepSize.ref).div(denominator));
      next.m[name] = m1;
      next.v[name] = v1;
    }
    stepSize.dispose();
    sqrtCorrection2.dispose();
    return [value, next.p, next.m, next.v];
  };
  // Compiled, a step ran in about three quarters of the eager step's time (on WebGPU).
  const trainStep = jax.jit(step) as unknown as Jax.OwnedFunction<typeof step>;
  jax.defaultDevice(device);
  const fromDl = (name: string): Arr => {
    const { data, shape } = weight(weights, name);
    return np.array(data, { shape });
  };
  const zeros = (name: string): Arr => np.zeros(weight(weights, name).shape);
  let state = { p: tree(keys, fromDl), m: tree(keys, zeros), v: tree(keys, zeros) };
  let t = 0;
  return {
    async step() {
      jax.defaultDevice(device);
      t += 1;
      const [value, p, m, v] = trainStep(
        state.p,
        state.m,
        state.v,
        x.ref,
        target.ref,
        random.key(2 * t),
        random.key(2 * t + 1),
        np.array(lr / (1 - beta1 ** t)),
        np.array(Math.sqrt(1 - beta2 ** t)),
      );
      state = { p, m, v };
      checkDevice(value, device);
      const [result] = await value.data();
      await jax.blockUntilReady([p, m, v]);
      return result!;
    },
    dispose() {
      jax.tree.dispose([state.p, state.m, state.v]);
      x.dispose();
      target.dispose();
      trainStep.dispose();
    },
  };
}

/** The MNIST CNN training on the batch. */
export function jaxSide(jax: typeof Jax, device: Device, options: SideOptions): TrainingSide {
  const { weights, batch, dropout } = options;
  const loss: Loss<CnnParams> = (p, x, target, key1, key2) => {
    if (dropout) return nll(cnnLogProbs(jax, p, x, [key1, key2]), target);
    key1.dispose();
    key2.dispose();
    return nll(cnnLogProbs(jax, p, x), target);
  };
  jax.defaultDevice(device);
  const x = jax.numpy.array(batch.images, { shape: [batchSize, 1, 28, 28] });
  const target = oneHot(jax, batch.labels, 10);
  return trainer(jax, device, loss, cnnKeys, weights, [x, target]);
}

/** The MLP training on the batch's images, flattened. */
export function jaxMlpSide(
  jax: typeof Jax,
  device: Device,
  options: Omit<SideOptions, 'dropout'>,
): TrainingSide {
  const { weights, batch } = options;
  const { numpy: np, nn } = jax;
  const loss: Loss<MlpParams> = (p, x, target, key1, key2) => {
    key1.dispose();
    key2.dispose();
    const h = nn.relu(np.matmul(x, p.fc1w.transpose()).add(p.fc1b));
    return nll(nn.logSoftmax(np.matmul(h, p.fc2w.transpose()).add(p.fc2b), -1), target);
  };
  jax.defaultDevice(device);
  const x = np.array(batch.images, { shape: [batchSize, mlpSizes.input] });
  const target = oneHot(jax, batch.labels, mlpSizes.classes);
  return trainer(jax, device, loss, mlpKeys, weights, [x, target]);
}

/**
 * The MNIST CNN's inference over `images` ([N, 1, 28, 28]), compiled by jit, in calls of
 * equal size of at most `imagesPerCall` images (all at once by default): on WebGPU a call's
 * largest array must fit in one storage buffer binding (jax-js binds each array whole).
 */
export function jaxInference(
  jax: typeof Jax,
  device: Device,
  weights: Weights,
  images: Float32Array,
  imagesPerCall = Number.POSITIVE_INFINITY,
): InferenceSide {
  const { numpy: np } = jax;
  const imageSize = 28 * 28;
  const count = images.length / imageSize;
  const calls = Math.max(1, Math.ceil(count / imagesPerCall));
  const perCall = count / calls;
  if (!Number.isInteger(perCall)) {
    throw new Error(`jax-js inference: ${count} images do not split into ${calls} equal calls`);
  }
  jax.defaultDevice(device);
  const params = tree(cnnKeys, (name) => {
    const { data, shape } = weight(weights, name);
    return np.array(data, { shape });
  });
  const xs = Array.from({ length: calls }, (_, c) =>
    np.array(images.subarray(c * perCall * imageSize, (c + 1) * perCall * imageSize), {
      shape: [perCall, 1, 28, 28],
    }),
  );
  const forward = jax.jit((p: CnnParams, x: Arr) => cnnLogProbs(jax, p, x));
  return {
    async run() {
      jax.defaultDevice(device);
      // Every call is dispatched before the first is read back.
      const outputs = xs.map((x) => forward(jax.tree.ref(params), x.ref));
      for (const output of outputs) checkDevice(output, device);
      const parts = await Promise.all(outputs.map((output) => output.data()));
      const floats: Float32Array[] = [];
      for (const part of parts) {
        if (!(part instanceof Float32Array)) throw new Error('jax-js: expected float32 outputs');
        floats.push(part);
      }
      if (calls === 1) return floats[0]!;
      const values = new Float32Array(count * 10);
      for (const [c, part] of floats.entries()) values.set(part, c * perCall * 10);
      return values;
    },
    dispose() {
      jax.tree.dispose(params);
      for (const x of xs) x.dispose();
      forward.dispose();
    },
  };
}
