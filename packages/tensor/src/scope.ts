// Memory scopes: tidy(fn) disposes every tensor created while fn runs, except those it
// returns; when what it returns still has an autograd graph to run backward through, the
// tensors that graph may need are left to be freed with it.

import { Tensor } from './tensor.js';

/**
 * Runs fn, then disposes the tensors created during it that are not part of its result.
 * fn may be async; the scope then ends when its promise settles.
 */
export function tidy<T>(fn: () => T): T {
  // Held strongly: the scope disposes them all when it ends anyway.
  const created: Tensor[] = [];
  const stop = Tensor.onCreate((t) => created.push(t));
  let result: T;
  try {
    result = fn();
  } catch (error) {
    stop();
    throw error;
  }
  const finish = (value: unknown) => {
    const keep = new Set<Tensor>();
    collectTensors(value, keep);
    // A result whose autograd graph has not been through backward yet needs the values its
    // ops saved, which may be any tensor made in fn: leave them to be freed with the graph.
    if ([...keep].some((t) => t.gradFn && !t.gradFn.released)) {
      created.length = 0;
      return;
    }
    for (const t of created) {
      if (!keep.has(t) && !sharesStorage(t, keep)) t.dispose();
    }
    created.length = 0;
  };
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        stop();
        finish(value);
        return value;
      },
      (error: unknown) => {
        stop();
        throw error;
      },
    ) as T;
  }
  stop();
  finish(result);
  return result;
}

function sharesStorage(t: Tensor, keep: ReadonlySet<Tensor>): boolean {
  for (const k of keep) if (k.storageRef === t.storageRef) return true;
  return false;
}

function collectTensors(value: unknown, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Tensor) {
    into.add(value);
    return;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value))
    collectTensors(item, into, seen);
}
