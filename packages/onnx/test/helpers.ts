// Shared test helpers: real MNIST test images as a batch, running an exported model in ONNX
// Runtime, and the largest absolute difference between two arrays.

import { noGrad, stack, type Tensor } from '@dl/tensor';
import { MNIST, transforms } from '@dl/vision';
import * as ort from 'onnxruntime-node';

let testSet: MNIST<Tensor> | undefined;

/** MNIST test images `start` to `start + count - 1`, toTensor + normalize, as [count, 1, 28, 28]. */
export function mnistBatch(start: number, count: number): Tensor {
  testSet ??= new MNIST({
    train: false,
    transform: transforms.compose([
      transforms.toTensor(),
      transforms.normalize([0.1307], [0.3081]),
    ]),
  });
  const images: Tensor[] = [];
  for (let i = start; i < start + count; i++) images.push(testSet.getItem(i)[0]);
  return noGrad(() => stack(images));
}

/** Runs the model on float32 inputs in ONNX Runtime; returns the named output and its dims. */
export async function runOrt(
  model: Uint8Array,
  inputs: Readonly<Record<string, Tensor>>,
  outputName = 'output',
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(model);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs))
    feeds[name] = new ort.Tensor('float32', Float32Array.from(t.dataSync()), [...t.shape]);
  const results = await session.run(feeds);
  const out = results[outputName];
  if (!out) throw new Error(`ONNX Runtime returned no output '${outputName}'`);
  await session.release();
  // onnxruntime-node returns float32 outputs as Float32Array.
  return { data: out.data as Float32Array, dims: out.dims };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
