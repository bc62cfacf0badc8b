// Matrix products: one batched matmul kernel with broadcasting batch dims; mm, mv, dot,
// bmm, outer and einsum are shaped calls of it.

import { promoteTypes } from '../dtype.js';
import { checkAlive, commonDevice, emptyTensor, record, viewDescriptor } from '../internal.js';
import { broadcastShapes, broadcastStrides, formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { eye } from './creation.js';
import { sumToShape } from './reduce.js';

function dims(t: Tensor): string {
  return t.shape.join('x');
}

/** a [..., m, k] @ b [..., k, n] for ndim >= 2 each, batch dims broadcast. */
function batchedMatmul(a: Tensor, b: Tensor, op: string): Tensor {
  const device = commonDevice(op, [a, b]);
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const k2 = b.shape[b.ndim - 2]!;
  const n = b.shape[b.ndim - 1]!;
  if (k !== k2) {
    throw new Error(`${op}: mat1 and mat2 shapes cannot be multiplied (${dims(a)} and ${dims(b)})`);
  }
  if (a.dtype === 'bool' || b.dtype === 'bool')
    throw new TypeError(`${op}: not implemented for bool tensors`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
  const outShape = [...batch, m, n];
  const out = emptyTensor(outShape, promoteTypes(a.dtype, b.dtype), device);
  const aView = {
    ...viewDescriptor(a, op),
    shape: [...batch, m, k],
    strides: broadcastStrides(a.shape, a.stride(), [...batch, m, k]),
  };
  const bView = {
    ...viewDescriptor(b, op),
    shape: [...batch, k, n],
    strides: broadcastStrides(b.shape, b.stride(), [...batch, k, n]),
  };
  if (out.numel() > 0) {
    if (k === 0) out.zero_();
    else device.matmul(aView, bView, viewDescriptor(out, op));
  }
  return record(out, 'Matmul', [a, b], (g) => [
    a.requiresGrad ? sumToShape(batchedMatmul(g, b.transpose(-1, -2), op), a.shape) : null,
    b.requiresGrad ? sumToShape(batchedMatmul(a.transpose(-1, -2), g, op), b.shape) : null,
  ]);
}

/** torch.matmul: every combination of 1-d, 2-d and batched operands. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkAlive('matmul', [a, b]);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(
      `matmul: both arguments need at least 1 dimension, but got ${a.ndim}D and ${b.ndim}D tensors`,
    );
  }
  if (a.ndim === 1 && b.ndim === 1) return dot(a, b);
  if (a.ndim === 1) return batchedMatmul(a.unsqueeze(0), b, 'matmul').squeeze(-2);
  if (b.ndim === 1) return batchedMatmul(a, b.unsqueeze(-1), 'matmul').squeeze(-1);
  if (b.ndim === 2 && a.ndim > 2 && a.shape[a.ndim - 1] !== b.shape[0]) {
    // A batch times a matrix is one big matrix product (nn.Linear on [..., in]): report it so, like PyTorch.
    const rows = a.shape.slice(0, -1).reduce((n, d) => n * d, 1);
    throw new Error(
      `matmul: mat1 and mat2 shapes cannot be multiplied (${rows}x${a.shape[a.ndim - 1]} and ${dims(b)})`,
    );
  }
  return batchedMatmul(a, b, 'matmul');
}

/** {@inheritDoc Tensor.mm} */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) {
    throw new Error(
      `mm: expected 2-D tensors, got ${a.ndim}-D (${formatShape(a.shape)}) and ${b.ndim}-D (${formatShape(b.shape)})`,
    );
  }
  return batchedMatmul(a, b, 'mm');
}

/** {@inheritDoc Tensor.bmm} */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) {
    throw new Error(`bmm: expected 3-D tensors, got ${a.ndim}-D and ${b.ndim}-D`);
  }
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(
      `bmm: batch sizes differ: ${a.shape[0]} and ${b.shape[0]} (shapes ${formatShape(a.shape)} and ${formatShape(b.shape)})`,
    );
  }
  return batchedMatmul(a, b, 'bmm');
}

/** {@inheritDoc Tensor.mv} */
export function mv(matrix: Tensor, vector: Tensor): Tensor {
  if (matrix.ndim !== 2 || vector.ndim !== 1) {
    throw new Error(
      `mv: expected a 2-D matrix and a 1-D vector, got ${matrix.ndim}-D and ${vector.ndim}-D`,
    );
  }
  return batchedMatmul(matrix, vector.unsqueeze(1), 'mv').squeeze(1);
}

