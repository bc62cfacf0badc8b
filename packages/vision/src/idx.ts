// The IDX file format of MNIST and its relatives: a 4-byte magic number (two zero bytes,
// a type code, the number of dimensions), the big-endian int32 size of each dimension,
// then the values in row-major order (big-endian when wider than a byte). The header says
// how large the file is, so every reader here checks it first and never decompresses,
// reads or allocates more than that (and at most `maxBytes`).

/** The element types the IDX format has (type codes 0x08 to 0x0e). */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** An IDX file's contents: its dtype, shape and values in row-major order. */
export interface IdxArray {
  readonly dtype: IdxDType;
  readonly shape: readonly number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Options of parseIdx, readIdx and gunzip. */
export interface IdxOptions {
  /**
   * The most bytes the array's values may take (elements times element size), checked
   * against the header before anything is decompressed or allocated: a guard against a
   * small file that claims, or decompresses to, gigabytes. Default `defaultIdxMaxBytes`
   * (256 MiB; MNIST's training images take 47 MB). Raise it for larger data sets.
   */
  maxBytes?: number;
}

/** The default `maxBytes` of the IDX readers: 256 MiB. */
export const defaultIdxMaxBytes = 256 * 2 ** 20;

/** An IDX header: the array's dtype and shape, and the file's size that they imply. */
export interface IdxHeader {
  readonly dtype: IdxDType;
  readonly shape: readonly number[];
  /** 4 + 4 × the number of dimensions. */
  readonly headerBytes: number;
  /** The size of the whole file: header and values. */
  readonly byteLength: number;
}

const types: Record<number, { dtype: IdxDType; bytes: number }> = {
  8: { dtype: 'uint8', bytes: 1 },
  9: { dtype: 'int8', bytes: 1 },
  11: { dtype: 'int16', bytes: 2 },
  12: { dtype: 'int32', bytes: 4 },
  13: { dtype: 'float32', bytes: 4 },
  14: { dtype: 'float64', bytes: 8 },
};

/** The longest IDX header: 255 dimensions. */
export const maxIdxHeaderBytes = 4 + 4 * 255;

const hex = (byte: number | undefined) => `0x${(byte ?? 0).toString(16).padStart(2, '0')}`;

/** Whether `bytes` starts with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The validated `maxBytes` option. */
export function idxMaxBytes(options: IdxOptions, name: string): number {
  const maxBytes = options.maxBytes ?? defaultIdxMaxBytes;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0))
    throw new RangeError(`${name}: maxBytes must be a non-negative integer, got ${maxBytes}`);
  return maxBytes;
}

/**
 * Reads the header at the start of `bytes` (the first bytes of a file are enough), or
 * returns undefined when they end before it does. Throws when what is there is not an
 * IDX header, or declares values over `maxBytes`.
 */
export function parseIdxHeader(
  bytes: Uint8Array,
  name = 'IDX data',
  options: IdxOptions = {},
): IdxHeader | undefined {
  const maxBytes = idxMaxBytes(options, name);
  if (bytes.length >= 2 && (bytes[0] !== 0 || bytes[1] !== 0)) {
    throw new Error(
      `${name}: not an IDX file: its first two bytes should be 0x00 0x00, got ${hex(bytes[0])} ${hex(bytes[1])}`,
    );
  }
  if (bytes.length < 3) return undefined;
  const type = types[bytes[2]!];
  if (!type) {
    throw new Error(
      `${name}: unknown IDX type code ${hex(bytes[2])} (expected 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32 or 0x0e float64)`,
    );
  }
  if (bytes.length < 4) return undefined;
  const ndim = bytes[3]!;
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  // Up to 255 factors below 2^32: exact in BigInt, where a double would round or overflow.
  const valueBytes = shape.reduce((a, b) => a * BigInt(b), BigInt(type.bytes));
  if (valueBytes > BigInt(maxBytes)) {
    const count = valueBytes / BigInt(type.bytes);
    const raise =
      valueBytes <= BigInt(Number.MAX_SAFE_INTEGER)
        ? `pass { maxBytes: ${valueBytes} } to allow it`
        : 'no limit allows that much';
    throw new Error(
      `${name}: the header declares a ${type.dtype} array of shape [${shape.join(', ')}] (${count} values, ${valueBytes} bytes), ` +
        `over the ${maxBytes}-byte limit; ${raise}`,
    );
  }
  return { dtype: type.dtype, shape, headerBytes, byteLength: headerBytes + Number(valueBytes) };
}

/** "a uint8 array of shape [2, 3]" */
function describe(header: IdxHeader): string {
  return `a ${header.dtype} array of shape [${header.shape.join(', ')}]`;
}

