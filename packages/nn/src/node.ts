/**
 * \@dl/nn/node: saving and loading state dicts as safetensors files in Node, and reading
 * PyTorch's torch.save files, with everything of `@dl/nn`. Writes are atomic: a temporary file in the same folder, flushed to disk, then
 * renamed over the target.
 *
 * @module \@dl/nn/node
 */

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import type { Tensor } from '@dl/tensor';
import type { StateDict } from './module.js';
import {
  isTorchFile,
  type ReadTorchOptions,
  readTorch,
  readTorchStateDict,
  type TorchValue,
} from './pth.js';
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

/**
 * Reads a safetensors file into a state dict of CPU tensors (see fromBytes for the checks). A
 * torch.save file (`.pth`) that holds a state dict is recognised by its content and read as
 * fromTorchBytes reads it; a checkpoint that holds more is read with loadTorch.
 */
export async function load(path: string): Promise<StateDict> {
  if (await isTorchFileAt(path)) return readTorchFile(path, readTorchStateDict);
  const bytes = await readFile(path);
  try {
    return fromBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Reads a torch.save file (`.pth`, `.pt`; the zip format or the legacy one) into its value, as
 * fromTorchBytes does: for training checkpoints and anything else beyond a bare state dict.
 *
 * ```ts
 * const checkpoint = (await loadTorch('checkpoint.pth')) as TorchDict; // as the script saved it
 * model.loadStateDict(asStateDict(checkpoint['model_state_dict']));
 * ```
 *
 * Zip entries compressed with DEFLATE (an archive re-zipped by another tool) are inflated here.
 */
export function loadTorch(path: string): Promise<TorchValue> {
  return readTorchFile(path, readTorch);
}

/** Whether the file at `path` starts like a torch.save file (false when it cannot be read). */
async function isTorchFileAt(path: string): Promise<boolean> {
  try {
    const file = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await file.read(new Uint8Array(32), 0, 32, 0);
      return isTorchFile(buffer.subarray(0, bytesRead));
    } finally {
      await file.close();
    }
  } catch {
    return false;
  }
}

async function readTorchFile<T>(
  path: string,
  read: (bytes: Uint8Array, options: ReadTorchOptions) => T,
): Promise<T> {
  const bytes = await readFile(path);
  try {
    const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // zlib's CRC-32 is several times faster than the portable one.
    return read(data, { inflateRaw, crc32: (entry) => crc32(entry) });
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Node's zlib for DEFLATE zip entries, never producing more than the entry declares. */
function inflateRaw(data: Uint8Array, size: number): Uint8Array {
  return inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
}
