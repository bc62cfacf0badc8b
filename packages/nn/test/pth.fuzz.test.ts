// Fuzzing the torch.save reader with PyTorch's own files as seeds: byte flips, truncations and
// random bytes spliced in, over whole files (both formats) and inside a zip's data.pkl (the
// archive rebuilt around it, so its CRC passes and the unpickler sees the damage). Every input
// must load or throw an Error of the reader's own ("pth: ..."), never a TypeError or RangeError
// from a missed check, and never run anything. DL_FUZZ_RUNS sets the number of runs.

import { existsSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { readZipDirectory, zipEntryBytes } from '../src/zip.js';
import { fixture, pwned, zipOf } from './pth-files.js';

const runs = Number(process.env['DL_FUZZ_RUNS'] ?? 300);

const seeds = [
  'mlp.pth',
  'mlp.legacy.pth',
  'mlp.p5.legacy.pth',
  'views.pth',
  'views.legacy.pth',
  'dtypes.pth',
  'dtypes.legacy.pth',
  'checkpoint.pth',
  'checkpoint.legacy.pth',
  'checkpoint.p4.pth',
  'int64-overflow.legacy.pth',
  'evil.pth',
  'evil.legacy.pth',
];
const bytesOf = new Map(seeds.map((name) => [name, fixture(name)]));

/** A change to some bytes: flips, a truncation, and random bytes spliced in. */
const damage = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }),
  splice: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 12 }))),
  truncate: fc.option(fc.nat()),
});

function apply(bytes: Uint8Array, change: typeof damage extends fc.Arbitrary<infer T> ? T : never) {
  let out = bytes.slice();
  for (const [at, mask] of change.flips) if (out.length > 0) out[at % out.length]! ^= mask;
  if (change.splice) {
    const [at, inserted] = change.splice;
    const cut = out.length === 0 ? 0 : at % out.length;
    const joined = new Uint8Array(out.length + inserted.length);
    joined.set(out.subarray(0, cut));
    joined.set(inserted, cut);
    joined.set(out.subarray(cut), cut + inserted.length);
    out = joined;
  }
  if (change.truncate !== null && out.length > 0)
    out = out.subarray(0, change.truncate % out.length);
  return out;
}

/** Loads or fails with the reader's own error. */
function check(bytes: Uint8Array): void {
  try {
    nn.fromTorchBytes(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    const { message, cause } = error as Error; // checked just above
    expect(message).toMatch(/^pth: /);
    // The reader's checks throw plain Errors; a TypeError or RangeError would be a missed check.
    expect(cause, message).toBeInstanceOf(Error);
    for (const missed of [TypeError, RangeError, ReferenceError, SyntaxError])
      expect(cause, message).not.toBeInstanceOf(missed);
  }
}

describe('fuzzing fromTorchBytes', () => {
  it('damaged files load or fail with a clear error', () => {
    rmSync(pwned, { force: true });
    fc.assert(
      fc.property(fc.constantFrom(...seeds), damage, (name, change) =>
        check(apply(bytesOf.get(name)!, change)),
      ),
      { seed: 20, numRuns: runs },
    );
    expect(existsSync(pwned)).toBe(false);
  });

  it('a damaged data.pkl inside a sound archive loads or fails with a clear error', () => {
    const archives = new Map(
      seeds
        .filter((name) => !name.includes('legacy'))
        .map((name) => {
          const bytes = bytesOf.get(name)!;
          const entries = [...readZipDirectory(bytes).values()].map(
            (e) => [e.name, zipEntryBytes(bytes, e)] as const,
          );
          return [name, entries] as const;
        }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...archives.keys()), damage, (name, change) => {
        const entries = archives.get(name)!;
        const rebuilt = entries.map(([name, data]) =>
          name.endsWith('/data.pkl')
            ? ([name, apply(data, change)] as const)
            : ([name, data] as const),
        );
        check(zipOf(rebuilt));
      }),
      { seed: 21, numRuns: runs },
    );
  });
});
