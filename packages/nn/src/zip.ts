// Reading the zip archives torch.save writes: the central directory (with its zip64 forms), and
// entries stored uncompressed, as PyTorch writes them. DEFLATE entries (a file re-zipped by
// another tool) are read only when the caller supplies an inflater (Node's zlib in
// `@dl/nn/node`). Every offset and size is checked against the input before it is used, entries
// may not overlap, and each entry's CRC-32 is verified.

/** One file of the archive, as its central directory describes it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 for stored, 8 for DEFLATE. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** Where the entry's data starts in the archive. */
  readonly dataOffset: number;
}

/** Decompresses raw DEFLATE data to exactly `size` bytes, or throws. */
export type InflateRaw = (data: Uint8Array, size: number) => Uint8Array;

/** How entries are read: an inflater for DEFLATE entries, and a faster CRC-32 where there is one. */
export interface ZipReadOptions {
  inflateRaw?: InflateRaw | undefined;
  crc32?: ((data: Uint8Array) => number) | undefined;
}

const signatures = {
  local: 0x04034b50,
  central: 0x02014b50,
  end: 0x06054b50,
  end64: 0x06064b50,
  locator64: 0x07064b50,
};

interface TextDecoding {
  TextDecoder: new (
    label: string,
    options: { fatal: boolean },
  ) => { decode(bytes: Uint8Array): string };
}
const decoding = globalThis as unknown as TextDecoding; // a runtime global outside the ES library types

function fail(message: string): never {
  throw new Error(message);
}

/** Whether the bytes start like a zip archive (a local file header). */
export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4
  );
}

/** The archive's entries by name, checked against the archive's bytes. */
export function readZipDirectory(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number, what: string) => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(bytes.length))
      fail(`${what} ${v} is beyond the end of the archive (${bytes.length} bytes)`);
    return Number(v);
  };

  // The end-of-central-directory record sits in the last 22 + 65535 bytes (its comment is last).
  let end = -1;
  for (let at = bytes.length - 22; at >= 0 && at >= bytes.length - 22 - 0xffff; at--) {
    if (u32(at) === signatures.end && at + 22 + u16(at + 20) === bytes.length) {
      end = at;
      break;
    }
  }
  if (end < 0) fail('no end-of-central-directory record: the archive is truncated or not a zip');
  let count = u16(end + 10);
  let directorySize = u32(end + 12);
  let directoryOffset = u32(end + 16);
  const locator = end - 20;
  if (locator >= 0 && u32(locator) === signatures.locator64) {
    const end64 = u64(locator + 8, 'the zip64 end record offset');
    if (end64 + 56 > locator || u32(end64) !== signatures.end64)
      fail(`the zip64 end record at byte ${end64} is missing or damaged`);
    count = u64(end64 + 32, 'the entry count');
    directorySize = u64(end64 + 40, 'the central directory size');
    directoryOffset = u64(end64 + 48, 'the central directory offset');
  }
  const directoryEnd = directoryOffset + directorySize;
  if (directoryEnd > end || directoryEnd > bytes.length)
    fail(
      `the central directory (bytes ${directoryOffset} to ${directoryEnd}) runs past its end record at byte ${end}`,
    );
  if (count * 46 > directorySize)
    fail(`${count} entries do not fit a central directory of ${directorySize} bytes`);

  const entries = new Map<string, ZipEntry>();
  const spans: [number, number, string][] = [];
  const names = new decoding.TextDecoder('utf-8', { fatal: true });
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directoryEnd || u32(at) !== signatures.central)
      fail(`central directory entry ${i} at byte ${at} is damaged`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc32 = u32(at + 16);
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let localOffset = u32(at + 42);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > directoryEnd) fail(`central directory entry ${i} runs past the directory`);
    let name: string;
    try {
      name = names.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      fail(`central directory entry ${i} has a name that is not UTF-8`);
    }
    // zip64: the real sizes and offset are in an extra field when the 32-bit ones are saturated.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(e);
      const length = u16(e + 2);
      if (id === 0x0001) {
        let field = e + 4;
        const take = (what: string) => {
          if (field + 8 > e + 4 + length) fail(`entry "${name}" has a short zip64 field`);
          const v = u64(field, what);
          field += 8;
          return v;
        };
        if (size === 0xffffffff) size = take(`entry "${name}"'s size`);
        if (compressedSize === 0xffffffff)
          compressedSize = take(`entry "${name}"'s compressed size`);
        if (localOffset === 0xffffffff) localOffset = take(`entry "${name}"'s offset`);
      }
      e += 4 + length;
    }
    if (flags & 1) fail(`entry "${name}" is encrypted`);
    if (entries.has(name)) fail(`the archive holds "${name}" twice`);
    if (localOffset + 30 > directoryOffset || u32(localOffset) !== signatures.local)
      fail(`entry "${name}" has no local header at byte ${localOffset}`);
    const dataOffset = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    if (dataOffset + compressedSize > directoryOffset)
      fail(
        `entry "${name}" (${compressedSize} bytes from byte ${dataOffset}) runs past the archive's data`,
      );
    if (method === 0 && compressedSize !== size)
      fail(`stored entry "${name}" has ${compressedSize} bytes but claims ${size}`);
    entries.set(name, { name, method, compressedSize, size, crc32, dataOffset });
    spans.push([localOffset, dataOffset + compressedSize, name]);
    at = next;
  }
  // Entries may not share bytes: an archive cannot make one region count many times.
  spans.sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < spans.length; k++)
    if (spans[k]![0] < spans[k - 1]![1])
      fail(`entries "${spans[k - 1]![2]}" and "${spans[k]![2]}" overlap`);
  return entries;
}

