// Random damage to a file for the fuzz tests: flipped bytes, a cut, or inserted bytes.

import fc from 'fast-check';

/** A change to a file: flip bytes, cut it, or insert bytes. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);

export type Mutation =
  | { kind: 'flip'; flips: [number, number][] }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

export function mutate(bytes: Uint8Array, change: Mutation): Uint8Array {
  if (change.kind === 'cut') return bytes.subarray(0, change.at % bytes.length);
  if (change.kind === 'insert') {
    const at = change.at % (bytes.length + 1);
    return Uint8Array.from([...bytes.subarray(0, at), ...change.bytes, ...bytes.subarray(at)]);
  }
  const out = bytes.slice();
  for (const [at, xor] of change.flips) out[at % out.length]! ^= xor;
  return out;
}
