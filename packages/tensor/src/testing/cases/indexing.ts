// Conformance cases: indexing ops (index(), indexSelect, gather, scatter, masks, triangles,
// one-hot, padding). Expected values come from PyTorch (scripts/reference/indexing.py writes
// reference/indexing.ts) or by hand; gradients are checked against finite differences.

import type { Backend, Tensor, TensorData } from '../../index.js';
import { oneHot, pad, slice, tensor, zeros } from '../../index.js';
import { assertClose, assertThrows } from '../assert.js';
import { checkGradients, defineCases } from '../conformance.js';
import { indexingReference } from './reference/indexing.js';
import { expectReference, expectSharesStorage, seq, spec } from './shape.js';

const ref = (actual: Tensor, name: string) => expectReference(actual, indexingReference, name);

/** An int32 index tensor on `device`. */
function ints(device: Backend, values: TensorData): Tensor {
  return tensor(values, { device, dtype: 'int32' });
}

/** A bool mask on the CPU: a mask's values decide the output shape, so index() reads it on the host. */
function mask(values: TensorData): Tensor {
  return tensor(values, { device: 'cpu', dtype: 'bool' });
}

/** Whether data-dependent errors (an index out of range inside a tensor) are raised on this device. */
const checksIndexValues = (device: Backend) => device.type === 'cpu';

