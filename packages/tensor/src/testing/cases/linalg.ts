// Conformance cases: matrix products (matmul for every rank combination, mm, mv, dot, bmm,
// outer, einsum): values against PyTorch (reference/linalg.ts), gradients, and errors.

import type { Backend } from '../../backend.js';
import {
  bmm,
  dot,
  einsum,
  matmul,
  mm,
  mv,
  outer,
  type Tensor,
  tensor,
  zeros,
} from '../../index.js';
import { assertClose, assertThrows } from '../assert.js';
import { checkGradients, defineCases } from '../conformance.js';
import {
  expectReference as expectClose,
  expectShape,
  fixed,
  type Reference,
  spec,
} from './fixed-inputs.js';
import * as ref from './reference/linalg.js';

/** Against PyTorch to float32 accuracy: products of a few terms lose little. */
function expectReference(actual: Tensor, expected: Reference, what: string): Promise<void> {
  return expectClose(actual, expected, what, { rtol: 1e-5, atol: 1e-5 });
}

/** matmul of fixed inputs of the given shapes (salts 1 and 2) against PyTorch, and its gradients. */
async function checkMatmul(
  device: Backend,
  aShape: number[],
  bShape: number[],
  expected: Reference,
): Promise<void> {
  await expectReference(
    matmul(fixed(aShape, 1, device), fixed(bShape, 2, device)),
    expected,
    'matmul',
  );
  await expectReference(
    fixed(aShape, 1, device).matmul(fixed(bShape, 2, device)),
    expected,
    'Tensor.matmul',
  );
  await checkGradients(device, (a, b) => matmul(a!, b!), [spec(aShape, 1), spec(bShape, 2)]);
}

