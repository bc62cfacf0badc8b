// Containers: Sequential (modules run in order), ModuleList and ModuleDict, whose entries
// are registered under their index or key so state-dict names read `layers.0.weight`.

import { Tensor } from '@dl/tensor';
import { Module } from './module.js';

function isModuleRecord(value: unknown): value is Readonly<Record<string, Module>> {
  return typeof value === 'object' && value !== null && !(value instanceof Module);
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
          throw new TypeError(`Sequential: argument ${this.#entries.length} is not a Module`);
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

  [Symbol.iterator](): Iterator<Module> {
    return this.#entries[Symbol.iterator]();
  }

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

/** A list of modules, registered as submodules '0', '1', ... (no forward of its own). */
export class ModuleList extends Module {
  readonly #entries: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const module of modules) this.append(module);
  }

  append(module: Module): this {
    if (!(module instanceof Module))
      throw new TypeError(`ModuleList.append: expected a Module, got ${String(module)}`);
    this.registerModule(String(this.#entries.length), module);
    this.#entries.push(module);
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const module of modules) this.append(module);
    return this;
  }

  get length(): number {
    return this.#entries.length;
  }

  at(index: number): Module {
    const module = this.#entries.at(index);
    if (!module)
      throw new RangeError(
        `index ${index} is out of range for ModuleList of length ${this.length}`,
      );
    return module;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.#entries[Symbol.iterator]();
  }
}

/** Modules by name, in insertion order (no forward of its own). */
export class ModuleDict extends Module {
  readonly #entries = new Map<string, Module>();

  constructor(modules: Readonly<Record<string, Module>> | Iterable<[string, Module]> = {}) {
    super();
    const pairs = Symbol.iterator in modules ? modules : Object.entries(modules);
    for (const [name, module] of pairs) this.set(name, module);
  }

  set(name: string, module: Module): this {
    if (!(module instanceof Module))
      throw new TypeError(`ModuleDict.set: "${name}" is not a Module`);
    if (this.#entries.has(name))
      throw new Error(`ModuleDict.set: "${name}" already exists (keys must be unique)`);
    this.registerModule(name, module);
    this.#entries.set(name, module);
    return this;
  }

  get(name: string): Module | undefined {
    return this.#entries.get(name);
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  values(): IterableIterator<Module> {
    return this.#entries.values();
  }

  entries(): IterableIterator<[string, Module]> {
    return this.#entries.entries();
  }

  get size(): number {
    return this.#entries.size;
  }
}
