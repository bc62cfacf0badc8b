// Checks shared by the chart builders: unknown option names (a matplotlib or snake_case
// spelling is answered with dl's), sizes and labels.

/**
 * Refuses an option `what` does not know, naming the one meant where the spelling differs
 * only in case or underscores (`ylabel`, `y_label`: did you mean `yLabel`?).
 */
export function checkOptionNames(what: string, options: object, known: readonly string[]): void {
  const squash = (name: string) => name.replace(/_/g, '').toLowerCase();
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const meant = known.find((k) => squash(k) === squash(name));
    throw new Error(
      meant
        ? `${what}: unknown option '${name}'; did you mean '${meant}'?`
        : `${what}: unknown option '${name}'; the options are ${known.join(', ')}`,
    );
  }
}

/** A positive whole number of pixels, or the default. */
export function checkSize(
  what: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(
      `${what}: ${name} should be a positive whole number of pixels, got ${value}`,
    );
  return value;
}
