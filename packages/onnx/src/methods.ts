// Tensor methods exported as ONNX nodes, by method name: arithmetic, activations,
// reductions, reshaping and matrix products. A method missing here makes any value it
// produces from the traced input unexportable, and the error names it.

import { type DType, Tensor } from '@dl/tensor';
import { attr } from './graph.js';
import { reshapeTo } from './modules.js';
import type { MethodExporter, TraceContext } from './trace.js';

/** A Tensor or scalar operand as a value of the result's dtype. */
function operand(ctx: TraceContext, value: unknown, dtype: DType, op: string): string {
  if (value instanceof Tensor) return ctx.input(value, dtype);
  if (typeof value === 'number' || typeof value === 'boolean')
    return ctx.scalar(Number(value), dtype);
  throw ctx.unsupported(op, `an operand of type ${typeof value} has no ONNX form`);
}

function optionsOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? { ...value } : {};
}

function normalizeAxis(dim: number, ndim: number): number {
  return dim < 0 ? dim + ndim : dim;
}

/** Elementwise op of two operands; `alpha` (add, sub) scales the second. */
function binary(opType: string): MethodExporter {
  return (ctx, self, args, result) => {
    const a = operand(ctx, self, result.dtype, opType);
    let b = operand(ctx, args[0], result.dtype, opType);
    const options = optionsOf(args[1]);
    if (options['roundingMode'] !== undefined)
      throw ctx.unsupported(`${opType} with roundingMode`, 'ONNX Div does not round');
    const alpha = options['alpha'];
    if (typeof alpha === 'number' && alpha !== 1)
      b = ctx.node('Mul', [b, ctx.scalar(alpha, result.dtype)])[0]!;
    ctx.set(result, ctx.node(opType, [a, b])[0]!);
  };
}

function unary(
  opType: string,
  attributes: (args: readonly unknown[]) => ReturnType<typeof attr.int>[] = () => [],
): MethodExporter {
  return (ctx, self, args, result) => {
    ctx.set(result, ctx.node(opType, [ctx.input(self)], attributes(args))[0]!);
  };
}

/** A chain of nodes on one input, built by `build` from the input's value name. */
function composed(
  build: (ctx: TraceContext, x: string, dtype: DType, args: readonly unknown[]) => string,
): MethodExporter {
  return (ctx, self, args, result) => {
    ctx.set(result, build(ctx, ctx.input(self), result.dtype, args));
  };
}

const alias: MethodExporter = (ctx, self, _args, result) => {
  ctx.set(result, ctx.input(self));
};

const cast: MethodExporter = (ctx, self, _args, result) => {
  ctx.set(result, ctx.input(self, result.dtype));
};

/** clamp: Clip with number bounds; with a tensor bound, Max and Min (Clip takes scalars only). */
function clip(ctx: TraceContext, self: Tensor, min: unknown, max: unknown, result: Tensor): void {
  if (min instanceof Tensor || max instanceof Tensor) {
    let y = ctx.input(self, result.dtype);
    if (min !== null && min !== undefined)
      y = ctx.node('Max', [y, operand(ctx, min, result.dtype, 'clamp')])[0]!;
    if (max !== null && max !== undefined)
      y = ctx.node('Min', [y, operand(ctx, max, result.dtype, 'clamp')])[0]!;
    ctx.set(result, y);
    return;
  }
  const bound = (v: unknown) => (typeof v === 'number' ? ctx.scalar(v, result.dtype) : '');
  const inputs = [ctx.input(self), bound(min), bound(max)];
  while (inputs.at(-1) === '') inputs.pop();
  ctx.set(result, ctx.node('Clip', inputs)[0]!);
}

/** The axes a reduction's `dim` names, all of them when undefined. */
function reductionAxes(dim: unknown, ndim: number): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: ndim }, (_, i) => i);
  const dims = typeof dim === 'number' ? [dim] : Array.isArray(dim) ? dim : [];
  return dims.map((d: number) => normalizeAxis(d, ndim));
}

/** ReduceSum takes its axes as an input from opset 13, the others from opset 18. */
function reduce(opType: string): MethodExporter {
  return (ctx, self, args, result) => {
    const axes = reductionAxes(args[0], self.ndim);
    const keepdims = attr.int('keepdims', args[1] === true ? 1 : 0);
    const axesAsInput = opType === 'ReduceSum' || ctx.opset >= 18;
    const [y] = axesAsInput
      ? ctx.node(opType, [ctx.input(self), ctx.graph.int64s(axes, 'Axes')], [keepdims])
      : ctx.node(opType, [ctx.input(self)], [attr.ints('axes', axes), keepdims]);
    ctx.set(result, y!);
  };
}