/**
 * Parses an uncompressed IDX file. uint8 data is a view of `bytes` (no copy). `name`
 * (a file name or URL) is used in error messages.
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data', options: IdxOptions = {}): IdxArray {
  if (isGzip(bytes)) {
    throw new Error(
      `${name}: is gzip-compressed; decompress it first (gunzip, or load it through a dataset class, which does)`,
    );
  }
  const header = parseIdxHeader(bytes, name, options);
  if (!header) {
    if (bytes.length < 4)
      throw new Error(
        `${name}: ${bytes.length} bytes is too short for an IDX header (4 bytes at least)`,
      );
    const ndim = bytes[3]!;
    throw new Error(
      `${name}: the header declares ${ndim} dimensions (${4 + 4 * ndim} header bytes) but the file has only ${bytes.length} bytes`,
    );
  }
  const { dtype, shape, headerBytes, byteLength } = header;
  if (bytes.length !== byteLength) {
    const why =
      bytes.length < byteLength
        ? ' (truncated?)'
        : ` (${bytes.length - byteLength} bytes of trailing data)`;
    throw new Error(
      `${name}: ${describe(header)} needs ${byteLength} bytes (${headerBytes} of header), but the file has ${bytes.length}${why}`,
    );
  }
  const body = bytes.subarray(headerBytes);
  const count = shape.reduce((a, b) => a * b, 1);
  return { dtype, shape, data: decode(dtype, body, count) };
}

function decode(dtype: IdxDType, body: Uint8Array, count: number): IdxArray['data'] {
  if (dtype === 'uint8') return body;
  if (dtype === 'int8') return new Int8Array(body.buffer, body.byteOffset, count);
  // Wider values are big-endian in the file: read them one by one through a DataView.
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (dtype) {
    case 'int16':
      return Int16Array.from({ length: count }, (_, i) => view.getInt16(2 * i, false));
    case 'int32':
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, false));
    case 'float32':
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, false));
    case 'float64':
      return Float64Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, false));
  }
}

/** The chunks of a gzip stream, decompressed with the platform's DecompressionStream. */
async function* inflateChunks(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  // Fed 64 KiB at a time: the stream then decompresses only as far as it is read.
  let offset = 0;
  const input = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      // A copy, as DecompressionStream takes no views of a possibly shared buffer.
      controller.enqueue(bytes.slice(offset, offset + 65536));
      offset += 65536;
    },
  });
  const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stops the decompression when the caller stops early (over a limit).
    await reader.cancel().catch(() => undefined);
  }
}

function gzipFailure(name: string, error: unknown): Error {
  const why = error instanceof Error ? error.message : String(error);
  return new Error(`${name}: gzip decompression failed (corrupt or truncated file?): ${why}`);
}

/**
 * Decompresses gzip bytes with the platform's DecompressionStream (Node >= 18, browsers),
 * stopping with an error once the output passes `maxBytes` (default 256 MiB).
 */
export async function gunzip(
  bytes: Uint8Array,
  name = 'data',
  options: IdxOptions = {},
): Promise<Uint8Array> {
  const maxBytes = idxMaxBytes(options, name);
  const chunks: Uint8Array[] = [];
  let length = 0;
  let over = false;
  try {
    for await (const chunk of inflateChunks(bytes)) {
      length += chunk.length;
      over = length > maxBytes;
      if (over) break; // which stops the decompression
      chunks.push(chunk);
    }
  } catch (error) {
    throw gzipFailure(name, error);
  }
  if (over)
    throw new Error(
      `${name}: decompresses to more than the ${maxBytes}-byte limit; pass { maxBytes } to raise it`,
    );
  return concat(chunks, length);
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The error for a stream that goes on past the size its IDX header declares. */
export function idxOverflowError(name: string, header: IdxHeader): Error {
  return new Error(
    `${name}: decompresses to more than the ${header.byteLength} bytes that its IDX header declares ` +
      `(${describe(header)}): trailing data, or a decompression bomb`,
  );
}

/**
 * Decompresses a gzipped IDX file, reading the IDX header from the first decompressed
 * bytes and then no more than the size it declares: memory is bounded by that size (and
 * `maxBytes`), whatever the stream would expand to.
 */
export async function gunzipIdx(
  bytes: Uint8Array,
  name = 'IDX data',
  options: IdxOptions = {},
): Promise<Uint8Array> {
  // Until the header is complete the chunks gather in `head`; then `out` is allocated at
  // the declared size and filled.
  let head: Uint8Array = new Uint8Array(0);
  let out: { header: IdxHeader; bytes: Uint8Array; filled: number } | undefined;
  const inflated = inflateChunks(bytes);
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await inflated.next();
      } catch (error) {
        throw gzipFailure(name, error);
      }
      if (next.done) break;
      let chunk: Uint8Array = next.value;
      if (!out) {
        head = concat([head, chunk], head.length + chunk.length);
        const header = parseIdxHeader(head, name, options);
        if (!header) continue;
        out = { header, bytes: new Uint8Array(header.byteLength), filled: 0 };
        chunk = head;
      }
      if (out.filled + chunk.length > out.bytes.length) throw idxOverflowError(name, out.header);
      out.bytes.set(chunk, out.filled);
      out.filled += chunk.length;
    }
  } finally {
    // Stops the decompression where it is, on an error as well.
    await inflated.return(undefined);
  }
  // A short stream: parseIdx names what is missing.
  return out ? out.bytes.subarray(0, out.filled) : head;
}

/** Parses raw or gzipped IDX bytes, decompressing no more than the header declares. */
export async function readIdx(
  bytes: Uint8Array,
  name = 'IDX data',
  options: IdxOptions = {},
): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzipIdx(bytes, name, options) : bytes, name, options);
}
