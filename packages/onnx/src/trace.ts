// Tracing: runs a module's forward once on an example input and records, as ONNX nodes,
// every Tensor method applied to values derived from that input, and every call of a layer
// that has a direct ONNX form (Conv2d, Linear, BatchNorm2d, ...), whose inside is then not
// recorded. Tensor.prototype's methods and each module's `forward` are wrapped for the
// duration of the (synchronous) forward and restored afterwards, whatever happens.

import type { Module } from '@dl/nn';
import * as nn from '@dl/nn';
import { type DType, Tensor } from '@dl/tensor';
import type { GraphBuilder } from './graph.js';
import { methodExporters } from './methods.js';
import { moduleExporters } from './modules.js';
import type { AttributeMessage } from './proto.js';

/** What exporters use to resolve inputs and emit nodes. */
export interface TraceContext {
  readonly graph: GraphBuilder;
  readonly opset: number;
  /** The dotted path of the module being run ('' at the top), for node names and errors. */
  readonly scope: string;
  /** The value name of a tensor: traced, or a constant made an initializer (as `dtype`). */
  input(t: Tensor, dtype?: DType): string;
  /** A scalar argument as an initializer of `dtype`. */
  scalar(value: number, dtype: DType): string;
  /** Adds a node in the current scope; returns its outputs. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes?: readonly AttributeMessage[],
    outputs?: number,
  ): string[];
  /** Records that `t` holds the value `name`. */
  set(t: Tensor, name: string): void;
  /** Whether `t` is derived from the traced input. */
  isTraced(t: Tensor): boolean;
  /** An error naming the op and where it was applied. */
  unsupported(op: string, why: string): Error;
}

export type MethodExporter = (
  ctx: TraceContext,
  self: Tensor,
  args: readonly unknown[],
  result: Tensor,
) => void;

/**
 * Exports one call of a layer: `args` are forward's arguments (the first, a traced tensor),
 * `output` what forward returned; it names the output tensors' values with `ctx.set`.
 */
export type ModuleExporter = (
  ctx: TraceContext,
  module: Module<unknown>,
  args: readonly unknown[],
  output: unknown,
  path: string,
) => void;

/** Tensor methods that never need an ONNX node, whatever they return. */
const passThrough = new Set(['requiresGrad_', 'retainGrad', 'realize', 'registerHook']);

export class Tracer implements TraceContext {
  readonly #values = new Map<Tensor, string>();
  /** Values that must not reach the graph's outputs: their name maps to the error to throw. */
  readonly #poisoned = new Map<string, string>();
  readonly #stateNames: Map<Tensor, string>;
  readonly #scopes: string[] = [''];
  #depth = 0;

  constructor(
    readonly graph: GraphBuilder,
    model: Module<unknown>,
  ) {
    this.#stateNames = new Map();
    for (const [name, p] of model.namedParameters()) this.#stateNames.set(p, name);
    for (const [name, b] of model.namedBuffers()) this.#stateNames.set(b, name);
  }

  get opset(): number {
    return this.graph.opset;
  }

  get scope(): string {
    return this.#scopes.at(-1) ?? '';
  }

  isTraced(t: Tensor): boolean {
    return this.#values.has(t) || t.requiresGrad;
  }

