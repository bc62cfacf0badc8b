// Fuzzing the IDX readers: parseIdx on raw files, and readIdx (DecompressionStream) and the
// synchronous node:zlib path on gzipped ones, with random byte flips, truncations and
// insertions, headers with any dimensions, and gzip bombs. Raw results are compared with a
// reference parser written here from the format's description; a damaged gzip file must
// give the intact file's array or fail. Every failure is one line starting with the file's
// name, never a TypeError or RangeError from inside; bombs must not raise the process's peak
// memory by more than a bound. DL_FUZZ_RUNS sets the number of runs.

import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gunzipIdxSync } from '../src/idx-gzip.node.ts';
import { type IdxArray, parseIdx, readIdx } from '../src/index.node.ts';
import { gzipWrap, peakRssMb, zerosDeflate } from './bombs.ts';
import { mutate, mutation } from './mutations.ts';

const runs = Number(process.env['DL_FUZZ_RUNS'] ?? 200);
/** The documented default of maxBytes: 256 MiB. */
const defaultIdxMaxBytes = 256 * 2 ** 20;
const seed = 1920;

/** Bytes per value and how to read one, by type code (the format's table). */
const types: Record<
  number,
  { dtype: string; size: number; read: (b: Buffer, at: number) => number }
> = {
  8: { dtype: 'uint8', size: 1, read: (b, at) => b.readUInt8(at) },
  9: { dtype: 'int8', size: 1, read: (b, at) => b.readInt8(at) },
  11: { dtype: 'int16', size: 2, read: (b, at) => b.readInt16BE(at) },
  12: { dtype: 'int32', size: 4, read: (b, at) => b.readInt32BE(at) },
  13: { dtype: 'float32', size: 4, read: (b, at) => b.readFloatBE(at) },
  14: { dtype: 'float64', size: 8, read: (b, at) => b.readDoubleBE(at) },
};

interface Parsed {
  dtype: string;
  shape: number[];
  values: number[];
}

/** What an IDX file holds, or undefined when it is not a valid one within `maxBytes`. */
function reference(bytes: Uint8Array, maxBytes: number): Parsed | undefined {
  const buffer = Buffer.from(bytes);
  if (buffer.length < 4 || buffer[0] !== 0 || buffer[1] !== 0) return undefined;
  const type = types[buffer[2]!];
  if (!type) return undefined;
  const ndim = buffer[3]!;
  const header = 4 + 4 * ndim;
  if (buffer.length < header) return undefined;
  const shape = Array.from({ length: ndim }, (_, d) => buffer.readUInt32BE(4 + 4 * d));
  let count = 1n;
  for (const size of shape) count *= BigInt(size);
  if (count * BigInt(type.size) > BigInt(maxBytes)) return undefined;
  if (BigInt(buffer.length) !== BigInt(header) + count * BigInt(type.size)) return undefined;
  const values = Array.from({ length: Number(count) }, (_, i) =>
    type.read(buffer, header + i * type.size),
  );
  return { dtype: type.dtype, shape, values };
}

/** A header with any type code, up to 5 dimensions of any size (mostly small), and a body. */
const anyIdx = fc
  .record({
    type: fc.constantFrom(8, 9, 11, 12, 13, 14),
    shape: fc.array(
      fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 5 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }) },
      ),
      { maxLength: 5 },
    ),
    seed: fc.nat(),
  })
  .map(({ type, shape, seed }) => {
    const header = Buffer.alloc(4 + 4 * shape.length);
    header[2] = type;
    header[3] = shape.length;
    for (const [d, size] of shape.entries()) header.writeUInt32BE(size, 4 + 4 * d);
    const count = shape.reduce((a, b) => a * b, 1);
    const bodyLength = count * types[type]!.size <= 4096 ? count * types[type]!.size : 64;
    let state = seed;
    const body = Uint8Array.from({ length: bodyLength }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    });
    return new Uint8Array(Buffer.concat([header, body]));
  });

