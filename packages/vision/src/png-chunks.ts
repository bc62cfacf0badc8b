// What decodePng checks before anything is decoded: the signature, every chunk's length and
// CRC, the header (IHDR) against a pixel limit, the order of the critical chunks, and that
// the image data inflates to exactly the size the header implies (counted while inflating,
// in small steps, so a zlib bomb stops within a few megabytes of that size). What passes is
// small enough for fast-png to decode in memory bounded by the image's size.

import { Unzlib } from 'fflate';

/** The PNG colour types (IHDR byte 9) and the bit depths each allows. */
const colourTypes: Record<number, { name: string; channels: number; depths: readonly number[] }> = {
  0: { name: 'greyscale', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', channels: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 1, depths: [1, 2, 4, 8] },
  4: { name: 'greyscale + alpha', channels: 2, depths: [8, 16] },
  6: { name: 'RGBA', channels: 4, depths: [8, 16] },
};

/** What the IHDR says. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly colourType: number;
  readonly interlaced: boolean;
}

/** A PNG whose structure is sound: its header, and the chunks a decoder needs, in order. */
export interface CheckedPng {
  readonly header: PngHeader;
  /** Signature, IHDR, PLTE and tRNS (if any), the IDATs and IEND: other chunks left out. */
  readonly essential: Uint8Array;
}

export interface PngCheckOptions {
  /** The most pixels (width × height) allowed. */
  maxPixels: number;
  /** The start of every error: 'decodePng' or 'readImage: <path>'. */
  label: string;
  /** How to raise the limit, for the error: 'decodePng' or 'readImage'. */
  op: string;
}

const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const crcTable = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 (ISO 3309, as PNG uses it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const hex32 = (value: number) => `0x${value.toString(16).padStart(8, '0')}`;

/**
 * The size of the inflated image data: for each scanline (of each Adam7 pass, when
 * interlaced) a filter byte and the packed pixels.
 */
export function imageDataBytes(header: PngHeader): number {
  const bitsPerPixel = colourTypes[header.colourType]!.channels * header.depth;
  const pass = (width: number, height: number) =>
    width === 0 || height === 0 ? 0 : height * (1 + Math.ceil((width * bitsPerPixel) / 8));
  if (!header.interlaced) return pass(header.width, header.height);
  // Adam7's seven passes: [x start, y start, x step, y step].
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ] as const;
  let total = 0;
  for (const [x, y, dx, dy] of passes)
    total += pass(
      Math.max(0, Math.ceil((header.width - x) / dx)),
      Math.max(0, Math.ceil((header.height - y) / dy)),
    );
  return total;
}

function parseHeader(data: Uint8Array, options: PngCheckOptions): PngHeader {
  const { label } = options;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const width = view.getUint32(0, false);
  const height = view.getUint32(4, false);
  const [depth, colourType, compression, filter, interlace] = data.subarray(8, 13);
  if (width === 0 || height === 0 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1)
    throw new Error(`${label}: invalid PNG size ${width}x${height} in IHDR`);
  const type = colourTypes[colourType!];
  if (!type) throw new Error(`${label}: invalid PNG colour type ${colourType} in IHDR`);
  if (!type.depths.includes(depth!))
    throw new Error(
      `${label}: a ${type.name} PNG cannot have bit depth ${depth} (IHDR); it has ${type.depths.join(', ')}`,
    );
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1))
    throw new Error(
      `${label}: invalid IHDR: compression method ${compression}, filter method ${filter}, interlace method ${interlace} (PNG has 0, 0 and 0 or 1)`,
    );
  const pixels = width * height;
  if (pixels > options.maxPixels)
    throw new Error(
      `${label}: the image is ${width}x${height} (${pixels} pixels), over the ${options.maxPixels}-pixel limit ` +
        `that guards against decompression bombs; pass { maxPixels: ${pixels} } to ${options.op} to allow it`,
    );
  // What the decoder (fast-png) and decodePng's conversions do not handle.
  if (colourType === 0 && depth! < 8)
    throw new Error(`${label}: ${depth}-bit greyscale PNGs are not supported; 8 and 16 bits are`);
  if (interlace === 1 && depth! < 8)
    throw new Error(
      `${label}: interlaced PNGs of ${depth}-bit pixels are not supported; save the image without interlacing`,
    );
  return { width, height, depth: depth!, colourType: colourType!, interlaced: interlace === 1 };
}

/**
 * Inflates the concatenated IDAT data in steps, counting bytes without keeping them, and
 * throws unless it comes to exactly `expected`.
 */
