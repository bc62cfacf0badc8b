// Moving a tensor to another device. Reading happens synchronously from devices that keep
// data on the CPU; moving off a GPU needs the asynchronous read (`await t.toAsync(device)`).

import type { Backend } from './backend.js';
import { record } from './internal.js';
import { contiguousStrides } from './shape.js';
import { StorageRef } from './storage.js';
import { Tensor } from './tensor.js';

export function transfer(x: Tensor, device: Backend): Tensor {
  if (x.device === device) return x;
  const source = x.device;
  if (!source.readSync) {
    throw new Error(
      `to(${device}): reading from ${source} is asynchronous; use \`await x.toAsync(${device.type === 'cpu' ? "'cpu'" : 'device'})\``,
    );
  }
  const values = source.readSync({
    storage: x.storageRef.storage,
    dtype: x.dtype,
    shape: x.shape,
    strides: x.stride(),
    offset: x.storageOffset,
  });
  const y = new Tensor(
    new StorageRef(device.fromData(x.dtype, values)),
    x.shape,
    contiguousStrides(x.shape),
    0,
    x.dtype,
  );
  return record(y, 'To', [x], (g) => [transfer(g, source)], []);
}

export async function transferAsync(x: Tensor, device: Backend): Promise<Tensor> {
  if (x.device === device || x.device.readSync) return transfer(x, device);
  const source = x.device;
  const values = await source.read({
    storage: x.storageRef.storage,
    dtype: x.dtype,
    shape: x.shape,
    strides: x.stride(),
    offset: x.storageOffset,
  });
  const y = new Tensor(
    new StorageRef(device.fromData(x.dtype, values)),
    x.shape,
    contiguousStrides(x.shape),
    0,
    x.dtype,
  );
  return record(y, 'To', [x], (g) => [g.device === source ? g : transfer(g, source)], []);
}
