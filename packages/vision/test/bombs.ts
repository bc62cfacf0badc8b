// Decompression bombs for the tests, built in milliseconds: deflate some leading bytes and a
// mebibyte of zeros, then repeat the block that one more mebibyte of zeros compresses to
// (about 1 KB: once the window is all zeros, every such block is the same bytes), and end
// with an empty final block. Wrapped as zlib (PNG's IDAT) or gzip (IDX files); the
// checksums at the end are left zero, as a reader that stops in time never gets there.

import { constants, createDeflateRaw } from 'node:zlib';

/** `head`, then `mebibytes` MiB of zeros, as one raw deflate stream. */
export async function zerosDeflate(head: Uint8Array, mebibytes: number): Promise<Uint8Array> {
  const deflate = createDeflateRaw({ level: 9 });
  const flushed = (bytes: Uint8Array) =>
    new Promise<Buffer>((done) => {
      deflate.write(bytes);
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        const parts: Buffer[] = [];
        for (let part = deflate.read(); part !== null; part = deflate.read()) parts.push(part);
        done(Buffer.concat(parts));
      });
    });
  const zeros = new Uint8Array(2 ** 20);
  const first = await flushed(Buffer.concat([head, zeros]));
  const repeated = await flushed(zeros);
  deflate.destroy();
  const final = Uint8Array.of(0x01, 0x00, 0x00, 0xff, 0xff); // an empty stored block, final
  return Buffer.concat([first, ...new Array<Buffer>(mebibytes - 1).fill(repeated), final]);
}

/** A zlib stream (header 78 da) around raw deflate data. */
export function zlibWrap(raw: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(0x78, 0xda), raw, new Uint8Array(4)]);
}

/** A gzip member (no optional fields) around raw deflate data. */
export function gzipWrap(raw: Uint8Array): Uint8Array {
  return Buffer.concat([
    Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff),
    raw,
    new Uint8Array(8),
  ]);
}

/** The peak resident memory of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
