// TensorFlow.js 4.22's side of the benchmarks: the same CNN written in tfjs ops in its native
// NHWC layout (HWIO filters; fc1's rows reordered to match NHWC's flattening) and the MLP,
// from dl's initial weights, trained with tf.train.adam via optimizer.minimize, and the CNN's
// inference. The loss is read back each step; on WebGPU the queue is then flushed and waited
// for (the CPU and wasm backends compute each op before it returns).

import type * as Tf from '@tensorflow/tfjs-core';
import { syncTf, type TfBackendName, useTfBackend } from '../../../tooling/bench/tfjs.ts';
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

/** A variable holding dl's weight `name`, moved into tfjs's layout by `layout`. */
function variableOf(
  tf: typeof Tf,
  weights: Weights,
  name: string,
  layout: (t: Tf.Tensor) => Tf.Tensor = (t) => t,
): Tf.Variable {
  return tf.tidy(() => {
    const { data, shape } = weight(weights, name);
    return tf.variable(layout(tf.tensor(data, shape)));
  });
}

/** The DigitRecognizer in tfjs ops: its variables and its log-probabilities for NHWC images. */
function cnn(tf: typeof Tf, weights: Weights) {
  const from = (name: string, layout?: (t: Tf.Tensor) => Tf.Tensor) =>
    variableOf(tf, weights, name, layout);
  const hwio = (t: Tf.Tensor) => tf.transpose(t, [2, 3, 1, 0]);
  const params = {
    // tf.variable is typed by the rank of its input, which the layout functions lose.
    conv1w: from('conv1.weight', hwio) as Tf.Variable<Tf.Rank.R4>,
    conv1b: from('conv1.bias'),
    conv2w: from('conv2.weight', hwio) as Tf.Variable<Tf.Rank.R4>,
    conv2b: from('conv2.bias'),
    // dl flattens [64, 12, 12] as (c, h, w); tfjs's NHWC activations flatten as (h, w, c).
    fc1w: from('fc1.weight', (t) =>
      tf.reshape(tf.transpose(tf.reshape(t, [128, 64, 12, 12]), [2, 3, 1, 0]), [9216, 128]),
    ) as Tf.Variable<Tf.Rank.R2>,
    fc1b: from('fc1.bias'),
    fc2w: from('fc2.weight', (t) => tf.transpose(t)) as Tf.Variable<Tf.Rank.R2>,
    fc2b: from('fc2.bias'),
  };
  // tfjs's elementwise ops return Tensor<Rank>; the ranks here are known, hence the casts.
  const conv = (h: Tf.Tensor, w: Tf.Tensor4D, b: Tf.Tensor) =>
    tf.relu(tf.add(tf.conv2d(h as Tf.Tensor4D, w, 1, 'valid'), b));
  const logProbs = (x: Tf.Tensor4D, dropout: boolean): Tf.Tensor2D => {
    const n = x.shape[0];
    let h = conv(conv(x, params.conv1w, params.conv1b), params.conv2w, params.conv2b);
    h = tf.maxPool(h as Tf.Tensor4D, 2, 2, 'valid');
    // Dropout2d: whole channels, one draw per (image, channel).
    if (dropout) h = tf.dropout(h, 0.25, [n, 1, 1, 64]);
    h = tf.relu(tf.add(tf.matMul(tf.reshape(h, [n, 9216]), params.fc1w), params.fc1b));
    if (dropout) h = tf.dropout(h, 0.5);
    return tf.logSoftmax(tf.add(tf.matMul(h, params.fc2w), params.fc2b)) as Tf.Tensor2D;
  };
  return { variables: Object.values(params), logProbs };
}

/**
 * Training steps minimising `loss` over `variables` with Adam. tfjs keeps one active backend
 * per process: a side switches to its own before each step. Its tensors never meet the other
 * backend's, so nothing moves between them (a step on the other backend would otherwise copy
 * every weight across).
 */
async function trainer(
  tf: typeof Tf,
  backendName: TfBackendName,
  variables: Tf.Variable[],
  data: Tf.Tensor[],
  loss: () => Tf.Scalar,
): Promise<TrainingSide> {
  const backend = await useTfBackend(tf, backendName);
  const optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  return {
    async step() {
      if (tf.getBackend() !== backendName) await tf.setBackend(backendName);
      const value = optimizer.minimize(loss, true, variables);
      if (!value) throw new Error('tfjs: minimize returned no loss');
      const [result] = await value.data();
      value.dispose();
      if (backend) await syncTf(backend);
      return result!;
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([...variables, ...data]);
    },
  };
}

/** The mean negative log-likelihood of one-hot `target` under `logProbs`. */
function nll(tf: typeof Tf, logProbs: Tf.Tensor2D, target: Tf.Tensor): Tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, target), 1))) as Tf.Scalar;
}

/** The MNIST CNN training on the batch. */
export async function tfjsSide(
  tf: typeof Tf,
  backendName: TfBackendName,
  options: SideOptions,
): Promise<TrainingSide> {
  const { weights, batch, dropout } = options;
  await useTfBackend(tf, backendName);
  const model = cnn(tf, weights);
  const x = tf.tensor4d(batch.images, [batchSize, 28, 28, 1]); // one channel: NCHW = NHWC
  const target = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), 10);
  const loss = () => nll(tf, model.logProbs(x, dropout), target);
  return trainer(tf, backendName, model.variables, [x, target], loss);
}

/** The MLP training on the batch's images, flattened. */
export async function tfjsMlpSide(
  tf: typeof Tf,
  backendName: TfBackendName,
  options: Omit<SideOptions, 'dropout'>,
): Promise<TrainingSide> {
  const { weights, batch } = options;
  await useTfBackend(tf, backendName);
  const transposed = (t: Tf.Tensor) => tf.transpose(t);
  // [in, out] matrices, as tfjs's matMul(x, w) wants them.
  const fc1w = variableOf(tf, weights, 'fc1.weight', transposed) as Tf.Variable<Tf.Rank.R2>;
  const fc1b = variableOf(tf, weights, 'fc1.bias');
  const fc2w = variableOf(tf, weights, 'fc2.weight', transposed) as Tf.Variable<Tf.Rank.R2>;
  const fc2b = variableOf(tf, weights, 'fc2.bias');
  const x = tf.tensor2d(batch.images, [batchSize, mlpSizes.input]);
  const target = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), mlpSizes.classes);
  const loss = () => {
    const h = tf.relu(tf.add(tf.matMul(x, fc1w), fc1b)) as Tf.Tensor2D;
    return nll(tf, tf.logSoftmax(tf.add(tf.matMul(h, fc2w), fc2b)) as Tf.Tensor2D, target);
  };
  return trainer(tf, backendName, [fc1w, fc1b, fc2w, fc2b], [x, target], loss);
}

/** The MNIST CNN's inference over `images` ([N, 1, 28, 28], which is NHWC for one channel). */
export async function tfjsInference(
  tf: typeof Tf,
  backendName: TfBackendName,
  weights: Weights,
  images: Float32Array,
): Promise<InferenceSide> {
  await useTfBackend(tf, backendName);
  const model = cnn(tf, weights);
  const x = tf.tensor4d(images, [images.length / (28 * 28), 28, 28, 1]);
  return {
    async run() {
      if (tf.getBackend() !== backendName) await tf.setBackend(backendName);
      const output = tf.tidy(() => model.logProbs(x, false));
      const values = await output.data();
      output.dispose();
      if (!(values instanceof Float32Array)) throw new Error('tfjs: expected float32 outputs');
      return values;
    },
    dispose() {
      tf.dispose([...model.variables, x]);
    },
  };
}
