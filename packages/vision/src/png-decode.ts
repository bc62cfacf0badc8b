// Decoding a PNG's image data to an 8-bit RawImage while it inflates, one scanline at a time:
// each row is unfiltered against the previous one and written straight into the output, so
// memory is the output image and two rows, and a stream that inflates past the size the
// header implies (a zlib bomb) stops there. png-chunks.ts has checked the file's structure
// and the pixel limit before this runs.

import { Unzlib } from 'fflate';
import type { RawImage } from './image.js';

/** What the IHDR says. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly colourType: number;
  readonly interlaced: boolean;
}

/** A palette image's colours: RGB (3 bytes an entry) or RGBA when it has a tRNS chunk. */
export interface PngPalette {
  readonly colours: Uint8Array;
  readonly channels: 3 | 4;
}

/** Samples per pixel of each colour type (greyscale, RGB, palette, grey + alpha, RGBA). */
export const samplesPerPixel: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7's seven passes as [x start, y start, x step, y step]; one pass when not interlaced. */
const adam7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;
const progressive = [[0, 0, 1, 1]] as const;

interface Pass {
  readonly x0: number;
  readonly y0: number;
  readonly dx: number;
  readonly dy: number;
  readonly width: number;
  readonly height: number;
  /** Bytes of one scanline, without its filter byte. */
  readonly rowBytes: number;
}

function passes(header: PngHeader): Pass[] {
  const bitsPerPixel = samplesPerPixel[header.colourType]! * header.depth;
  return (header.interlaced ? adam7 : progressive)
    .map(([x0, y0, dx, dy]) => {
      const width = Math.max(0, Math.ceil((header.width - x0) / dx));
      const height = Math.max(0, Math.ceil((header.height - y0) / dy));
      return { x0, y0, dx, dy, width, height, rowBytes: Math.ceil((width * bitsPerPixel) / 8) };
    })
    .filter((pass) => pass.width > 0 && pass.height > 0);
}

/** The size of the inflated image data: each scanline of each pass, with its filter byte. */
export function imageDataBytes(header: PngHeader): number {
  return passes(header).reduce((sum, pass) => sum + pass.height * (1 + pass.rowBytes), 0);
}

/** An error of ours, told apart from the inflater's own. */
class PngDataError extends Error {}

/** Reverses a scanline's filter in place (PNG spec, section 9), given the row above. */
function unfilter(
  type: number,
  line: Uint8Array,
  above: Uint8Array,
  bytesPerPixel: number,
  where: () => string,
): void {
  const n = line.length;
  const b = bytesPerPixel;
  switch (type) {
    case 0:
      return;
    case 1: // Sub
      for (let i = b; i < n; i++) line[i] = line[i]! + line[i - b]!;
      return;
    case 2: // Up
      for (let i = 0; i < n; i++) line[i] = line[i]! + above[i]!;
      return;
    case 3: // Average
      for (let i = 0; i < n; i++)
        line[i] = line[i]! + (((i >= b ? line[i - b]! : 0) + above[i]!) >> 1);
      return;
    case 4: // Paeth
      for (let i = 0; i < n; i++) {
        const left = i >= b ? line[i - b]! : 0;
        const up = above[i]!;
        const upLeft = i >= b ? above[i - b]! : 0;
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        line[i] = line[i]! + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
      }
      return;
    default:
      throw new PngDataError(`invalid filter type ${type} ${where()} (corrupt image data)`);
  }
}

/**
 * Inflates `idats` (the IDAT chunks' data, in order) and decodes them to an 8-bit image:
 * 16-bit samples keep their high byte, greyscale below 8 bits is scaled to 0-255, palette
 * indices become the palette's RGB or RGBA. Errors start with `label`.
 */
export function decodeImageData(
  idats: readonly Uint8Array[],
  header: PngHeader,
  palette: PngPalette | undefined,
  label: string,
): RawImage {
  const { width, height, depth, colourType } = header;
  const samples = samplesPerPixel[colourType]!;
  const channels = palette ? palette.channels : samples;
  const out = new Uint8Array(width * height * channels);
  const bytesPerPixel = Math.max(1, (samples * depth) >> 3);
  const expected = imageDataBytes(header);
  const all = passes(header);
  const entries = palette ? palette.colours.length / palette.channels : 0;
  const greyScale = 255 / (2 ** depth - 1); // 255, 85, 17, 1 for 1, 2, 4, 8 bits
  const mask = (1 << depth) - 1;

  let passIndex = 0;
  let pass = all[0]!;
  let y = 0;
  // The scanline being filled (filter byte first) and the one above it.
  let row = new Uint8Array(1 + pass.rowBytes);
  let above = new Uint8Array(1 + pass.rowBytes);
  let filled = 0;
  let total = 0;
  const where = () =>
    `on row ${y}${header.interlaced ? ` of interlace pass ${passIndex + 1}` : ''}`;

  /** Writes the finished scanline `line` (row y of the pass) into the output. */
  const emit = (line: Uint8Array) => {
    const outY = pass.y0 + y * pass.dy;
    if (!header.interlaced && depth === 8 && !palette) {
      out.set(line, outY * width * channels);
      return;
    }
    for (let x = 0; x < pass.width; x++) {
      const o = (outY * width + pass.x0 + x * pass.dx) * channels;
      if (depth >= 8) {
        const step = depth >> 3; // 16-bit samples: the high byte comes first
        for (let s = 0; s < samples; s++) {
          const value = line[(x * samples + s) * step]!;
          if (palette) writeColour(value, o, x);
          else out[o + s] = value;
        }
      } else {
        const bit = x * depth;
        const value = (line[bit >> 3]! >> (8 - depth - (bit & 7))) & mask;
        if (palette) writeColour(value, o, x);
        else out[o] = value * greyScale;
      }
    }
  };
  const writeColour = (index: number, o: number, x: number) => {
    if (index >= entries)
      throw new PngDataError(
        `palette index ${index} at pixel ${x} ${where()} is beyond the palette's ${entries} colours`,
      );
    const from = index * channels;
    for (let c = 0; c < channels; c++) out[o + c] = palette!.colours[from + c]!;
  };

  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > expected)
      throw new PngDataError(
        `the image data inflates to more than the ${expected} bytes its header implies (a decompression bomb?)`,
      );
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(chunk.length - at, row.length - filled);
      row.set(chunk.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled < row.length) break;
      const line = row.subarray(1);
      unfilter(row[0]!, line, above.subarray(1), bytesPerPixel, where);
      emit(line);
      [row, above] = [above, row];
      filled = 0;
      y += 1;
      if (y === pass.height && passIndex + 1 < all.length) {
        // The next pass starts with a row of zeros above it.
        passIndex += 1;
        pass = all[passIndex]!;
        y = 0;
        row = new Uint8Array(1 + pass.rowBytes);
        above = new Uint8Array(1 + pass.rowBytes);
      }
    }
  });
  // Deflate expands a byte to at most about 1032: pushing 16 KiB at a time keeps each
  // step's output (held by the inflater until it is handed over) under 17 MB.
  const step = 16384;
  try {
    for (const idat of idats)
      for (let offset = 0; offset < idat.length; offset += step)
        inflater.push(idat.subarray(offset, offset + step));
    inflater.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof PngDataError) throw new Error(`${label}: ${error.message}`);
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${label}: the image data is not a valid zlib stream (${why})`);
  }
  if (total < expected)
    throw new Error(
      `${label}: the image data inflates to ${total} bytes, short of the ${expected} its header implies (truncated?)`,
    );
  return { data: out, width, height, channels };
}
