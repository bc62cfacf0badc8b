// decodePng against PNG files built from the specification (test/png-files.ts): every colour
// type and bit depth, Adam7 interlacing, all five filters, palettes with and without tRNS;
// the same files through fast-png's decoder where it handles them; and one error for each
// way a file can be wrong, naming the chunk, the sizes or the limit.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { decode as fastPngDecode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodePng, defaultMaxPixels, readImage } from '../src/index.node.ts';
import { zerosDeflate, zlibWrap } from './bombs.ts';
import {
  anyImage,
  chunk,
  concat,
  encodeTestPng,
  expectedPixels,
  ihdr,
  rawImageData,
  signature,
  type TestImage,
} from './png-files.ts';

const seed = 19;

describe('decodePng', () => {
  it('decodes every colour type, bit depth, filter and interlacing to the expected pixels', () => {
    fc.assert(
      fc.property(anyImage, (image) => {
        const decoded = decodePng(encodeTestPng(image));
        const expected = expectedPixels(image);
        expect([decoded.width, decoded.height, decoded.channels]).toEqual([
          image.width,
          image.height,
          expected.channels,
        ]);
        expect(Array.from(decoded.data)).toEqual(expected.data);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('agrees with fast-png where fast-png decodes the file (8 and 16 bits; palettes not interlaced)', () => {
    const handled = anyImage.filter(
      (image) =>
        (image.colourType !== 3 && image.depth >= 8) ||
        (image.colourType === 3 && !image.interlaced),
    );
    fc.assert(
      fc.property(handled, (image) => {
        const bytes = encodeTestPng(image);
        const ours = decodePng(bytes);
        const theirs = fastPngDecode(bytes);
        if (image.colourType === 3) {
          // fast-png gives the indices and the palette (with tRNS's alpha appended).
          const rows = Array.from({ length: image.height }, (_, y) => y);
          const stride = Math.ceil((image.width * image.depth) / 8);
          const indices = rows.flatMap((y) =>
            Array.from({ length: image.width }, (_, x) => {
              const bit = x * image.depth;
              const byte = theirs.data[y * stride + (bit >> 3)]!;
              return (byte >> (8 - image.depth - (bit & 7))) & ((1 << image.depth) - 1);
            }),
          );
          const colours = indices.flatMap((index) => [...theirs.palette![index]!]);
          expect(Array.from(ours.data)).toEqual(colours.slice(0, ours.data.length));
        } else {
          const samples = Array.from(theirs.data, (v) => (image.depth === 16 ? v >> 8 : v));
          expect(Array.from(ours.data)).toEqual(samples);
        }
      }),
      { seed, numRuns: 150 },
    );
  });

  it('ignores ancillary chunks, even an iCCP profile that inflates to 64 MiB', async () => {
    const image: TestImage = {
      width: 3,
      height: 2,
      depth: 8,
      colourType: 0,
      interlaced: false,
      samples: [1, 2, 3, 4, 5, 6],
      filters: [0],
    };
    const profile = zlibWrap(await zerosDeflate(new Uint8Array(0), 64));
    const iccp = chunk('iCCP', concat([new TextEncoder().encode('icc\0\0'), profile]));
    const text = chunk('tEXt', new TextEncoder().encode('Comment\0hello'));
    const decoded = decodePng(encodeTestPng(image, [iccp, text]));
    expect(Array.from(decoded.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

/** A 4x3 RGB file with filter 0, and the offsets of its chunks. */
function smallFile(): { bytes: Uint8Array; image: TestImage } {
  const image: TestImage = {
    width: 4,
    height: 3,
    depth: 8,
    colourType: 2,
    interlaced: false,
    samples: Array.from({ length: 36 }, (_, i) => i * 7),
    filters: [0],
  };
  return { bytes: encodeTestPng(image), image };
}

const idat = (raw: Uint8Array) => chunk('IDAT', deflateSync(raw));
const iend = () => chunk('IEND', new Uint8Array(0));

describe('decodePng errors', () => {
  it('names the chunk whose CRC is wrong, for every chunk', () => {
    const palette: TestImage = {
      width: 2,
      height: 2,
      depth: 8,
      colourType: 3,
      interlaced: false,
      samples: [0, 1, 1, 0],
      palette: [255, 0, 0, 0, 0, 255],
      filters: [0],
    };
    const bytes = encodeTestPng(palette, [chunk('tEXt', new TextEncoder().encode('a\0b'))]);
    // Chunks: IHDR at 8, PLTE at 33, tEXt at 51, IDAT at 66, IEND last.
    const view = new DataView(bytes.buffer);
    let offset = 8;
    const seen: string[] = [];
    while (offset < bytes.length) {
      const length = view.getUint32(offset);
      const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
      const broken = bytes.slice();
      broken[offset + 8 + length]! ^= 1; // the CRC's first byte
      expect(() => decodePng(broken)).toThrow(
        new RegExp(
          `^decodePng: bad CRC in chunk ${type} at byte ${offset} \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\): the file is corrupt$`,
        ),
      );
      // A flipped data byte (or the type's last letter's case, when there is no data) is
      // caught the same way.
      const data = bytes.slice();
      data[offset + 4 + length]! ^= 0x20;
      expect(() => decodePng(data)).toThrow(/^decodePng: (bad CRC in chunk|invalid chunk type)/);
      seen.push(type);
      offset += 12 + length;
    }
    expect(seen).toEqual(['IHDR', 'PLTE', 'tEXt', 'IDAT', 'IEND']);
  });

  it('refuses an image over maxPixels from its header alone, saying how to allow it', () => {
    // 20000x20000 with no image data at all: nothing but the header is looked at.
    const header = concat([signature, ihdr(20000, 20000, 8, 0)]);
    expect(() => decodePng(header)).toThrow(
      `decodePng: the image is 20000x20000 (400000000 pixels), over the ${defaultMaxPixels}-pixel limit that guards against decompression bombs; pass { maxPixels: 400000000 } to decodePng to allow it`,
    );
    const { bytes } = smallFile();
    expect(() => decodePng(bytes, { maxPixels: 11 })).toThrow(
      'decodePng: the image is 4x3 (12 pixels), over the 11-pixel limit',
    );
    expect(decodePng(bytes, { maxPixels: 12 }).width).toBe(4);
    expect(() => decodePng(bytes, { maxPixels: 0 })).toThrow(
      'decodePng: maxPixels must be a positive integer, got 0',
    );
  });

  it('refuses image data that inflates past the header, or short of it', async () => {
    // 64x64 grey needs 64 * 65 = 4160 bytes; this stream has 256 MiB.
    const bomb = concat([
      signature,
      ihdr(64, 64, 8, 0),
      chunk('IDAT', zlibWrap(await zerosDeflate(new Uint8Array(0), 256))),
      iend(),
    ]);
    expect(() => decodePng(bomb)).toThrow(
      'decodePng: the image data inflates to more than the 4160 bytes its header implies (a decompression bomb?)',
    );
    const { image } = smallFile();
    const raw = rawImageData(image); // 3 rows of 1 + 12 bytes
    const short = concat([signature, ihdr(4, 3, 8, 2), idat(raw.subarray(0, 30)), iend()]);
    expect(() => decodePng(short)).toThrow(
      'decodePng: the image data inflates to 30 bytes, short of the 39 its header implies (truncated?)',
    );
    const long = concat([signature, ihdr(4, 3, 8, 2), idat(concat([raw, raw])), iend()]);
    expect(() => decodePng(long)).toThrow('inflates to more than the 39 bytes');
    const cut = deflateSync(raw).subarray(0, 10);
    expect(() =>
      decodePng(concat([signature, ihdr(4, 3, 8, 2), chunk('IDAT', cut), iend()])),
    ).toThrow(
      /^decodePng: the image data (is not a valid zlib stream|inflates to \d+ bytes, short of the 39)/,
    );
    const notZlib = concat([
      signature,
      ihdr(4, 3, 8, 2),
      chunk('IDAT', Uint8Array.of(1, 2, 3, 4, 5, 6, 7)),
      iend(),
    ]);
    expect(() => decodePng(notZlib)).toThrow(
      'decodePng: the image data is not a valid zlib stream (',
    );
  });

  it('names a bad filter type, palette index, layout or header field', () => {
    const { image } = smallFile();
    const raw = rawImageData(image);
    raw[13] = 5; // the second row's filter byte
    expect(() => decodePng(concat([signature, ihdr(4, 3, 8, 2), idat(raw), iend()]))).toThrow(
      'decodePng: invalid filter type 5 on row 1 (corrupt image data)',
    );
    const indices = Uint8Array.of(0, 0, 2); // one row of two pixels; index 2 of 2 colours
    const plte = chunk('PLTE', Uint8Array.of(1, 2, 3, 4, 5, 6));
    expect(() =>
      decodePng(concat([signature, ihdr(2, 1, 8, 3), plte, idat(indices), iend()])),
    ).toThrow("decodePng: palette index 2 at pixel 1 on row 0 is beyond the palette's 2 colours");
    expect(() => decodePng(concat([signature, ihdr(2, 1, 8, 3), idat(indices), iend()]))).toThrow(
      'decodePng: a palette PNG without a PLTE chunk',
    );
    expect(() =>
      decodePng(concat([signature, ihdr(2, 1, 8, 0), plte, idat(indices), iend()])),
    ).toThrow('decodePng: a greyscale PNG with a PLTE chunk (at byte 33)');
    const tooMuchAlpha = chunk('tRNS', Uint8Array.of(1, 2, 3));
    expect(() =>
      decodePng(concat([signature, ihdr(2, 1, 8, 3), plte, tooMuchAlpha, idat(indices), iend()])),
    ).toThrow('decodePng: invalid tRNS of 3 bytes at byte 51');
    const good = idat(Uint8Array.of(0, 1, 2));
    expect(() => decodePng(concat([signature, ihdr(2, 1, 8, 0), good, iend()]))).not.toThrow();
    expect(() =>
      decodePng(
        concat([
          signature,
          ihdr(2, 1, 8, 0),
          good,
          chunk('tEXt', Uint8Array.of(65, 0)),
          good,
          iend(),
        ]),
      ),
    ).toThrow('decodePng: IDAT chunks must be consecutive; another comes at byte');
    expect(() => decodePng(concat([signature, ihdr(2, 1, 8, 0), iend()]))).toThrow(
      'decodePng: no image data (IDAT chunk)',
    );
    expect(() =>
      decodePng(
        concat([signature, ihdr(2, 1, 8, 0), chunk('ABCD', new Uint8Array(2)), good, iend()]),
      ),
    ).toThrow('decodePng: unknown critical chunk ABCD at byte 33');
    expect(() => decodePng(concat([signature, ihdr(2, 1, 3, 0), good, iend()]))).toThrow(
      'decodePng: a greyscale PNG cannot have bit depth 3 (IHDR); it has 1, 2, 4, 8, 16',
    );
    expect(() => decodePng(concat([signature, ihdr(2, 1, 8, 5), good, iend()]))).toThrow(
      'decodePng: invalid PNG colour type 5 in IHDR',
    );
    expect(() => decodePng(concat([signature, ihdr(0, 1, 8, 0), good, iend()]))).toThrow(
      'decodePng: invalid PNG size 0x1 in IHDR',
    );
    expect(() => decodePng(concat([signature, chunk('IDAT', new Uint8Array(3)), iend()]))).toThrow(
      'decodePng: the first chunk is IDAT of 3 bytes; a PNG starts with IHDR of 13',
    );
  });

  it('says where a truncated file ends', () => {
    const { bytes } = smallFile();
    expect(() => decodePng(bytes.subarray(0, bytes.length - 12))).toThrow(
      `decodePng: truncated PNG: the file ends at byte ${bytes.length - 12}, inside a chunk header, before IEND`,
    );
    expect(() => decodePng(bytes.subarray(0, 45))).toThrow(
      /^decodePng: truncated PNG: chunk IDAT at byte 33 declares \d+ bytes of data, but the file ends at byte 45$/,
    );
    expect(() => decodePng(bytes.subarray(0, 7))).toThrow(
      'decodePng: not a PNG file (7 bytes that do not start with the PNG signature)',
    );
    // Bytes after IEND are not part of the image.
    expect(decodePng(concat([bytes, Uint8Array.of(1, 2, 3)])).data).toEqual(decodePng(bytes).data);
  });

  it('readImage names the file and its own option', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'dl-png-'));
    const path = join(folder, 'big.png');
    writeFileSync(path, concat([signature, ihdr(10, 10, 8, 0)]));
    await expect(readImage(path, { maxPixels: 99 })).rejects.toThrow(
      `readImage: ${path}: the image is 10x10 (100 pixels), over the 99-pixel limit that guards against decompression bombs; pass { maxPixels: 100 } to readImage to allow it`,
    );
  });
});
