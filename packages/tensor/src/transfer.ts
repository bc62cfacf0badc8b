// Moving a tensor to another device. Reading happens synchronously from devices that keep
// data on the CPU; moving off a GPU needs the asynchronous read (`await t.toAsync(device)`).

import type { Backend } from './backend.js';
import type { TypedArray } from './dtype.js';
import { checkAlive, record, viewDescriptor } from './internal.js';
import { contiguousStrides } from './shape.js';
import { StorageRef } from './storage.js';
import { Tensor } from './tensor.js';

export function transfer(x: Tensor, device: Backend): Tensor {
  checkAlive('to', [x]);
  if (x.device === device) return x;
  const source = x.device;
  if (!source.readSync) {
    throw new Error(
      `to(${device}): reading from ${source} is asynchronous; use \`await x.toAsync(${device.type === 'cpu' ? "'cpu'" : 'device'})\``,
    );
  }
  return placed(x, source.readSync(viewDescriptor(x, 'to')), device);
}

export async function transferAsync(x: Tensor, device: Backend): Promise<Tensor> {
  checkAlive('to', [x]);
  if (x.device === device || x.device.readSync) return transfer(x, device);
  return placed(x, await x.device.read(viewDescriptor(x, 'to')), device);
}

/** A tensor on `device` holding x's `values`; its gradient goes back to x's device. */
function placed(x: Tensor, values: TypedArray, device: Backend): Tensor {
  const source = x.device;
  const storage = new StorageRef(device.fromData(x.dtype, values));
  const y = new Tensor(storage, x.shape, contiguousStrides(x.shape), 0, x.dtype);
  // The gradient arrives on `device`; from a GPU it must be read asynchronously, so a
  // gradient flowing from the GPU back to a CPU leaf is supported only from the CPU side.
  return record(y, 'To', [x], (g) => [transfer(g, source)], []);
}
