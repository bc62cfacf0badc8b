// PNG bytes with fast-png (pure JavaScript, so the same in Node and browsers), and base64
// for the images an SVG embeds.

import { encode } from 'fast-png';

/** RGB pixels (8 bits per channel, row-major) as PNG bytes. */
export function encodePngRgb(data: Uint8Array, width: number, height: number): Uint8Array {
  return encode({ data, width, height, channels: 3, depth: 8 });
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Bytes as base64 (written here: btoa is not in every runtime's types, Buffer not in browsers). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]!;
    out += b === undefined ? '=' : alphabet[(n >> 6) & 63]!;
    out += c === undefined ? '=' : alphabet[n & 63]!;
  }
  return out;
}
