// Matrix products: one batched matmul kernel with broadcasting batch dims; mm, mv, dot,
// bmm, outer and einsum are shaped calls of it.

import { promoteTypes } from '../dtype.js';
import { commonDevice, emptyTensor, record, viewDescriptor } from '../internal.js';
import { broadcastShapes, broadcastStrides, formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
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
  if (a.dtype === 'bool' || b.dtype === 'bool') throw new TypeError(`${op}: not implemented for bool tensors`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
  const outShape = [...batch, m, n];
  const out = emptyTensor(outShape, promoteTypes(a.dtype, b.dtype), device);
  const aView = { ...viewDescriptor(a), shape: [...batch, m, k], strides: broadcastStrides(a.shape, a.stride(), [...batch, m, k]) };
  const bView = { ...viewDescriptor(b), shape: [...batch, k, n], strides: broadcastStrides(b.shape, b.stride(), [...batch, k, n]) };
  if (out.numel() > 0) {
    if (k === 0) out.zero_();
    else device.matmul(aView, bView, viewDescriptor(out));
  }
  return record(out, 'Matmul', [a, b], (g) => [
    a.requiresGrad ? sumToShape(batchedMatmul(g, b.transpose(-1, -2), op), a.shape) : null,
    b.requiresGrad ? sumToShape(batchedMatmul(a.transpose(-1, -2), g, op), b.shape) : null,
  ]);
}

/** torch.matmul: every combination of 1-d, 2-d and batched operands. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both arguments need at least 1 dimension, but got ${a.ndim}D and ${b.ndim}D tensors`);
  }
  if (a.ndim === 1 && b.ndim === 1) return dot(a, b);
  if (a.ndim === 1) return batchedMatmul(a.unsqueeze(0), b, 'matmul').squeeze(-2);
  if (b.ndim === 1) return batchedMatmul(a, b.unsqueeze(-1), 'matmul').squeeze(-1);
  return batchedMatmul(a, b, 'matmul');
}

export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) {
    throw new Error(`mm: expected 2-D tensors, got ${a.ndim}-D (${formatShape(a.shape)}) and ${b.ndim}-D (${formatShape(b.shape)})`);
  }
  return batchedMatmul(a, b, 'mm');
}

export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) {
    throw new Error(`bmm: expected 3-D tensors, got ${a.ndim}-D and ${b.ndim}-D`);
  }
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(`bmm: batch sizes differ: ${a.shape[0]} and ${b.shape[0]} (shapes ${formatShape(a.shape)} and ${formatShape(b.shape)})`);
  }
  return batchedMatmul(a, b, 'bmm');
}

export function mv(matrix: Tensor, vector: Tensor): Tensor {
  if (matrix.ndim !== 2 || vector.ndim !== 1) {
    throw new Error(`mv: expected a 2-D matrix and a 1-D vector, got ${matrix.ndim}-D and ${vector.ndim}-D`);
  }
  return batchedMatmul(matrix, vector.unsqueeze(1), 'mv').squeeze(1);
}

export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new Error(`dot: 1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  }
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(`dot: inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`);
  }
  return batchedMatmul(a.unsqueeze(0), b.unsqueeze(1), 'dot').reshape([]);
}

export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`outer: expected 1-D tensors, got ${a.ndim}-D and ${b.ndim}-D`);
  return a.unsqueeze(1).mul(b.unsqueeze(0));
}

/**
 * Einstein summation over one or two operands ('ij,jk->ik', 'bij,bjk->bik', 'ii' is not
 * supported: each letter appears at most once per operand). Without '->', the output is
 * the letters that appear once, in alphabetical order.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const spec = equation.replace(/\s+/g, '');
  const [lhs, explicit] = spec.split('->') as [string, string | undefined];
  const inputs = lhs.split(',');
  if (inputs.length !== operands.length) {
    throw new Error(`einsum(): ${inputs.length} operands in the equation '${equation}' but ${operands.length} tensors given`);
  }
  if (inputs.length < 1 || inputs.length > 2) throw new Error('einsum(): one or two operands are supported');
  const sizes = new Map<string, number>();
  for (const [i, letters] of inputs.entries()) {
    const t = operands[i]!;
    if (!/^[a-zA-Z]*$/.test(letters)) throw new Error(`einsum(): invalid subscripts '${letters}' (letters only; no ellipsis)`);
    if (letters.length !== t.ndim) {
      throw new Error(`einsum(): the number of subscripts in '${letters}' does not match the number of dimensions (${t.ndim}) of operand ${i}`);
    }
    if (new Set(letters).size !== letters.length) throw new Error(`einsum(): repeated subscript in '${letters}' (diagonals are not supported)`);
    for (const [d, c] of [...letters].entries()) {
      const size = t.shape[d]!;
      const known = sizes.get(c);
      if (known !== undefined && known !== size && known !== 1 && size !== 1) {
        throw new Error(`einsum(): operands do not broadcast: subscript '${c}' has size ${known} and ${size}`);
      }
      sizes.set(c, Math.max(known ?? 1, size));
    }
  }
  const all = inputs.join('');
  const output = explicit ?? [...new Set(all)].filter((c) => all.split(c).length === 2).sort().join('');
  for (const c of output) if (!sizes.has(c)) throw new Error(`einsum(): output subscript '${c}' does not appear in the inputs`);
  // Sum away letters that appear only in one operand and not in the output.
  const reduced = operands.map((t, i) => {
    const letters = inputs[i]!;
    const others = inputs.filter((_, j) => j !== i).join('') + output;
    const drop = [...letters].map((c, d) => (others.includes(c) ? -1 : d)).filter((d) => d >= 0);
    return { t: drop.length > 0 ? t.sum(drop) : t, letters: [...letters].filter((c) => others.includes(c)).join('') };
  });
  if (reduced.length === 1) {
    const { t, letters } = reduced[0]!;
    return t.permute([...output].map((c) => letters.indexOf(c)));
  }
  const [left, right] = reduced as [{ t: Tensor; letters: string }, { t: Tensor; letters: string }];
  const batch = [...output].filter((c) => left.letters.includes(c) && right.letters.includes(c));
  const leftFree = [...left.letters].filter((c) => output.includes(c) && !right.letters.includes(c));
  const rightFree = [...right.letters].filter((c) => output.includes(c) && !left.letters.includes(c));
  const contracted = [...left.letters].filter((c) => right.letters.includes(c) && !output.includes(c));
  const size = (cs: string[]) => cs.reduce((n, c) => n * sizes.get(c)!, 1);
  const arrange = (side: { t: Tensor; letters: string }, order: string[]) => {
    const permuted = side.t.permute(order.map((c) => side.letters.indexOf(c)));
    return permuted.expand(order.map((c) => sizes.get(c)!));
  };
  const a = arrange(left, [...batch, ...leftFree, ...contracted]).reshape([size(batch), size(leftFree), size(contracted)]);
  const b = arrange(right, [...batch, ...contracted, ...rightFree]).reshape([size(batch), size(contracted), size(rightFree)]);
  const product = batchedMatmul(a, b, 'einsum').reshape([...batch, ...leftFree, ...rightFree].map((c) => sizes.get(c)!));
  const order = [...batch, ...leftFree, ...rightFree];
  return product.permute([...output].map((c) => order.indexOf(c)));
}
