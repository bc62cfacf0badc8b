// Conformance cases: PyTorch habits that work as written on every device. Shapes as
// separate sizes (`zeros(2, 3)`), dims and keepdim as PyTorch's keywords in an options
// object (`sum({ dim: 1, keepdim: true })`), the torch.* functions a primer calls
// (`sigmoid(x)`), viewAs and tolist, devices named by their type, and printing: `String(t)`
// and Node's console.log never wait for a device, and show the values once read.

import type { Backend } from '../../index.js';
import {
  allclose,
  amax,
  argmax,
  cat,
  equal,
  flatten,
  inspect,
  isclose,
  ones,
  rand,
  randn,
  resolveDevice,
  sigmoid,
  stack,
  sum,
  tanh,
  tensor,
  zeros,
} from '../../index.js';
import { assertClose, assertThrows } from '../assert.js';
import { defineCases } from '../conformance.js';

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

const matrix = (device: Backend) =>
  tensor(
    [
      [1, 5, 3],
      [4, 2, 6],
    ],
    { device },
  );

export const habitsCases = defineCases('pytorch habits', {
  'shapes as separate sizes or one array, then options': async (device) => {
    expectEqual(zeros(2, 3, { device }).shape, [2, 3], 'zeros(2, 3)');
    expectEqual(ones([2, 3], { device }).shape, [2, 3], 'ones([2, 3])');
    expectEqual(rand(4, { device }).shape, [4], 'rand(4)');
    expectEqual(randn(2, 1, 3, { device }).shape, [2, 1, 3], 'randn(2, 1, 3)');
    expectEqual(zeros(2, { device, dtype: 'int32' }).dtype, 'int32', 'zeros(2, { dtype })');
    await assertClose(ones(2, 2, { device }), [
      [1, 1],
      [1, 1],
    ]);
    const x = matrix(device);
    expectEqual(x.reshape(3, 2).shape, [3, 2], 'reshape(3, 2)');
    expectEqual(x.view([-1]).shape, [6], 'view([-1])');
    expectEqual(x.permute(1, 0).shape, [3, 2], 'permute(1, 0)');
    expectEqual(x.unsqueeze(0).expand(4, 2, 3).shape, [4, 2, 3], 'expand(4, 2, 3)');
    expectEqual(x.repeat(2, 1).shape, [4, 3], 'repeat(2, 1)');
    assertThrows(() => zeros(), 'zeros: expected a shape', 'zeros()');
    assertThrows(() => x.reshape(3, '2' as unknown as number), "got (3, '2')", "reshape(3, '2')");
  },

  'reductions take dim and keepdim positionally or as an options object': async (device) => {
    const x = matrix(device);
    await assertClose(x.sum({ dim: 1, keepdim: true }), [[9], [12]], {}, 'sum({ dim, keepdim })');
    await assertClose(x.sum(1, { keepdim: true }), [[9], [12]], {}, 'sum(1, { keepdim })');
    await assertClose(x.sum(1, true), [[9], [12]], {}, 'sum(1, true)');
    await assertClose(x.mean({ dim: 0 }), [2.5, 3.5, 4.5], {}, 'mean({ dim: 0 })');
    await assertClose(x.prod({ dim: [0, 1] }), 720, {}, 'prod({ dim: [0, 1] })');
    await assertClose(x.amax({ dim: 1 }), [5, 6], {}, 'amax({ dim: 1 })');
    await assertClose(x.amin({ keepdim: true }), [[1]], {}, 'amin({ keepdim: true })');
    await assertClose(x.argmax({ dim: 1, keepdim: true }), [[1], [2]], {}, 'argmax');
    await assertClose(x.argmin({ dim: 0 }), [0, 1, 0], {}, 'argmin({ dim: 0 })');
    const { values, indices } = x.max({ dim: 1, keepdim: true });
    await assertClose(values, [[5], [6]], {}, 'max({ dim, keepdim }).values');
    await assertClose(indices, [[1], [2]], {}, 'max({ dim, keepdim }).indices');
    await assertClose(x.min(0, { keepdim: false }).values, [1, 2, 3], {}, 'min(0, {}).values');
    await assertClose(x.max(tensor([[3]], { device })), [
      [3, 5, 3],
      [4, 3, 6],
    ]);
    await assertClose(x.var({ dim: 1, correction: 0 }), [8 / 3, 8 / 3], {}, 'var({ dim })');
    await assertClose(x.std(1, { keepdim: true }), [[2], [2]], {}, 'std(1, { keepdim })');
    await assertClose(x.norm({ p: 1, dim: 1 }), [9, 12], {}, 'norm({ p, dim })');
    const e = Math.E;
    await assertClose(
      x.logsumexp({ dim: 0 }).exp(),
      [e + e ** 4, e ** 5 + e ** 2, e ** 3 + e ** 6],
      { rtol: 1e-4 },
      'logsumexp({ dim })',
    );
    await assertClose(x.gt(2).all({ dim: 0 }), [false, false, true], {}, 'all({ dim })');
    await assertClose(x.gt(5).any({ dim: 1 }), [false, true], {}, 'any({ dim })');
    await assertClose(x.cumsum({ dim: 1 }), [
      [1, 6, 9],
      [4, 6, 12],
    ]);
    await assertClose(x.softmax({ dim: 1 }).sum(1), [1, 1], {}, 'softmax({ dim })');
    await assertClose(cat([x, x], { dim: 1 }).sum(1), [18, 24], {}, 'cat(list, { dim })');
    expectEqual(stack([x, x], { dim: 2 }).shape, [2, 3, 2], 'stack(list, { dim })');
    assertThrows(() => x.sum({ dims: 1 } as never), "sum: unknown option 'dims'", 'sum({ dims })');
    assertThrows(
      () => x.sum(1, 'yes' as never),
      "keepdim must be true or false, got 'yes'",
      'sum(1, "yes")',
    );
    assertThrows(() => x.sum('a' as never), "got ('a')", "sum('a')");
  },

  'clamp takes min and max as keywords, index takes one item': async (device) => {
    const x = matrix(device);
    await assertClose(x.clamp({ min: 3 }), [
      [3, 5, 3],
      [4, 3, 6],
    ]);
    await assertClose(x.clip({ max: 2 }).sum(), 11, {}, 'clip({ max })');
    await assertClose(x.index(1), [4, 2, 6], {}, 'index(1)');
    assertThrows(
      () => x.clamp({ low: 0 } as never),
      "clamp: unknown option 'low'",
      'clamp({ low })',
    );
  },

  'torch.* functions of a primer: sigmoid, tanh, flatten, sum, argmax, amax': async (device) => {
    const x = tensor(
      [
        [0, 1],
        [-1, 2],
      ],
      { device },
    );
    await assertClose(sigmoid(x), x.sigmoid(), {}, 'sigmoid(x)');
    await assertClose(tanh(x), x.tanh(), {}, 'tanh(x)');
    expectEqual(flatten(x).shape, [4], 'flatten(x)');
    await assertClose(sum(x, { dim: 0 }), [-1, 3], {}, 'sum(x, { dim: 0 })');
    await assertClose(argmax(x, 1), [1, 1], {}, 'argmax(x, 1)');
    await assertClose(amax(x), 2, {}, 'amax(x)');
    assertThrows(
      () => sigmoid([1, 2] as never),
      'sigmoid: expected input to be a Tensor, got [1, 2]',
      'sigmoid(array)',
    );
  },

  'isclose, allclose and equal compare as torch does': async (device) => {
    const a = tensor([1, 2, Number.POSITIVE_INFINITY, Number.NaN], { device });
    const b = tensor([1 + 1e-7, 2.1, Number.POSITIVE_INFINITY, Number.NaN], { device });
    await assertClose(isclose(a, b), [true, false, true, false], {}, 'isclose');
    await assertClose(isclose(a, b, { atol: 0.2, equalNan: true }), [true, true, true, true]);
    expectEqual(await allclose(a.narrow(0, 0, 1), b.narrow(0, 0, 1)), true, 'allclose');
    expectEqual(await allclose(a, b), false, 'allclose with a far element');
    expectEqual(await equal(matrix(device), matrix(device)), true, 'equal');
    expectEqual(await equal(matrix(device), matrix(device).t()), false, 'equal, other shape');
  },

  'viewAs and tolist': async (device) => {
    const x = matrix(device);
    expectEqual(x.viewAs(zeros(3, 2)).shape, [3, 2], 'viewAs');
    expectEqual(
      await x.tolist(),
      [
        [1, 5, 3],
        [4, 2, 6],
      ],
      'tolist()',
    );
    expectEqual(await tensor(7, { device }).tolist(), 7, 'tolist() of a 0-d tensor');
    expectEqual(await tensor([true, false], { device }).tolist(), [true, false], 'bool tolist');
  },

  "a device is named by its type: 'cpu', and this device's": async (device) => {
    // 'cpu' names the default CPU backend; a second CPU backend has no name of its own.
    if (resolveDevice('cpu') === device || device.type === 'cpu') return;
    // The test opened this device through its backend's public entry point, which names it.
    const x = tensor([1, 2], { device: device.type as 'webgpu' });
    if (x.device !== device) throw new Error(`'${device.type}' named ${x.device}, not ${device}`);
    if (tensor([1, 2]).to(device.type as 'webgpu').device !== device)
      throw new Error(`to('${device.type}') did not move the tensor to ${device}`);
  },

  'printing never waits, and shows values once read': async (device) => {
    const x = tensor([1.5, 2], { device, requiresGrad: true });
    const y = x.mul(2);
    const suffix = device.type === 'cpu' ? '' : `, device='${device.type}'`;
    const printed = (t: typeof x) => [String(t), t[inspect]()];
    if (device.readSync) {
      expectEqual(
        printed(y),
        Array(2).fill(`tensor([3., 4.]${suffix}, gradFn=<MulBackward>)`),
        'String(t)',
      );
    } else {
      const unread = `tensor(<not read yet: await t.format()>, size=[2], dtype=float32, device='${device.type}', gradFn=<MulBackward>)`;
      expectEqual(printed(y), [unread, unread], 'before a read');
      await y.data();
      expectEqual(
        printed(y),
        Array(2).fill(`tensor([3., 4.]${suffix}, gradFn=<MulBackward>)`),
        'after a read',
      );
      y.detach().add_(1);
      expectEqual(String(y), unread, 'after an in-place change');
    }
    const gone = tensor([[1, 2]], { device });
    gone.dispose();
    expectEqual(
      String(gone),
      `tensor(<disposed>, size=[1, 2], dtype=float32, device='${device.type}')`,
      'disposed',
    );
  },
});