/** Runs `read`, returning the array or the error, and checks the error is one of ours. */
async function attempt(read: () => IdxArray | Promise<IdxArray>, name: string) {
  try {
    return await read();
  } catch (error) {
    expect((error as Error).constructor).toBe(Error);
    const { message } = error as Error;
    expect(message.startsWith(`${name}: `)).toBe(true);
    expect(message).not.toContain('\n');
    return error as Error;
  }
}

function asParsed(array: IdxArray): Parsed {
  return { dtype: array.dtype, shape: [...array.shape], values: Array.from(array.data) };
}

describe('IDX fuzz', () => {
  it('parseIdx agrees with the reference on damaged files, any dimensions and any limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyIdx,
        fc.option(mutation),
        fc.option(fc.integer({ min: 0, max: 300 })),
        async (bytes, change, limit) => {
          const damaged = change ? mutate(bytes, change) : bytes;
          const maxBytes = limit ?? defaultIdxMaxBytes;
          const expected = reference(damaged, maxBytes);
          const result = await attempt(() => parseIdx(damaged, 'x.idx', { maxBytes }), 'x.idx');
          if (expected === undefined) expect(result).toBeInstanceOf(Error);
          else expect(asParsed(result as IdxArray)).toEqual(expected);
        },
      ),
      { seed, numRuns: runs },
    );
  });

  it('a damaged gzip file gives the intact array or fails, the same way in both readers', async () => {
    const valid = anyIdx.filter((bytes) => reference(bytes, defaultIdxMaxBytes) !== undefined);
    await fc.assert(
      fc.asyncProperty(valid, mutation, async (bytes, change) => {
        const expected = reference(bytes, defaultIdxMaxBytes)!;
        const damaged = mutate(new Uint8Array(gzipSync(bytes)), change);
        const streamed = await attempt(() => readIdx(damaged, 'x.gz'), 'x.gz');
        const synchronous = await attempt(
          () => parseIdx(gunzipIdxSync(damaged, 'x.gz'), 'x.gz'),
          'x.gz',
        );
        for (const result of [streamed, synchronous])
          if (!(result instanceof Error)) expect(asParsed(result)).toEqual(expected);
        expect(streamed instanceof Error).toBe(synchronous instanceof Error);
      }),
      { seed, numRuns: runs },
    );
  });

  it('stops a gzip bomb at the size its header declares, within a bounded memory', async () => {
    // An IDX header for 100 images of 28x28 (78416 bytes), then 1 GiB of zeros: about 1 MB.
    const header = Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28);
    const bomb = gzipWrap(await zerosDeflate(header, 1024));
    // An honest header for a 1 GiB array, over the 256 MiB default limit.
    const honest = gzipWrap(await zerosDeflate(Uint8Array.of(0, 0, 8, 1, 64, 0, 0, 0), 1024));
    const before = peakRssMb();
    const overflow =
      'bomb.gz: decompresses to more than the 78416 bytes that its IDX header declares (a uint8 array of shape [100, 28, 28]): trailing data, or a decompression bomb';
    await expect(readIdx(bomb, 'bomb.gz')).rejects.toThrow(overflow);
    expect(() => gunzipIdxSync(bomb, 'bomb.gz')).toThrow(overflow);
    const limit =
      'honest.gz: the header declares a uint8 array of shape [1073741824] (1073741824 values, 1073741824 bytes), over the 268435456-byte limit; pass { maxBytes: 1073741824 } to allow it';
    await expect(readIdx(honest, 'honest.gz')).rejects.toThrow(limit);
    expect(() => gunzipIdxSync(honest, 'honest.gz')).toThrow(limit);
    // A lower limit refuses even the bomb's small header, before decompressing further.
    await expect(readIdx(bomb, 'bomb.gz', { maxBytes: 1000 })).rejects.toThrow(
      'bomb.gz: the header declares a uint8 array of shape [100, 28, 28] (78400 values, 78400 bytes), over the 1000-byte limit',
    );
    expect(peakRssMb() - before).toBeLessThan(200);
  });
});