export const indexingCases = defineCases('indexing', {
  // ---- index(): basic indexing gives views ----
  'index with ints and negative ints': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.index([1, 2]), 'x[1, 2]');
    await ref(x.index([-1, -3]), 'x[-1, -3]');
    await ref(x.index([0, slice(), -1]), 'x[0, :, -1]');
    await assertClose(x.index([1, 2, 3]), 23);
  },
  'index with slices and steps': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.index([slice(), slice(null, null, 2)]), 'x[:, ::2]');
    await ref(x.index(['...', slice(1, null, 2)]), 'x[..., 1::2]');
    await ref(x.index([slice(), slice(1, 3), slice(null, null, 3)]), 'x[:, 1:3, ::3]');
    await ref(x.index([slice(), slice(-2), slice(null, -1)]), 'x[:, -2:, :-1]');
    await ref(x.index([slice(), slice(1, 10)]), 'x[:, 1:10]');
    await ref(x.index([slice(), slice(5)]), 'x[:, 5:]');
    await ref(
      seq(device, [3, 4])
        .t()
        .index([slice(1), slice(null, null, 2)]),
      'x.t()[1:, ::2]',
    );
    await expectSharesStorage(x, x.index([slice(), slice(null, null, 2), 1]), 'a strided slice');
    await assertClose(x.index([1, slice(), 1]), [-1, 17, -1]);
  },
  'index with new axes and ellipsis': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.index([null]), 'x[None]');
    await ref(x.index([slice(), null, 1]), 'x[:, None, 1]');
    await ref(x.index(['...', null]), 'x[..., None]');
    await ref(x.index(['...', 1]), 'x[..., 1]');
    await ref(x.index([1, '...']), 'x[1, ...]');
    await ref(x.index(['...', 1, slice()]), 'x[..., 1, :]');
    const s = tensor(5, { device, dtype: 'float32' });
    await assertClose(s.index([]), 5);
    await assertClose(s.index('...'), 5);
    const lifted = s.index([null, '...', null]);
    if (lifted.shape.join() !== '1,1')
      throw new Error(`0-d [None, ..., None] has shape [${lifted.shape.join(', ')}]`);
  },
  'index with the string form': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.index('::2, 1, None, ...'), 'x[::2, 1, None, ...]');
    await ref(x.index('1:, None, ::3'), 'x[1:, None, ::3]');
    await ref(x.index('-1, ..., 1:3'), 'x[-1, ..., 1:3]');
    await ref(x.index('None, ..., None'), 'x[None, ..., None]');
    await ref(x.index(' : , 5 : '), 'x[:, 5:]');
    await assertClose(x.index(''), x, {}, "index('') is the whole tensor");
    await assertClose(x.index('1, 2, 3'), 23);
    assertThrows(() => x.index('1.5'), "'1.5' in '1.5' is not an integer, slice, None or ...");
    assertThrows(() => x.index('1:2:3:4'), "invalid slice '1:2:3:4'");
    assertThrows(() => x.index('a'), /'a' .* is not an integer/);
  },
  'index errors': (device) => {
    const x = seq(device, [2, 3, 4]);
    assertThrows(() => x.index([5]), 'index 5 is out of bounds for dimension 0 with size 2');
    assertThrows(() => x.index([1, -4]), 'index -4 is out of bounds for dimension 1 with size 3');
    assertThrows(() => x.index('..., 4'), 'index 4 is out of bounds for dimension 2 with size 4');
    assertThrows(() => x.index([0, 0, 0, 0]), 'too many indices for tensor of dimension 3 (got 4)');
    assertThrows(() => x.index('..., 0, ...'), 'an index can only have a single ellipsis');
    assertThrows(() => x.index([slice(null, null, 0)]), 'step must be greater than zero');
    assertThrows(() => x.index('::-1'), 'step must be greater than zero');
    assertThrows(
      () => x.index([tensor([0.5], { device })]),
      'tensors used as indices must be int32 or bool, got float32',
    );
  },
  'index gradients through slices, steps and new axes': async (device) => {
    await checkGradients(device, (x) => x.index('::2, 1:, None'), [spec([3, 4])]);
    await checkGradients(device, (x) => x.index([slice(), -1]).mul(x.index([slice(), 0])), [
      spec([2, 3]),
    ]);
    await checkGradients(device, (x) => x.index('..., 1::2'), [spec([2, 2, 5])]);
  },

  // ---- index() with int32 index tensors and bool masks ----
  'index with int32 index tensors': async (device) => {
    const x = seq(device, [2, 3, 4]);
    await ref(x.index([slice(), ints(device, [2, 0, -1])]), 'x[:, [2, 0, -1]]');
    await ref(
      x.index([
        ints(device, [
          [1, 0],
          [0, 1],
        ]),
      ]),
      'x[[[1, 0], [0, 1]]]',
    );
    await ref(x.index([1, ints(device, [0, 2])]), 'x[1, [0, 2]]');
    await ref(x.index(['...', ints(device, [3, 0])]), 'x[..., [3, 0]]');
    await ref(x.index([ints(device, 1)]), 'x[tensor(1)]');
    await ref(x.index([slice(), slice(1), ints(device, [1, 1])]), 'x[:, 1:, [1, 1]]');
    await ref(
      seq(device, [3, 4])
        .t()
        .index([ints(device, [2, 0])]),
      'x.t()[[2, 0]]',
    );
    const cpuIndex = tensor([2, 0], { device: 'cpu', dtype: 'int32' });
    await assertClose(x.index([0, 1, cpuIndex]), [6, 4], {}, 'x[0, 1, cpu index]');
    const picked = x.index([ints(device, [0])]);
    picked.fill_(-1);
    await assertClose(
      x.index([0, 0]),
      [0, 1, 2, 3],
      {},
      'the input after writing an advanced-indexing copy',
    );
    const none = x.index([slice(), ints(device, [])]);
    if (none.shape.join() !== '2,0,4')
      throw new Error(`x[:, []] has shape [${none.shape.join(', ')}]`);
  },
  'index tensor out of range names the index (cpu)': (device) => {
    if (!checksIndexValues(device)) return;
    const x = seq(device, [2, 3, 4]);
    assertThrows(
      () => x.index([ints(device, [0, 5])]),
      'index 5 is out of bounds for dimension 0 with size 2',
    );
  },
  'index with bool masks': async (device) => {
    const x = seq(device, [2, 3, 4]);
    const byThree = Array.from({ length: 2 }, (_, a) =>
      Array.from({ length: 3 }, (_, b) =>
        Array.from({ length: 4 }, (_, c) => (a * 12 + b * 4 + c) % 3 === 0),
      ),
    );
    await ref(x.index([mask(byThree)]), 'x[x % 3 == 0]');
    await ref(x.index([mask([true, false])]), 'x[[true, false]]');
    await ref(x.index([slice(), mask([true, false, true])]), 'x[:, [true, false, true]]');
    await ref(x.index([0, mask(byThree[1]!)]), 'x[0, mask [3, 4]]');
    await ref(
      x.index([
        mask([
          [true, false, true],
          [false, false, true],
        ]),
      ]),
      'x[mask [2, 3]]',
    );
    await ref(x.index([mask([true, false]), slice(1)]), 'x[[true, false], 1:]');
    await ref(
      x.index(['...', mask([true, false, true, false])]),
      'x[..., [true, false, true, false]]',
    );
    await ref(x.index([slice(), mask([false, false, false])]), 'x[:, [false, false, false]]');
    // A 0-d mask (x[True], x[False]) adds a dim of size 1 or 0.
    await assertClose(x.index([mask(true)]), x.unsqueeze(0), {}, 'x[True]');
    const none = x.index([mask(false), 1]);
    if (none.shape.join() !== '0,3,4')
      throw new Error(`x[False, 1] has shape [${none.shape.join(', ')}]`);
    assertThrows(
      () => x.index([mask([true, false, true])]),
      'the shape of the mask [3] does not match the shape of the indexed tensor [2, 3, 4] at dimension 0',
    );
  },
  'index gradients through index tensors and masks': async (device) => {
    await checkGradients(device, (x) => x.index([slice(), ints(x.device, [2, 0, 2, -1])]), [
      spec([2, 3]),
    ]);
    await checkGradients(
      device,
      (x) =>
        x.index([
          ints(x.device, [
            [1, 1],
            [0, 1],
          ]),
        ]),
      [spec([2, 3])],
    );
    await checkGradients(
      device,
      (x) =>
        x.index([
          mask([
            [true, false, true],
            [false, true, true],
          ]),
        ]),
      [spec([2, 3, 2])],
    );
  },

  // ---- indexSelect and gather ----
  'indexSelect along dims, with repeats and non-contiguous input': async (device) => {
    const m = seq(device, [3, 4]);
    await ref(m.indexSelect(1, ints(device, [3, 0, 3])), 'indexSelect(1, [3, 0, 3])');
    await ref(m.indexSelect(0, ints(device, [2, 2, 0])), 'indexSelect(0, [2, 2, 0])');
    await ref(
      seq(device, [4, 3])
        .t()
        .indexSelect(1, ints(device, [1, 3])),
      'indexSelect(1, [1, 3]) of a transposed tensor',
    );
    await ref(seq(device, [2, 3, 4]).indexSelect(-1, ints(device, [0])), 'indexSelect(-1, [0])');
    await ref(m.indexSelect(0, ints(device, [])), 'indexSelect(0, [])');
    await assertClose(
      m.indexSelect(1, ints(device, 2)),
      [[2], [6], [10]],
      {},
      'indexSelect with a 0-d index',
    );
    assertThrows(
      () => m.indexSelect(0, ints(device, [[0]])),
      'index should have at most 1 dimension, got 2',
    );
    assertThrows(
      () => m.indexSelect(0, tensor([0.5], { device })),
      'expected an int32 index tensor, got float32',
    );
    if (checksIndexValues(device)) {
      assertThrows(
        () => m.indexSelect(1, ints(device, [4])),
        'index 4 is out of bounds for dimension 1 with size 4',
      );
    }
  },
  'gather along dims, 3-d and non-contiguous input': async (device) => {
    const m = seq(device, [3, 4]);
    await ref(
      m.gather(
        1,
        ints(device, [
          [0, 0],
          [3, 1],
          [2, 2],
        ]),
      ),
      'gather(1, [[0, 0], [3, 1], [2, 2]])',
    );
    await ref(m.gather(0, ints(device, [[2, 1, 0, 0]])), 'gather(0, [[2, 1, 0, 0]])');
    await ref(
      seq(device, [2, 3, 4]).gather(
        -1,
        ints(device, [
          [[3], [2], [1]],
          [[0], [0], [3]],
        ]),
      ),
      'gather(-1) 3-d',
    );
    await ref(
      m.t().gather(
        0,
        ints(device, [
          [3, 0, 1],
          [1, 1, 2],
        ]),
      ),
      'gather(0) of a transposed tensor',
    );
    await assertClose(tensor(5, { device }).gather(0, ints(device, 0)), 5, {}, 'gather of 0-d');
    const empty = m.gather(1, zeros([3, 0], { device, dtype: 'int32' }));
    if (empty.shape.join() !== '3,0')
      throw new Error(`gather with an empty index has shape [${empty.shape.join(', ')}]`);
    assertThrows(
      () => m.gather(1, ints(device, [0, 1])),
      'index tensor must have the same number of dimensions as input tensor (1 vs 2)',
    );
    assertThrows(
      () => m.gather(1, zeros([4, 1], { device, dtype: 'int32' })),
      'size does not match at dimension 0',
    );
    if (checksIndexValues(device)) {
      assertThrows(
        () => m.gather(0, ints(device, [[0, 3]])),
        'index 3 is out of bounds for dimension 0 with size 3',
      );
    }
  },
  'indexSelect and gather gradients accumulate repeated indices': async (device) => {
    await checkGradients(device, (x) => x.indexSelect(1, ints(x.device, [2, 0, 2, 2])), [
      spec([2, 3]),
    ]);
    await checkGradients(device, (x) => x.t().indexSelect(0, ints(x.device, [1, 1])), [
      spec([3, 2]),
    ]);
    await checkGradients(
      device,
      (x) =>
        x.gather(
          1,
          ints(x.device, [
            [0, 0, 2],
            [1, 2, 1],
          ]),
        ),
      [spec([2, 3])],
    );
    await checkGradients(device, (x) => x.gather(0, ints(x.device, [[1, 0, 1]])), [spec([2, 3])]);
  },

  // ---- scatter and scatterAdd ----
  'scatter with tensor and scalar src': async (device) => {
    await ref(
      zeros([3, 5], { device }).scatter(
        1,
        ints(device, [
          [0, 4],
          [2, 1],
          [1, 3],
        ]),
        seq(device, [3, 2], 1),
      ),
      'scatter(1) tensor src',
    );
    await ref(
      zeros([3, 4], { device }).scatter(0, ints(device, [[2, 1, 0, 2]]), 7),
      'scatter(0) scalar src',
    );
    await ref(
      seq(device, [2, 4]).scatter(1, ints(device, [[3], [0]]), -1),
      'scatter(1) into a non-zero base',
    );
    await ref(
      zeros([2, 3], { device }).scatter(1, ints(device, [[2], [0]]), seq(device, [2, 2], 1)),
      'scatter(1) src larger than index',
    );
    const base = seq(device, [2, 2]);
    const out = base.scatter(0, ints(device, [[1, 0]]), 9);
    await assertClose(
      base,
      [
        [0, 1],
        [2, 3],
      ],
      {},
      'scatter left its input as it was',
    );
    await assertClose(out, [
      [0, 9],
      [9, 3],
    ]);
    await assertClose(
      tensor(5, { device }).scatter(0, ints(device, 0), 2),
      2,
      {},
      'scatter into 0-d',
    );
    await assertClose(
      base.scatter(0, zeros([0, 2], { device, dtype: 'int32' }), 5),
      base,
      {},
      'scatter with an empty index',
    );
    assertThrows(
      () => base.scatter(0, ints(device, [[0, 1, 0]]), seq(device, [1, 2])),
      'no larger than src',
    );
    if (checksIndexValues(device)) {
      assertThrows(
        () => base.scatter(1, ints(device, [[2]]), 1),
        'index 2 is out of bounds for dimension 1 with size 2',
      );
    }
  },
  'scatterAdd accumulates duplicate indices': async (device) => {
    await ref(
      zeros([5], { device }).scatterAdd(0, ints(device, [0, 0, 3, 0, 4]), seq(device, [5], 1)),
      'scatterAdd duplicates accumulate',
    );
    await ref(
      seq(device, [3, 2]).scatterAdd(
        0,
        ints(device, [
          [0, 2],
          [0, 2],
          [1, 2],
        ]),
        seq(device, [3, 2], 10),
      ),
      'scatterAdd(0) 2-d',
    );
    await ref(
      zeros([2, 4], { device }).scatterAdd(
        1,
        ints(device, [
          [1, 1],
          [3, 0],
        ]),
        seq(device, [2, 3], 1),
      ),
      'scatterAdd(1) index smaller than src',
    );
  },
  'scatter and scatterAdd gradients': async (device) => {
    const index = (x: Tensor) =>
      ints(x.device, [
        [0, 3],
        [2, 1],
      ]);
    await checkGradients(device, (x, src) => x.scatter(1, index(x), src), [
      spec([2, 4]),
      spec([2, 3]),
    ]);
    await checkGradients(device, (x) => x.scatter(0, ints(x.device, [[1, 0, 1]]), 2.5), [
      spec([2, 3]),
    ]);
    await checkGradients(
      device,
      (x, src) =>
        x.scatterAdd(
          0,
          ints(x.device, [
            [1, 1],
            [1, 0],
            [0, 1],
          ]),
          src,
        ),
      [spec([2, 2]), spec([3, 2])],
    );
    // src larger than the index: its elements beyond the index's extent get zero gradient.
    await checkGradients(device, (x, src) => x.scatterAdd(1, ints(x.device, [[1], [0]]), src), [
      spec([2, 2]),
      spec([3, 2]),
    ]);
  },

  // ---- maskedFill, tril, triu, oneHot ----
  'maskedFill with full and broadcast masks': async (device) => {
    const m = (values: boolean[] | boolean[][]) => tensor(values, { device, dtype: 'bool' });
    await expectReference(
      seq(device, [2, 3]).maskedFill(
        m([
          [true, false, true],
          [false, false, true],
        ]),
        -1,
      ),
      indexingReference,
      'maskedFill [2, 3]',
    );
    await expectReference(
      seq(device, [2, 3]).maskedFill(m([false, true, false]), 0.5),
      indexingReference,
      'maskedFill broadcasts the mask',
    );
    const ints32 = tensor([0, 1, 2], { device, dtype: 'int32' }).maskedFill(
      m([true, false, true]),
      2.5,
    );
    if (ints32.dtype !== 'int32') throw new Error(`maskedFill changed int32 to ${ints32.dtype}`);
    await ref(ints32, 'maskedFill int32 with 2.5');
    assertThrows(
      () => seq(device, [3]).maskedFill(tensor([1, 0, 1], { device, dtype: 'int32' }), 0),
      'only supports boolean masks, but got mask with dtype int32',
    );
  },
  'tril and triu with positive and negative diagonals, batched': async (device) => {
    const m = seq(device, [3, 4]);
    for (const k of [0, 1, -1, 5]) await ref(m.tril(k), `tril(${k})`);
    for (const k of [0, 2, -1, -5]) await ref(m.triu(k), `triu(${k})`);
    await ref(seq(device, [2, 3, 3]).triu(1), 'triu(1) batched');
    await ref(seq(device, [4, 3]).tril(-2), 'tril(-2) of [4, 3]');
    await ref(seq(device, [2, 4, 3]).transpose(1, 2).tril(), 'tril(0) batched transposed');
    const ints32 = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device, dtype: 'int32' },
    ).triu();
    if (ints32.dtype !== 'int32') throw new Error(`triu changed int32 to ${ints32.dtype}`);
    await assertClose(ints32, [
      [1, 2],
      [0, 4],
    ]);
    if (zeros([0, 3], { device }).tril().shape.join() !== '0,3')
      throw new Error('tril of [0, 3] changed the shape');
    assertThrows(
      () => seq(device, [3]).tril(),
      'tril: input tensor must have at least 2 dimensions',
    );
  },
  'maskedFill, tril and triu gradients': async (device) => {
    await checkGradients(
      device,
      (x) =>
        x.maskedFill(
          tensor(
            [
              [true, false, false],
              [false, false, true],
            ],
            { device: x.device },
          ),
          3,
        ),
      [spec([2, 3])],
    );
    await checkGradients(device, (x) => x.tril(-1).add(x.triu(1).mul(2)), [spec([2, 3, 3])]);
  },
  oneHot: async (device) => {
    const hot = oneHot(ints(device, [0, 2, 1, 2]), 3);
    if (hot.dtype !== 'int32') throw new Error(`oneHot gave ${hot.dtype}, expected int32`);
    await ref(hot, 'oneHot([0, 2, 1, 2])');
    await ref(oneHot(ints(device, [[1], [0]]), 4), 'oneHot([[1], [0]], 4)');
    const empty = oneHot(zeros([0], { device, dtype: 'int32' }), 3);
    if (empty.shape.join() !== '0,3')
      throw new Error(`oneHot of an empty tensor has shape [${empty.shape.join(', ')}]`);
    assertThrows(
      () => oneHot(tensor([0.5], { device }), 2),
      'expected an int32 index tensor, got float32',
    );
    if (device.readSync) {
      await ref(oneHot(ints(device, [0, 2, 1, 2])), 'oneHot([0, 2, 1, 2])');
      assertThrows(
        () => oneHot(zeros([0], { device, dtype: 'int32' })),
        'Can not infer total number of classes from empty tensor',
      );
      assertThrows(() => oneHot(ints(device, [1, -1]), 3), 'Class values must be non-negative');
      assertThrows(
        () => oneHot(ints(device, [3, 0]), 3),
        'Class values must be smaller than num_classes',
      );
    }
  },

  // ---- pad ----
  'pad constant, with value, and negative crop': async (device) => {
    await ref(pad(seq(device, [2, 3]), [1, 2]), 'pad constant (1, 2)');
    await ref(
      pad(seq(device, [2, 3]), [1, 1, 2, 0], 'constant', 0.5),
      'pad constant (1, 1, 2, 0) value 0.5',
    );
    await ref(pad(seq(device, [2, 3]), [-1, 2]), 'pad constant crops (-1, 2)');
    await ref(pad(seq(device, [2, 4]), [-1, -1, 1, 0]), 'pad constant crops (-1, -1, 1, 0)');
    await ref(
      pad(seq(device, [1, 2, 2]), [0, 0, 0, 0, 1, 1], 'constant', 9),
      'pad constant (0, 0, 0, 0, 1, 1) of 3-d',
    );
    const ints32 = pad(tensor([1, 2], { device, dtype: 'int32' }), [1, 0], 'constant', 7);
    if (ints32.dtype !== 'int32') throw new Error(`pad changed int32 to ${ints32.dtype}`);
    await assertClose(ints32, [7, 1, 2]);
    const none = pad(seq(device, [2, 3]), [-1, -2]);
    if (none.shape.join() !== '2,0')
      throw new Error(`cropping all of a dim gave shape [${none.shape.join(', ')}]`);
    assertThrows(() => pad(seq(device, [2, 3]), [-2, -2]), 'resulted in a negative output size');
    assertThrows(() => pad(seq(device, [2, 3]), [1]), 'padding length must be divisible by 2');
    assertThrows(
      () => pad(seq(device, [3]), [1, 1, 1, 1]),
      'padding length 4 is too large for a 1-d input',
    );
  },
  'pad reflect, replicate and circular': async (device) => {
    await ref(pad(seq(device, [1, 2, 5]), [2, 1], 'reflect'), 'pad reflect (2, 1)');
    await ref(pad(seq(device, [1, 1, 3, 4]), [1, 2, 2, 1], 'reflect'), 'pad reflect (1, 2, 2, 1)');
    await ref(pad(seq(device, [1, 1, 4]), [-1, 2], 'reflect'), 'pad reflect (-1, 2)');
    await ref(
      pad(seq(device, [1, 4, 3]).transpose(1, 2), [1, 1], 'reflect'),
      'pad reflect of a transposed tensor',
    );
    await ref(pad(seq(device, [1, 2, 4]), [3, 1], 'replicate'), 'pad replicate (3, 1)');
    await ref(
      pad(seq(device, [1, 1, 2, 3]), [2, 1, 1, 2], 'replicate'),
      'pad replicate (2, 1, 1, 2)',
    );
    await ref(pad(seq(device, [1, 1, 4]), [2, -1], 'replicate'), 'pad replicate (2, -1)');
    await ref(pad(seq(device, [1, 1, 5]), [2, 1], 'circular'), 'pad circular (2, 1)');
    await ref(
      pad(seq(device, [1, 1, 3, 4]), [1, 2, 2, 1], 'circular'),
      'pad circular (1, 2, 2, 1)',
    );
    await ref(pad(seq(device, [1, 1, 4]), [-1, 2], 'circular'), 'pad circular (-1, 2)');
    await ref(pad(seq(device, [1, 1, 4]), [2, -1], 'circular'), 'pad circular (2, -1)');
    assertThrows(
      () => pad(seq(device, [1, 3]), [3, 0], 'reflect'),
      'padding size should be less than the corresponding input dimension, but got: padding (3, 0) at dimension 1 of input [1, 3]',
    );
    assertThrows(
      () => pad(seq(device, [1, 1, 3]), [4, 0], 'circular'),
      'Padding value causes wrapping around more than once',
    );
  },
  'pad gradients': async (device) => {
    await checkGradients(device, (x) => pad(x, [1, 2, 0, 1], 'constant', 0.5), [spec([2, 3])]);
    await checkGradients(device, (x) => pad(x, [-1, 1]), [spec([2, 3])]);
    await checkGradients(device, (x) => pad(x, [2, 1, 1, 2], 'reflect'), [spec([1, 1, 3, 4])]);
    await checkGradients(device, (x) => pad(x, [2, 1], 'replicate'), [spec([1, 2, 3])]);
    await checkGradients(device, (x) => pad(x, [2, -1], 'circular'), [spec([1, 1, 4])]);
  },
});
