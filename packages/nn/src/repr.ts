// Python's printed forms of the values in a module's extraRepr, so printed models read
// exactly like PyTorch's: 1e-05, 0.5, True, None, (3, 3).

/** Python's repr of a float: 1.0, 0.25, 1e-05. */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const exponent = value === 0 ? 0 : Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 16) {
    const [mantissa = '', power = ''] = value.toExponential().split('e');
    const sign = power.startsWith('-') ? '-' : '+';
    const digits = power.replace(/^[-+]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

export function pyBool(value: boolean): string {
  return value ? 'True' : 'False';
}

/** Python's repr of an int or a tuple of ints: 3, (3, 3), (3,). */
export function pyInts(value: number | readonly number[]): string {
  if (typeof value === 'number') return String(value);
  return value.length === 1 ? `(${value[0]},)` : `(${value.join(', ')})`;
}