/** {@inheritDoc Tensor.dot} */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new Error(`dot: 1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  }
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(
      `dot: inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`,
    );
  }
  return batchedMatmul(a.unsqueeze(0), b.unsqueeze(1), 'dot').reshape([]);
}

/** {@inheritDoc Tensor.outer} */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1)
    throw new Error(`outer: expected 1-D tensors, got ${a.ndim}-D and ${b.ndim}-D`);
  return a.unsqueeze(1).mul(b.unsqueeze(0));
}

/** An operand of einsum with the subscript letter of each of its dims. */
interface Term {
  readonly t: Tensor;
  readonly letters: string;
}

/** An ellipsis in parsed subscripts (one character, where the equation has three). */
const ELLIPSIS = '.';

/**
 * The subscripts of each operand and of the output (undefined without '->'), with '...' as
 * ELLIPSIS, checked character by character as torch.einsum checks them.
 */
function parseEquation(equation: string): { inputs: string[]; output: string | undefined } {
  const inputs = [''];
  let output: string | undefined;
  for (let i = 0; i < equation.length; i++) {
    const c = equation[i]!;
    const side = output === undefined ? `operand ${inputs.length - 1}` : 'output';
    const subscripts = output ?? inputs[inputs.length - 1]!;
    let add = c;
    if (/\s/.test(c)) continue;
    if (c === ',' && output === undefined) {
      inputs.push('');
      continue;
    }
    if (c === '-' && equation[i + 1] === '>') {
      if (output !== undefined)
        throw new Error(`einsum(): more than one '->' in the equation '${equation}'`);
      output = '';
      i++;
      continue;
    }
    if (c === '.') {
      if (subscripts.includes(ELLIPSIS))
        throw new Error(
          `einsum(): found '.' for ${side} for which an ellipsis (...) was already found`,
        );
      if (equation.slice(i, i + 3) !== '...')
        throw new Error(`einsum(): found '.' for ${side} that is not part of any ellipsis (...)`);
      add = ELLIPSIS;
      i += 2;
    } else if (!/[a-zA-Z]/.test(c)) {
      throw new Error(
        `einsum(): invalid subscript given at index ${i} in the equation string, subscripts must be in [a-zA-Z]`,
      );
    }
    if (output === undefined) inputs[inputs.length - 1] += add;
    else output += add;
  }
  return { inputs, output };
}

/**
 * Einstein summation (torch.einsum): 'ij,jk->ik', 'bij,bjk->bik', 'i,i->', 'ii->i' (a
 * diagonal), '...ij,...jk->...ik' (an ellipsis stands for the dims no letter names, and those
 * broadcast across operands, aligned from the right), any number of operands, contracted left
 * to right. Without '->', the output is the ellipsis's dims, then the letters that appear
 * exactly once, in alphabetical order. Dims of size 1 broadcast.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const { inputs, output: explicit } = parseEquation(equation);
  if (inputs.length !== operands.length) {
    throw new Error(
      `einsum(): ${inputs.length} operands in the equation '${equation}' but ${operands.length} tensors given`,
    );
  }
  if (operands.length === 0) throw new Error('einsum(): must provide at least one operand');
  commonDevice('einsum', operands);
  // How many dims each operand's ellipsis covers.
  const covered = inputs.map((subscripts, i) => {
    const named = subscripts.replace(ELLIPSIS, '').length;
    const ndim = operands[i]!.ndim;
    if (!subscripts.includes(ELLIPSIS) && named !== ndim) {
      throw new Error(
        `einsum(): the number of subscripts in the equation (${named}) does not match the number of dimensions (${ndim}) for operand ${i} and no ellipsis was given`,
      );
    }
    if (named > ndim) {
      throw new Error(
        `einsum(): the number of subscripts in the equation (${named}) is more than the number of dimensions (${ndim}) for operand ${i}`,
      );
    }
    return ndim - named;
  });
  // The ellipsis's dims become letters of their own (characters no subscript can be), the
  // last ones for an operand whose ellipsis covers fewer dims, as broadcasting aligns them.
  const ellipsisDims = Math.max(0, ...covered);
  const ellipsisLetters = Array.from({ length: ellipsisDims }, (_, k) =>
    String.fromCharCode(0xe000 + k),
  ).join('');
  const ellipsisSizes = new Array<number>(ellipsisDims).fill(1);
  const letters = inputs.map((subscripts, i) => {
    const start = subscripts.indexOf(ELLIPSIS);
    for (let k = 0; k < covered[i]!; k++) {
      const size = operands[i]!.shape[start + k]!;
      const at = ellipsisDims - covered[i]! + k;
      const seen = ellipsisSizes[at]!;
      if (size !== seen && size !== 1 && seen !== 1) {
        throw new Error(
          `einsum(): dimension ${start + k} of operand ${i}, covered by the ellipsis, has size ${size}, which does not broadcast with the size ${seen} seen before for the same ellipsis dimension`,
        );
      }
      if (size !== 1) ellipsisSizes[at] = size;
    }
    return subscripts.replace(ELLIPSIS, ellipsisLetters.slice(ellipsisDims - covered[i]!));
  });
  const sizes = new Map<string, number>();
  for (const [i, subscripts] of letters.entries()) {
    const t = operands[i]!;
    const own = new Map<string, number>();
    for (const [d, c] of [...subscripts].entries()) {
      const size = t.shape[d]!;
      const repeated = own.get(c);
      if (repeated !== undefined && repeated !== size) {
        throw new Error(
          `einsum(): subscript '${c}' is repeated for operand ${i} but the sizes don't match, ${repeated} != ${size}`,
        );
      }
      own.set(c, size);
      const known = sizes.get(c);
      if (known !== undefined && known !== size && known !== 1 && size !== 1) {
        throw new Error(
          `einsum(): operands do not broadcast: subscript '${c}' has size ${known} and ${size}`,
        );
      }
      sizes.set(c, known === undefined || known === 1 ? size : known);
    }
  }
  const named = inputs.join('').replaceAll(ELLIPSIS, '');
  const output =
    explicit?.replace(ELLIPSIS, ellipsisLetters) ??
    ellipsisLetters +
      [...new Set(named)]
        .filter((c) => named.split(c).length === 2)
        .sort()
        .join('');
  for (const [i, c] of [...output].entries()) {
    if (!sizes.has(c))
      throw new Error(`einsum(): output subscript '${c}' does not appear in the inputs`);
    if (output.indexOf(c) !== i)
      throw new Error(`einsum(): output subscript '${c}' appears more than once in the output`);
  }
  const terms = operands.map((t, i) => diagonals({ t, letters: letters[i]! }));
  let result = terms[0]!;
  for (let i = 1; i < terms.length; i++) {
    const later =
      terms
        .slice(i + 1)
        .map((term) => term.letters)
        .join('') + output;
    result = contract(result, terms[i]!, later, sizes);
  }
  const summed = sumAway(result, output);
  return summed.t.permute([...output].map((c) => summed.letters.indexOf(c)));
}

