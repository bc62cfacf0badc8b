// Layers exported whole, from their settings and parameters: convolution, linear, batch
// norm, pooling, dropout (the identity in eval mode), flatten and the softmax layers. Keyed by
// exact class, so a subclass with its own forward is traced through instead.

import * as nn from '@dl/nn';
import { Tensor } from '@dl/tensor';
import { attr } from './graph.js';
import { exportRecurrent } from './recurrent.js';
import type { ModuleExporter, TraceContext } from './trace.js';

type Pair = number | readonly [number, number];

function pair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

function axis(dim: number, ndim: number): number {
  return dim < 0 ? dim + ndim : dim;
}

/** ONNX's Conv and pooling ops take a batch dim; dl's layers also accept unbatched input. */
function batched(ctx: TraceContext, layer: string, x: Tensor, ndim: number): void {
  if (x.ndim !== ndim)
    throw ctx.unsupported(
      layer,
      `the ONNX form needs a batched ${ndim}-d input, got [${x.shape.join(', ')}]; add a batch dim (unsqueeze(0))`,
    );
}

function conv(ctx: TraceContext, module: nn.Conv1d | nn.Conv2d, x: Tensor, out: Tensor): void {
  if (module.paddingMode !== 'zeros')
    throw ctx.unsupported(
      module.constructor.name,
      `paddingMode '${module.paddingMode}' has no ONNX Conv form (only 'zeros')`,
    );
  const dims = module.kernelSize.length;
  batched(ctx, module.constructor.name, x, dims + 2);
  let pads: number[];
  if (module.padding === 'valid') pads = new Array<number>(2 * dims).fill(0);
  else if (module.padding === 'same') {
    // PyTorch puts the odd unit of 'same' padding at the end, as SAME_UPPER does.
    const total = module.kernelSize.map((k, i) => module.dilation[i]! * (k - 1));
    const begin = total.map((t) => Math.floor(t / 2));
    pads = [...begin, ...total.map((t, i) => t - begin[i]!)];
  } else pads = [...module.padding, ...module.padding];
  const inputs = [ctx.input(x), ctx.input(module.weight)];
  if (module.bias) inputs.push(ctx.input(module.bias));
  const [y] = ctx.node('Conv', inputs, [
    attr.ints('kernel_shape', module.kernelSize),
    attr.ints('strides', module.stride),
    attr.ints('pads', pads),
    attr.ints('dilations', module.dilation),
    attr.int('group', module.groups),
  ]);
  ctx.set(out, y!);
}

function linear(ctx: TraceContext, layer: nn.Linear, x: Tensor, out: Tensor): void {
  if (x.ndim === 2) {
    const inputs = [ctx.input(x), ctx.input(layer.weight)];
    if (layer.bias) inputs.push(ctx.input(layer.bias));
    ctx.set(out, ctx.node('Gemm', inputs, [attr.int('transB', 1)])[0]!);
    return;
  }
  // Gemm is 2-d only: other ranks multiply by Wᵀ and add the bias.
  const [weightT] = ctx.node('Transpose', [ctx.input(layer.weight)], [attr.ints('perm', [1, 0])]);
  let [y] = ctx.node('MatMul', [ctx.input(x), weightT!]);
  if (layer.bias) [y] = ctx.node('Add', [y!, ctx.input(layer.bias)]);
  ctx.set(out, y!);
}

function batchNorm(
  ctx: TraceContext,
  layer: nn.BatchNorm1d | nn.BatchNorm2d,
  x: Tensor,
  out: Tensor,
): void {
  const mean = layer.runningMean;
  const variance = layer.runningVar;
  if (!mean || !variance)
    throw ctx.unsupported(
      layer.constructor.name,
      'without running statistics (trackRunningStats: false) it normalizes by batch statistics even in eval mode',
    );
  const channels = layer.numFeatures;
  // Without affine parameters the scale is 1 and the shift 0.
  const scale = layer.weight
    ? ctx.input(layer.weight, x.dtype)
    : ctx.graph.tensorOf(new Array<number>(channels).fill(1), x.dtype, `${ctx.scope}.scale`);
  const shift = layer.bias
    ? ctx.input(layer.bias, x.dtype)
    : ctx.graph.tensorOf(new Array<number>(channels).fill(0), x.dtype, `${ctx.scope}.shift`);
  const [y] = ctx.node(
    'BatchNormalization',
    [ctx.input(x), scale, shift, ctx.input(mean, x.dtype), ctx.input(variance, x.dtype)],
    [attr.float('epsilon', layer.eps)],
  );
  ctx.set(out, y!);
}

function maxPool(ctx: TraceContext, layer: nn.MaxPool2d, x: Tensor, out: Tensor): void {
  batched(ctx, layer.constructor.name, x, 4);
  const padding = pair(layer.padding);
  const [y] = ctx.node(
    'MaxPool',
    [ctx.input(x)],
    [
      attr.ints('kernel_shape', pair(layer.kernelSize)),
      attr.ints('strides', pair(layer.stride)),
      attr.ints('pads', [...padding, ...padding]),
      attr.ints('dilations', pair(layer.dilation)),
      attr.int('ceil_mode', layer.ceilMode ? 1 : 0),
    ],
  );
  ctx.set(out, y!);
}

