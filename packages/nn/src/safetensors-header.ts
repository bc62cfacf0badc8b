// Reading a safetensors header in time and memory bounded by limits, whatever the file
// claims: the limits, the 8-byte length, and the checks of offsets against the data once
// HeaderParser has read the JSON.

import {
  bytesPerElement,
  type Header,
  HeaderParser,
  quoted,
  type TensorSpan,
} from './safetensors-parser.js';

export { bytesPerElement, type Header, quoted, type TensorSpan } from './safetensors-parser.js';

/** Limits on what a safetensors header may hold; a header over one is refused. */
export interface ReadOptions {
  /** Largest header accepted, in bytes. Default 100,000,000, the reference reader's limit. */
  maxHeaderBytes?: number;
  /** Most entries (tensors plus `__metadata__` keys) a header may list. Default 100,000. */
  maxEntries?: number;
  /** Most dimensions a tensor's shape may have. Default 64 (NumPy's limit). */
  maxRank?: number;
}

export const defaultLimits: Readonly<Required<ReadOptions>> = {
  maxHeaderBytes: 100_000_000,
  maxEntries: 100_000,
  maxRank: 64,
};

/** The options with their defaults, each checked to be a whole number. */
export function limitsOf(options: ReadOptions): Required<ReadOptions> {
  const limits = { ...defaultLimits };
  for (const key of ['maxHeaderBytes', 'maxEntries', 'maxRank'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`${key} must be a non-negative integer, got ${value}`);
    limits[key] = value;
  }
  return limits;
}

/**
 * The header's length from the file's first 8 bytes (`prefix`, fewer when the file is that
 * short), checked against the limit and the file's size `total`.
 */
export function headerLength(
  prefix: Uint8Array,
  total: number,
  limits: Required<ReadOptions>,
): number {
  const limit = limits.maxHeaderBytes;
  if (total < 8)
    throw new Error(
      `only ${total} bytes: too short for a safetensors file, which starts with an 8-byte header length`,
    );
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(limit))
    throw new Error(
      `the header of ${length} bytes is over the ${limit}-byte limit (raise it with { maxHeaderBytes })`,
    );
  const n = Number(length);
  if (8 + n > total)
    throw new Error(
      `the header of ${n} bytes runs past the end of the ${total} bytes: the file is truncated`,
    );
  return n;
}

/**
 * Parses and checks a header: `bytes` is the JSON text (without the length), `dataLength`
 * the bytes after it. Every tensor's dtype, shape and offsets must agree, and the tensors
 * must cover the data exactly, without gaps or overlaps, as the reference reader requires.
 */
export function parseHeader(
  bytes: Uint8Array,
  dataLength: number,
  limits: Required<ReadOptions>,
): Header {
  const header = new HeaderParser(bytes, limits).parse();
  checkLayout(header.tensors, dataLength);
  return header;
}

/**
 * Each tensor's offsets against its dtype and shape, and the tensors (in file order) against
 * the data: they must cover its `dataLength` bytes exactly.
 */
function checkLayout(tensors: readonly TensorSpan[], dataLength: number): void {
  for (const { name, dtype, shape, begin, end } of tensors) {
    const what = () => `tensor ${quoted(name)} (${dtype}, shape [${shape.join(', ')}])`;
    if (end < begin)
      throw new Error(`${what()} has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataLength)
      throw new Error(
        `${what()} ends at byte ${end} of the data, which holds only ${dataLength} bytes: the file is truncated`,
      );
    // Exact, however large the shape claims to be; stops once past the data's size.
    const span = BigInt(end - begin);
    let needed = shape.includes(0) ? 0n : BigInt(bytesPerElement[dtype]!);
    const huge = 2n ** 64n;
    let known = true;
    for (const size of shape) {
      if (needed > huge) {
        known = false; // sizes are at least 1 here: it only grows
        break;
      }
      needed *= BigInt(size);
    }
    if (needed !== span) {
      throw new Error(
        `${what()} needs ${known ? needed : `more than ${huge}`} bytes but its data_offsets [${begin}, ${end}] span ${span}`,
      );
    }
  }
  let covered = 0;
  for (const { name, begin, end } of tensors) {
    if (begin < covered)
      throw new Error(
        `tensor ${quoted(name)} (data_offsets [${begin}, ${end}]) overlaps the tensor before it, which ends at byte ${covered}`,
      );
    if (begin > covered)
      throw new Error(
        `bytes ${covered} to ${begin} of the data belong to no tensor (tensor ${quoted(name)} starts at ${begin})`,
      );
    covered = end;
  }
  if (covered !== dataLength)
    throw new Error(
      `the tensors cover ${covered} bytes but the data holds ${dataLength}: the file has trailing bytes`,
    );
}
