// Conformance cases: shape ops. Values, strides and storage offsets come from PyTorch
// (scripts/reference/shape.py writes reference/shape.ts) or are worked out by hand; views
// are also checked for sharing their base's storage, and gradients against finite differences.

import type { Backend, DType, Tensor } from '../../index.js';
import { arange, cat, stack, tensor, zeros } from '../../index.js';
import { assertClose, assertThrows } from '../assert.js';
import { checkGradients, defineCases, type InputSpec } from '../conformance.js';
import { type Reference, shapeReference } from './reference/shape.js';

/** The float32 values 0, 1, 2, ... in `shape` (the reference scripts' `seq`), plus `add`. */
export function seq(device: Backend, shape: readonly number[], add = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const flat = arange(n, undefined, 1, { device, dtype: 'float32' });
  return (add === 0 ? flat : flat.add(add)).reshape([...shape]);
}

/** Gradient-check input of `shape` with distinct, irregular values. */
export function spec(shape: readonly number[], grad = true): InputSpec {
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    values: Array.from({ length: n }, (_, i) => ((i * 7) % 11) / 4 - 1 + i / 64),
    shape,
    grad,
  };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Checks shape and values against a reference entry, and its strides, offset and contiguity when recorded. */
export async function expectReference(
  actual: Tensor,
  references: Readonly<Record<string, Reference>>,
  name: string,
  dtype?: DType,
): Promise<void> {
  const expected = references[name];
  if (!expected) throw new Error(`no reference values named '${name}'; rerun the reference script`);
  if (!sameList(actual.shape, expected.shape)) {
    throw new Error(
      `${name}: shape [${actual.shape.join(', ')}] differs from PyTorch's [${expected.shape.join(', ')}]`,
    );
  }
  if (dtype && actual.dtype !== dtype)
    throw new Error(`${name}: dtype ${actual.dtype}, expected ${dtype}`);
  // A typed array, so assertClose compares the values only (the shape was checked above).
  await assertClose(actual, Float64Array.from(expected.values), { rtol: 0, atol: 0 }, name);
  if (expected.strides && !sameList(actual.stride(), expected.strides)) {
    throw new Error(
      `${name}: strides [${actual.stride().join(', ')}] differ from PyTorch's [${expected.strides.join(', ')}]`,
    );
  }
  if (expected.offset !== undefined && actual.storageOffset !== expected.offset) {
    throw new Error(
      `${name}: storage offset ${actual.storageOffset} differs from PyTorch's ${expected.offset}`,
    );
  }
  if (expected.contiguous !== undefined && actual.isContiguous() !== expected.contiguous) {
    throw new Error(
      `${name}: isContiguous() is ${actual.isContiguous()}, PyTorch says ${expected.contiguous}`,
    );
  }
}

/** Checks that `view` shares `base`'s storage: a write through the view shows in the base. */
export async function expectSharesStorage(base: Tensor, view: Tensor, what: string): Promise<void> {
  const before = Array.from(await base.data());
  view.fill_(-1);
  const after = Array.from(await base.data());
  if (view.numel() > 0 && after.every((v, i) => v === before[i])) {
    throw new Error(`${what}: a write through the view did not reach the base tensor`);
  }
}