function avgPool(ctx: TraceContext, layer: nn.AvgPool2d, x: Tensor, out: Tensor): void {
  batched(ctx, layer.constructor.name, x, 4);
  if (layer.divisorOverride !== null)
    throw ctx.unsupported('AvgPool2d', 'divisorOverride has no ONNX AveragePool form');
  const padding = pair(layer.padding);
  const [y] = ctx.node(
    'AveragePool',
    [ctx.input(x)],
    [
      attr.ints('kernel_shape', pair(layer.kernelSize)),
      attr.ints('strides', pair(layer.stride)),
      attr.ints('pads', [...padding, ...padding]),
      attr.int('count_include_pad', layer.countIncludePad ? 1 : 0),
      attr.int('ceil_mode', layer.ceilMode ? 1 : 0),
    ],
  );
  ctx.set(out, y!);
}

/** Adaptive pooling: global pooling to 1x1, or fixed windows when the sizes divide evenly. */
function adaptive(kind: 'Average' | 'Max') {
  return (ctx: TraceContext, module: nn.Module, x: Tensor, out: Tensor): void => {
    batched(ctx, module.constructor.name, x, 4);
    const [h, w] = [x.shape[x.ndim - 2]!, x.shape[x.ndim - 1]!];
    const [oh, ow] = [out.shape[out.ndim - 2]!, out.shape[out.ndim - 1]!];
    const op = kind === 'Average' ? 'AveragePool' : 'MaxPool';
    if (oh === 1 && ow === 1) {
      ctx.set(out, ctx.node(`Global${op}`, [ctx.input(x)])[0]!);
      return;
    }
    if (h % oh !== 0 || w % ow !== 0)
      throw ctx.unsupported(
        module.constructor.name,
        `output size ${oh}x${ow} does not divide the input's ${h}x${w}, so the windows differ in size`,
      );
    const kernel = [h / oh, w / ow];
    const [y] = ctx.node(
      op,
      [ctx.input(x)],
      [attr.ints('kernel_shape', kernel), attr.ints('strides', kernel)],
    );
    ctx.set(out, y!);
  };
}

function identity(ctx: TraceContext, _module: nn.Module, x: Tensor, out: Tensor): void {
  ctx.set(out, ctx.input(x));
}

function flatten(ctx: TraceContext, layer: nn.Flatten, x: Tensor, out: Tensor): void {
  const start = axis(layer.startDim, x.ndim);
  const end = axis(layer.endDim, x.ndim);
  if (start === 1 && end === x.ndim - 1) {
    ctx.set(out, ctx.node('Flatten', [ctx.input(x)], [attr.int('axis', 1)])[0]!);
    return;
  }
  ctx.set(out, reshapeTo(ctx, x, out.shape));
}

/**
 * Reshape to `shape`, with 0 ("copy the input's size") for a leading run of unchanged sizes,
 * so a dynamic batch axis stays dynamic.
 */
export function reshapeTo(ctx: TraceContext, x: Tensor, shape: readonly number[]): string {
  const target = [...shape];
  let i = 0;
  for (; i < target.length && i < x.ndim && target[i] === x.shape[i]; i++) target[i] = 0;
  // The first size after that run is inferred (-1), so a batch merged into it also works.
  if (i < target.length && !target.includes(-1)) target[i] = -1;
  return ctx.node('Reshape', [ctx.input(x), ctx.graph.int64s(target, 'Shape')])[0]!;
}

function softmaxLayer(op: 'Softmax' | 'LogSoftmax') {
  return (ctx: TraceContext, module: nn.Softmax | nn.LogSoftmax, x: Tensor, out: Tensor): void => {
    const dim = module.dim;
    ctx.set(out, ctx.node(op, [ctx.input(x)], [attr.int('axis', axis(dim, x.ndim))])[0]!);
  };
}

/** A table entry for a layer from one tensor to one tensor, receiving the module as its class. */
function entry<M extends nn.Module>(
  layer: abstract new (...args: never[]) => M,
  exporter: (ctx: TraceContext, module: M, x: Tensor, out: Tensor) => void,
): [unknown, ModuleExporter] {
  return [
    layer,
    (ctx, module, [x], out) => {
      if (!(module instanceof layer) || !(x instanceof Tensor)) return;
      if (!(out instanceof Tensor)) {
        // MaxPool2d and AdaptiveMaxPool2d with returnIndices: PyTorch's indices have no
        // ONNX counterpart (MaxPool's Indices output counts over the whole tensor).
        throw ctx.unsupported(
          module.constructor.name,
          'its forward returns more than one tensor (returnIndices); export the layer without it',
        );
      }
      exporter(ctx, module, x, out);
    },
  ];
}

/** Layers with a direct ONNX form, by exact class. */
export const moduleExporters = new Map<unknown, ModuleExporter>([
  entry(nn.Conv1d, conv),
  entry(nn.Conv2d, conv),
  entry(nn.Linear, linear),
  entry(nn.BatchNorm1d, batchNorm),
  entry(nn.BatchNorm2d, batchNorm),
  entry(nn.MaxPool2d, maxPool),
  entry(nn.AvgPool2d, avgPool),
  entry(nn.AdaptiveAvgPool2d, adaptive('Average')),
  entry(nn.AdaptiveMaxPool2d, adaptive('Max')),
  entry(nn.Dropout, identity),
  entry(nn.Dropout2d, identity),
  entry(nn.Identity, identity),
  entry(nn.Flatten, flatten),
  entry(nn.Softmax, softmaxLayer('Softmax')),
  entry(nn.LogSoftmax, softmaxLayer('LogSoftmax')),
  [nn.RNN, exportRecurrent],
  [nn.LSTM, exportRecurrent],
  [nn.GRU, exportRecurrent],
]);
