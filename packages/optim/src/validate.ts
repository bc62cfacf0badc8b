// Hyperparameter checks shared by the optimizers: each names the optimizer, the option and
// the bad value, as PyTorch's do. Also PyTorch's positional learning rate.

import { describeValue } from '@dl/tensor';

/**
 * An optimizer's options from PyTorch's positional learning rate (`new Adam(params, 0.1)`,
 * then options without lr) or from one options object (`new Adam(params, { lr: 0.1 })`).
 * Anything else is refused: JavaScript would otherwise run with the default lr, silently.
 */
export function withLr<O extends { lr?: number | undefined }>(
  optimizer: string,
  lrOrOptions: number | O,
  rest: Omit<O, 'lr'> | undefined,
): O;
export function withLr(optimizer: string, lrOrOptions: unknown, rest: unknown): object {
  if (rest !== undefined && !isOptionsObject(rest)) {
    throw new TypeError(
      `${optimizer}: expected an options object after the learning rate, got ${describeValue(rest)}`,
    );
  }
  if (typeof lrOrOptions === 'number') {
    if (rest !== undefined && 'lr' in rest) {
      throw new TypeError(
        `${optimizer}: the learning rate is given twice (${lrOrOptions}, and lr: ${describeValue(rest.lr)} in the options)`,
      );
    }
    return { ...rest, lr: lrOrOptions };
  }
  if (isOptionsObject(lrOrOptions) && rest === undefined) return lrOrOptions;
  throw new TypeError(
    `${optimizer}: expected the learning rate (a number: new ${optimizer}(params, 0.01)) or an ` +
      `options object (new ${optimizer}(params, { lr: 0.01 })), got ${[lrOrOptions, rest]
        .filter((v) => v !== undefined)
        .map((v) => describeValue(v))
        .join(' and ')}`,
  );
}

function isOptionsObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkNonNegative(optimizer: string, name: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0)) {
    throw new RangeError(`${optimizer}: invalid ${name} value: ${value} (expected a number >= 0)`);
  }
}

/** For betas, alpha, rho: a coefficient in [0, 1). */
export function checkUnitInterval(optimizer: string, name: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0 && value < 1)) {
    throw new RangeError(
      `${optimizer}: invalid ${name} value: ${value} (expected 0 <= ${name} < 1)`,
    );
  }
}

/** For rho and alpha, which PyTorch allows to reach 1. */
export function checkClosedUnitInterval(optimizer: string, name: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0 && value <= 1)) {
    throw new RangeError(
      `${optimizer}: invalid ${name} value: ${value} (expected 0 <= ${name} <= 1)`,
    );
  }
}

export function checkBoolean(optimizer: string, name: string, value: boolean): void {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${optimizer}: ${name} must be true or false, got ${String(value)}`);
  }
}

export function checkBetas(optimizer: string, betas: readonly [number, number]): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new TypeError(`${optimizer}: betas must be a pair [beta1, beta2], got ${String(betas)}`);
  }
  betas.forEach((beta, i) => {
    if (!(typeof beta === 'number' && beta >= 0 && beta < 1)) {
      throw new RangeError(
        `${optimizer}: invalid beta parameter at index ${i}: ${beta} (expected 0 <= beta < 1)`,
      );
    }
  });
}
