// Grad modes: whether operations record the graph. Like torch.no_grad / enable_grad, as
// functions that run a callback; operations are synchronous, so a callback's own work is
// exactly what it covers.

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Sets the grad mode and returns the previous one. Prefer noGrad/enableGrad. */
export function setGradEnabled(mode: boolean): boolean {
  const previous = enabled;
  enabled = mode;
  return previous;
}

function withMode<T>(mode: boolean, fn: () => T): T {
  const previous = setGradEnabled(mode);
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Runs `fn` without recording operations for autograd, like `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn);
}

/** Runs `fn` recording operations even inside noGrad, like `with torch.enable_grad():`. */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn);
}
