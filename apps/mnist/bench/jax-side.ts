// jax-js 0.1.25's side of the training benchmark on its WebGPU backend: the same CNN as a
// function of its parameters (NCHW and OIHW, as dl), its gradient by valueAndGrad, and Adam
// written out in jax-js ops (torch.optim.Adam's update), the whole step compiled by jit as
// a jax-js program would be. The loss is read back each step and the new state waited for.

import type * as Jax from '@jax-js/jax';
import { batchSize, lr, type SideOptions, type TrainingSide, weight } from './side.ts';

type Arr = Jax.Array;
// A `type`, not an interface: jax-js's JsTree typing needs one.
type Params = {
  conv1w: Arr;
  conv1b: Arr;
  conv2w: Arr;
  conv2b: Arr;
  fc1w: Arr;
  fc1b: Arr;
  fc2w: Arr;
  fc2b: Arr;
};
const keys: Record<keyof Params, string> = {
  conv1w: 'conv1.weight',
  conv1b: 'conv1.bias',
  conv2w: 'conv2.weight',
  conv2b: 'conv2.bias',
  fc1w: 'fc1.weight',
  fc1b: 'fc1.bias',
  fc2w: 'fc2.weight',
  fc2b: 'fc2.bias',
};
const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];

export function jaxSide(jax: typeof Jax, options: SideOptions): TrainingSide {
  const { weights, batch, dropout } = options;
  const { numpy: np, lax, nn, random } = jax;

  // jax-js functions take ownership of their arguments: a value used twice is passed as .ref.
  /** Inverted dropout: zeros with probability p, the rest scaled by 1 / (1 - p). */
  const drop = (x: Arr, key: Arr, p: number, shape: number[]): Arr =>
    x.mul(random.bernoulli(key, 1 - p, shape).astype(np.float32)).mul(1 / (1 - p));
  const loss = (p: Params, x: Arr, target: Arr, key1: Arr, key2: Arr): Arr => {
    const bias = (b: Arr, channels: number) => b.reshape([1, channels, 1, 1]);
    let h = nn.relu(lax.conv(x, p.conv1w, [1, 1], 'VALID').add(bias(p.conv1b, 32)));
    h = nn.relu(lax.conv(h, p.conv2w, [1, 1], 'VALID').add(bias(p.conv2b, 64)));
    h = lax.reduceWindow(h, (window) => np.max(window), [2, 2], [2, 2]);
    // Dropout2d: whole channels, one draw per (image, channel).
    if (dropout) h = drop(h, key1, 0.25, [batchSize, 64, 1, 1]);
    else key1.dispose();
    h = nn.relu(np.matmul(h.reshape([batchSize, 9216]), p.fc1w.transpose()).add(p.fc1b));
    if (dropout) h = drop(h, key2, 0.5, [batchSize, 128]);
    else key2.dispose();
    const logits = np.matmul(h, p.fc2w.transpose()).add(p.fc2b);
    return nn.logSoftmax(logits, -1).mul(target).sum(1).mean().neg();
  };

  const step = (
    p: Params,
    m: Params,
    v: Params,
    x: Arr,
    target: Arr,
    key1: Arr,
    key2: Arr,
    stepSize: Arr,
    sqrtCorrection2: Arr,
  ): [Arr, Params, Params, Params] => {
    const [value, g] = jax.valueAndGrad(loss)(jax.tree.ref(p), x, target, key1, key2);
    const next = { p: { ...p }, m: { ...m }, v: { ...v } };
    // Object.keys loses the key type; `keys` has exactly Params' keys.
    for (const name of Object.keys(keys) as (keyof Params)[]) {
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
  // Compiled, a step ran in about three quarters of the eager step's time here.
  const trainStep = jax.jit(step);

  const fromDl = (name: string): Arr => {
    const { data, shape } = weight(weights, name);
    return np.array(data, { shape });
  };
  const zeros = (name: string): Arr => np.zeros(weight(weights, name).shape);
  const tree = (make: (name: string) => Arr): Params => {
    const entries = Object.entries(keys).map(([key, name]) => [key, make(name)]);
    // The entries are exactly Params' keys (from `keys`).
    return Object.fromEntries(entries) as Params;
  };
  let state = { p: tree(fromDl), m: tree(zeros), v: tree(zeros) };
  const x = np.array(batch.images, { shape: [batchSize, 1, 28, 28] });
  const oneHot = new Float32Array(batchSize * 10);
  batch.labels.forEach((label, i) => {
    oneHot[i * 10 + label] = 1;
  });
  const target = np.array(oneHot, { shape: [batchSize, 10] });
  let t = 0;
  return {
    async step() {
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
