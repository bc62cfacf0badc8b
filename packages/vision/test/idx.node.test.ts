// The IDX reader on hand-built files (every type code, gzip, corrupt headers) and MD5
// against node:crypto and RFC 1321's test vectors.

import { createHash } from 'node:crypto';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipIdxSync } from '../src/idx-gzip.node.ts';
import { gunzip, isGzip, md5, parseIdx, readIdx } from '../src/index.ts';

/** Header bytes: 0, 0, type, ndim, then each size as a big-endian uint32. */
function header(type: number, shape: number[]): number[] {
  return [
    0,
    0,
    type,
    shape.length,
    ...shape.flatMap((s) => [s >>> 24, (s >>> 16) & 255, (s >>> 8) & 255, s & 255]),
  ];
}

describe('parseIdx', () => {
  it('reads a uint8 array [2, 2, 3] as a view of the bytes', () => {
    const bytes = Uint8Array.from([
      ...header(0x08, [2, 2, 3]),
      ...Array.from({ length: 12 }, (_, i) => i * 20),
    ]);
    const idx = parseIdx(bytes);
    expect(idx.dtype).toBe('uint8');
    expect(idx.shape).toEqual([2, 2, 3]);
    expect(Array.from(idx.data)).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220]);
    expect(idx.data.buffer).toBe(bytes.buffer);
  });

  it('reads labels [3] and the big-endian wider types', () => {
    expect(Array.from(parseIdx(Uint8Array.from([...header(0x08, [3]), 7, 0, 9])).data)).toEqual([
      7, 0, 9,
    ]);
    // int8 -1, 127; int16 0x0102 = 258 and 0xfffe = -2; int32 0x00010000 = 65536 and -1.
    expect(Array.from(parseIdx(Uint8Array.from([...header(0x09, [2]), 0xff, 0x7f])).data)).toEqual([
      -1, 127,
    ]);
    expect(
      Array.from(parseIdx(Uint8Array.from([...header(0x0b, [2]), 1, 2, 0xff, 0xfe])).data),
    ).toEqual([258, -2]);
    const int32 = parseIdx(
      Uint8Array.from([...header(0x0c, [1, 2]), 0, 1, 0, 0, 255, 255, 255, 255]),
    );
    expect(int32.dtype).toBe('int32');
    expect(Array.from(int32.data)).toEqual([65536, -1]);
    // float32 1.5 = 0x3fc00000, -2 = 0xc0000000; float64 0.25 = 0x3fd0000000000000.
    expect(
      Array.from(
        parseIdx(Uint8Array.from([...header(0x0d, [2]), 0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0])).data,
      ),
    ).toEqual([1.5, -2]);
    expect(
      Array.from(
        parseIdx(Uint8Array.from([...header(0x0e, [1]), 0x3f, 0xd0, 0, 0, 0, 0, 0, 0])).data,
      ),
    ).toEqual([0.25]);
    // Zero dimensions: one value.
    expect(parseIdx(Uint8Array.from([...header(0x08, []), 42])).shape).toEqual([]);
  });

  it('names what is wrong with a corrupt header or size', () => {
    const body = Array.from({ length: 4 }, () => 1);
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 4, ...body]), 'x.idx')).toThrow(
      'x.idx: not an IDX file: its first two bytes should be 0x00 0x00, got 0x01 0x00',
    );
    expect(() => parseIdx(Uint8Array.from([...header(0x0a, [4]), ...body]), 'x.idx')).toThrow(
      'x.idx: unknown IDX type code 0x0a',
    );
    expect(() => parseIdx(Uint8Array.from([0, 0, 8]), 'x.idx')).toThrow(
      'x.idx: 3 bytes is too short for an IDX header',
    );
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1]), 'x.idx')).toThrow(
      'x.idx: the header declares 3 dimensions (16 header bytes) but the file has only 8 bytes',
    );
    expect(() => parseIdx(Uint8Array.from([...header(0x08, [2, 3]), ...body]), 'x.idx')).toThrow(
      'x.idx: a uint8 array of shape [2, 3] needs 18 bytes (12 of header), but the file has 16 (truncated?)',
    );
    expect(() => parseIdx(Uint8Array.from([...header(0x0c, [1]), ...body, 0]), 'x.idx')).toThrow(
      'x.idx: a int32 array of shape [1] needs 12 bytes (8 of header), but the file has 13',
    );
    const gz = new Uint8Array(gzipSync(Uint8Array.from([...header(0x08, [1]), 5])));
    expect(() => parseIdx(gz, 'y.gz')).toThrow('y.gz: is gzip-compressed; decompress it first');
  });
});

