// What decodePng checks before anything is decompressed: the signature, every chunk's
// length and CRC, the header (IHDR) against a pixel limit, and the order of the critical
// chunks. It hands on what the pixels need: the header, the palette and the IDAT data.

import type { PngHeader, PngPalette } from './png-decode.js';

/** The PNG colour types (IHDR byte 9) and the bit depths each allows. */
const colourTypes: Record<number, { name: string; depths: readonly number[] }> = {
  0: { name: 'greyscale', depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', depths: [8, 16] },
  3: { name: 'palette', depths: [1, 2, 4, 8] },
  4: { name: 'greyscale + alpha', depths: [8, 16] },
  6: { name: 'RGBA', depths: [8, 16] },
};

/** A PNG whose structure is sound: what its pixels need. */
export interface CheckedPng {
  readonly header: PngHeader;
  /** A palette image's colours, with tRNS's alpha when there is one. */
  readonly palette: PngPalette | undefined;
  /** The IDAT chunks' data, in order: one zlib stream. */
  readonly idats: readonly Uint8Array[];
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
  return { width, height, depth: depth!, colourType: colourType!, interlaced: interlace === 1 };
}

/** Checks a PNG's structure without decompressing anything (see the file's opening comment). */
export function checkPng(bytes: Uint8Array, options: PngCheckOptions): CheckedPng {
  const { label } = options;
  if (bytes.length < 8 || signature.some((byte, i) => bytes[i] !== byte))
    throw new Error(
      `${label}: not a PNG file (${bytes.length} bytes that do not start with the PNG signature)`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | undefined;
  let colours: Uint8Array | undefined;
  let alpha: Uint8Array | undefined;
  let idatsEnded = false;
  const idats: Uint8Array[] = [];
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
    if (!header) {
      if (type !== 'IHDR' || length !== 13)
        throw new Error(
          `${label}: the first chunk is ${type} of ${length} bytes; a PNG starts with IHDR of 13`,
        );
      header = parseHeader(data, options);
    } else if (type === 'IEND') {
      break;
    } else if (type === 'IDAT') {
      if (idatsEnded)
        throw new Error(
          `${label}: IDAT chunks must be consecutive; another comes at byte ${offset}`,
        );
      idats.push(data);
    } else {
      if (idats.length > 0) idatsEnded = true;
      if (type === 'IHDR') throw new Error(`${label}: a second IHDR at byte ${offset}`);
      if (type === 'PLTE' || type === 'tRNS') {
        if (idats.length > 0)
          throw new Error(`${label}: ${type} at byte ${offset} comes after the image data`);
        if (type === 'PLTE') {
          if (colours || length % 3 !== 0 || length === 0 || length > 768)
            throw new Error(
              `${label}: invalid PLTE of ${length} bytes at byte ${offset} (one PLTE, of 1 to 256 RGB entries)`,
            );
          if (header.colourType === 0 || header.colourType === 4)
            throw new Error(`${label}: a greyscale PNG with a PLTE chunk (at byte ${offset})`);
          colours = data;
        } else if (header.colourType === 3) {
          if (!colours) throw new Error(`${label}: tRNS at byte ${offset} comes before PLTE`);
          if (alpha || length > colours.length / 3)
            throw new Error(
              `${label}: invalid tRNS of ${length} bytes at byte ${offset} (one, of at most an alpha for each of the ${colours.length / 3} palette colours)`,
            );
          alpha = data;
        }
        // Only a palette image's PLTE and tRNS change the pixels decodePng gives (the
        // others are a suggested palette and a transparent colour, which it ignores).
      } else if ((typeBytes[0]! & 0x20) === 0) {
        // An uppercase first letter marks a chunk a decoder must understand.
        throw new Error(`${label}: unknown critical chunk ${type} at byte ${offset}`);
      }
      // Other ancillary chunks (text, ICC profiles, ...) are not needed for the pixels.
    }
    offset = end;
  }
  if (header.colourType === 3 && !colours)
    throw new Error(`${label}: a palette PNG without a PLTE chunk`);
  if (idats.length === 0) throw new Error(`${label}: no image data (IDAT chunk)`);
  return { header, palette: header.colourType === 3 ? palette(colours!, alpha) : undefined, idats };
}

/** The palette as RGB entries, or RGBA ones (alpha 255 where tRNS gives none) with a tRNS. */
function palette(colours: Uint8Array, alpha: Uint8Array | undefined): PngPalette {
  if (!alpha) return { colours, channels: 3 };
  const entries = colours.length / 3;
  const rgba = new Uint8Array(entries * 4);
  for (let i = 0; i < entries; i++) {
    rgba.set(colours.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = i < alpha.length ? alpha[i]! : 255;
  }
  return { colours: rgba, channels: 4 };
}
