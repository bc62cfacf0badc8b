// Fuzzing decodePng: valid files (test/png-files.ts) with random byte flips, truncations and
// insertions, and structured bombs (huge dimensions, bad CRCs, zlib bombs in the image data).
// Every input must decode to what the intact file gives or fail with one line that starts
// `decodePng: `, never a TypeError or RangeError from inside; bombs must not raise the
// process's peak memory by more than a bound. DL_FUZZ_RUNS sets the number of runs.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePng, type RawImage } from '../src/index.node.ts';
import { peakRssMb, zerosDeflate, zlibWrap } from './bombs.ts';
import { mutate, mutation } from './mutations.ts';
import { anyImage, chunk, concat, encodeTestPng, ihdr, signature } from './png-files.ts';

const runs = Number(process.env['DL_FUZZ_RUNS'] ?? 200);
const seed = 1919;
/** The documented default of maxPixels: Pillow's MAX_IMAGE_PIXELS. */
const defaultMaxPixels = 89_478_485;

/** Decodes, returning the image or the error, and checks the error is one of ours. */
function attempt(bytes: Uint8Array): RawImage | Error {
  try {
    return decodePng(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    const { message } = error as Error;
    expect((error as Error).constructor).toBe(Error);
    expect(message).toMatch(/^decodePng: \S/);
    expect(message).not.toContain('\n');
    return error as Error;
  }
}

function same(decoded: RawImage, original: RawImage): void {
  expect([decoded.width, decoded.height, decoded.channels]).toEqual([
    original.width,
    original.height,
    original.channels,
  ]);
  expect(decoded.data).toEqual(original.data);
}

describe('decodePng fuzz', () => {
  it('decodes a damaged file as the intact one or fails with one line of its own', () => {
    fc.assert(
      fc.property(anyImage, mutation, (image, change) => {
        const bytes = encodeTestPng(image);
        const original = decodePng(bytes);
        const result = attempt(mutate(bytes, change));
        // Every byte before IEND's end is covered by the signature check, a length, or a
        // CRC: a change there can only fail. Bytes after IEND are ignored.
        if (!(result instanceof Error)) same(result, original);
      }),
      { seed, numRuns: runs },
    );
  });

  it('refuses any header over the pixel limit before reading on, whatever follows', () => {
    const huge = fc
      .tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }))
      .filter(([w, h]) => w * h > defaultMaxPixels);
    fc.assert(
      fc.property(huge, fc.uint8Array({ maxLength: 64 }), ([width, height], rest) => {
        const bytes = concat([signature, ihdr(width, height, 8, 6), rest]);
        const result = attempt(bytes);
        expect(result).toBeInstanceOf(Error);
        expect((result as Error).message).toBe(
          `decodePng: the image is ${width}x${height} (${width * height} pixels), over the ${defaultMaxPixels}-pixel limit that guards against decompression bombs; pass { maxPixels: ${width * height} } to decodePng to allow it`,
        );
      }),
      { seed, numRuns: runs },
    );
  });

  it('refuses a zlib bomb in the image data within a bounded memory', async () => {
    // 1 GiB of zeros in about a megabyte, given as the data of small images of every type.
    const bomb = zlibWrap(await zerosDeflate(new Uint8Array(0), 1024));
    const before = peakRssMb();
    for (const [width, height, depth, colourType] of [
      [64, 64, 8, 0],
      [1000, 1000, 16, 6],
      [3, 5, 1, 3],
    ] as const) {
      const palette = colourType === 3 ? [chunk('PLTE', new Uint8Array(3))] : [];
      const bytes = concat([
        signature,
        ihdr(width, height, depth, colourType),
        ...palette,
        chunk('IDAT', bomb),
        chunk('IEND', new Uint8Array(0)),
      ]);
      const result = attempt(bytes);
      expect(result).toBeInstanceOf(Error);
      expect((result as Error).message).toMatch(
        /^decodePng: the image data inflates to more than the \d+ bytes its header implies/,
      );
    }
    // The largest output here is 1000x1000 RGBA (4 MB); inflating the bomb would take 1 GiB.
    expect(peakRssMb() - before).toBeLessThan(200);
  });
});
