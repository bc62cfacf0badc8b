// The data every library of cpu-peers.bench.ts starts from, in files, for the processes that
// cannot take it from memory: the child processes measuring one library's peak memory, and
// PyTorch's script (cpu_peers_torch.py). A folder with manifest.json, naming each array's
// file, dtype and shape, and one file of raw little-endian values per array. This file
// imports no library, so a child reading it loads only the library it measures.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Weights } from './side.ts';

type Values = Float32Array | Int32Array;

interface Entry {
  file: string;
  dtype: 'float32' | 'int32';
  shape: number[];
}

/** Arrays by name, each with its shape. */
export type Arrays = Map<string, { shape: number[]; data: Values }>;

/** Writes `arrays` into `folder` (created if missing). */
export function writeFixture(folder: string, arrays: Arrays): void {
  mkdirSync(folder, { recursive: true });
  const manifest: Record<string, Entry> = {};
  let index = 0;
  for (const [name, { shape, data }] of arrays) {
    const file = `${index++}.bin`;
    writeFileSync(
      join(folder, file),
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    manifest[name] = { file, dtype: data instanceof Float32Array ? 'float32' : 'int32', shape };
  }
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 1));
}

/** The arrays writeFixture wrote into `folder`. */
export function readFixture(folder: string): Arrays {
  // The manifest is this file's own output (writeFixture).
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Record<
    string,
    Entry
  >;
  const arrays: Arrays = new Map();
  for (const [name, { file, dtype, shape }] of Object.entries(manifest)) {
    const bytes = readFileSync(join(folder, file));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const data = dtype === 'float32' ? new Float32Array(buffer) : new Int32Array(buffer);
    arrays.set(name, { shape, data });
  }
  return arrays;
}

/** The arrays whose names start with `prefix`, that prefix removed, as a model's weights. */
export function weightsIn(arrays: Arrays, prefix: string): Weights {
  const weights: Weights = new Map();
  for (const [name, { shape, data }] of arrays) {
    if (!name.startsWith(prefix)) continue;
    if (!(data instanceof Float32Array)) throw new Error(`${name}: expected float32 weights`);
    weights.set(name.slice(prefix.length), { shape, data });
  }
  return weights;
}

/** The named float32 array, or an error naming the ones there are. */
export function floatArray(arrays: Arrays, name: string): Float32Array {
  const found = arrays.get(name)?.data;
  if (!(found instanceof Float32Array)) {
    throw new Error(`no float32 array ${name} (have ${[...arrays.keys()].join(', ')})`);
  }
  return found;
}
