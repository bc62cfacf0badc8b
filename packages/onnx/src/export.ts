// exportOnnx: traces a module's forward in eval mode on an example input and writes the
// recorded graph, with the parameters it used as initializers, as ONNX model bytes.

import type { Module } from '@dl/nn';
import { enableGrad, Tensor } from '@dl/tensor';
import { fuseSoftmax } from './fuse.js';
import { bytesOf, elemTypes, GraphBuilder, typedOf } from './graph.js';
import { encodeModel, type TensorMessage, type ValueInfoMessage } from './proto.js';
import { Tracer, tensorsIn } from './trace.js';

/** Options of exportOnnx and saveOnnx, like `torch.onnx.export`'s keyword arguments. */
export interface ExportOnnxOptions {
  /** The ONNX operator set version (default 17; 13 to 21 are supported). */
  opset?: number;
  /** Names of the graph inputs (default `input`, or `input0`, `input1`, ...). */
  inputNames?: readonly string[];
  /** Names of the graph outputs (default `output`, or `output0`, `output1`, ...). */
  outputNames?: readonly string[];
  /**
   * Axes of inputs and outputs whose size may change, by value name: `{ input: { 0: 'batch' },
   * output: { 0: 'batch' } }` or `{ input: [0] }` (named `<value>_dynamic_axes_<axis>`).
   */
  dynamicAxes?: Readonly<Record<string, Readonly<Record<number, string>> | readonly number[]>>;
  /** Stored as the model's doc_string. */
  docString?: string;
}

/** The lowest ONNX opset exportOnnx writes. */
export const minOpset = 13;
/** The highest ONNX opset exportOnnx writes. */
export const maxOpset = 21;
/** The opset exportOnnx writes when `opset` is not given. */
export const defaultOpset = 17;

/** The lowest IR version that carries each opset (onnx's helper.VERSION_TABLE). */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/**
 * Traces `module.forward(exampleInput)` in eval mode and returns an ONNX model: Conv, Gemm,
 * BatchNormalization, pooling, activations, reshapes, softmax and elementwise arithmetic
 * (the README lists every op). An op it cannot export throws an error naming the op. The
 * module's training flags and parameters are left as they were.
 */
export async function exportOnnx(
  module: Module<unknown>,
  exampleInput: Tensor | readonly Tensor[],
  options: ExportOnnxOptions = {},
): Promise<Uint8Array> {
  const examples = exampleInput instanceof Tensor ? [exampleInput] : [...exampleInput];
  if (examples.length === 0 || !examples.every((t) => t instanceof Tensor))
    throw new TypeError('exportOnnx: exampleInput must be a Tensor or an array of Tensors');
  const opset = options.opset ?? defaultOpset;
  if (!Number.isInteger(opset) || opset < minOpset || opset > maxOpset)
    throw new RangeError(
      `exportOnnx: opset must be an integer from ${minOpset} to ${maxOpset}, got ${String(opset)}`,
    );
  const inputNames = namesFor('input', examples.length, options.inputNames);
  const dynamicAxes = options.dynamicAxes ?? {};

  const graph = new GraphBuilder(opset);
  for (const name of inputNames) graph.claim(name);
  const tracer = new Tracer(graph, module);

  // Trace with the input as the only thing that requires grad: then anything derived from it
  // by an op the wrappers did not see still says so (requiresGrad), and the error names it.
  const modes = [...module.modules()].map((m) => [m, m.training] as const);
  const parameters = [...module.parameters()].map((p) => [p, p.requiresGrad] as const);
  let outputs: Tensor[];
  let outputValues: string[];
  try {
    module.eval();
    for (const [p] of parameters) p.requiresGrad_(false);
    const inputs = examples.map((t) => {
      const leaf = t.detach();
      // A non-leaf copy, so in-place ops in forward are allowed on it.
      return leaf.dtype === 'float32' || leaf.dtype === 'float64'
        ? enableGrad(() => leaf.requiresGrad_(true).clone())
        : leaf;
    });
    for (const [i, t] of inputs.entries()) tracer.set(t, inputNames[i]!);
    const result = enableGrad(() => tracer.run(module, inputs));
    outputs = result instanceof Tensor ? [result] : Array.isArray(result) ? tensorsIn(result) : [];
    if (outputs.length === 0)
      throw new TypeError('exportOnnx: forward must return a Tensor or an array of Tensors');
    outputValues = outputs.map((t, i) => {
      if (!tracer.isTraced(t))
        throw new Error(
          `exportOnnx: output ${i} does not depend on the input, so there is nothing to trace`,
        );
      return tracer.input(t);
    });
  } finally {
    for (const [p, requiresGrad] of parameters) p.requiresGrad_(requiresGrad);
    for (const [m, training] of modes) m.train(training);
  }
  const outputNames = namesFor('output', outputs.length, options.outputNames);
  checkDynamicAxes(dynamicAxes, [...inputNames, ...outputNames]);
  nameOutputs(graph, outputValues, outputNames, inputNames);
  fuseSoftmax(graph);
  prune(graph, outputNames);

  const initializer: TensorMessage[] = [];
  for (const pending of graph.initializers) {
    let raw = pending.raw;
    if (!raw && pending.tensor) {
      const data = await pending.tensor.data();
      raw = bytesOf(typedOf(pending.as ?? pending.tensor.dtype, data));
    }
    initializer.push({
      name: pending.name,
      dims: [...pending.dims],
      dataType: pending.dataType,
      rawData: raw ?? new Uint8Array(),
    });
  }
  const anyDynamic = inputNames.some((n) => dynamicAxes[n] !== undefined);
  return encodeModel({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'dl',
    producerVersion: '0.0.0',
    ...(options.docString === undefined ? {} : { docString: options.docString }),
    graph: {
      node: graph.nodes,
      name: module.constructor.name,
      initializer,
      input: examples.map((t, i) =>
        valueInfo(inputNames[i]!, t, dynamicAxes[inputNames[i]!], false),
      ),
      output: outputs.map((t, i) =>
        valueInfo(outputNames[i]!, t, dynamicAxes[outputNames[i]!], anyDynamic),
      ),
    },
  });
}