/** Keeps one dim per letter: a letter repeated within an operand takes the diagonal. */
function diagonals(term: Term): Term {
  let { t, letters } = term;
  for (let d2 = letters.length - 1; d2 > 0; d2--) {
    const d1 = letters.indexOf(letters[d2]!);
    if (d1 === d2) continue;
    // x * I (over dims d1 and d2), summed over d2, is the diagonal: differentiable as it is.
    const n = t.shape[d1]!;
    const mask = eye(n, n, { dtype: t.dtype, device: t.device }).reshape(
      t.shape.map((size, d) => (d === d1 || d === d2 ? size : 1)),
    );
    t = t.mul(mask).sum(d2);
    letters = letters.slice(0, d2) + letters.slice(d2 + 1);
  }
  return { t, letters };
}

/** Sums the dims whose letters are not in `keep`. */
function sumAway(term: Term, keep: string): Term {
  const drop = [...term.letters].flatMap((c, d) => (keep.includes(c) ? [] : [d]));
  if (drop.length === 0) return term;
  return {
    t: term.t.sum(drop),
    letters: [...term.letters].filter((c) => keep.includes(c)).join(''),
  };
}

/**
 * The product of two terms as one batched matmul: letters in both and still needed later
 * are batch dims, letters in both and no longer needed are contracted, the rest are free.
 */
function contract(
  leftTerm: Term,
  rightTerm: Term,
  later: string,
  sizes: Map<string, number>,
): Term {
  const left = sumAway(leftTerm, rightTerm.letters + later);
  const right = sumAway(rightTerm, left.letters + later);
  const batch = [...left.letters].filter((c) => right.letters.includes(c) && later.includes(c));
  const contracted = [...left.letters].filter(
    (c) => right.letters.includes(c) && !later.includes(c),
  );
  const leftFree = [...left.letters].filter((c) => !right.letters.includes(c));
  const rightFree = [...right.letters].filter((c) => !left.letters.includes(c));
  const size = (cs: string[]) => cs.reduce((n, c) => n * sizes.get(c)!, 1);
  const arrange = (side: Term, order: string[], shape: number[]) =>
    side.t
      .permute(order.map((c) => side.letters.indexOf(c)))
      .expand(order.map((c) => sizes.get(c)!))
      .reshape(shape);
  const a = arrange(
    left,
    [...batch, ...leftFree, ...contracted],
    [size(batch), size(leftFree), size(contracted)],
  );
  const b = arrange(
    right,
    [...batch, ...contracted, ...rightFree],
    [size(batch), size(contracted), size(rightFree)],
  );
  const order = [...batch, ...leftFree, ...rightFree];
  const product = batchedMatmul(a, b, 'einsum').reshape(order.map((c) => sizes.get(c)!));
  return { t: product, letters: order.join('') };
}