function expectShape(t: Tensor, shape: readonly number[], what: string): void {
  if (!sameList(t.shape, shape))
    throw new Error(`${what}: shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
}

const ref = (actual: Tensor, name: string, dtype?: DType) =>
  expectReference(actual, shapeReference, name, dtype);

export const shapeCases = defineCases('shape', {
  // ---- reshape and view ----
  'reshape with -1 of a contiguous tensor is a view': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.reshape(4, -1), 'reshape [2, 3, 4] to [4, -1]');
    await ref(x.reshape([-1]), 'reshape [2, 3, 4] to [-1]');
    await expectSharesStorage(x, x.reshape(4, -1).select(0, 1), 'reshape');
    await assertClose(x.index([0, 0]), [0, 1, 2, 3]);
    await assertClose(x.index([0, 1]), [4, 5, -1, -1]);
  },
  'reshape of a transposed tensor copies': async (device) => {
    const x = seq(device, [2, 3, 4]);
    const y = x.transpose(0, 2).reshape(6, -1);
    await ref(y, 'reshape of a transposed tensor copies');
    y.fill_(-1);
    await assertClose(
      x.flatten(),
      Array.from({ length: 24 }, (_, i) => i),
      {},
      'base after writing the copy',
    );
  },
  'reshape of a transposed tensor keeps a view where strides allow': async (device) => {
    const x = seq(device, [2, 3, 4]);
    const y = x.transpose(0, 1).reshape(3, 2, 2, 2);
    await ref(y, 'reshape of a transposed tensor that can stay a view');
    await expectSharesStorage(x, y, 'reshape of a transposed tensor');
  },
  'reshape of 0-d and size-0 tensors': async (device) => {
    await ref(tensor(7, { device, dtype: 'float32' }).reshape(1, 1), 'reshape 0-d to [1, 1]');
    const scalar = tensor([[3]], { device, dtype: 'int32' }).reshape([]);
    expectShape(scalar, [], 'reshape [1, 1] to []');
    if (scalar.dtype !== 'int32') throw new Error(`reshape changed the dtype to ${scalar.dtype}`);
    await assertClose(scalar, 3);
    const empty = zeros([2, 0, 3], { device }).reshape(0, 6);
    expectShape(empty, [0, 6], 'reshape of a size-0 tensor');
    expectShape(
      zeros([0, 4], { device }).reshape(2, -1, 2),
      [2, 0, 2],
      'reshape with -1 of a size-0 tensor',
    );
    if ((await empty.data()).length !== 0) throw new Error('a size-0 tensor read back values');
  },
  'view of sliced and transposed tensors': async (device) => {
    const a = seq(device, [4, 6]);
    await ref(a.narrow(1, 1, 4).view(4, 2, 2), 'view of a column slice');
    await ref(a.t().view(3, 2, 4), 'view splits a dim of a transposed tensor');
    await ref(seq(device, [2, 1, 3]).transpose(0, 1).view(2, 3), 'view merges size-1 dims');
    await expectSharesStorage(a, a.t().view(3, 2, 4).select(2, 1), 'view of a transposed tensor');
    await assertClose(a.select(0, 1), [-1, -1, -1, -1, -1, -1]);
  },
  'view throws when the strides do not allow it': (device) => {
    const x = seq(device, [2, 3, 4]);
    assertThrows(
      () => x.transpose(0, 1).view(-1),
      /view size is not compatible with input tensor's size and stride.*reshape/,
    );
    assertThrows(() => x.view(5, -1), "shape '[5, -1]' is invalid for input of size 24");
    assertThrows(() => x.reshape(-1, -1), 'only one dimension can be inferred');
  },
  'reshape and view gradients': async (device) => {
    await checkGradients(device, (x) => x.reshape(3, -1).mul(x.reshape(3, 4)), [spec([2, 6])]);
    await checkGradients(device, (x) => x.t().reshape(-1), [spec([3, 4])]);
    await checkGradients(device, (x) => x.view(2, 2, 3).sum(1), [spec([4, 3])]);
  },

  // ---- permute, transpose, t, T, movedim ----
  'permute and transpose give strided views': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.permute(2, 0, 1), 'permute(2, 0, 1)');
    await ref(x.permute([-1, -3, -2]), 'permute with negative dims');
    await ref(x.transpose(0, -1), 'transpose(0, -1)');
    await expectSharesStorage(x, x.permute(2, 0, 1).select(0, 3), 'permute');
    await assertClose(x.select(2, 3), [
      [-1, -1, -1],
      [-1, -1, -1],
    ]);
  },
  't, T and movedim': async (device) => {
    await ref(seq(device, [2, 3]).t(), 't of a 2-d tensor');
    await ref(seq(device, [2, 3]).T, 'T of a 2-d tensor');
    const x = seq(device, [2, 3, 4]);
    await ref(x.movedim(0, -1), 'movedim(0, -1)');
    await ref(x.movedim(-1, 0), 'movedim(-1, 0)');
    await ref(x.transpose(0, 2).movedim(2, 1), 'movedim(2, 1) of a transposed tensor');
    const v = tensor([1, 2, 3], { device });
    expectShape(v.t(), [3], 't of a 1-d tensor');
    expectShape(tensor(4, { device }).t(), [], 't of a 0-d tensor');
    expectShape(tensor(4, { device }).transpose(0, -1), [], 'transpose of a 0-d tensor');
  },
  'permute and transpose errors': (device) => {
    const x = seq(device, [2, 3, 4]);
    assertThrows(() => x.permute(0, 1), 'input.dim() = 3 is not equal to len(dims) = 2');
    assertThrows(() => x.permute(0, 1, 1), /repeated dim/);
    assertThrows(() => x.transpose(0, 3), 'expected to be in range of [-3, 2], but got 3');
    assertThrows(
      () => tensor(4, { device }).transpose(0, 2),
      'expected to be in range of [-1, 0], but got 2',
    );
    assertThrows(() => x.t(), 't() expects a tensor with <= 2 dimensions, but self is 3D');
  },
  'permute, transpose and movedim gradients': async (device) => {
    await checkGradients(device, (x) => x.permute(2, 0, 1), [spec([2, 3, 2])]);
    await checkGradients(device, (x) => x.transpose(-1, 0).mul(x.transpose(0, 2)), [
      spec([2, 2, 2]),
    ]);
    await checkGradients(device, (x) => x.t().matmul(x), [spec([3, 2])]);
    await checkGradients(device, (x) => x.movedim(0, 2), [spec([2, 3, 2])]);
  },

  // ---- squeeze and unsqueeze ----
  'squeeze all dims, one dim, a list of dims': async (device) => {
    const y = seq(device, [1, 2, 1, 3, 1]);
    await ref(y.squeeze(), 'squeeze all');
    await ref(y.squeeze(2), 'squeeze(2)');
    await ref(y.squeeze(-1), 'squeeze(-1)');
    await ref(y.squeeze(1), 'squeeze of a dim that is not 1');
    expectShape(y.squeeze([0, 2]), [2, 3, 1], 'squeeze([0, 2])');
    expectShape(y.squeeze([-1, 1, 0]), [2, 1, 3], 'squeeze([-1, 1, 0])');
    expectShape(tensor(5, { device }).squeeze(), [], 'squeeze of 0-d');
    expectShape(tensor(5, { device }).squeeze(0), [], 'squeeze(0) of 0-d');
    expectShape(zeros([0, 1, 2], { device }).squeeze(), [0, 2], 'squeeze keeps size-0 dims');
    await expectSharesStorage(y, y.squeeze(), 'squeeze');
    assertThrows(() => y.squeeze(5), 'expected to be in range of [-5, 4], but got 5');
  },
  'unsqueeze with negative dims and of transposed tensors': async (device) => {
    const x = seq(device, [2, 3]);
    await ref(x.unsqueeze(0), 'unsqueeze(0)');
    await ref(x.unsqueeze(-1), 'unsqueeze(-1)');
    await ref(x.t().unsqueeze(1), 'unsqueeze(1) of a transposed tensor');
    await ref(x.t().unsqueeze(-2), 'unsqueeze(-2) of a transposed tensor');
    await ref(tensor(5, { device, dtype: 'float32' }).unsqueeze(-1), 'unsqueeze of 0-d');
    assertThrows(() => x.unsqueeze(3), 'expected to be in range of [-3, 2], but got 3');
  },
  'squeeze and unsqueeze gradients': async (device) => {
    await checkGradients(device, (x) => x.squeeze().unsqueeze(-1).unsqueeze(0), [
      spec([1, 3, 1, 2]),
    ]);
    await checkGradients(
      device,
      (x) => x.squeeze(0).mul(x.squeeze(0).t().unsqueeze(-3).squeeze(0).t()),
      [spec([1, 2, 3])],
    );
  },

  // ---- expand ----
  'expand and expandAs give stride-0 views': async (device) => {
    const c = seq(device, [3, 1]);
    await ref(c.expand(2, 3, 4), 'expand [3, 1] to [2, 3, 4]');
    await ref(c.expand([-1, 4]), 'expand with -1');
    await ref(tensor(5, { device, dtype: 'float32' }).expand(2, 3), 'expand of 0-d');
    await ref(seq(device, [1, 4]).expandAs(seq(device, [3, 4])), 'expandAs');
    const empty = c.expand(3, 0);
    expectShape(empty, [3, 0], 'expand to a size-0 dim');
    if ((await empty.data()).length !== 0) throw new Error('a size-0 expand read back values');
    assertThrows(
      () => seq(device, [3]).expand(2, 4),
      /expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1/,
    );
    assertThrows(
      () => seq(device, [3]).expand(-1, 3),
      /-1 is not allowed in a leading, non-existing dimension/,
    );
    assertThrows(
      () => seq(device, [2, 3]).expand(3),
      /number of sizes provided \(1\) must be greater or equal/,
    );
  },
  'expand gradient sums over the expanded dims': async (device) => {
    await checkGradients(device, (x) => x.expand(2, 3, 4), [spec([3, 1])]);
    await checkGradients(device, (x, y) => x.expandAs(y).mul(y), [spec([1, 4]), spec([3, 4])]);
    await checkGradients(device, (x) => x.expand(3, 2), [spec([])]);
  },

  // ---- flatten, unflatten, contiguous, clone, detach ----
  'flatten and unflatten': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.flatten(), 'flatten');
    await ref(x.flatten(1), 'flatten(1)');
    await ref(x.flatten(0, 1), 'flatten(0, 1)');
    await ref(x.permute(1, 0, 2).flatten(-2, -1), 'flatten(-2, -1) of a permuted tensor copies');
    await ref(tensor(5, { device, dtype: 'float32' }).flatten(), 'flatten of 0-d');
    await ref(seq(device, [3, 8]).unflatten(1, [2, -1]), 'unflatten(1, [2, -1])');
    await ref(x.unflatten(-1, [2, 2]), 'unflatten(-1, [2, 2])');
    expectShape(zeros([2, 0, 3], { device }).flatten(1), [2, 0], 'flatten of a size-0 tensor');
    assertThrows(() => x.flatten(2, 1), 'start_dim cannot come after end_dim');
    assertThrows(() => x.unflatten(1, [2, 2]), "shape '[2, 2]' is invalid for input of size 3");
  },
  'contiguous, clone and detach': async (device) => {
    const x = seq(device, [2, 3, 4]);
    const t = x.transpose(1, 2);
    if (t.isContiguous()) throw new Error('a transposed tensor reports isContiguous()');
    await ref(t.contiguous(), 'contiguous of a transposed tensor');
    const same = x.contiguous();
    if (same !== x)
      await expectSharesStorage(x, same.select(0, 0), 'contiguous of a contiguous tensor');
    const copy = x.clone();
    copy.fill_(5);
    await assertClose(
      x.select(0, 1).select(0, 0),
      [12, 13, 14, 15],
      {},
      'base after writing a clone',
    );
    const t2 = seq(device, [2, 3]).t();
    const cloned = t2.clone();
    await assertClose(cloned, [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    const base = seq(device, [2, 2]).requiresGrad_(true);
    const detached = base.detach();
    if (detached.requiresGrad || !detached.isLeaf) throw new Error('detach() kept the graph');
    await expectSharesStorage(base.detach(), detached.select(0, 0), 'detach');
  },
  'flatten, unflatten, contiguous and clone gradients': async (device) => {
    await checkGradients(device, (x) => x.flatten(1).unflatten(1, [3, 2]), [spec([2, 2, 3])]);
    await checkGradients(device, (x) => x.t().contiguous().mul(x.t()), [spec([2, 3])]);
    await checkGradients(device, (x) => x.clone().mul(x), [spec([4])]);
  },

  // ---- cat and stack ----
  'cat along dims, negative dims and non-contiguous inputs': async (device) => {
    await ref(cat([seq(device, [2, 3]), seq(device, [1, 3], 10)]), 'cat dim 0');
    await ref(cat([seq(device, [2, 3]), seq(device, [2, 2], 100)], 1), 'cat dim 1');
    await ref(
      cat([seq(device, [2, 3]), seq(device, [2, 2], 100), seq(device, [2, 1], 200)], -1),
      'cat dim -1 of three',
    );
    await ref(
      cat([seq(device, [3, 2]).t(), seq(device, [2, 3], 10)], 0),
      'cat of non-contiguous tensors',
    );
    await ref(cat([seq(device, [2, 1, 2]), seq(device, [2, 2, 2], 10)], 1), 'cat 3-d along dim 1');
    const single = seq(device, [2]);
    const out = cat([single]);
    out.fill_(9);
    await assertClose(single, [0, 1], {}, 'the input after writing cat of one tensor');
    expectShape(
      cat([zeros([2, 0], { device }), zeros([2, 3], { device })], 1),
      [2, 3],
      'cat with a size-0 part',
    );
  },
  'cat promotes mixed dtypes and skips empty 1-d tensors': async (device) => {
    const ints = tensor([1, 2], { device, dtype: 'int32' });
    await ref(
      cat([ints, tensor([0.5], { device, dtype: 'float32' })]),
      'cat int32 and float32',
      'float32',
    );
    await ref(
      cat([tensor([true, false], { device }), tensor([7], { device, dtype: 'int32' })]),
      'cat bool and int32',
      'int32',
    );
    const empty = zeros([0], { device });
    await ref(cat([empty, seq(device, [2, 3]), empty]), 'cat skips empty 1-d tensors');
    expectShape(cat([empty, empty]), [0], 'cat of empty 1-d tensors only');
  },
  'cat errors name the mismatch': (device) => {
    assertThrows(
      () => cat([zeros([2, 3], { device }), zeros([2, 4], { device })]),
      'sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list',
    );
    assertThrows(
      () => cat([zeros([2, 3], { device }), zeros([3, 1, 1], { device })]),
      'tensors must have same number of dimensions: got 2 and 3',
    );
    assertThrows(
      () => cat([tensor(1, { device }), tensor(2, { device })]),
      'zero-dimensional tensor (at position 0) cannot be concatenated',
    );
    assertThrows(
      () => cat([zeros([2, 3], { device })], 2),
      'expected to be in range of [-2, 1], but got 2',
    );
    assertThrows(() => cat([]), 'expected a non-empty list of tensors');
  },
  'stack along new dims': async (device) => {
    const a = seq(device, [2, 3]);
    const b = seq(device, [2, 3], 10);
    await ref(stack([a, b]), 'stack dim 0');
    await ref(stack([a, b], 1), 'stack dim 1');
    await ref(stack([a, b], -1), 'stack dim -1');
    await ref(
      stack([tensor(1, { device, dtype: 'float32' }), tensor(2, { device, dtype: 'float32' })]),
      'stack 0-d',
    );
    assertThrows(
      () => stack([a, seq(device, [3, 2])]),
      'stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 2] at entry 1',
    );
    assertThrows(() => stack([a, b], 3), 'expected to be in range of [-3, 2], but got 3');
  },
  'cat and stack gradients': async (device) => {
    await checkGradients(device, (x, y) => cat([x, y.mul(2), x], -1), [spec([2, 2]), spec([2, 3])]);
    await checkGradients(device, (x, y) => cat([x.t(), y], 0), [spec([3, 2]), spec([1, 3])]);
    await checkGradients(device, (x, y) => stack([x, y.mul(y)], 1), [spec([2, 3]), spec([2, 3])]);
    await checkGradients(
      device,
      (x) => cat([zeros([0], { device: x.device, dtype: x.dtype }), x, x]),
      [spec([3])],
    );
  },

  'cat of float32 and float64 gives each input a gradient of its own dtype': async (device) => {
    if (device.type !== 'cpu') return; // WebGPU has no float64
    const a = tensor([1, 2], { device, dtype: 'float32', requiresGrad: true });
    const b = tensor([3], { device, dtype: 'float64', requiresGrad: true });
    const out = cat([a, b]);
    if (out.dtype !== 'float64') throw new Error(`cat of float32 and float64 gave ${out.dtype}`);
    out
      .mul(tensor([1, 2, 3], { device, dtype: 'float64' }))
      .sum()
      .backward();
    if (a.grad?.dtype !== 'float32' || b.grad?.dtype !== 'float64') {
      throw new Error(
        `cat gave gradients of dtypes ${a.grad?.dtype} and ${b.grad?.dtype}, expected float32 and float64`,
      );
    }
    await assertClose(a.grad, [1, 2]);
    await assertClose(b.grad, [3]);
  },

  // ---- split, chunk, narrow, select, unbind ----
  'split by size and by sections': async (device) => {
    const pieces = seq(device, [5, 2]).split(2);
    if (pieces.length !== 3)
      throw new Error(`split(2) of 5 gave ${pieces.length} pieces, expected 3`);
    for (const [i, piece] of pieces.entries()) await ref(piece, `split(2) piece ${i}`);
    const sections = seq(device, [2, 5]).split([1, 3, 1], 1);
    for (const [i, piece] of sections.entries()) await ref(piece, `split([1, 3, 1], 1) piece ${i}`);
    const empty = zeros([0, 2], { device }).split(2);
    if (empty.length !== 1)
      throw new Error(`split of a size-0 dim gave ${empty.length} pieces, expected 1`);
    assertThrows(() => seq(device, [5]).split([2, 2]), 'expects split_sizes to sum exactly to 5');
  },
  'chunk into uneven pieces': async (device) => {
    const pieces = seq(device, [5]).chunk(3);
    if (pieces.length !== 3) throw new Error(`chunk(3) of 5 gave ${pieces.length} pieces`);
    for (const [i, piece] of pieces.entries()) await ref(piece, `chunk(3) of 5 piece ${i}`);
    const four = seq(device, [2, 6]).chunk(4, -1);
    if (four.length !== 3)
      throw new Error(`chunk(4) of 6 gave ${four.length} pieces, expected 3 as PyTorch does`);
    for (const [i, piece] of four.entries()) await ref(piece, `chunk(4, -1) of 6 piece ${i}`);
    const empty = zeros([0, 3], { device }).chunk(2);
    if (empty.length !== 2 || empty.some((t) => !sameList(t.shape, [0, 3]))) {
      throw new Error(
        `chunk(2) of a size-0 dim gave shapes ${empty.map((t) => `[${t.shape.join(', ')}]`).join(' ')}, expected two [0, 3]`,
      );
    }
  },
  'narrow, select and unbind are views': async (device) => {
    const m = seq(device, [3, 4]);
    await ref(m.narrow(1, 1, 2), 'narrow(1, 1, 2)');
    await ref(m.narrow(0, -2, 2), 'narrow(0, -2, 2)');
    const x = seq(device, [2, 3, 4]);
    await ref(x.select(1, -1), 'select(1, -1)');
    await ref(x.transpose(0, 2).select(0, 1), 'select(0, 1) of a transposed tensor');
    for (const [i, piece] of seq(device, [2, 3]).unbind(1).entries())
      await ref(piece, `unbind(1) piece ${i}`);
    expectShape(seq(device, [3]).select(0, 1), [], 'select of a 1-d tensor');
    expectShape(m.narrow(1, 4, 0), [3, 0], 'narrow to length 0');
    await expectSharesStorage(m, m.narrow(1, 1, 2), 'narrow');
    await assertClose(m.select(0, 2), [8, -1, -1, 11]);
    assertThrows(() => m.narrow(1, 3, 2), 'start (3) + length (2) exceeds dimension size (4)');
    assertThrows(
      () => m.select(0, 3),
      'index 3 out of range for tensor of size [3, 4] at dimension 0',
    );
    assertThrows(() => m.select(1, -5), 'index -5 out of range');
  },
  'ops along a dim refuse 0-d tensors; flatten and movedim accept them': async (device) => {
    const s = tensor(5, { device, dtype: 'float32' });
    assertThrows(() => s.select(0, 0), 'select() cannot be applied to a 0-dim tensor');
    assertThrows(() => s.narrow(0, 0, 1), 'narrow() cannot be applied to a 0-dim tensor');
    assertThrows(() => s.split(1), 'split() cannot be applied to a 0-dim tensor');
    assertThrows(() => s.chunk(1), 'chunk() cannot be applied to a 0-dim tensor');
    assertThrows(() => s.unbind(), 'unbind() cannot be applied to a 0-dim tensor');
    assertThrows(() => s.flatten(0, 1), 'expected to be in range of [-1, 0], but got 1');
    assertThrows(() => s.movedim(0, 1), 'expected to be in range of [-1, 0], but got 1');
    await assertClose(s.flatten(), [5]);
    await assertClose(s.movedim(0, -1), 5);
  },
  'split, chunk, narrow, select and unbind gradients': async (device) => {
    await checkGradients(
      device,
      (x) => {
        const [a, b, c] = x.split(2, 1);
        return cat([c!, a!.mul(2), b!.mul(b!)], 1);
      },
      [spec([2, 5])],
    );
    await checkGradients(
      device,
      (x) => {
        const [a, b] = x.chunk(2);
        return a!.mul(b!.narrow(0, 0, 1));
      },
      [spec([3, 2])],
    );
    await checkGradients(device, (x) => x.select(1, -1).mul(x.narrow(1, 0, 1).squeeze(1)), [
      spec([3, 4]),
    ]);
    await checkGradients(
      device,
      (x) => {
        const [a, b, c] = x.unbind(-1);
        return stack([c!, a!.mul(b!)]);
      },
      [spec([2, 3])],
    );
  },

  // ---- flip, roll, repeat ----
  'flip one, several and all dims': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.flip(0), 'flip(0)');
    await ref(x.flip([0, 2]), 'flip([0, 2])');
    await ref(x.transpose(0, 1).flip(-1), 'flip(-1) of a transposed tensor');
    await ref(x.flip([0, 1, 2]), 'flip all dims');
    await assertClose(tensor(5, { device }).flip([]), 5);
    expectShape(zeros([0, 2], { device }).flip(0), [0, 2], 'flip of a size-0 tensor');
    const flipped = x.flip(0);
    flipped.fill_(0);
    await assertClose(
      x.select(0, 0).select(0, 0),
      [0, 1, 2, 3],
      {},
      'the input after writing its flip',
    );
    assertThrows(() => x.flip([0, 0]), /dim 0 appears multiple times/);
  },
  'roll with and without dims, negative and large shifts': async (device) => {
    await ref(seq(device, [2, 3]).roll(1), 'roll(1) without dims');
    await ref(seq(device, [2, 3]).roll(-2), 'roll(-2) without dims');
    await ref(seq(device, [3, 2]).roll(1, 0), 'roll(1, 0)');
    await ref(seq(device, [3, 4]).roll(-1, 1), 'roll(-1, 1)');
    await ref(seq(device, [3, 4]).roll([1, -1], [0, 1]), 'roll([1, -1], [0, 1])');
    await ref(seq(device, [2, 3]).roll(7, 1), 'roll(7, 1) wraps more than once');
    await ref(seq(device, [3, 4]).t().roll(2, -1), 'roll(2, -1) of a transposed tensor');
    await assertClose(tensor(5, { device }).roll(1), 5);
    expectShape(zeros([0, 3], { device }).roll(1, 0), [0, 3], 'roll of a size-0 dim');
    assertThrows(() => seq(device, [2, 3]).roll([1, 2], [0]), 'shifts and dimensions must align');
    assertThrows(() => seq(device, [2, 3]).roll([1, 2]), 'shifts and dimensions must align');
  },
  'repeat tiles and adds leading dims': async (device) => {
    await ref(seq(device, [2]).repeat(2, 2), 'repeat(2, 2) of 1-d');
    await ref(seq(device, [2, 3]).repeat(2, 1, 3), 'repeat(2, 1, 3)');
    await ref(seq(device, [2, 3]).t().repeat([2, 2]), 'repeat(2, 2) of a transposed tensor');
    await ref(tensor(5, { device, dtype: 'float32' }).repeat(2, 3), 'repeat(2, 3) of 0-d');
    expectShape(seq(device, [2, 3]).repeat(0, 2), [0, 6], 'repeat(0, 2)');
    assertThrows(
      () => seq(device, [2, 3]).repeat(2),
      'number of repeat dims (1) can not be smaller than number of dimensions of tensor (2)',
    );
  },
  'flip, roll and repeat gradients': async (device) => {
    await checkGradients(device, (x) => x.flip([0, -1]), [spec([2, 3])]);
    await checkGradients(device, (x) => x.roll([1, -2], [0, 1]).mul(x), [spec([3, 4])]);
    await checkGradients(device, (x) => x.roll(-4), [spec([2, 3])]);
    await checkGradients(device, (x) => x.repeat(2, 1, 3), [spec([2, 2])]);
  },
});
