// Axis scales: a domain of data values mapped onto a range of pixels, linearly or by
// logarithm, with d3-scale's nice tick values and their labels.

import { scaleLinear, scaleLog } from 'd3-scale';

/** How an axis maps values to positions. */
export type ScaleType = 'linear' | 'log';

/** A tick: its value and its label ('' for the log scale's unlabelled minor ticks). */
export interface Tick {
  readonly value: number;
  readonly label: string;
}

/** A scale with its ticks: map(value) is a pixel position in the range. */
export interface Scale {
  readonly type: ScaleType;
  readonly domain: readonly [number, number];
  map(value: number): number;
  readonly ticks: readonly Tick[];
}

/** Whether a value can be drawn on a scale of this type (finite, and positive for log). */
export function drawable(type: ScaleType, value: number): boolean {
  return Number.isFinite(value) && (type === 'linear' || value > 0);
}

/**
 * The domain that shows `values`: their extent, widened by `margin` of it on both sides (in
 * log space for the log scale), or around a single value by a tenth of it (1 for 0).
 */
export function dataDomain(
  type: ScaleType,
  values: Iterable<number>,
  margin: number,
): [number, number] | undefined {
  let [low, high] = [Infinity, -Infinity];
  for (const v of values) {
    if (!drawable(type, v)) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (low > high) return undefined;
  if (type === 'log') {
    if (low === high) return [low / 2, high * 2];
    const ratio = (high / low) ** margin;
    return [low / ratio, high * ratio];
  }
  if (low === high) {
    const pad = Math.abs(low) / 10 || 1;
    return [low - pad, high + pad];
  }
  const pad = (high - low) * margin;
  return [low - pad, high + pad];
}

/** A number as a tick label: plain, or as 2e-5 when it has more than 3 zeros after the point or 6 digits. */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  const mantissa = (v: number) => String(Number(v.toPrecision(6)));
  if (exponent < -4 || exponent > 5) {
    const [m, e] = value.toExponential().split('e');
    return `${mantissa(Number(m))}e${Number(e)}`;
  }
  return mantissa(value);
}

/**
 * A scale from `domain` onto `range` with about `count` ticks: d3-scale's nice values
 * (1, 2 or 5 times a power of ten apart; on a log scale each power of ten, with 2 to 9 times
 * it unlabelled or labelled as space allows). With `integer`, only whole ticks.
 */
export function makeScale(
  type: ScaleType,
  domain: readonly [number, number],
  range: readonly [number, number],
  count: number,
  integer = false,
): Scale {
  if (type === 'log') {
    const scale = scaleLog().domain(domain).range(range);
    const label = scale.tickFormat(count, '~g');
    const ticks = scale.ticks(count).map((value) => ({
      value,
      label: label(value) === '' ? '' : formatNumber(value),
    }));
    // With more decades than ticks asked for, d3 gives the powers of ten alone; as in
    // matplotlib, 2 to 9 times each still get unlabelled minor ticks while they are few.
    const exponents = ticks.map((t) => Math.log10(t.value));
    const consecutive = exponents.every(
      (e, i) =>
        Math.abs(e - Math.round(e)) < 1e-9 && (i === 0 || Math.round(e - exponents[i - 1]!) === 1),
    );
    if (consecutive && ticks.length > 0 && ticks.length <= 12) {
      const low = Math.floor(Math.log10(domain[0]));
      const high = Math.ceil(Math.log10(domain[1]));
      for (let e = low; e < high; e++) {
        for (let m = 2; m <= 9; m++) {
          const value = Number(`${m}e${e}`);
          if (value >= domain[0] && value <= domain[1]) ticks.push({ value, label: '' });
        }
      }
      ticks.sort((a, b) => a.value - b.value);
    }
    return { type, domain, map: (v) => scale(v), ticks };
  }
  const scale = scaleLinear().domain(domain).range(range);
  let values = scale.ticks(count);
  let label: (value: number) => string;
  if (integer) {
    values = values.filter(Number.isInteger);
    label = (value) => value.toLocaleString('en-US');
  } else {
    const extreme = Math.max(Math.abs(domain[0]), Math.abs(domain[1]));
    // Very small or very large values read better as 2e-5 than as 0.00002.
    label = extreme < 1e-3 || extreme >= 1e6 ? formatNumber : scale.tickFormat(count);
  }
  return {
    type,
    domain,
    map: (v) => scale(v),
    ticks: values.map((value) => ({ value, label: label(value) })),
  };
}