function checkImageData(idats: readonly Uint8Array[], expected: number, label: string): void {
  let total = 0;
  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > expected)
      throw new RangeError(
        `${label}: the image data inflates to more than the ${expected} bytes its header implies (a decompression bomb?)`,
      );
  });
  // Deflate expands a byte to at most about 1032: 16 KiB steps keep each step's output
  // under 17 MB.
  const step = 16384;
  try {
    for (const idat of idats)
      for (let offset = 0; offset < idat.length; offset += step)
        inflater.push(idat.subarray(offset, offset + step));
    inflater.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof RangeError && error.message.startsWith(label))
      throw new Error(error.message);
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${label}: the image data is not a valid zlib stream (${why})`);
  }
  if (total < expected)
    throw new Error(
      `${label}: the image data inflates to ${total} bytes, short of the ${expected} its header implies (truncated?)`,
    );
}

/**
 * Checks a PNG's structure without decoding it (see the file's opening comment) and
 * returns its header and essential chunks.
 */
export function checkPng(bytes: Uint8Array, options: PngCheckOptions): CheckedPng {
  const { label } = options;
  if (bytes.length < 8 || signature.some((byte, i) => bytes[i] !== byte))
    throw new Error(
      `${label}: not a PNG file (${bytes.length} bytes that do not start with the PNG signature)`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | undefined;
  let palette = false;
  let idatsEnded = false;
  const idats: Uint8Array[] = [];
  const essential: Uint8Array[] = [bytes.subarray(0, 8)];
  let offset = 8;
  for (;;) {
    if (offset + 8 > bytes.length)
      throw new Error(
        `${label}: truncated PNG: the file ends at byte ${bytes.length}, inside a chunk header, before IEND`,
      );
    const length = view.getUint32(offset, false);
    const typeBytes = bytes.subarray(offset + 4, offset + 8);
    const type = String.fromCharCode(...typeBytes);
    if (!typeBytes.every((c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)))
      throw new Error(
        `${label}: invalid chunk type ${JSON.stringify(type)} at byte ${offset} (corrupt file?)`,
      );
    const end = offset + 12 + length;
    if (length > 2 ** 31 - 1 || end > bytes.length)
      throw new Error(
        `${label}: truncated PNG: chunk ${type} at byte ${offset} declares ${length} bytes of data, but the file ends at byte ${bytes.length}`,
      );
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    const stored = view.getUint32(offset + 8 + length, false);
    const computed = crc32(bytes.subarray(offset + 4, offset + 8 + length));
    if (stored !== computed)
      throw new Error(
        `${label}: bad CRC in chunk ${type} at byte ${offset} (stored ${hex32(stored)}, computed ${hex32(computed)}): the file is corrupt`,
      );
    const chunk = bytes.subarray(offset, end);
    if (!header) {
      if (type !== 'IHDR' || length !== 13)
        throw new Error(
          `${label}: the first chunk is ${type} of ${length} bytes; a PNG starts with IHDR of 13`,
        );
      header = parseHeader(data, options);
      essential.push(chunk);
    } else if (type === 'IEND') {
      essential.push(chunk);
      break;
    } else if (type === 'IDAT') {
      if (idatsEnded)
        throw new Error(
          `${label}: IDAT chunks must be consecutive; another comes at byte ${offset}`,
        );
      idats.push(data);
      essential.push(chunk);
    } else {
      if (idats.length > 0) idatsEnded = true;
      if (type === 'IHDR') throw new Error(`${label}: a second IHDR at byte ${offset}`);
      if (type === 'PLTE' || type === 'tRNS') {
        if (idats.length > 0)
          throw new Error(`${label}: ${type} at byte ${offset} comes after the image data`);
        if (type === 'PLTE') {
          if (palette || length % 3 !== 0 || length === 0 || length > 768)
            throw new Error(
              `${label}: invalid PLTE of ${length} bytes at byte ${offset} (one PLTE, of 1 to 256 RGB entries)`,
            );
          if (header.colourType === 0 || header.colourType === 4)
            throw new Error(`${label}: a greyscale PNG with a PLTE chunk (at byte ${offset})`);
          palette = true;
        } else if (header.colourType === 3 && !palette) {
          throw new Error(`${label}: tRNS at byte ${offset} comes before PLTE`);
        }
        // Only a palette image's PLTE and tRNS change the pixels decodePng gives (the
        // others are a suggested palette and a transparent colour, which it ignores).
        if (header.colourType === 3) essential.push(chunk);
      } else if ((typeBytes[0]! & 0x20) === 0) {
        // An uppercase first letter marks a chunk a decoder must understand.
        throw new Error(`${label}: unknown critical chunk ${type} at byte ${offset}`);
      }
      // Other ancillary chunks (text, ICC profiles, ...) are not needed for the pixels.
    }
    offset = end;
  }
  if (header.colourType === 3 && !palette)
    throw new Error(`${label}: a palette PNG without a PLTE chunk`);
  if (idats.length === 0) throw new Error(`${label}: no image data (IDAT chunk)`);
  checkImageData(idats, imageDataBytes(header), label);
  const size = essential.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of essential) {
    out.set(part, at);
    at += part.length;
  }
  return { header, essential: out };
}