const reshape: MethodExporter = (ctx, self, _args, result) => {
  ctx.set(result, reshapeTo(ctx, self, result.shape));
};

const flatten: MethodExporter = (ctx, self, args, result) => {
  const start = normalizeAxis(typeof args[0] === 'number' ? args[0] : 0, self.ndim);
  const end = normalizeAxis(typeof args[1] === 'number' ? args[1] : -1, self.ndim);
  if (start === 1 && end === self.ndim - 1)
    ctx.set(result, ctx.node('Flatten', [ctx.input(self)], [attr.int('axis', 1)])[0]!);
  else ctx.set(result, reshapeTo(ctx, self, result.shape));
};

function transposeTo(
  ctx: TraceContext,
  self: Tensor,
  perm: readonly number[],
  result: Tensor,
): void {
  ctx.set(result, ctx.node('Transpose', [ctx.input(self)], [attr.ints('perm', perm)])[0]!);
}

const permute: MethodExporter = (ctx, self, args, result) => {
  const dims = (Array.isArray(args[0]) ? args[0] : args).map((d) =>
    normalizeAxis(Number(d), self.ndim),
  );
  transposeTo(ctx, self, dims, result);
};

const transpose: MethodExporter = (ctx, self, args, result) => {
  const perm = Array.from({ length: self.ndim }, (_, i) => i);
  const a = normalizeAxis(Number(args[0]), self.ndim);
  const b = normalizeAxis(Number(args[1]), self.ndim);
  [perm[a], perm[b]] = [perm[b]!, perm[a]!];
  transposeTo(ctx, self, perm, result);
};

const t: MethodExporter = (ctx, self, args, result) => {
  if (self.ndim < 2) alias(ctx, self, args, result);
  else transposeTo(ctx, self, [1, 0], result);
};

const unsqueeze: MethodExporter = (ctx, self, args, result) => {
  const axis = normalizeAxis(Number(args[0]), self.ndim + 1);
  const axes = ctx.graph.int64s([axis], 'Axes');
  ctx.set(result, ctx.node('Unsqueeze', [ctx.input(self), axes])[0]!);
};

const squeeze: MethodExporter = (ctx, self, _args, result) => {
  // The axes removed, read off the shapes (size-1 dims that are gone).
  const axes: number[] = [];
  for (let i = 0, j = 0; i < self.ndim; i++) {
    if (
      j < result.ndim &&
      self.shape[i] === result.shape[j] &&
      (self.shape[i] !== 1 || result.ndim - j >= self.ndim - i)
    )
      j++;
    else axes.push(i);
  }
  ctx.set(result, ctx.node('Squeeze', [ctx.input(self), ctx.graph.int64s(axes, 'Axes')])[0]!);
};

function softmax(opType: 'Softmax' | 'LogSoftmax'): MethodExporter {
  return (ctx, self, args, result) => {
    const axis = normalizeAxis(Number(args[0]), self.ndim);
    ctx.set(result, ctx.node(opType, [ctx.input(self)], [attr.int('axis', axis)])[0]!);
  };
}

const matmul: MethodExporter = (ctx, self, args, result) => {
  if (!(args[0] instanceof Tensor))
    throw ctx.unsupported('matmul', 'the other operand is not a Tensor');
  ctx.set(result, ctx.node('MatMul', [ctx.input(self), ctx.input(args[0])])[0]!);
};

/** GELU: the ONNX op from opset 20, erf or tanh formula below it. */
const gelu = composed((ctx, x, dtype, args) => {
  const approximate = optionsOf(args[0])['approximate'] === 'tanh' ? 'tanh' : 'none';
  if (ctx.opset >= 20) return ctx.node('Gelu', [x], [attr.string('approximate', approximate)])[0]!;
  const half = ctx.scalar(0.5, dtype);
  const one = ctx.scalar(1, dtype);
  let inner: string;
  if (approximate === 'none') {
    const [scaled] = ctx.node('Mul', [x, ctx.scalar(Math.SQRT1_2, dtype)]);
    inner = ctx.node('Erf', [scaled!])[0]!;
  } else {
    const [cube] = ctx.node('Pow', [x, ctx.scalar(3, dtype)]);
    const [cubic] = ctx.node('Mul', [cube!, ctx.scalar(0.044715, dtype)]);
    const [sum] = ctx.node('Add', [x, cubic!]);
    const [scaled] = ctx.node('Mul', [sum!, ctx.scalar(Math.sqrt(2 / Math.PI), dtype)]);
    inner = ctx.node('Tanh', [scaled!])[0]!;
  }
  // x (1 + inner) / 2, in the order PyTorch exports it (ONNX Runtime's Gelu fusions expect it).
  const [onePlus] = ctx.node('Add', [inner, one]);
  const [product] = ctx.node('Mul', [x, onePlus!]);
  return ctx.node('Mul', [product!, half])[0]!;
});

