// Tick labels and domains.

import { describe, expect, it } from 'vitest';
import { dataDomain, formatNumber, makeScale } from './scale.ts';

describe('scales', () => {
  it('writes numbers plainly, or as 2e-5 when very small or large', () => {
    expect([0, 1, 0.25, 1500, 0.001, 0.0001, 0.00002, 1e6, 2.5e7].map(formatNumber)).toEqual([
      '0',
      '1',
      '0.25',
      '1500',
      '0.001',
      '0.0001',
      '2e-5',
      '1e6',
      '2.5e7',
    ]);
  });

  it('pads the data extent, in log space on a log scale, and skips what it cannot draw', () => {
    expect(dataDomain('linear', [1, 3, Number.NaN], 0.5)).toEqual([0, 4]);
    const [low, high] = dataDomain('log', [0, 1, 100, -5], 0.5)!;
    expect(low).toBeCloseTo(0.1, 10);
    expect(high).toBeCloseTo(1000, 10);
    expect(dataDomain('linear', [2], 0)).toEqual([1.8, 2.2]);
    expect(dataDomain('linear', [0], 0)).toEqual([-1, 1]);
    expect(dataDomain('log', [0, -1], 0)).toBeUndefined();
  });

  it('maps the domain onto the range and keeps whole ticks only when asked', () => {
    const scale = makeScale('linear', [0, 2], [100, 300], 8, true);
    expect(scale.map(0.5)).toBe(150);
    expect(scale.ticks.map((t) => t.label)).toEqual(['0', '1', '2']);
    expect(makeScale('linear', [0, 20000], [0, 1], 2, true).ticks.map((t) => t.label)).toEqual([
      '0',
      '10,000',
      '20,000',
    ]);
    // d3's minus sign (U+2212), which the font draws.
    expect(makeScale('linear', [-1, 1], [0, 1], 2).ticks.map((t) => t.label)).toEqual([
      '\u22121',
      '0',
      '1',
    ]);
  });
});