export const linalgCases = defineCases('linalg', {
  'matmul 1-d · 1-d is a 0-d dot product': (device) =>
    checkMatmul(device, [4], [4], ref.matmulVectorVector),
  'matmul 1-d · 2-d': (device) => checkMatmul(device, [3], [3, 4], ref.matmulVectorMatrix),
  'matmul 2-d · 1-d': (device) => checkMatmul(device, [3, 4], [4], ref.matmulMatrixVector),
  'matmul 2-d · 2-d': (device) => checkMatmul(device, [3, 4], [4, 2], ref.matmulMatrixMatrix),
  'matmul 1-d · 3-d prepends and removes a dim': (device) =>
    checkMatmul(device, [4], [2, 4, 3], ref.matmulVectorBatch),
  'matmul 3-d · 1-d': (device) => checkMatmul(device, [2, 3, 4], [4], ref.matmulBatchVector),
  'matmul batched 3-d · 2-d': (device) =>
    checkMatmul(device, [2, 3, 4], [4, 5], ref.matmulBatchMatrix),
  'matmul 2-d · batched 3-d': (device) =>
    checkMatmul(device, [3, 4], [2, 4, 5], ref.matmulMatrixBatch),
  'matmul broadcasts batch dims [2, 1, 3, 4] · [5, 4, 2]': (device) =>
    checkMatmul(device, [2, 1, 3, 4], [5, 4, 2], ref.matmulBroadcastBatch),

  'matmul reads non-contiguous operands (transposed, strided slice)': async (device) => {
    const a = fixed([4, 3], 1, device).t();
    const b = fixed([2, 4, 10], 2, device).index('..., 1::2');
    if (a.isContiguous() || b.isContiguous())
      throw new Error('the operands should be non-contiguous views');
    await expectReference(matmul(a, b), ref.matmulNonContiguous, 'matmul of views');
    await checkGradients(device, (x, y) => matmul(x!.t(), y!.index('..., 1::2')), [
      spec([4, 3], 1),
      spec([2, 4, 10], 2),
    ]);
  },

  'matmul reads expanded (stride 0) operands': async (device) => {
    const a = fixed([1, 3, 1], 3, device).expand([2, 3, 4]);
    await expectReference(
      matmul(a, fixed([4, 2], 4, device)),
      ref.matmulExpanded,
      'matmul of an expanded tensor',
    );
    await checkGradients(device, (x, y) => matmul(x!.expand([2, 3, 4]), y!), [
      spec([1, 3, 1], 3),
      spec([4, 2], 4),
    ]);
  },

  'matmul writes into non-contiguous results correctly when transposed after': async (device) => {
    const a = fixed([3, 4], 1, device);
    const b = fixed([4, 2], 2, device);
    await expectReference(matmul(b.t(), a.t()).t(), ref.matmulMatrixMatrix, '(bᵀ aᵀ)ᵀ');
  },

  'matmul with an empty inner dim gives zeros': async (device) => {
    const out = matmul(zeros([2, 0], { device }), zeros([0, 3], { device }));
    await assertClose(out, [
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const empty = matmul(zeros([0, 4], { device }), zeros([4, 3], { device }));
    expectShape(empty, [0, 3], 'matmul of [0, 4] and [4, 3]');
  },

  'matmul of small integers by hand, float64 and int32': async (device) => {
    const a = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const b = [
      [7, 8],
      [9, 10],
      [11, 12],
    ];
    const expected = [
      [58, 64],
      [139, 154],
    ];
    const ints = matmul(
      tensor(a, { dtype: 'int32', device }),
      tensor(b, { dtype: 'int32', device }),
    );
    if (ints.dtype !== 'int32') throw new Error(`int32 @ int32 should be int32, got ${ints.dtype}`);
    await assertClose(ints, expected, { atol: 0, rtol: 0 });
    if (device.type === 'cpu') {
      const doubles = matmul(
        tensor(a, { dtype: 'float64', device }),
        tensor(b, { dtype: 'float64', device }),
      );
      if (doubles.dtype !== 'float64')
        throw new Error(`float64 @ float64 should be float64, got ${doubles.dtype}`);
      await assertClose(doubles, expected, { atol: 0, rtol: 0 });
    }
  },

  'mm, mv, dot, bmm and outer match PyTorch': async (device) => {
    await expectReference(mm(fixed([2, 5], 1, device), fixed([5, 3], 2, device)), ref.mm, 'mm');
    await expectReference(mv(fixed([3, 5], 1, device), fixed([5], 2, device)), ref.mv, 'mv');
    await expectReference(dot(fixed([6], 1, device), fixed([6], 2, device)), ref.dot, 'dot');
    await expectReference(
      bmm(fixed([3, 2, 4], 1, device), fixed([3, 4, 2], 2, device)),
      ref.bmm,
      'bmm',
    );
    await expectReference(outer(fixed([3], 1, device), fixed([4], 2, device)), ref.outer, 'outer');
    const x = fixed([2, 5], 1, device);
    await expectReference(x.mm(fixed([5, 3], 2, device)), ref.mm, 'Tensor.mm');
    await expectReference(fixed([3, 5], 1, device).mv(fixed([5], 2, device)), ref.mv, 'Tensor.mv');
    await expectReference(fixed([6], 1, device).dot(fixed([6], 2, device)), ref.dot, 'Tensor.dot');
    await expectReference(
      fixed([3, 2, 4], 1, device).bmm(fixed([3, 4, 2], 2, device)),
      ref.bmm,
      'Tensor.bmm',
    );
    await expectReference(
      fixed([3], 1, device).outer(fixed([4], 2, device)),
      ref.outer,
      'Tensor.outer',
    );
  },

  'mm, mv, dot, bmm and outer gradients': async (device) => {
    await checkGradients(device, (a, b) => mm(a!, b!), [spec([2, 5], 1), spec([5, 3], 2)]);
    await checkGradients(device, (a, b) => mv(a!, b!), [spec([3, 5], 1), spec([5], 2)]);
    await checkGradients(device, (a, b) => dot(a!, b!), [spec([6], 1), spec([6], 2)]);
    await checkGradients(device, (a, b) => bmm(a!, b!), [spec([3, 2, 4], 1), spec([3, 4, 2], 2)]);
    await checkGradients(device, (a, b) => outer(a!, b!), [spec([3], 1), spec([4], 2)]);
  },

  'einsum matrix product, batched product and contraction in the middle': async (device) => {
    await expectReference(
      einsum('ij,jk->ik', fixed([3, 4], 1, device), fixed([4, 2], 2, device)),
      ref.matmulMatrixMatrix,
      'ij,jk->ik',
    );
    await expectReference(
      einsum('bij,bjk->bik', fixed([2, 3, 4], 1, device), fixed([2, 4, 2], 2, device)),
      ref.einsumBatched,
      'bij,bjk->bik',
    );
    await expectReference(
      einsum('ik,jkl->ijl', fixed([2, 3], 1, device), fixed([4, 3, 5], 2, device)),
      ref.einsumContractMiddle,
      'ik,jkl->ijl',
    );
    await expectReference(
      einsum('ij,jk->ki', fixed([2, 3], 1, device), fixed([3, 4], 2, device)),
      ref.einsumTransposedOutput,
      'ij,jk->ki',
    );
    await expectReference(
      einsum('ij,kj->i', fixed([2, 3], 1, device), fixed([4, 3], 2, device)),
      ref.einsumSumOut,
      'ij,kj->i',
    );
    await expectReference(
      einsum(' i j , j k -> i k ', fixed([3, 4], 1, device), fixed([4, 2], 2, device)),
      ref.matmulMatrixMatrix,
      'spaces',
    );
  },

  'einsum inner product, transpose, column sums, outer product': async (device) => {
    await expectReference(
      einsum('i,i->', fixed([4], 1, device), fixed([4], 2, device)),
      ref.matmulVectorVector,
      'i,i->',
    );
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    await assertClose(einsum('ij->ji', x), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    await assertClose(einsum('ij->j', x), [5, 7, 9]);
    await assertClose(einsum('ij->', x), 21);
    await assertClose(einsum('ij->ij', x), x);
    await assertClose(
      einsum('i,j->ij', tensor([1, 2], { device }), tensor([3, 4, 5], { device })),
      [
        [3, 4, 5],
        [6, 8, 10],
      ],
    );
  },

  'einsum without -> outputs the letters seen once, in alphabetical order': async (device) => {
    // 'ij,jk' is 'ij,jk->ik'; 'ji' alone is a transpose ('ji->ij'); 'i,i' is a dot product.
    await expectReference(
      einsum('ij,jk', fixed([3, 4], 1, device), fixed([4, 2], 2, device)),
      ref.matmulMatrixMatrix,
      'ij,jk',
    );
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    await assertClose(einsum('ji', x), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    await assertClose(einsum('ij', x), x);
    await expectReference(
      einsum('i,i', fixed([4], 1, device), fixed([4], 2, device)),
      ref.matmulVectorVector,
      'i,i',
    );
    // Implicit mode sums every repeated letter, the batch letter too: 'bij,bjk' is 'bij,bjk->ik'.
    await expectReference(
      einsum('bij,bjk', fixed([2, 3, 4], 1, device), fixed([2, 4, 2], 2, device)),
      ref.einsumImplicitSum,
      'bij,bjk',
    );
  },

  'einsum of three operands, diagonals and traces': async (device) => {
    const bilinear = einsum(
      'bn,anm,bm->ba',
      fixed([2, 3], 1, device),
      fixed([4, 3, 5], 2, device),
      fixed([2, 5], 3, device),
    );
    await expectReference(bilinear, ref.einsumBilinear, 'bn,anm,bm->ba');
    await expectReference(einsum('ii->i', fixed([4, 4], 1, device)), ref.einsumDiagonal, 'ii->i');
    await expectReference(einsum('ii', fixed([4, 4], 1, device)), ref.einsumTrace, 'ii');
    await expectReference(
      einsum('bii->bi', fixed([2, 3, 3], 1, device)),
      ref.einsumBatchDiagonal,
      'bii->bi',
    );
  },

  'einsum with an ellipsis: batched, broadcast, covering no dims, implicit output, diagonals':
    async (device) => {
      const x = (shape: number[], salt: number) => fixed(shape, salt, device);
      const cases: [string, Tensor[], Reference][] = [
        ['...ij,...jk->...ik', [x([2, 3, 4], 1), x([2, 4, 2], 2)], ref.einsumBatched],
        ['...ij,...jk->...ik', [x([2, 1, 3, 4], 1), x([5, 4, 2], 2)], ref.einsumEllipsisBroadcast],
        ['...i,...i->...', [x([2, 1, 3], 1), x([4, 3], 2)], ref.einsumEllipsisSizeOne],
        ['...ij,jk->...ik', [x([3, 4], 1), x([4, 2], 2)], ref.einsumEllipsisNone],
        ['...ij,...jk', [x([2, 3, 4], 1), x([2, 4, 2], 2)], ref.einsumEllipsisImplicit],
        ['j...,i...', [x([2, 3], 1), x([4, 3], 2)], ref.einsumEllipsisImplicitAfter],
        ['i...j->ji...', [x([2, 3, 4, 5], 1)], ref.einsumEllipsisMiddle],
        ['...ij->ij', [x([2, 3, 4], 1)], ref.einsumEllipsisSummed],
        ['...ii->...i', [x([2, 3, 3], 1)], ref.einsumEllipsisDiagonal],
        ['...,...->...', [x([], 1), x([3], 2)], ref.einsumEllipsisZeroDim],
        [' ... ij , ... jk -> ... ik ', [x([2, 3, 4], 1), x([2, 4, 2], 2)], ref.einsumBatched],
      ];
      for (const [equation, operands, expected] of cases)
        await expectReference(einsum(equation, ...operands), expected, `einsum('${equation}')`);
      await assertClose(
        einsum('ij->...ij', x([2, 3], 1)),
        x([2, 3], 1),
        {},
        'an ellipsis only in the output covers no dims',
      );
    },

  'einsum with an ellipsis: gradients': async (device) => {
    await checkGradients(device, (a, b) => einsum('...ij,...jk->...ik', a!, b!), [
      spec([2, 1, 3, 4], 1),
      spec([5, 4, 2], 2),
    ]);
    await checkGradients(device, (a) => einsum('i...j->ji...', a!), [spec([2, 3, 2, 4], 1)]);
    await checkGradients(device, (a, b) => einsum('j...,i...', a!, b!), [
      spec([2, 3], 1),
      spec([4, 3], 2),
    ]);
    await checkGradients(device, (a) => einsum('...ii->...i', a!), [spec([2, 3, 3], 1)]);
  },

  'einsum refuses malformed subscripts, naming what is wrong as PyTorch does': (device) => {
    const z = (...shape: number[]) => zeros(shape, { device });
    const cases: [string, Tensor[], string][] = [
      ['.ij->ij', [z(2, 3)], "einsum(): found '.' for operand 0 that is not part of any ellipsis"],
      ['ij,..j->i', [z(2, 3), z(2, 3)], "found '.' for operand 1 that is not part of any ellipsis"],
      [
        '...i...->i',
        [z(2, 3)],
        "found '.' for operand 0 for which an ellipsis (...) was already found",
      ],
      ['...ij->.ij', [z(2, 3)], "found '.' for output that is not part of any ellipsis"],
      [
        '...i->...i...',
        [z(2, 3)],
        "found '.' for output for which an ellipsis (...) was already found",
      ],
      [
        'i1->i',
        [z(2, 3)],
        'invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]',
      ],
      ['ij-k', [z(2, 2)], 'invalid subscript given at index 2'],
      ['ij->i,j', [z(2, 2)], 'invalid subscript given at index 5'],
      [
        'ijk...->i',
        [z(2, 3)],
        'the number of subscripts in the equation (3) is more than the number of dimensions (2) for operand 0',
      ],
      [
        'ijk->i',
        [z(2, 3)],
        'the number of subscripts in the equation (3) does not match the number of dimensions (2) for operand 0 and no ellipsis was given',
      ],
      [
        '...ij,...jk->...ik',
        [z(2, 3, 4), z(3, 4, 5)],
        'dimension 0 of operand 1, covered by the ellipsis, has size 3, which does not broadcast with the size 2',
      ],
      ['ij->j->i', [z(2, 3)], "more than one '->'"],
    ];
    for (const [equation, operands, message] of cases)
      assertThrows(() => einsum(equation, ...operands), message, `einsum('${equation}')`);
  },

  'einsum gradients': async (device) => {
    await checkGradients(device, (a, b) => einsum('ij,jk->ik', a!, b!), [
      spec([3, 4], 1),
      spec([4, 2], 2),
    ]);
    await checkGradients(device, (a, b) => einsum('bij,bjk->bik', a!, b!), [
      spec([2, 3, 4], 1),
      spec([2, 4, 2], 2),
    ]);
    await checkGradients(device, (a, b) => einsum('i,i->', a!, b!), [spec([4], 1), spec([4], 2)]);
    await checkGradients(device, (a) => einsum('ij->ji', a!), [spec([2, 3], 1)]);
    await checkGradients(device, (a) => einsum('ij->j', a!), [spec([2, 3], 1)]);
    await checkGradients(device, (a, b) => einsum('ik,jkl->ijl', a!, b!), [
      spec([2, 3], 1),
      spec([4, 3, 5], 2),
    ]);
    await checkGradients(device, (a, b) => einsum('ij,kj->i', a!, b!), [
      spec([2, 3], 1),
      spec([4, 3], 2),
    ]);
    await checkGradients(device, (a, b, c) => einsum('bn,anm,bm->ba', a!, b!, c!), [
      spec([2, 3], 1),
      spec([4, 3, 5], 2),
      spec([2, 5], 3),
    ]);
    await checkGradients(device, (a) => einsum('bii->bi', a!), [spec([2, 3, 3], 1)]);
    await checkGradients(device, (a) => einsum('ii', a!), [spec([3, 3], 1)]);
  },

  'matmul errors name both shapes as PyTorch does': (device) => {
    // Expanded views: the error comes before any memory is touched.
    const big = zeros([1, 1], { device }).expand([64, 9216]);
    const wrong = zeros([1, 1], { device }).expand([9200, 128]);
    assertThrows(
      () => matmul(big, wrong),
      'mat1 and mat2 shapes cannot be multiplied (64x9216 and 9200x128)',
      'matmul',
    );
    assertThrows(
      () => mm(big, wrong),
      'mat1 and mat2 shapes cannot be multiplied (64x9216 and 9200x128)',
      'mm',
    );
    assertThrows(
      () => matmul(zeros([3], { device }), zeros([4, 2], { device })),
      'mat1 and mat2 shapes cannot be multiplied (1x3 and 4x2)',
      '1-d · 2-d',
    );
    // A batch times a matrix folds the batch into rows, like PyTorch (and nn.Linear) report it.
    assertThrows(
      () => matmul(zeros([2, 2, 3], { device }), zeros([4, 2], { device })),
      'mat1 and mat2 shapes cannot be multiplied (4x3 and 4x2)',
      '3-d · 2-d',
    );
    assertThrows(
      () => matmul(zeros([2, 2, 3], { device }), zeros([2, 4, 2], { device })),
      /2x2x3.*2x4x2/,
      '3-d · 3-d',
    );
    assertThrows(
      () => matmul(zeros([2, 3, 4], { device }), zeros([3, 4, 2], { device })),
      /size of tensor a \(2\) must match the size of tensor b \(3\)/,
      'batch dims',
    );
    assertThrows(
      () => matmul(tensor(1, { device }), zeros([4], { device })),
      'both arguments need at least 1 dimension',
      '0-d',
    );
  },

  'mm, mv, dot, bmm, outer and einsum errors': (device) => {
    const z = (...shape: number[]) => zeros(shape, { device });
    assertThrows(() => mm(z(3), z(3, 2)), /mm: expected 2-D tensors/, 'mm of a vector');
    assertThrows(
      () => mv(z(2, 3), z(4)),
      'mat1 and mat2 shapes cannot be multiplied (2x3 and 4x1)',
      'mv',
    );
    assertThrows(
      () => dot(z(3), z(4)),
      'inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively',
      'dot',
    );
    assertThrows(
      () => dot(z(2, 2), z(4)),
      '1D tensors expected, but got 2D and 1D tensors',
      'dot of a matrix',
    );
    assertThrows(() => bmm(z(2, 2, 3), z(3, 3, 2)), /batch sizes differ: 2 and 3/, 'bmm batch');
    assertThrows(() => bmm(z(2, 3), z(3, 2)), /bmm: expected 3-D tensors/, 'bmm of matrices');
    assertThrows(() => outer(z(2, 2), z(2)), /outer: expected 1-D tensors/, 'outer');
    assertThrows(
      () => einsum('ij,jk->ik', z(2, 3), z(4, 5)),
      /subscript 'j' has size 3 and 4/,
      'einsum sizes',
    );
    assertThrows(
      () => einsum('ij,jk->ik', z(2, 3)),
      /2 operands in the equation/,
      'einsum operand count',
    );
    assertThrows(
      () => einsum('ijk->i', z(2, 3)),
      /number of subscripts in the equation \(3\) does not match/,
      'einsum rank',
    );
    assertThrows(() => einsum('ij->ix', z(2, 3)), /output subscript 'x'/, 'einsum output');
    assertThrows(
      () => einsum('ij->ii', z(2, 2)),
      "output subscript 'i' appears more than once",
      'einsum output repeats',
    );
    assertThrows(
      () => einsum('ii->i', z(2, 3)),
      "subscript 'i' is repeated for operand 0 but the sizes don't match, 2 != 3",
      'einsum diagonal sizes',
    );
  },
});
