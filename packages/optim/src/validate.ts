// Hyperparameter checks shared by the optimizers: each names the optimizer, the option and
// the bad value, as PyTorch's do.

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
