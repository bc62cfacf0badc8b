// The table cpu-peers.bench.ts prints: one row per workload, a column per library, and how
// many times better dl is than the best JavaScript peer, than each reference (a side shown
// and compared with but not counted among the peers: jax-js on WebGPU) and than PyTorch.

/** One row: each side's figure (a side that could not run has none) and PyTorch's. */
export interface Row<S extends string> {
  workload: string;
  higherIsBetter: boolean;
  figures: Partial<Record<S, number>>;
  torch?: number | undefined;
}

/** Four significant figures at most, thousands separated. */
function formatNumber(x: number | undefined): string {
  if (x === undefined) return '-';
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** How many times better `ours` is than `other` (above 1: ahead), whichever way is better. */
function advantage<S extends string>(
  row: Row<S>,
  ours: S,
  other: number | undefined,
): number | undefined {
  const value = row.figures[ours];
  if (value === undefined || other === undefined) return undefined;
  return row.higherIsBetter ? value / other : other / value;
}

/**
 * The table: `ours` (the first of `sides`) against the best of `peers` on each row, against
 * each of `references` (sides too, outside the best-peer column) and, with a `torchLabel`,
 * against PyTorch.
 */
export function formatTable<S extends string>(
  rows: readonly Row<S>[],
  sides: readonly S[],
  peers: readonly S[],
  references: readonly S[],
  torchLabel: string | undefined,
): string {
  const ours = sides[0]!;
  const header = [
    'workload',
    ...sides,
    `${ours} vs best peer`,
    ...references.map((r) => `${ours} vs ${r}`),
  ];
  if (torchLabel) header.push(torchLabel, `${ours} vs PyTorch`);
  const lines = rows.map((row) => {
    const present = peers.filter((p) => row.figures[p] !== undefined);
    const best = present.sort((p, q) => {
      const [x, y] = [row.figures[p]!, row.figures[q]!];
      return row.higherIsBetter ? y - x : x - y;
    })[0];
    const versusBest = best === undefined ? undefined : advantage(row, ours, row.figures[best]);
    const cells = [
      row.workload,
      ...sides.map((s) => formatNumber(row.figures[s])),
      versusBest === undefined ? '-' : `${versusBest.toFixed(2)}x (${best})`,
      ...references.map((r) => {
        const versus = advantage(row, ours, row.figures[r]);
        return versus === undefined ? '-' : `${versus.toFixed(2)}x`;
      }),
    ];
    if (torchLabel) {
      const versusTorch = advantage(row, ours, row.torch);
      cells.push(
        formatNumber(row.torch),
        versusTorch === undefined ? '-' : `${versusTorch.toFixed(2)}x`,
      );
    }
    return cells;
  });
  const all = [header, ...lines];
  const widths = header.map((_, c) => Math.max(...all.map((cells) => cells[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(line)].join('\n');
}
