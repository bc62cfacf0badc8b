// Module: the base class of every layer and model, like torch.nn.Module. Submodules and
// Parameters held in fields are found without registration, in declaration order; buffers
// and PyTorch-named members are registered explicitly.
//
// Module is generic over what forward returns, Tensor by default, so that generic code
// (`function step(model: nn.Module, x: Tensor)`) gets a Tensor from `model.call(x)`. A module
// returning something else says so (`extends Module<[Tensor, Tensor]>`); `Module<unknown>`
// is any module.

import {
  type DeviceLike,
  type DType,
  type HookHandle,
  inspect,
  isFloating,
  noGrad,
  resolveDevice,
  resolveDeviceOrDType,
  Tensor,
} from '@dl/tensor';
import { Parameter, replaceData } from './parameter.js';

/** A state dict: PyTorch's key names (`conv1.weight`, `bn.running_mean`) to tensors, in order. */
export type StateDict = Map<string, Tensor>;

/** Options of loadStateDict. */
export interface LoadStateDictOptions {
  /** Refuse missing and unexpected keys (default true). Mis-shaped keys are always refused. */
  strict?: boolean;
}

/**
 * What loadStateDict did not match: keys the module has that the state dict lacks, and keys the
 * state dict has that the module lacks (PyTorch's missing_keys and unexpected_keys).
 */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * A hook registerForwardHook runs after forward: it sees the inputs and the output, and may return
 * a replacement output.
 */
export type ForwardHook = (module: Module<unknown>, inputs: unknown[], output: unknown) => unknown;
/**
 * A hook registerForwardPreHook runs before forward: it sees the inputs and may return replacement
 * inputs.
 */
export type ForwardPreHook = (module: Module<unknown>, inputs: unknown[]) => unknown[] | undefined;

/**
 * The base class of every layer and model, like torch.nn.Module. A subclass defines forward and
 * keeps its parameters and submodules in fields, which are found without registration:
 * parameters(), stateDict() and to() see them. Run it with `module.call(x)` (PyTorch's
 * `module(x)`), which types the result from forward. `Output` is what forward returns (a Tensor
 * unless the class says otherwise).
 */
export class Module<Output = Tensor> {
  #training = true;
  readonly #parameters = new Map<string, Parameter | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #nonPersistent = new Set<string>();
  readonly #modules = new Map<string, Module<unknown> | null>();
  readonly #forwardHooks: ForwardHook[] = [];
  readonly #forwardPreHooks: ForwardPreHook[] = [];

  /**
   * The computation. Subclasses define it with their own signature, returning Output (a
   * Tensor unless the class says otherwise); `call` runs it with the forward hooks.
   */
  forward(..._inputs: unknown[]): Output {
    throw new Error(`Module [${this.constructor.name}] is missing the required "forward" function`);
  }

