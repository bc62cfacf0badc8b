// Grad modes: whether operations record the graph. Like torch.no_grad / enable_grad, as
// functions that run a callback. The callback may be async (a validation loop awaiting
// its batches): the mode then holds until its promise settles.
//
// In Node, the mode travels with the callback's async context (AsyncLocalStorage), so it
// covers exactly the callback's own work, across its awaits, and code running concurrently
// outside it keeps its own mode. Browsers have no async context: there an async callback's
// mode is the global mode from its start until its promise settles, for all code that runs
// meanwhile; when several such callbacks overlap, the most recently started one that has
// not settled decides, and once none is left the mode goes back to what it was before the
// first of them.

/** The grad mode of one callback's async context (Node). */
interface ModeFrame {
  enabled: boolean;
}

/** The part of Node's AsyncLocalStorage used here. */
interface ContextStorage {
  getStore(): ModeFrame | undefined;
  run<T>(store: ModeFrame, fn: () => T): T;
}

type BuiltinModuleLoader = (id: string) => unknown;

/** The mode outside any callback (and, in browsers, the mode right now). */
let enabled = true;
/** AsyncLocalStorage, looked up on the first callback: undefined until then, null where absent. */
let storage: ContextStorage | null | undefined;
/** Browsers: async callbacks whose promise has not settled, oldest first. */
const pending: { mode: boolean }[] = [];
/** Browsers: the mode before the oldest pending async callback began. */
let beforePending = true;

function contextStorage(): ContextStorage | null {
  if (storage === undefined) {
    // process.getBuiltinModule (Node >= 20.16) reaches node:async_hooks without a static
    // import, which a browser bundle could not resolve.
    const process = (globalThis as { process?: { getBuiltinModule?: BuiltinModuleLoader } })
      .process;
    const hooks = process?.getBuiltinModule?.('node:async_hooks') as
      | { AsyncLocalStorage?: new () => ContextStorage }
      | undefined;
    storage = hooks?.AsyncLocalStorage ? new hooks.AsyncLocalStorage() : null;
  }
  return storage;
}

/** Whether operations record the graph here and now, like `torch.is_grad_enabled()`. */
export function isGradEnabled(): boolean {
  return storage?.getStore()?.enabled ?? enabled;
}

/**
 * Sets the grad mode and returns the previous one. Inside a noGrad/enableGrad callback (in
 * Node) it changes that callback's mode only. Prefer noGrad/enableGrad.
 */
export function setGradEnabled(mode: boolean): boolean {
  const frame = storage?.getStore();
  if (frame) {
    const previous = frame.enabled;
    frame.enabled = mode;
    return previous;
  }
  const previous = enabled;
  enabled = mode;
  return previous;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function withMode<T>(mode: boolean, fn: () => T): T {
  const context = contextStorage();
  if (context) return context.run({ enabled: mode }, fn);
  const previous = enabled;
  enabled = mode;
  let result: T;
  try {
    result = fn();
  } catch (error) {
    enabled = previous;
    throw error;
  }
  if (!isPromiseLike(result)) {
    enabled = previous;
    return result;
  }
  // No async context to carry the mode: keep it globally until the promise settles.
  if (pending.length === 0) beforePending = previous;
  const scope = { mode };
  pending.push(scope);
  const settle = () => {
    pending.splice(pending.indexOf(scope), 1);
    enabled = pending.length > 0 ? pending[pending.length - 1]!.mode : beforePending;
  };
  return Promise.resolve(result).then(
    (value) => {
      settle();
      return value;
    },
    (error: unknown) => {
      settle();
      throw error;
    },
  ) as T;
}

/**
 * Runs `fn` without recording operations for autograd, like `with torch.no_grad():`. An
 * async `fn` keeps gradients off until its promise settles.
 */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn);
}

/** Runs `fn` recording operations even inside noGrad, like `with torch.enable_grad():`. */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn);
}
