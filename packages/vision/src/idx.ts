// The IDX file format of MNIST and its relatives: a 4-byte magic number (two zero bytes,
// a type code, the number of dimensions), the big-endian int32 size of each dimension,
// then the values in row-major order (big-endian when wider than a byte).

/** The element types the IDX format has (type codes 0x08 to 0x0e). */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** An IDX file's contents: its dtype, shape and values in row-major order. */
export interface IdxArray {
  readonly dtype: IdxDType;
  readonly shape: readonly number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const types: Record<number, { dtype: IdxDType; bytes: number }> = {
  8: { dtype: 'uint8', bytes: 1 },
  9: { dtype: 'int8', bytes: 1 },
  11: { dtype: 'int16', bytes: 2 },
  12: { dtype: 'int32', bytes: 4 },
  13: { dtype: 'float32', bytes: 4 },
  14: { dtype: 'float64', bytes: 8 },
};

const hex = (byte: number | undefined) => `0x${(byte ?? 0).toString(16).padStart(2, '0')}`;

/** Whether `bytes` starts with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses an uncompressed IDX file. uint8 data is a view of `bytes` (no copy). `name`
 * (a file name or URL) is used in error messages.
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (isGzip(bytes)) {
    throw new Error(
      `${name}: is gzip-compressed; decompress it first (gunzip, or load it through a dataset class, which does)`,
    );
  }
  if (bytes.length < 4)
    throw new Error(
      `${name}: ${bytes.length} bytes is too short for an IDX header (4 bytes at least)`,
    );
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `${name}: not an IDX file: its first two bytes should be 0x00 0x00, got ${hex(bytes[0])} ${hex(bytes[1])}`,
    );
  }
  const type = types[bytes[2]!];
  if (!type) {
    throw new Error(
      `${name}: unknown IDX type code ${hex(bytes[2])} (expected 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32 or 0x0e float64)`,
    );
  }
  const ndim = bytes[3]!;
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${name}: the header declares ${ndim} dimensions (${headerBytes} header bytes) but the file has only ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    throw new Error(
      `${name}: a ${type.dtype} array of shape [${shape.join(', ')}] needs ${expected} bytes (${headerBytes} of header), ` +
        `but the file has ${bytes.length}${bytes.length < expected ? ' (truncated?)' : ''}`,
    );
  }
  const body = bytes.subarray(headerBytes);
  return { dtype: type.dtype, shape, data: decode(type.dtype, body, count) };
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

/** Decompresses gzip bytes with the platform's DecompressionStream (Node >= 18, browsers). */
export async function gunzip(bytes: Uint8Array, name = 'data'): Promise<Uint8Array> {
  try {
    const stream = new Blob([new Uint8Array(bytes)])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new Error(`${name}: gzip decompression failed (corrupt or truncated file?): ${error}`);
  }
}

/** Parses raw or gzipped IDX bytes. */
export async function readIdx(bytes: Uint8Array, name = 'IDX data'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name) : bytes, name);
}
