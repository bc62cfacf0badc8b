/**
 * \@dl/nn/node: saving and loading state dicts as safetensors files in Node, with everything
 * of `@dl/nn`. Writes are atomic: a temporary file in the same folder, flushed to disk, then
 * renamed over the target.
 *
 * @module \@dl/nn/node
 */

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '@dl/tensor';
import type { StateDict } from './module.js';
import { fromBytes, planLayout, tensorBytes } from './safetensors.js';

export * from './index.js';

/**
 * Writes a state dict to `path` in the safetensors format. Tensors are read one at a time
 * into a temporary file beside `path`, which replaces `path` only once it is complete and
 * on disk: a failure or crash part way leaves any previous file untouched.
 */
export async function save(
  stateDict: StateDict | Readonly<Record<string, Tensor>>,
  path: string,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const { header, order } = planLayout(stateDict, metadata);
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temporary, 'wx');
  let closed = false;
  try {
    await file.write(header);
    for (const [, t] of order) await file.write(await tensorBytes(t));
    await file.sync();
    await file.close();
    closed = true;
    await rename(temporary, path);
  } catch (error) {
    if (!closed) await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** Reads a safetensors file into a state dict of CPU tensors (see fromBytes for the checks). */
export async function load(path: string): Promise<StateDict> {
  const bytes = await readFile(path);
  try {
    return fromBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
