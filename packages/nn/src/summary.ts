// summary(module, inputShape): each layer's output shape and parameter count, from one
// forward pass on zeros, printed as torchinfo prints it (Layer (type:depth-idx), Output
// Shape, Param #) with the totals.

import { type DeviceLike, type DType, noGrad, Tensor, zeros } from '@dl/tensor';
import type { Module } from './module.js';

/** Options of summary. */
export interface SummaryOptions {
  /** Rows shown down to this nesting depth; deeper layers count in their parent (default 3). */
  depth?: number;
  /** dtype of the zeros fed to forward (default float32). */
  dtype?: DType;
  /** Device of the zeros (default the CPU); the module must be there already. */
  device?: DeviceLike;
}

/** One module call in a summary, as torchinfo prints it. */
export interface SummaryRow {
  /** Dotted path of the module ('' for the top). */
  name: string;
  /** Its class name. */
  type: string;
  depth: number;
  /** Output shape of this call; null when it returned something other than a Tensor. */
  outputShape: number[] | null;
  /** Parameters of this row: its own, or all below it where its children are not shown. */
  numParams: number;
  /** Whether the count is left to the child rows (printed as `--`). */
  counted: boolean;
}

/** What summary returns: one row per module call, and the totals. */
export interface ModelSummary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  /** Bytes of the input and of the parameters. */
  inputBytes: number;
  paramBytes: number;
  /** The table as torchinfo prints it, with the totals and sizes in MB. */
  toString(): string;
}

/**
 * Runs `module` once on zeros of `inputShape` (with the batch dim, as torchinfo's input_size)
 * in eval mode without gradients, so nothing in it changes (BatchNorm statistics included),
 * and returns a row per module call in call order. Layers invoked through `forward` instead of
 * `call` run without hooks and so get no row; their parameters still count in the totals.
 */
export function summary(
  module: Module<unknown>,
  inputShape: readonly number[],
  options: SummaryOptions = {},
): ModelSummary {
  const maxDepth = options.depth ?? 3;
  if (!Number.isInteger(maxDepth) || maxDepth < 0)
    throw new RangeError(`summary: depth must be a non-negative integer, got ${String(maxDepth)}`);
  if (!inputShape.every((d) => Number.isInteger(d) && d >= 0))
    throw new RangeError(
      `summary: inputShape must be non-negative integers, got [${inputShape.join(', ')}]`,
    );
  const named = [...module.namedModules()];
  const rows: SummaryRow[] = [];
  const open = new Map<Module<unknown>, SummaryRow[]>();
  const handles = named.flatMap(([path, m]) => {
    const depth = path === '' ? 0 : path.split('.').length;
    if (depth > maxDepth) return [];
    const hasChildren = m.children().next().done !== true;
    const showsChildren = hasChildren && depth < maxDepth;
    const own = countParameters(m, !showsChildren);
    const row = (): SummaryRow => ({
      name: path,
      type: m.constructor.name,
      depth,
      outputShape: null,
      numParams: own,
      counted: showsChildren && own === 0,
    });
    return [
      m.registerForwardPreHook((mod) => {
        const r = row();
        rows.push(r);
        open.set(mod, [...(open.get(mod) ?? []), r]);
        return undefined;
      }),
      m.registerForwardHook((mod, _inputs, output) => {
        const r = open.get(mod)?.pop();
        if (r && output instanceof Tensor) r.outputShape = [...output.shape];
        return undefined;
      }),
    ];
  });
  const modes = [...module.modules()].map((m) => [m, m.training] as const);
  const input = zeros(inputShape, {
    dtype: options.dtype ?? 'float32',
    ...(options.device === undefined ? {} : { device: options.device }),
  });
  try {
    module.eval();
    noGrad(() => module.call(input));
  } finally {
    for (const handle of handles) handle.remove();
    for (const [m, training] of modes) m.train(training);
  }
  let totalParams = 0;
  let trainableParams = 0;
  let paramBytes = 0;
  for (const p of module.parameters()) {
    totalParams += p.numel();
    if (p.requiresGrad) trainableParams += p.numel();
    paramBytes += p.numel() * bytesPerElement(p.dtype);
  }
  const result: ModelSummary = {
    rows,
    totalParams,
    trainableParams,
    inputBytes: input.numel() * bytesPerElement(input.dtype),
    paramBytes,
    toString: () => format(result),
  };
  return result;
}

function countParameters(module: Module<unknown>, recurse: boolean): number {
  let count = 0;
  for (const p of module.parameters({ recurse })) count += p.numel();
  return count;
}

function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

const thousands = (n: number) => n.toLocaleString('en-US');
const megabytes = (bytes: number) => (bytes / 1e6).toFixed(2);

/** torchinfo's table: tree-drawn names with `depth-index`, output shapes, parameter counts. */
function format(s: ModelSummary): string {
  const perDepth = new Map<number, number>();
  const lines = s.rows.map((row) => {
    const index = (perDepth.get(row.depth) ?? 0) + 1;
    perDepth.set(row.depth, index);
    const label =
      row.depth === 0
        ? row.type
        : `${'│    '.repeat(row.depth - 1)}└─${row.type}: ${row.depth}-${index}`;
    const shape = row.outputShape ? `[${row.outputShape.join(', ')}]` : '--';
    const params = row.counted ? '--' : thousands(row.numParams);
    return `${label.padEnd(40)} ${shape.padEnd(25)} ${params}`;
  });
  const rule = '='.repeat(78);
  return [
    rule,
    `${'Layer (type:depth-idx)'.padEnd(40)} ${'Output Shape'.padEnd(25)} Param #`,
    rule,
    ...lines,
    rule,
    `Total params: ${thousands(s.totalParams)}`,
    `Trainable params: ${thousands(s.trainableParams)}`,
    `Non-trainable params: ${thousands(s.totalParams - s.trainableParams)}`,
    rule,
    `Input size (MB): ${megabytes(s.inputBytes)}`,
    `Params size (MB): ${megabytes(s.paramBytes)}`,
    rule,
  ].join('\n');
}