/**
 * An entry's contents: a view into `bytes` for a stored entry, inflated for a DEFLATE one (with
 * `inflateRaw`). The CRC-32 is checked either way.
 */
export function zipEntryBytes(
  bytes: Uint8Array,
  entry: ZipEntry,
  { inflateRaw, crc32: checksum = crc32 }: ZipReadOptions = {},
): Uint8Array {
  const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) data = raw;
  else if (entry.method === 8) {
    if (!inflateRaw)
      fail(
        `entry "${entry.name}" is compressed with DEFLATE, which torch.save never writes; this reader takes stored entries only (load(path) in @dl/nn/node inflates them)`,
      );
    data = inflateRaw(raw, entry.size);
    if (data.length !== entry.size)
      fail(`entry "${entry.name}" inflates to ${data.length} bytes, not ${entry.size}`);
  } else
    fail(
      `entry "${entry.name}" uses compression method ${entry.method}; dl reads stored and DEFLATE entries`,
    );
  if (checksum(data) !== entry.crc32)
    fail(`entry "${entry.name}" fails its CRC-32 check: the file is damaged`);
  return data;
}

/** CRC-32 lookup tables for eight bytes a step: table k at [256 k, 256 k + 256). */
let crcTable: Uint32Array | undefined;

function crcTables(): Uint32Array {
  if (!crcTable) {
    crcTable = new Uint32Array(8 * 256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
    for (let n = 256; n < 8 * 256; n++)
      crcTable[n] = (crcTable[n - 256]! >>> 8) ^ crcTable[crcTable[n - 256]! & 0xff]!;
  }
  return crcTable;
}

/** CRC-32 (the zip polynomial), eight bytes a step. */
export function crc32(data: Uint8Array): number {
  const t = crcTables();
  let crc = 0xffffffff;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    const a =
      (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    crc =
      t[7 * 256 + (a & 0xff)]! ^
      t[6 * 256 + ((a >>> 8) & 0xff)]! ^
      t[5 * 256 + ((a >>> 16) & 0xff)]! ^
      t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < n; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
