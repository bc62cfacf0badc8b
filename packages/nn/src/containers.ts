// Containers: Sequential (modules run in order), ModuleList and ModuleDict, whose entries
// are registered under their index or key so state-dict names read `layers.0.weight`.
// Sequential holds modules from Tensor to Tensor; the list and the dict are typed by the
// modules they hold (any Tensor module unless given), so `layer.call(x)` is typed too.

import { describeValue, Tensor } from '@dl/tensor';
import { Module } from './module.js';

function isModuleRecord(value: unknown): value is Readonly<Record<string, Module>> {
  return typeof value === 'object' && value !== null && !(value instanceof Module);
}

/** A value in an error message: a module by its class, anything else as @dl/tensor shows it. */
function describe(value: unknown): string {
  return value instanceof Module ? `a ${value.constructor.name}` : describeValue(value);
}

/** Runs its modules in order, each on the previous one's output. */
export class Sequential extends Module {
  readonly #entries: Module[] = [];

  /** `new Sequential(a, b, c)`, or named: `new Sequential({ conv: a, relu: b })`. */
  constructor(...modules: Module[] | [Readonly<Record<string, Module>>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && isModuleRecord(first)) {
      for (const [name, module] of Object.entries(first)) this.#add(name, module);
    } else {
      for (const module of modules) {
        if (!(module instanceof Module))
          throw new TypeError(
            `Sequential: argument ${this.#entries.length} is not a Module: ${describe(module)}`,
          );
        this.#add(String(this.#entries.length), module);
      }
    }
  }

  #add(name: string, module: Module): void {
    this.registerModule(name, module);
    this.#entries.push(module);
  }

  /** Appends a module (named by its index). */
  append(module: Module): this {
    this.#add(String(this.#entries.length), module);
    return this;
  }

  /** The number of modules. */
  get length(): number {
    return this.#entries.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const module = this.#entries.at(index);
    if (!module)
      throw new RangeError(
        `index ${index} is out of range for Sequential of length ${this.length}`,
      );
    return module;
  }

  /** The modules in order, for `for (const layer of sequential)`. */
  [Symbol.iterator](): Iterator<Module> {
    return this.#entries[Symbol.iterator]();
  }

  /** Runs each module on the previous one's output, starting from `input`. */
  override forward(input: Tensor): Tensor {
    let x = input;
    for (const [i, module] of this.#entries.entries()) {
      const out = module.call(x);
      if (!(out instanceof Tensor))
        throw new TypeError(
          `Sequential: module ${i} (${module.constructor.name}) did not return a Tensor`,
        );
      x = out;
    }
    return x;
  }
}

/**
 * A list of modules, registered as submodules '0', '1', ... (no forward of its own). Typed by
 * its modules (`new ModuleList([a, b])` infers them); `ModuleList<nn.Module<unknown>>` holds
 * modules that return something else than a Tensor.
 */
export class ModuleList<M extends Module<unknown> = Module> extends Module<never> {
  readonly #entries: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const module of iterableOf('ModuleList', modules)) this.append(module);
  }

  /** Appends a module, registered under its index. Throws a TypeError for anything but a Module. */
  append(module: M): this {
    if (!(module instanceof Module))
      throw new TypeError(`ModuleList.append: expected a Module, got ${describe(module)}`);
    this.registerModule(String(this.#entries.length), module);
    this.#entries.push(module);
    return this;
  }

  /** Appends each module of `modules` in order. */
  extend(modules: Iterable<M>): this {
    for (const module of iterableOf('ModuleList.extend', modules)) this.append(module);
    return this;
  }

  /** The number of modules. */
  get length(): number {
    return this.#entries.length;
  }

  /** The module at `index` (negative counts from the end); throws a RangeError outside the list. */
  at(index: number): M {
    const module = this.#entries.at(index);
    if (!module)
      throw new RangeError(
        `index ${index} is out of range for ModuleList of length ${this.length}`,
      );
    return module;
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.#entries[Symbol.iterator]();
  }
}

/** Modules by name, in insertion order (no forward of its own); typed like ModuleList. */
export class ModuleDict<M extends Module<unknown> = Module> extends Module<never> {
  readonly #entries = new Map<string, M>();

  constructor(modules: Readonly<Record<string, M>> | Iterable<[string, M]> = {}) {
    super();
    if (typeof modules !== 'object' || modules === null || modules instanceof Module) {
      throw new TypeError(
        `ModuleDict: expected an object of modules ({ fc: new Linear(2, 3) }) or [name, module] pairs, got ${describe(modules)}`,
      );
    }
    const pairs = Symbol.iterator in modules ? modules : Object.entries(modules);
    for (const [name, module] of pairs) this.set(name, module);
  }

  /** Adds a module under `name`. Throws when the name is taken or the value is not a Module. */
  set(name: string, module: M): this {
    if (!(module instanceof Module))
      throw new TypeError(`ModuleDict.set: "${name}" is not a Module: ${describe(module)}`);
    if (this.#entries.has(name))
      throw new Error(`ModuleDict.set: "${name}" already exists (keys must be unique)`);
    this.registerModule(name, module);
    this.#entries.set(name, module);
    return this;
  }

  /** The module under `name`, or undefined. */
  get(name: string): M | undefined {
    return this.#entries.get(name);
  }

  /** Whether a module is held under `name`. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** The names, in insertion order. */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** The modules, in insertion order. */
  values(): IterableIterator<M> {
    return this.#entries.values();
  }

  /** The [name, module] pairs, in insertion order. */
  entries(): IterableIterator<[string, M]> {
    return this.#entries.entries();
  }

  /** The number of modules. */
  get size(): number {
    return this.#entries.size;
  }
}

/** `modules` when it is iterable (new ModuleList([a, b])), else a TypeError naming `op`. */
function iterableOf<M>(op: string, modules: Iterable<M>): Iterable<M> {
  if (typeof modules !== 'object' || modules === null || !(Symbol.iterator in modules)) {
    throw new TypeError(
      `${op}: expected an iterable of modules, such as an array ([a, b]), got ${describe(modules)}`,
    );
  }
  return modules;
}