  /**
   * Runs forward with the registered pre-hooks and hooks (PyTorch's `module(x)`), typed by the
   * forward of the module's class: a Tensor for `nn.Module` and `nn.Sequential`.
   */
  call<This extends Module<unknown>>(
    this: This,
    ...inputs: Parameters<This['forward']>
  ): ReturnType<This['forward']>;
  call(...inputs: unknown[]): unknown {
    let args = inputs;
    for (const hook of this.#forwardPreHooks) args = hook(this, args) ?? args;
    let output: unknown = this.forward(...args);
    for (const hook of this.#forwardHooks) {
      const replaced = hook(this, args, output);
      if (replaced !== undefined) output = replaced;
    }
    return output;
  }

  /** `hook(module, inputs, output)` runs after each `call`; a returned value replaces the output. */
  registerForwardHook(hook: ForwardHook): HookHandle {
    return addHook(this.#forwardHooks, hook);
  }

  /** `hook(module, inputs)` runs before each `call`; returned inputs replace the inputs. */
  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    return addHook(this.#forwardPreHooks, hook);
  }

  // ---- registration ----

  /** Adds a parameter under `name` (a state-dict name such as `in_proj_weight`); null reserves it. */
  registerParameter(name: string, parameter: Parameter | null): void {
    this.#checkName(name, 'parameter', this.#parameters);
    this.#parameters.set(name, parameter);
  }

  /** Adds a tensor that is state but not trained (`running_mean`); persistent ones are in the state dict. */
  registerBuffer(
    name: string,
    tensor: Tensor | null,
    options: { persistent?: boolean } = {},
  ): void {
    if (tensor instanceof Parameter) {
      throw new Error(
        `registerBuffer: "${name}" is a Parameter; use registerParameter for parameters`,
      );
    }
    this.#checkName(name, 'buffer', this.#buffers);
    this.#buffers.set(name, tensor);
    if (options.persistent ?? true) this.#nonPersistent.delete(name);
    else this.#nonPersistent.add(name);
  }

  /** Adds a submodule under `name` (containers use '0', '1', ...). */
  registerModule(name: string, module: Module<unknown> | null): void {
    this.#checkName(name, 'module', this.#modules);
    this.#modules.set(name, module);
  }

  /** The submodule at a dotted path (`'block.fc'`; `''` is this module), as PyTorch's get_submodule. */
  getSubmodule(target: string): Module<unknown> {
    let module: Module<unknown> = this;
    if (target === '') return module;
    for (const part of target.split('.')) {
      const next = new Map(module.namedChildren()).get(part);
      if (!next)
        throw new Error(
          `${module.constructor.name} has no submodule "${part}" (looking up "${target}")`,
        );
      module = next;
    }
    return module;
  }

  /** The parameter at a dotted path (`'block.fc.weight'`); null where one was registered as null. */
  getParameter(target: string): Parameter | null {
    const [owner, name] = this.#ownerOf(target);
    if (owner.#parameters.has(name)) return owner.#parameters.get(name) ?? null;
    const found = owner.#ownParameters().find(([n]) => n === name);
    if (!found) throw new Error(`${owner.constructor.name} has no parameter "${name}"`);
    return found[1];
  }

  /** The buffer at a dotted path (`'bn.running_mean'`); null where one was registered as null. */
  getBuffer(target: string): Tensor | null {
    const [owner, name] = this.#ownerOf(target);
    if (!owner.#buffers.has(name))
      throw new Error(`${owner.constructor.name} has no buffer "${name}"`);
    return owner.#buffers.get(name) ?? null;
  }

  /** Replaces one of this module's registered buffers (the state dict then holds the new one). */
  setBuffer(name: string, tensor: Tensor | null): void {
    if (!this.#buffers.has(name))
      throw new Error(`${this.constructor.name} has no buffer "${name}"`);
    this.#buffers.set(name, tensor);
  }

  #ownerOf(target: string): [Module<unknown>, string] {
    const dot = target.lastIndexOf('.');
    return dot < 0
      ? [this, target]
      : [this.getSubmodule(target.slice(0, dot)), target.slice(dot + 1)];
  }

  #checkName(name: string, kind: string, table: Map<string, unknown>): void {
    if (name === '' || name.includes('.')) {
      throw new Error(`${kind} name can't be empty or contain ".", got "${name}"`);
    }
    const taken =
      (table !== this.#parameters && this.#parameters.has(name)) ||
      (table !== this.#buffers && this.#buffers.has(name)) ||
      (table !== this.#modules && this.#modules.has(name));
    if (taken) throw new Error(`attribute "${name}" already exists in ${this.constructor.name}`);
  }

  // ---- discovery ----

  /** This module's own parameters: fields holding a Parameter, then registered ones. */
  #ownParameters(): [string, Parameter][] {
    const registered = new Set<Parameter>();
    for (const p of this.#parameters.values()) if (p) registered.add(p);
    const out: [string, Parameter][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Parameter && !registered.has(value) && !this.#parameters.has(name))
        out.push([name, value]);
    }
    for (const [name, p] of this.#parameters) if (p) out.push([name, p]);
    return out;
  }

  #ownBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, b] of this.#buffers) if (b) out.push([name, b]);
    return out;
  }

  /** Direct submodules with their names: fields holding a Module, then registered ones. */
  *namedChildren(): Generator<[string, Module<unknown>]> {
    const registered = new Set<Module<unknown>>();
    for (const m of this.#modules.values()) if (m) registered.add(m);
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Module && !registered.has(value) && !this.#modules.has(name))
        yield [name, value];
    }
    for (const [name, m] of this.#modules) if (m) yield [name, m];
  }

  /** The direct submodules (namedChildren without the names). */
  *children(): Generator<Module<unknown>> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and every submodule, depth first, each once, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module<unknown>]> {
    const seen = new Set<Module<unknown>>();
    function* walk(module: Module<unknown>, path: string): Generator<[string, Module<unknown>]> {
      if (seen.has(module)) return;
      seen.add(module);
      yield [path, module];
      for (const [name, child] of module.namedChildren())
        yield* walk(child, path ? `${path}.${name}` : name);
    }
    yield* walk(this, prefix);
  }

  /** This module and every submodule, depth first, each once (namedModules without the names). */
  *modules(): Generator<Module<unknown>> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Every parameter (each once, even if shared), with its dotted name. */
  *namedParameters(options: { recurse?: boolean } = {}): Generator<[string, Parameter]> {
    const seen = new Set<Parameter>();
    const modules: Iterable<[string, Module<unknown>]> =
      (options.recurse ?? true) ? this.namedModules() : [['', this]];
    for (const [path, module] of modules) {
      for (const [name, p] of module.#ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield [path ? `${path}.${name}` : name, p];
      }
    }
  }

  /**
   * Every parameter, each once even if shared (namedParameters without the names): what an
   * optimizer takes. With `recurse: false`, this module's own only.
   */
  *parameters(options: { recurse?: boolean } = {}): Generator<Parameter> {
    for (const [, p] of this.namedParameters(options)) yield p;
  }

  /**
   * Every buffer (state that is not trained, such as BatchNorm's running_mean), each once, with its
   * dotted name. With `recurse: false`, this module's own only.
   */
  *namedBuffers(options: { recurse?: boolean } = {}): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const modules: Iterable<[string, Module<unknown>]> =
      (options.recurse ?? true) ? this.namedModules() : [['', this]];
    for (const [path, module] of modules) {
      for (const [name, b] of module.#ownBuffers()) {
        if (seen.has(b)) continue;
        seen.add(b);
        yield [path ? `${path}.${name}` : name, b];
      }
    }
  }

  /** Every buffer, each once (namedBuffers without the names). */
  *buffers(options: { recurse?: boolean } = {}): Generator<Tensor> {
    for (const [, b] of this.namedBuffers(options)) yield b;
  }

  /** The number of parameter elements (trainable ones only, if asked). */
  numParameters(options: { onlyTrainable?: boolean } = {}): number {
    let count = 0;
    for (const p of this.parameters())
      if (!options.onlyTrainable || p.requiresGrad) count += p.numel();
    return count;
  }

  // ---- modes and bulk changes ----

  /**
   * Whether the module is in training mode (the default) rather than evaluation mode: Dropout and
   * BatchNorm behave differently. Set by train() and eval().
   */
  get training(): boolean {
    return this.#training;
  }

  /** Sets training mode on this module and every submodule. */
  train(mode = true): this {
    for (const m of this.modules()) m.#training = mode;
    return this;
  }

  /** Sets evaluation mode on this module and every submodule: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every submodule (children first, recursively) and then on this module. */
  apply(fn: (module: Module<unknown>) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Clears every parameter's gradient (sets it to null, or to zeros with setToNone false). */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      const grad = p.grad;
      if (!grad) continue;
      if (setToNone) p.grad = null;
      else noGrad(() => grad.zero_());
    }
  }

  /** Turns gradient recording on or off for every parameter (false freezes the module). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /**
   * Moves every parameter and buffer to a device, or converts floating ones to a dtype, in
   * place: the Parameter objects stay the same, so references to them (an optimizer's) follow.
   * Moving off a GPU needs `await toAsync('cpu')`.
   */
  to(target: DeviceLike | DType): this {
    const resolved = resolveDeviceOrDType(target, 'Module.to');
    const convert = (t: Tensor): Tensor | undefined => {
      if (typeof resolved === 'string') return isFloating(t.dtype) ? t.to(resolved) : undefined;
      return t.device === resolved ? undefined : t.to(resolved);
    };
    const moves: [Tensor, Tensor][] = [];
    const grads: [Tensor, Tensor][] = [];
    noGrad(() => {
      for (const t of this.#stateTensors()) {
        const moved = convert(t.detach());
        if (moved) moves.push([t, moved]);
        const grad = t.grad ? convert(t.grad) : undefined;
        if (grad) grads.push([t, grad]);
      }
    });
    // All conversions succeeded: only now change the module.
    for (const [t, moved] of moves) replaceData(t, moved);
    for (const [t, grad] of grads) t.grad = grad;
    return this;
  }

  /** to(device) for any pair of devices, including reading back from a GPU. */
  async toAsync(target: DeviceLike): Promise<this> {
    const device = resolveDevice(target, 'Module.toAsync');
    const moves: [Tensor, Tensor][] = [];
    const grads: [Tensor, Tensor][] = [];
    for (const t of this.#stateTensors()) {
      if (t.device === device) continue;
      moves.push([t, await t.detach().toAsync(device)]);
      if (t.grad) grads.push([t, await t.grad.toAsync(device)]);
    }
    for (const [t, moved] of moves) replaceData(t, moved);
    for (const [t, grad] of grads) t.grad = grad;
    return this;
  }

  /** to('cpu'). From a device that reads asynchronously, use toAsync('cpu'). */
  cpu(): this {
    return this.to('cpu');
  }

  /** Converts floating parameters and buffers to float32, in place. */
  float(): this {
    return this.to('float32');
  }

  /** Converts floating parameters and buffers to float64, in place (the CPU only). */
  double(): this {
    return this.to('float64');
  }

  #stateTensors(): Tensor[] {
    return [...this.parameters(), ...this.buffers()];
  }

  // ---- state dicts ----

  /** Parameters and persistent buffers under PyTorch's key names, sharing their storage. */
  stateDict(options: { keepVars?: boolean } = {}): StateDict {
    const out: StateDict = new Map();
    const visit = (module: Module<unknown>, prefix: string, seen: Set<Module<unknown>>) => {
      if (seen.has(module)) return;
      seen.add(module);
      for (const [name, p] of module.#ownParameters())
        out.set(prefix + name, options.keepVars ? p : p.detach());
      for (const [name, b] of module.#ownBuffers())
        if (!module.#nonPersistent.has(name))
          out.set(prefix + name, options.keepVars ? b : b.detach());
      for (const [name, child] of module.namedChildren()) visit(child, `${prefix + name}.`, seen);
    };
    visit(this, '', new Set());
    return out;
  }

  /**
   * Copies a state dict's tensors into this module's parameters and buffers. Everything is
   * checked first: on any missing (strict), unexpected (strict) or mis-shaped key the error
   * names them all and the module is left as it was.
   */
  loadStateDict(
    stateDict: StateDict | Readonly<Record<string, Tensor>>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    const source = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateDict({ keepVars: true });
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    if (strict && missingKeys.length > 0)
      problems.push(`Missing key(s) in state_dict: ${missingKeys.map(quote).join(', ')}.`);
    if (strict && unexpectedKeys.length > 0)
      problems.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map(quote).join(', ')}.`);
    const copies: [Tensor, Tensor][] = [];
    for (const [key, target] of own) {
      const value = source.get(key);
      if (value === undefined) continue;
      if (!(value instanceof Tensor)) {
        problems.push(`value for ${key} is not a Tensor`);
        continue;
      }
      if (value.isDisposed) {
        problems.push(
          `the tensor for ${key} (shape [${value.shape.join(', ')}], ${value.dtype}) was disposed; its memory has been released`,
        );
        continue;
      }
      if (!sameShape(value.shape, target.shape)) {
        problems.push(
          `size mismatch for ${key}: copying a param with shape [${value.shape.join(', ')}] from checkpoint, the shape in current model is [${target.shape.join(', ')}].`,
        );
        continue;
      }
      copies.push([target, value]);
    }
    if (problems.length > 0) {
      throw new Error(
        `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${problems.join('\n\t')}`,
      );
    }
    noGrad(() => {
      // Convert and move first (a failure here, such as a synchronous read from a GPU, still
      // leaves the module untouched), then write.
      const prepared = copies.map(
        ([target, value]) => [target, value.to(target.dtype).to(target.device)] as const,
      );
      for (const [target, value] of prepared) target.copy_(value);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ----

  /** The text between the parentheses of this module's printed form (`in_features=4, ...`). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's printed form: the class name, extraRepr, and each child indented by two spaces. */
  toString(): string {
    const extraLines = this.extraRepr() ? this.extraRepr().split('\n') : [];
    const childLines: string[] = [];
    for (const [name, child] of this.namedChildren())
      childLines.push(`(${name}): ${child.toString().split('\n').join('\n  ')}`);
    const lines = [...extraLines, ...childLines];
    let body = '';
    if (lines.length === 1 && childLines.length === 0) body = extraLines[0]!;
    else if (lines.length > 0) body = `\n  ${lines.join('\n  ')}\n`;
    return `${this.constructor.name}(${body})`;
  }

  /** What Node's console.log and util.inspect print: the same as toString(). */
  [inspect](): string {
    return this.toString();
  }
}

function addHook<T>(list: T[], hook: T): HookHandle {
  list.push(hook);
  return {
    remove: () => {
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function quote(key: string): string {
  return `"${key}"`;
}