function namesFor(kind: string, count: number, given: readonly string[] | undefined): string[] {
  if (given === undefined)
    return count === 1 ? [kind] : Array.from({ length: count }, (_, i) => `${kind}${i}`);
  if (given.length !== count)
    throw new Error(
      `exportOnnx: ${count} ${kind}(s) but ${given.length} ${kind}Names [${given.join(', ')}]`,
    );
  const seen = new Set<string>();
  for (const name of given) {
    if (typeof name !== 'string' || name === '' || seen.has(name))
      throw new Error(
        `exportOnnx: ${kind}Names must be distinct non-empty strings, got [${given.join(', ')}]`,
      );
    seen.add(name);
  }
  return [...given];
}

function checkDynamicAxes(
  dynamicAxes: ExportOnnxOptions['dynamicAxes'] & object,
  names: readonly string[],
): void {
  for (const key of Object.keys(dynamicAxes)) {
    if (!names.includes(key))
      throw new Error(
        `exportOnnx: dynamicAxes names '${key}', which is not an input or output (${names.join(', ')})`,
      );
  }
}

/** The axis names of one value: `{ 0: 'batch' }` as given, `[0]` as `<name>_dynamic_axes_1`. */
function axisNames(
  name: string,
  spec: Readonly<Record<number, string>> | readonly number[] | undefined,
): Map<number, string> {
  const out = new Map<number, string>();
  if (spec === undefined) return out;
  if (Array.isArray(spec))
    for (const axis of spec) out.set(axis, `${name}_dynamic_axes_${axis + 1}`);
  else for (const [axis, label] of Object.entries(spec)) out.set(Number(axis), String(label));
  return out;
}

function valueInfo(
  name: string,
  t: Tensor,
  spec: Readonly<Record<number, string>> | readonly number[] | undefined,
  unknownWhenUnnamed: boolean,
): ValueInfoMessage {
  const dynamic = axisNames(name, spec);
  for (const axis of dynamic.keys())
    if (!Number.isInteger(axis) || axis < 0 || axis >= t.ndim)
      throw new RangeError(
        `exportOnnx: dynamicAxes of '${name}' names axis ${axis}, but it has ${t.ndim} dims [${t.shape.join(', ')}]`,
      );
  // An output whose axes were not named, in a graph with dynamic inputs: sizes left to the runtime.
  const unknown = unknownWhenUnnamed && spec === undefined;
  const dim = t.shape.map((size, axis) => {
    const param = dynamic.get(axis);
    if (param !== undefined) return { dimParam: param };
    return unknown ? {} : { dimValue: size };
  });
  return { name, type: { tensorType: { elemType: elemTypes[t.dtype], shape: { dim } } } };
}

/** Gives each output value its output name: renames the producing node's output, or adds an Identity. */
function nameOutputs(
  graph: GraphBuilder,
  values: readonly string[],
  names: readonly string[],
  inputNames: readonly string[],
): void {
  const renamed = new Set<string>();
  for (const [i, value] of values.entries()) {
    const name = names[i]!;
    graph.claim(name);
    const producer = graph.nodes.find((n) => n.output.includes(value));
    if (!producer || renamed.has(value) || inputNames.includes(value)) {
      graph.nodes.push({
        input: [value],
        output: [name],
        name: graph.unique(`/${name}/Identity`),
        opType: 'Identity',
        attribute: [],
      });
      continue;
    }
    renamed.add(value);
    for (const node of graph.nodes) {
      node.input = node.input.map((v) => (v === value ? name : v));
      node.output = node.output.map((v) => (v === value ? name : v));
    }
  }
}

/** Drops nodes and initializers the outputs do not need (ops inside unseen functions, say). */
function prune(graph: GraphBuilder, outputs: readonly string[]): void {
  const needed = new Set(outputs);
  const kept: typeof graph.nodes = [];
  for (const node of [...graph.nodes].reverse()) {
    if (!node.output.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.input) if (input !== '') needed.add(input);
  }
  graph.nodes.splice(0, graph.nodes.length, ...kept.reverse());
  const used = graph.initializers.filter((init) => needed.has(init.name));
  graph.initializers.splice(0, graph.initializers.length, ...used);
}
