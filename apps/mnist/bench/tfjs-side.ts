// TensorFlow.js 4.22's side of the training benchmark: the same CNN written in tfjs ops in
// its native NHWC layout (HWIO filters; fc1's rows reordered to match NHWC's flattening),
// from dl's initial weights, trained with tf.train.adam via optimizer.minimize. The loss is
// read back each step; on WebGPU the queue is then flushed and waited for.

import type * as Tf from '@tensorflow/tfjs-core';
import { syncTf, type TfWebGPU, useTfBackend } from '../../../tooling/bench/tfjs.ts';
import { batchSize, lr, type SideOptions, type TrainingSide, weight } from './side.ts';

/**
 * tfjs keeps one active backend per process: a side switches to its own before each step.
 * Its tensors never meet the other backend's, so nothing moves between them (a step on the
 * other backend would otherwise copy every weight across).
 */
export async function tfjsSide(
  tf: typeof Tf,
  backendName: 'webgpu' | 'cpu',
  options: SideOptions,
): Promise<TrainingSide> {
  const { weights, batch, dropout } = options;
  const backend: TfWebGPU | undefined = await useTfBackend(tf, backendName);
  /** A variable holding dl's weight `name`, moved into tfjs's layout by `layout`. */
  const from = (name: string, layout: (t: Tf.Tensor) => Tf.Tensor = (t) => t) =>
    tf.tidy(() => {
      const { data, shape } = weight(weights, name);
      return tf.variable(layout(tf.tensor(data, shape)));
    });
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
  const x = tf.tensor4d(batch.images, [batchSize, 28, 28, 1]); // one channel: NCHW = NHWC
  const target = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), 10);
  const optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-8);

  // tfjs's elementwise ops return Tensor<Rank>; the ranks here are known, hence the casts.
  const conv = (h: Tf.Tensor, w: Tf.Tensor4D, b: Tf.Tensor) =>
    tf.relu(tf.add(tf.conv2d(h as Tf.Tensor4D, w, 1, 'valid'), b));
  const loss = (): Tf.Scalar => {
    let h = conv(conv(x, params.conv1w, params.conv1b), params.conv2w, params.conv2b);
    h = tf.maxPool(h as Tf.Tensor4D, 2, 2, 'valid');
    // Dropout2d: whole channels, one draw per (image, channel).
    if (dropout) h = tf.dropout(h, 0.25, [batchSize, 1, 1, 64]);
    h = tf.relu(tf.add(tf.matMul(tf.reshape(h, [batchSize, 9216]), params.fc1w), params.fc1b));
    if (dropout) h = tf.dropout(h, 0.5);
    const logits = tf.add(tf.matMul(h, params.fc2w), params.fc2b);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), target), 1))) as Tf.Scalar;
  };
  const variables = Object.values(params);
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
      tf.dispose([...variables, x, target]);
    },
  };
}
