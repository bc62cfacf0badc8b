// Reverse-mode differentiation: order the graph's nodes so each comes after every node
// that uses its output, then walk them once, summing the gradients that reach each one.

import { noGrad, setGradEnabled } from './mode.js';
import { Node, type Variable } from './node.js';

/** How the engine combines and seeds gradients of values of type V. */
export interface GradAlgebra<V> {
  /** a + b, as a new value. */
  add(a: V, b: V): V;
  /** A value shaped like `like` holding ones: the gradient of an output with itself. */
  onesLike(like: V): V;
  /** The same value cut off from the graph (a gradient stored in `.grad`). */
  detach(value: V): V;
  /** Checks that `grad` can be the gradient of `value` (same shape); throws otherwise. */
  checkGrad?(value: V, grad: V, what: string): void;
}

/** Options of `backward`, like `torch.autograd.backward`'s keyword arguments. */
export interface BackwardOptions {
  /** Keep the graph's saved values so backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward computation itself, for gradients of gradients. */
  createGraph?: boolean;
}

/** Options of `grad`, like `torch.autograd.grad`'s keyword arguments. */
export interface GradOptions extends BackwardOptions {
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/**
 * Computes the gradients of `outputs` (weighted by `gradOutputs`) and accumulates them into
 * the `.grad` of every leaf that requires grad, like `torch.autograd.backward`.
 */
export function backward<V extends Variable<V>>(
  algebra: GradAlgebra<V>,
  outputs: readonly V[],
  gradOutputs: readonly V[],
  options: BackwardOptions = {},
): void {
  run(algebra, outputs, gradOutputs, options, undefined);
}

/**
 * Computes and returns the gradients of `outputs` with respect to `inputs` without touching
 * any `.grad`, like `torch.autograd.grad`.
 */
export function grad<V extends Variable<V>>(
  algebra: GradAlgebra<V>,
  outputs: readonly V[],
  inputs: readonly V[],
  gradOutputs: readonly V[],
  options: GradOptions = {},
): (V | null)[] {
  for (const [i, input] of inputs.entries()) {
    if (!input.requiresGrad) {
      throw new Error(`grad: input ${i} does not require grad`);
    }
  }
  const captured = new Map<V | Node<V>, V | null>();
  for (const input of inputs) captured.set(input.gradFn ?? input, null);
  run(algebra, outputs, gradOutputs, options, captured);
  return inputs.map((input, i) => {
    const found = captured.get(input.gradFn ?? input) ?? null;
    if (found === null && !options.allowUnused) {
      throw new Error(
        `grad: input ${i} was not used to compute the outputs; pass { allowUnused: true } ` +
          'to get null for it instead',
      );
    }
    return found;
  });
}

function run<V extends Variable<V>>(
  algebra: GradAlgebra<V>,
  outputs: readonly V[],
  gradOutputs: readonly V[],
  options: BackwardOptions,
  captured: Map<V | Node<V>, V | null> | undefined,
): void {
  if (outputs.length !== gradOutputs.length) {
    throw new Error(`backward: ${outputs.length} outputs but ${gradOutputs.length} gradients`);
  }
  for (const [i, output] of outputs.entries()) {
    if (!output.requiresGrad) {
      throw new Error(
        `backward: output ${i} does not require grad and has no gradFn; did you compute it ` +
          'inside noGrad(), or from values none of which has requiresGrad set?',
      );
    }
    algebra.checkGrad?.(output, gradOutputs[i]!, `backward: the gradient for output ${i}`);
  }
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const previousMode = setGradEnabled(createGraph);
  try {
    const order = topologicalOrder(outputs);
    const pending = new Map<Node<V>, V>();
    const add = (node: Node<V>, g: V) => {
      const sum = pending.get(node);
      pending.set(node, sum === undefined ? g : algebra.add(sum, g));
    };
    for (const [i, output] of outputs.entries()) {
      const g = gradOutputs[i]!;
      if (output.gradFn) add(output.gradFn, g);
      else accumulateLeaf(algebra, output, g, createGraph, captured);
    }
    for (const node of order) {
      let g = pending.get(node);
      if (g === undefined) continue; // nothing reached it (all paths came through non-grad inputs)
      pending.delete(node);
      for (const hook of node.preHooks) g = hook(g) ?? g;
      const retained = node.retained?.deref();
      if (retained) retained.grad = accumulate(algebra, retained.grad, g, createGraph);
      if (captured?.has(node)) {
        captured.set(node, g);
      }
      const inputGrads = node.apply(g);
      for (const [i, input] of node.inputs.entries()) {
        const inputGrad = inputGrads[i];
        if (!inputGrad || !input.requiresGrad) continue;
        if (input.gradFn) add(input.gradFn, inputGrad);
        else accumulateLeaf(algebra, input, inputGrad, createGraph, captured);
      }
      if (!retainGraph) node.release();
    }
  } finally {
    setGradEnabled(previousMode);
  }
}

function accumulateLeaf<V extends Variable<V>>(
  algebra: GradAlgebra<V>,
  leaf: V,
  grad: V,
  createGraph: boolean,
  captured: Map<V | Node<V>, V | null> | undefined,
): void {
  let g = grad;
  for (const hook of leaf.gradHooks) g = hook(g) ?? g;
  if (captured) {
    // torch.autograd.grad leaves .grad alone and returns the gradient instead.
    if (captured.has(leaf)) {
      const previous = captured.get(leaf) ?? null;
      captured.set(leaf, previous === null ? g : algebra.add(previous, g));
    }
    return;
  }
  leaf.grad = accumulate(algebra, leaf.grad, g, createGraph);
}

function accumulate<V>(algebra: GradAlgebra<V>, current: V | null, g: V, createGraph: boolean): V {
  if (createGraph) return current === null ? g : algebra.add(current, g);
  return noGrad(() => algebra.detach(current === null ? g : algebra.add(current, g)));
}

/** Nodes reachable from the outputs, each before the nodes it feeds into (reverse post-order). */
function topologicalOrder<V extends Variable<V>>(outputs: readonly V[]): Node<V>[] {
  const visited = new Set<Node<V>>();
  const postOrder: Node<V>[] = [];
  // Iterative depth-first search: graphs of long training loops are deeper than the stack.
  const stack: { node: Node<V>; next: number }[] = [];
  for (const output of outputs) {
    const root = output.gradFn;
    if (!root || visited.has(root)) continue;
    visited.add(root);
    stack.push({ node: root, next: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const input = top.node.inputs[top.next++];
      if (input === undefined) {
        stack.pop();
        postOrder.push(top.node);
        continue;
      }
      const child = input.gradFn;
      if (child && input.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    }
  }
  return postOrder.reverse();
}

export { Node };