  input(t: Tensor, dtype: DType = t.dtype): string {
    const name = this.#values.get(t);
    if (name !== undefined) {
      const poison = this.#poisoned.get(name);
      if (poison !== undefined) throw new Error(poison);
      if (dtype === t.dtype) return name;
      return this.node('Cast', [name], [{ name: 'to', type: 2, i: elemType(dtype) }])[0]!;
    }
    if (t.requiresGrad) {
      // Derived from the input (gradient flows to it) by something no wrapper saw: a function
      // of @dl/tensor called directly. Its autograd node still names the op.
      const op = (t.gradFn?.name ?? 'an unknown op').replace(/Backward$/, '');
      throw this.unsupported(
        lowerFirst(op),
        'it was applied by a function the tracer cannot see (a free function of @dl/tensor or nn.F with no Tensor method behind it); use the matching nn layer or Tensor method',
      );
    }
    return this.graph.tensor(t, this.#stateNames.get(t), dtype);
  }

  scalar(value: number, dtype: DType): string {
    return this.graph.scalar(value, dtype);
  }

  node(
    opType: string,
    inputs: readonly string[],
    attributes: readonly AttributeMessage[] = [],
    outputs = 1,
  ): string[] {
    return this.graph.node(opType, inputs, attributes, { scope: this.scope, outputs });
  }

  set(t: Tensor, name: string): void {
    this.#values.set(t, name);
  }

  /** Marks `t` as a value that fails the export if anything uses it. */
  poison(t: Tensor, message: string): void {
    const name = this.graph.unique('poisoned');
    this.#poisoned.set(name, message);
    this.#values.set(t, name);
  }

  unsupported(op: string, why: string): Error {
    const where = this.scope ? ` in module '${this.scope}'` : '';
    return new Error(`exportOnnx: cannot export op '${op}'${where}: ${why}`);
  }

  /** Runs `forward` with the wrappers installed; returns its output. */
  run(model: Module<unknown>, inputs: readonly Tensor[]): unknown {
    const restore: (() => void)[] = [];
    try {
      restore.push(this.#wrapTensorMethods());
      for (const [path, module] of model.namedModules())
        restore.push(this.#wrapModule(path, module));
      return model.call(...inputs);
    } finally {
      for (const undo of restore.reverse()) undo();
    }
  }

  #wrapTensorMethods(): () => void {
    const proto: Record<string, unknown> = Tensor.prototype as unknown as Record<string, unknown>;
    const originals: [string, PropertyDescriptor][] = [];
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      const original: unknown = descriptor.value;
      if (name === 'constructor' || typeof original !== 'function') continue;
      const tracer = this;
      const wrapped = function (this: Tensor, ...args: unknown[]): unknown {
        if (tracer.#depth > 0) return Reflect.apply(original, this, args);
        tracer.#depth++;
        let result: unknown;
        try {
          result = Reflect.apply(original, this, args);
        } finally {
          tracer.#depth--;
        }
        tracer.#recordMethod(name, this, args, result);
        return result;
      };
      originals.push([name, descriptor]);
      Object.defineProperty(proto, name, { ...descriptor, value: wrapped });
    }
    return () => {
      for (const [name, descriptor] of originals) Object.defineProperty(proto, name, descriptor);
    };
  }

  #recordMethod(name: string, self: Tensor, args: readonly unknown[], result: unknown): void {
    if (passThrough.has(name)) return;
    const involved = [self, ...tensorsIn(args)].some((t) => this.isTraced(t));
    if (!involved) return;
    const outputs = tensorsIn([result]);
    if (outputs.length === 0) return; // sizes, strides, reads: no value to name
    const inPlace = name.endsWith('_');
    if (result === self && !inPlace) return; // an alias of its input (realize, or a no-op view)
    const exporter = methodExporters[name];
    if (!exporter || !(result instanceof Tensor)) {
      const message = this.unsupported(
        `Tensor.${name}`,
        'it has no ONNX mapping in @dl/onnx (the README lists the ops that export)',
      ).message;
      for (const t of outputs) this.poison(t, message);
      return;
    }
    exporter(this, self, args, result);
  }

  /**
   * Runs a module with no exporter, tracing through it. For a layer of @dl/nn (ConvTranspose2d,
   * say) an export error from inside it names the layer rather than an op it is made of.
   */
  #traceThrough(
    module: Module<unknown>,
    original: Module<unknown>['forward'],
    args: unknown[],
  ): unknown {
    if (!Object.values(nn).some((value) => value === module.constructor))
      return Reflect.apply(original, module, args);
    const why = (inside: string) =>
      this.unsupported(
        module.constructor.name,
        `this layer has no ONNX mapping in @dl/onnx (inside it: ${inside})`,
      ).message;
    let output: unknown;
    try {
      output = Reflect.apply(original, module, args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('exportOnnx:')) throw error;
      throw new Error(why(error.message.replace(/^exportOnnx: /, '')), { cause: error });
    }
    // Its last op was one the tracer could not see: fail where the output is used.
    if (output instanceof Tensor && !this.#values.has(output) && output.requiresGrad)
      this.poison(output, why(`'${output.gradFn?.name ?? 'an op'}'`));
    return output;
  }

  #wrapModule(path: string, module: Module<unknown>): () => void {
    const hadOwn = Object.hasOwn(module, 'forward');
    const own: unknown = hadOwn ? module.forward : undefined;
    const original = module.forward;
    const exporter = moduleExporters.get(module.constructor);
    module.forward = (...args: unknown[]): unknown => {
      if (this.#depth > 0) return Reflect.apply(original, module, args);
      this.#scopes.push(path);
      try {
        if (!exporter) return this.#traceThrough(module, original, args);
        this.#depth++;
        let output: unknown;
        try {
          output = Reflect.apply(original, module, args);
        } finally {
          this.#depth--;
        }
        const [x] = args;
        if (x instanceof Tensor && this.isTraced(x)) exporter(this, module, args, output, path);
        return output;
      } finally {
        this.#scopes.pop();
      }
    };
    return () => {
      if (hadOwn) module.forward = own as Module<unknown>['forward'];
      else Reflect.deleteProperty(module, 'forward');
    };
  }
}

/** The tensors among call arguments or results: direct, in arrays, or one object level deep. */
export function tensorsIn(values: readonly unknown[]): Tensor[] {
  const out: Tensor[] = [];
  for (const v of values) {
    if (v instanceof Tensor) out.push(v);
    else if (Array.isArray(v)) out.push(...v.filter((e): e is Tensor => e instanceof Tensor));
    else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v))
      out.push(...Object.values(v).filter((e): e is Tensor => e instanceof Tensor));
  }
  return out;
}

function elemType(dtype: DType): number {
  return { float32: 1, float64: 11, int32: 6, bool: 9 }[dtype];
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
