// Creating tensors and inspecting their shape, dtype and device: PyTorch's "Tensors"
// tutorial (Learn the Basics), from "Initializing a Tensor" to "Attributes of a Tensor".
//
//   pnpm example 01-tensors [--device cpu|webgpu]

import assert from 'node:assert/strict';
import {
  arange,
  eye,
  full,
  linspace,
  manualSeed,
  ones,
  onesLike,
  rand,
  randLike,
  tensor,
  zeros,
} from '@dl/tensor';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

// Directly from data. Numbers become float32, PyTorch's default dtype: JavaScript cannot
// tell 1 from 1.0, so integers are asked for (PyTorch would infer int64 from [[1, 2], [3, 4]]).
const data = [
  [1, 2],
  [3, 4],
];
const xData = tensor(data, { device });
const xInt = tensor(data, { dtype: 'int32', device });
console.log(`xData:\n${await xData.format()}`);
assert.equal(xData.dtype, 'float32');
assert.equal(xInt.dtype, 'int32');
assert.deepEqual(await xInt.toArray(), data);

// From a typed array (torch.from_numpy): the array's type gives the dtype.
const fromArray = tensor(Float32Array.of(0.5, 1.5, 2.5), { device });
assert.deepEqual([...(await fromArray.data())], [0.5, 1.5, 2.5]);

// From another tensor: the new one keeps the shape (and dtype, unless one is given).
const xOnes = onesLike(xData);
const xRand = randLike(xData);
console.log(`Ones Tensor:\n${await xOnes.format()}\n`);
console.log(`Random Tensor:\n${await xRand.format()}\n`);
assert.deepEqual(await xOnes.toArray(), [
  [1, 1],
  [1, 1],
]);
const randValues = await xRand.data();
assert.ok(
  randValues.every((v) => v >= 0 && v < 1),
  'rand draws from [0, 1)',
);

// With random or constant values, from a shape.
const shape = [2, 3];
const randTensor = rand(shape, { device });
const onesTensor = ones(shape, { device });
const zerosTensor = zeros(shape, { device });
console.log(`Random Tensor:\n${await randTensor.format()}\n`);
console.log(`Ones Tensor:\n${await onesTensor.format()}\n`);
console.log(`Zeros Tensor:\n${await zerosTensor.format()}`);
assert.deepEqual(await zerosTensor.toArray(), [
  [0, 0, 0],
  [0, 0, 0],
]);

// Ranges and other constructors.
assert.deepEqual([...(await arange(0, 5, 1, { device }).data())], [0, 1, 2, 3, 4]);
assert.equal(arange(0, 5).dtype, 'int32', 'integer arguments give an integer range, as in PyTorch');
assert.deepEqual([...(await linspace(0, 1, 5, { device }).data())], [0, 0.25, 0.5, 0.75, 1]);
assert.deepEqual(await eye(2, undefined, { device }).toArray(), [
  [1, 0],
  [0, 1],
]);
assert.deepEqual(await full([2], 7, { device }).toArray(), [7, 7]);

// Attributes of a tensor.
const t = rand([3, 4], { device });
console.log(`Shape of tensor: [${t.shape.join(', ')}]`);
console.log(`Datatype of tensor: ${t.dtype}`);
console.log(`Device tensor is stored on: ${t.device}`);
assert.deepEqual(t.shape, [3, 4]);
assert.equal(t.dtype, 'float32');
assert.equal(t.ndim, 2);
assert.equal(t.numel(), 12);
assert.equal(t.size(1), 4);
assert.equal(t.device.type, device === 'cpu' ? 'cpu' : 'webgpu');

// Random values repeat under the same seed, on every device.
manualSeed(42);
const first = await rand([4], { device }).data();
manualSeed(42);
const second = await rand([4], { device }).data();
assert.deepEqual(first, second);