const silu = composed((ctx, x) => ctx.node('Mul', [x, ctx.node('Sigmoid', [x])[0]!])[0]!);

const mish = composed((ctx, x) => {
  const [softplus] = ctx.node('Softplus', [x]);
  return ctx.node('Mul', [x, ctx.node('Tanh', [softplus!])[0]!])[0]!;
});

/** softplus(x) = log(1 + exp(beta x)) / beta; above the threshold it equals x to float precision. */
const softplus = composed((ctx, x, dtype, args) => {
  const beta = optionsOf(args[0])['beta'];
  if (typeof beta !== 'number' || beta === 1) return ctx.node('Softplus', [x])[0]!;
  const [scaled] = ctx.node('Mul', [x, ctx.scalar(beta, dtype)]);
  const [y] = ctx.node('Softplus', [scaled!]);
  return ctx.node('Div', [y!, ctx.scalar(beta, dtype)])[0]!;
});

const rsqrt = composed((ctx, x) => ctx.node('Reciprocal', [ctx.node('Sqrt', [x])[0]!])[0]!);
const square = composed((ctx, x) => ctx.node('Mul', [x, x])[0]!);

const simpleUnary: Record<string, string> = {
  neg: 'Neg',
  abs: 'Abs',
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  sin: 'Sin',
  cos: 'Cos',
  tan: 'Tan',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  relu: 'Relu',
  erf: 'Erf',
  sign: 'Sign',
  floor: 'Floor',
  ceil: 'Ceil',
  round: 'Round',
  reciprocal: 'Reciprocal',
};

/** Exporters by Tensor method name; in-place forms (`relu_`) rebind the tensor to the new value. */
export const methodExporters: Readonly<Record<string, MethodExporter>> = {
  ...Object.fromEntries(Object.entries(simpleUnary).map(([name, op]) => [name, unary(op)])),
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  pow: binary('Pow'),
  maximum: binary('Max'),
  minimum: binary('Min'),
  add_: binary('Add'),
  sub_: binary('Sub'),
  mul_: binary('Mul'),
  div_: binary('Div'),
  neg_: unary('Neg'),
  relu_: unary('Relu'),
  sqrt_: unary('Sqrt'),
  rsqrt,
  square,
  gelu,
  silu,
  mish,
  softplus,
  leakyRelu: unary('LeakyRelu', (args) => [
    attr.float('alpha', typeof args[0] === 'number' ? args[0] : 0.01),
  ]),
  elu: unary('Elu', (args) => [attr.float('alpha', typeof args[0] === 'number' ? args[0] : 1)]),
  hardtanh: (ctx, self, args, result) =>
    clip(
      ctx,
      self,
      typeof args[0] === 'number' ? args[0] : -1,
      typeof args[1] === 'number' ? args[1] : 1,
      result,
    ),
  clamp: (ctx, self, args, result) => clip(ctx, self, args[0], args[1], result),
  clip: (ctx, self, args, result) => clip(ctx, self, args[0], args[1], result),
  clamp_: (ctx, self, args, result) => clip(ctx, self, args[0], args[1], result),
  sum: reduce('ReduceSum'),
  mean: reduce('ReduceMean'),
  amax: reduce('ReduceMax'),
  amin: reduce('ReduceMin'),
  reshape,
  view: reshape,
  flatten,
  unflatten: reshape,
  permute,
  transpose,
  t,
  unsqueeze,
  squeeze,
  matmul,
  mm: matmul,
  bmm: matmul,
  softmax: softmax('Softmax'),
  logSoftmax: softmax('LogSoftmax'),
  contiguous: alias,
  clone: alias,
  detach: alias,
  cpu: alias,
  to: cast,
  float: cast,
  double: cast,
  int: cast,
  bool: cast,
};
