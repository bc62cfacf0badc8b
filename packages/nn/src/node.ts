/**
 * \@dl/nn/node: saving and loading state dicts as safetensors files in Node, and reading
 * PyTorch's torch.save files, with everything of `@dl/nn`. Writes are atomic: a temporary
 * file in the same folder, flushed to disk, then renamed over the target.
 *
 * @module \@dl/nn/node
 */

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile, rename, unlink } from 'node:fs/promises';
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
import {
  checkLoadable,
  planLayout,
  type ReadOptions,
  tensorBytes,
  tensorOf,
} from './safetensors.js';
import { headerLength, limitsOf, parseHeader, quoted } from './safetensors-header.js';

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
 * Reads a safetensors file into a state dict of CPU tensors, in file order. The header is
 * read and checked first (see ReadOptions for its limits), then each tensor on its own: what
 * load() holds follows the file's real size, whatever its header claims, and files over
 * 2 GiB load. Errors name the file: `load: runs/x.safetensors: the header of ...`.
 *
 * A torch.save file (`.pth`) that holds a state dict is recognised by its content and read
 * as fromTorchBytes reads it; a checkpoint that holds more is read with loadTorch.
 */
export async function load(path: string, options: ReadOptions = {}): Promise<StateDict> {
  if (await isTorchFileAt(path)) return readTorchFile('load', path, readTorchStateDict);
  let file: FileHandle | undefined;
  try {
    const limits = limitsOf(options);
    file = await open(path, 'r');
    const { size } = await file.stat();
    const prefix = new Uint8Array(Math.min(8, size));
    await readAt(file, prefix, 0);
    const length = headerLength(prefix, size, limits);
    const headerBytes = new Uint8Array(length);
    await readAt(file, headerBytes, 8);
    const { tensors } = parseHeader(headerBytes, size - 8 - length, limits);
    checkLoadable(tensors);
    const out: StateDict = new Map();
    for (const t of tensors) {
      const bytes = allocate(t.end - t.begin, t.name);
      await readAt(file, bytes, 8 + length + t.begin);
      out.set(t.name, tensorOf(t, bytes.buffer));
    }
    return out;
  } catch (error) {
    throw new Error(`load: ${path}: ${reason(error)}`, { cause: error });
  } finally {
    await file?.close();
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
  return readTorchFile('loadTorch', path, readTorch);
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

/** Reads the torch.save file at `path` with `read`; errors name the function and the file. */
async function readTorchFile<T>(
  caller: string,
  path: string,
  read: (bytes: Uint8Array, options: ReadTorchOptions) => T,
): Promise<T> {
  try {
    const bytes = await readFile(path);
    const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // zlib's CRC-32 is several times faster than the portable one.
    return read(data, { inflateRaw, crc32: (entry) => crc32(entry) });
  } catch (error) {
    throw new Error(`${caller}: ${path}: ${reason(error)}`, { cause: error });
  }
}

/** Node's zlib for DEFLATE zip entries, never producing more than the entry declares. */
function inflateRaw(data: Uint8Array, size: number): Uint8Array {
  return inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
}

/** The bytes for tensor `name`, or an error saying it does not fit in memory. */
function allocate(bytes: number, name: string): Uint8Array<ArrayBuffer> {
  try {
    return new Uint8Array(bytes);
  } catch (error) {
    throw new Error(
      `tensor ${quoted(name)} of ${bytes} bytes does not fit in memory (${reason(error)})`,
    );
  }
}

/** Fills `into` from the file at `position`; the file must still hold those bytes. */
async function readAt(file: FileHandle, into: Uint8Array, position: number): Promise<void> {
  const chunk = 2 ** 30; // a single read returns at most about 2 GiB
  for (let done = 0; done < into.length; ) {
    const want = Math.min(chunk, into.length - done);
    const { bytesRead } = await file.read(into, done, want, position + done);
    if (bytesRead === 0)
      throw new Error(
        `the file ended at byte ${position + done}, before the ${into.length} bytes expected from byte ${position} (did it change while being read?)`,
      );
    done += bytesRead;
  }
}

/** An error's message on one line; for a missing file, just that. */
function reason(error: unknown): string {
  if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return 'no such file';
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!;
}