describe('gzip', () => {
  it('readIdx decompresses gzip with the platform DecompressionStream', async () => {
    const raw = Uint8Array.from([...header(0x08, [2, 2]), 1, 2, 3, 4]);
    const gz = new Uint8Array(gzipSync(raw));
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(raw)).toBe(false);
    expect(Array.from(await gunzip(gz))).toEqual(Array.from(raw));
    const idx = await readIdx(gz, 'small.gz');
    expect(idx.shape).toEqual([2, 2]);
    expect(Array.from(idx.data)).toEqual([1, 2, 3, 4]);
    expect((await readIdx(raw)).shape).toEqual([2, 2]);
  });

  it('reads a gzip member with every optional header field, in both readers', async () => {
    // RFC 1952: FEXTRA (2-byte length + data), FNAME and FCOMMENT (zero-terminated), FHCRC.
    const raw = Uint8Array.from([...header(0x08, [3]), 7, 8, 9]);
    const name = new TextEncoder().encode(`${'n'.repeat(10000)}\0`);
    const comment = new TextEncoder().encode('a comment\0');
    const head = Buffer.concat([
      Uint8Array.of(0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3),
      Uint8Array.of(4, 0, 1, 2, 3, 4),
      name,
      comment,
    ]);
    const headerCrc = crc32(head) & 0xffff;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(raw), 0);
    trailer.writeUInt32LE(raw.length, 4);
    const gz = new Uint8Array(
      Buffer.concat([
        head,
        Uint8Array.of(headerCrc & 255, headerCrc >> 8),
        deflateRawSync(raw),
        trailer,
      ]),
    );
    expect(Array.from((await readIdx(gz, 'named.gz')).data)).toEqual([7, 8, 9]);
    expect(Array.from(gunzipIdxSync(gz, 'named.gz'))).toEqual(Array.from(raw));
    expect(() => gunzipIdxSync(gz.subarray(0, 5000), 'cut.gz')).toThrow(
      'cut.gz: gzip decompression failed (corrupt or truncated file?): header cut off',
    );
    // Concatenated members make one stream.
    const halves = new Uint8Array(
      Buffer.concat([gzipSync(raw.subarray(0, 10)), gzipSync(raw.subarray(10))]),
    );
    expect(Array.from(gunzipIdxSync(halves, 'two.gz'))).toEqual(Array.from(raw));
    expect(Array.from((await readIdx(halves, 'two.gz')).data)).toEqual([7, 8, 9]);
  });

  it('reports a corrupt or truncated gzip file', async () => {
    const gz = new Uint8Array(
      gzipSync(Uint8Array.from([...header(0x08, [64]), ...new Array(64).fill(3)])),
    );
    await expect(readIdx(gz.subarray(0, gz.length - 12), 'cut.gz')).rejects.toThrow(
      'cut.gz: gzip decompression failed (corrupt or truncated file?)',
    );
  });
});

describe('md5', () => {
  it('matches RFC 1321 test vectors and node:crypto', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(md5(text(''))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5(text('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(
      md5(text('12345678901234567890123456789012345678901234567890123456789012345678901234567890')),
    ).toBe('57edf4a22be3c955ac49da2e2107b67a');
    for (const length of [55, 56, 63, 64, 65, 1000, 100_003]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 255);
      expect(md5(bytes)).toBe(createHash('md5').update(bytes).digest('hex'));
    }
  });
});
