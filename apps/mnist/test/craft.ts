// Hostile inputs for the error tests, built byte by byte: an IDX folder of any image size and
// labels, and safetensors files whose JSON header or tensor bytes are edited.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli.ts';

/** An IDX folder with these training and test labels, images of height x width (blank). */
export function idxFolder(
  prefix: string,
  trainLabels: readonly number[],
  options: { testLabels?: readonly number[]; height?: number; width?: number } = {},
): string {
  const { testLabels = [0, 1, 2, 3], height = 28, width = 28 } = options;
  const dir = tempDir(prefix);
  const write = (name: string, labels: readonly number[]) => {
    const count = labels.length;
    const images = Buffer.alloc(16 + count * height * width);
    images.writeUInt32BE(0x803, 0);
    images.writeUInt32BE(count, 4);
    images.writeUInt32BE(height, 8);
    images.writeUInt32BE(width, 12);
    const labelFile = Buffer.alloc(8 + count);
    labelFile.writeUInt32BE(0x801, 0);
    labelFile.writeUInt32BE(count, 4);
    for (const [i, label] of labels.entries()) labelFile.writeUInt8(label, 8 + i);
    writeFileSync(join(dir, `${name}-images-idx3-ubyte`), images);
    writeFileSync(join(dir, `${name}-labels-idx1-ubyte`), labelFile);
  };
  write('train', trainLabels);
  write('t10k', testLabels);
  return dir;
}

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & {
  __metadata__?: Record<string, string>;
};

function split(bytes: Buffer): { header: Header; data: Buffer } {
  const n = Number(bytes.readBigUInt64LE(0));
  return {
    header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')),
    data: bytes.subarray(8 + n),
  };
}

/** Copies a safetensors file into a new folder `name` of `root`, its header edited. */
export function editedCopy(
  from: string,
  root: string,
  name: string,
  edit: (header: Header) => void,
): string {
  const { header, data } = split(readFileSync(from));
  edit(header);
  let text = JSON.stringify(header);
  while ((8 + Buffer.byteLength(text)) % 8 !== 0) text += ' ';
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'last.safetensors'), Buffer.concat([size, Buffer.from(text), data]));
  return dir;
}

/**
 * A copy of a last.safetensors whose run metadata is replaced by `run` (text), or edited:
 * each dotted path of `run` (as 'options.batchSize') set to its value.
 */
export function withRun(
  from: string,
  root: string,
  name: string,
  run: string | Readonly<Record<string, unknown>>,
): string {
  return editedCopy(from, root, name, (header) => {
    const metadata = header.__metadata__!;
    if (typeof run === 'string') {
      metadata['run'] = run;
      return;
    }
    const parsed: Record<string, unknown> = JSON.parse(metadata['run']!);
    for (const [path, value] of Object.entries(run)) {
      const keys = path.split('.');
      let at = parsed;
      for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>; // test data
      at[keys.at(-1)!] = value;
    }
    metadata['run'] = JSON.stringify(parsed);
  });
}

/** A copy whose tensor `key` has `value` (a float32) as element 0. */
export function withValue(from: string, root: string, name: string, key: string, value: number) {
  const bytes = Buffer.from(readFileSync(from));
  const n = Number(bytes.readBigUInt64LE(0));
  const { header } = split(bytes);
  bytes.writeFloatLE(value, 8 + n + header[key]!.data_offsets[0]);
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'last.safetensors'), bytes);
  return dir;
}
