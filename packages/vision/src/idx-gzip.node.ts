// Gzipped IDX files decompressed synchronously with node:zlib (what `new MNIST(...)` uses in
// Node), never past the size the IDX header declares: the header is read from a small prefix
// of the stream first, then the whole stream is inflated with that size as the output limit.

import { constants as bufferConstants } from 'node:buffer';
import { constants, gunzipSync } from 'node:zlib';
import { type IdxOptions, idxOverflowError, parseIdxHeader } from './idx.js';

/**
 * How much of the deflate stream is inflated to find the IDX header (at most 1024 bytes):
 * deflate expands a byte to at most about 1032, so the prefix's output stays under 5 MB,
 * and encoders put the first kilobyte of output well within it.
 */
const headerPrefixBytes = 4096;

/** The length of a gzip member's header (RFC 1952 section 2.3): fixed part and optional fields. */
export function gzipHeaderLength(bytes: Uint8Array, name: string): number {
  const cut = () =>
    new Error(`${name}: gzip decompression failed (corrupt or truncated file?): header cut off`);
  if (bytes.length < 10) throw cut();
  const flags = bytes[3]!;
  let offset = 10;
  if (flags & 0x04) {
    // FEXTRA: a little-endian length, then that many bytes.
    if (offset + 2 > bytes.length) throw cut();
    offset += 2 + (bytes[offset]! | (bytes[offset + 1]! << 8));
  }
  for (const flag of [0x08, 0x10]) {
    // FNAME, FCOMMENT: zero-terminated strings.
    if (!(flags & flag)) continue;
    const end = bytes.indexOf(0, offset);
    if (end < 0) throw cut();
    offset = end + 1;
  }
  if (flags & 0x02) offset += 2; // FHCRC
  if (offset > bytes.length) throw cut();
  return offset;
}

function failure(name: string, error: unknown): Error {
  const why = error instanceof Error ? error.message : String(error);
  return new Error(`${name}: gzip decompression failed (corrupt or truncated file?): ${why}`);
}

/**
 * Decompresses a gzipped IDX file synchronously, to no more than the size its header
 * declares (itself at most `maxBytes`). A short stream is returned as it is, for parseIdx
 * to report.
 */
export function gunzipIdxSync(
  bytes: Uint8Array,
  name: string,
  options: IdxOptions = {},
): Uint8Array {
  const prefixEnd = gzipHeaderLength(bytes, name) + headerPrefixBytes;
  let head: Uint8Array;
  try {
    // Z_SYNC_FLUSH: a cut stream gives what it has instead of an error.
    head = gunzipSync(bytes.subarray(0, prefixEnd), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (error) {
    throw failure(name, error);
  }
  const header = parseIdxHeader(head, name, options);
  if (!header) {
    if (prefixEnd < bytes.length)
      throw new Error(
        `${name}: the IDX header is not within the first ${headerPrefixBytes} bytes of compressed data ` +
          `(${head.length} bytes decompressed); is it an IDX file?`,
      );
    // The whole stream is shorter than a header: parseIdx says so.
    return head;
  }
  try {
    const out = gunzipSync(bytes, {
      maxOutputLength: Math.min(header.byteLength, bufferConstants.MAX_LENGTH),
    });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ERR_BUFFER_TOO_LARGE')
      throw idxOverflowError(name, header);
    throw failure(name, error);
  }
}
