// Arithmetic, reductions, indexing, joining and reshaping (reshape, view, squeeze,
// unsqueeze, permute, flatten): PyTorch's "Tensors" tutorial, "Operations on Tensors".
//
//   pnpm example 02-operations [--device cpu|webgpu]

import assert from 'node:assert/strict';
import { arange, cat, ones, rand, slice, stack, tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing'; // torch.testing.assert_close
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();

// Standard numpy-like indexing and slicing. PyTorch's `tensor[:, 1] = 0` writes through a
// view: `index` (and `select`) return views, and `fill_` writes into them.
const t = ones([4, 4], { device });
console.log(`First row: ${await t.index([0]).format()}`); // tensor[0]
console.log(`First column: ${await t.index([slice(), 0]).format()}`); // tensor[:, 0]
console.log(`Last column: ${await t.index(['...', -1]).format()}`); // tensor[..., -1]
t.index([slice(), 1]).fill_(0); // tensor[:, 1] = 0
console.log(await t.format());
assert.deepEqual(await t.index([0]).toArray(), [1, 0, 1, 1]);

// Joining tensors.
const t1 = cat([t, t, t], 1);
console.log(await t1.format());
assert.deepEqual(t1.shape, [4, 12]);
assert.deepEqual(stack([t, t]).shape, [2, 4, 4]);

// Arithmetic operations. Matrix product: y1 = tensor @ tensor.T, y2 = tensor.matmul(tensor.T).
const y1 = t.matmul(t.T);
const y2 = t.matmul(t.t());
assert.deepEqual(await y1.toArray(), await y2.toArray());
assert.deepEqual(await y1.index([0]).toArray(), [3, 3, 3, 3]); // each row has three ones
// Element-wise product: z1 = tensor * tensor, z2 = tensor.mul(tensor).
const z1 = t.mul(t);
assert.deepEqual(await z1.toArray(), await t.toArray()); // 0 * 0 = 0, 1 * 1 = 1

const a = tensor(
  [
    [1, 2, 3],
    [4, 5, 6],
  ],
  { device },
);
const b = tensor([10, 20, 30], { device }); // broadcast over the rows
// Float results are compared with a tolerance, as torch.testing.assert_close does: a GPU
// may round differently (WebGPU computes pow through exp and log).
await assertClose(a.add(b), [
  [11, 22, 33],
  [14, 25, 36],
]);
await assertClose(a.sub(1).mul(2), [
  [0, 2, 4],
  [6, 8, 10],
]);
await assertClose(a.div(2), [
  [0.5, 1, 1.5],
  [2, 2.5, 3],
]);
await assertClose(a.pow(2), [
  [1, 4, 9],
  [16, 25, 36],
]);

// Single-element tensors: aggregate, then read the value with item() (an await, since a
// GPU's values must come back to JavaScript).
const agg = a.sum();
const aggItem = await agg.item();
console.log(aggItem, typeof aggItem);
assert.equal(aggItem, 21);

// Reductions along a dimension, with keepdim positional as in PyTorch: a.sum(1, True).
assert.deepEqual(await a.sum(0).toArray(), [5, 7, 9]);
assert.deepEqual(await a.sum(1, true).toArray(), [[6], [15]]);
assert.deepEqual(await a.mean(1).toArray(), [2, 5]);
const { values, indices } = a.max(1); // torch.max(a, dim=1) -> (values, indices)
assert.deepEqual(await values.toArray(), [3, 6]);
assert.deepEqual(await indices.toArray(), [2, 2]);
assert.deepEqual(await a.argmax(0).toArray(), [1, 1, 1]);
assert.equal(await a.max().item(), 6);
await assertClose(a.std(), Math.sqrt(3.5)); // unbiased, as torch.std

// In-place operations end in an underscore.
const c = a.clone();
c.add_(5);
assert.deepEqual(await c.index([0]).toArray(), [6, 7, 8]);

// Reshaping: reshape and view, squeeze and unsqueeze, permute, flatten.
const x = arange(0, 6, 1, { device }).float(); // [0, 1, 2, 3, 4, 5]
const m = x.reshape(2, 3);
assert.deepEqual(await m.toArray(), [
  [0, 1, 2],
  [3, 4, 5],
]);
assert.deepEqual(x.view(3, -1).shape, [3, 2]);
const u = m.unsqueeze(0); // [1, 2, 3]
assert.deepEqual(u.shape, [1, 2, 3]);
assert.deepEqual(m.unsqueeze(-1).shape, [2, 3, 1]);
assert.deepEqual(u.squeeze().shape, [2, 3]);
assert.deepEqual(u.squeeze(0).shape, [2, 3]);
assert.deepEqual(u.squeeze(1).shape, [1, 2, 3], 'a dim whose size is not 1 stays');
const p = rand([2, 3, 4], { device }).permute(2, 0, 1);
assert.deepEqual(p.shape, [4, 2, 3]);
assert.deepEqual(p.flatten(1).shape, [4, 6]);
assert.deepEqual(await m.T.toArray(), [
  [0, 3],
  [1, 4],
  [2, 5],
]);
console.log(`reshaped:\n${await m.format()}\nunsqueezed: [${u.shape.join(', ')}]`);
