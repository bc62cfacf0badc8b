/**
 * Node file output for ONNX models: saveOnnx writes a temporary file beside the target,
 * syncs it and renames it, so a failure part way leaves any previous file intact.
 *
 * @module \@dl/onnx/node
 */

import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Module } from '@dl/nn';
import type { Tensor } from '@dl/tensor';
import { type ExportOnnxOptions, exportOnnx } from './export.js';

/** Exports `module` (see exportOnnx) and writes the model to `path`; returns its bytes. */
export async function saveOnnx(
  module: Module<unknown>,
  exampleInput: Tensor | readonly Tensor[],
  path: string,
  options: ExportOnnxOptions = {},
): Promise<Uint8Array> {
  const bytes = await exportOnnx(module, exampleInput, options);
  await writeAtomically(path, bytes);
  return bytes;
}

/** Writes bytes to `path` through a synced temporary file and a rename. */
export async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
