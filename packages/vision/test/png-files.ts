// PNG files built for the tests straight from the specification, independently of the code
// under test: pixels packed into scanlines (sub-byte depths, 16 bits, Adam7 passes), each row
// put through a chosen filter the way an encoder does, deflated with node:zlib, chunks with
// node:zlib's CRC-32; and the 8-bit image each should decode to.

import { crc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';

export interface TestImage {
  width: number;
  height: number;
  depth: 1 | 2 | 4 | 8 | 16;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colourType: 0 | 2 | 3 | 4 | 6;
  interlaced: boolean;
  /** Samples, row-major, interleaved: values below 2^depth (palette indices for type 3). */
  samples: number[];
  /** Type 3: RGB triples. */
  palette?: number[];
  /** Type 3: alpha of the first palette entries (a tRNS chunk). */
  alpha?: number[];
  /** The filter (0 to 4) of each scanline, in the order they are written (cycled). */
  filters: number[];
}

export const samplesPerPixel = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export function ihdr(
  width: number,
  height: number,
  depth: number,
  colourType: number,
  interlaced = false,
): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data[8] = depth;
  data[9] = colourType;
  data[12] = interlaced ? 1 : 0;
  return chunk('IHDR', data);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const adam7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** The predictor byte of each filter, for the encoder: a = left, b = up, c = up-left. */
function predict(filter: number, a: number, b: number, c: number): number {
  if (filter === 0) return 0;
  if (filter === 1) return a;
  if (filter === 2) return b;
  if (filter === 3) return Math.floor((a + b) / 2);
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The uncompressed image data: every pass's scanlines, each filtered, with its filter byte. */
export function rawImageData(image: TestImage): Uint8Array {
  const { width, height, depth, colourType } = image;
  const spp = samplesPerPixel[colourType];
  const bitsPerPixel = spp * depth;
  const bpp = Math.max(1, bitsPerPixel / 8);
  const passes = image.interlaced ? adam7 : [[0, 0, 1, 1]];
  const bytes: number[] = [];
  let rowCount = 0;
  for (const [x0, y0, dx, dy] of passes as [number, number, number, number][]) {
    const pw = Math.max(0, Math.ceil((width - x0) / dx));
    const ph = Math.max(0, Math.ceil((height - y0) / dy));
    if (pw === 0 || ph === 0) continue;
    const rowBytes = Math.ceil((pw * bitsPerPixel) / 8);
    let previous = new Array<number>(rowBytes).fill(0);
    for (let py = 0; py < ph; py++) {
      const y = y0 + py * dy;
      // Pack the row's samples, most significant bits first.
      const line = new Array<number>(rowBytes).fill(0);
      let bit = 0;
      for (let px = 0; px < pw; px++) {
        const x = x0 + px * dx;
        for (let s = 0; s < spp; s++) {
          const value = image.samples[(y * width + x) * spp + s]!;
          if (depth === 16) {
            line[bit / 8] = value >> 8;
            line[bit / 8 + 1] = value & 255;
          } else if (depth === 8) {
            line[bit / 8] = value;
          } else {
            line[Math.floor(bit / 8)]! |= value << (8 - depth - (bit % 8));
          }
          bit += depth;
        }
      }
      const filter = image.filters[rowCount++ % image.filters.length]!;
      bytes.push(filter);
      for (let i = 0; i < rowBytes; i++) {
        const a = i >= bpp ? line[i - bpp]! : 0;
        const c = i >= bpp ? previous[i - bpp]! : 0;
        bytes.push((line[i]! - predict(filter, a, previous[i]!, c)) & 255);
      }
      previous = line;
    }
  }
  return Uint8Array.from(bytes);
}

/** The PNG file of `image`; `extra` chunks go after IHDR (and PLTE, tRNS). */
export function encodeTestPng(image: TestImage, extra: Uint8Array[] = []): Uint8Array {
  const { width, height, depth, colourType, interlaced } = image;
  const parts = [signature, ihdr(width, height, depth, colourType, interlaced)];
  if (image.palette) parts.push(chunk('PLTE', Uint8Array.from(image.palette)));
  if (image.alpha) parts.push(chunk('tRNS', Uint8Array.from(image.alpha)));
  parts.push(...extra);
  parts.push(chunk('IDAT', deflateSync(rawImageData(image))));
  parts.push(chunk('IEND', new Uint8Array(0)));
  return concat(parts);
}

/** What decodePng should give: 8-bit samples, the palette expanded. */
export function expectedPixels(image: TestImage): { channels: number; data: number[] } {
  const { depth, colourType, samples } = image;
  if (colourType === 3) {
    const channels = image.alpha ? 4 : 3;
    const data = samples.flatMap((index) => {
      const rgb = image.palette!.slice(3 * index, 3 * index + 3);
      return channels === 4 ? [...rgb, image.alpha![index] ?? 255] : rgb;
    });
    return { channels, data };
  }
  const scale = (v: number) =>
    depth === 16 ? Math.floor(v / 256) : depth === 8 ? v : Math.round((v * 255) / (2 ** depth - 1));
  return { channels: samplesPerPixel[colourType], data: samples.map(scale) };
}

const depthsOf = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
} as const;

/** Any valid image of up to 17x17 pixels. */
export const anyImage: fc.Arbitrary<TestImage> = fc
  .record({
    colourType: fc.constantFrom(0, 2, 3, 4, 6),
    pick: fc.nat(),
    width: fc.integer({ min: 1, max: 17 }),
    height: fc.integer({ min: 1, max: 17 }),
    interlaced: fc.boolean(),
    filters: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }),
    entries: fc.integer({ min: 1, max: 256 }),
    alphaCount: fc.integer({ min: -1, max: 256 }),
    seed: fc.nat(),
  })
  .map(({ colourType, pick, width, height, interlaced, filters, entries, alphaCount, seed }) => {
    const depths = depthsOf[colourType as keyof typeof depthsOf];
    const depth = depths[pick % depths.length] as TestImage['depth'];
    const type = colourType as TestImage['colourType'];
    // A small linear congruential generator fills the pixels from the seed.
    let state = seed;
    const next = (below: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return Math.floor((state / 2 ** 32) * below);
    };
    const paletteSize = Math.min(entries, 2 ** depth);
    const count = width * height * samplesPerPixel[type];
    const samples = Array.from({ length: count }, () =>
      type === 3 ? next(paletteSize) : next(2 ** depth),
    );
    const image: TestImage = {
      width,
      height,
      depth,
      colourType: type,
      interlaced,
      samples,
      filters,
    };
    if (type === 3) {
      image.palette = Array.from({ length: 3 * paletteSize }, () => next(256));
      if (alphaCount >= 0)
        image.alpha = Array.from({ length: Math.min(alphaCount, paletteSize) }, () => next(256));
    }
    return image;
  });
