// Moving tensors and models to the GPU (WebGPU) and back: the "Tensors" tutorial's
// `if torch.cuda.is_available(): tensor = tensor.to("cuda")`, and "Build the Neural
// Network"'s `model = NeuralNetwork().to(device)`.
//
//   pnpm example 03-devices [--device cpu|webgpu]

import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import * as nn from '@dl/nn';
import { type Backend, randn, tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { webgpu } from '@dl/webgpu';

// A GPU is opened explicitly: `await webgpu()` gives a device object (Dawn in Node,
// navigator.gpu in a browser), or rejects with a WebGPUUnavailableError saying what is
// missing. 'cpu' is always there. The usual fallback, as `"cuda" if available else "cpu"`:
//   const device = await webgpu().catch(() => 'cpu' as const);
const { values } = parseArgs({
  options: { device: { type: 'string', default: process.env['DL_DEVICE'] ?? 'cpu' } },
});
assert.ok(values.device === 'cpu' || values.device === 'webgpu', `unknown device ${values.device}`);
const device: 'cpu' | Backend = values.device === 'webgpu' ? await webgpu() : 'cpu';
console.log(`Using ${device} device`);

// Tensors are created on the CPU unless a device is given.
const x = tensor([
  [1, -2],
  [3, 4],
]);
assert.equal(x.device.type, 'cpu');

// .to(device) copies to the device and returns at once: the copy and the ops after it are
// queued, and only reading a value waits for the device.
const xDevice = x.to(device);
console.log(`Device tensor is stored on: ${xDevice.device}`);
const y = xDevice.matmul(xDevice).relu();

// Back to the CPU. From a GPU that is a read, so it is awaited: PyTorch's y.cpu() or
// y.to("cpu") is `await y.toAsync('cpu')` (y.cpu() works when y is already on the CPU).
const yCpu = await y.toAsync('cpu');
assert.equal(yCpu.device.type, 'cpu');
console.log(`Back on the CPU:\n${yCpu}`); // CPU tensors print synchronously
await assertClose(yCpu, [
  [0, 0],
  [15, 10],
]);
if (device !== 'cpu') {
  assert.throws(() => y.cpu(), /asynchronous; use `await x.toAsync\('cpu'\)`/);
  // Tensors on different devices do not mix; the error names both.
  assert.throws(() => x.add(xDevice), /device/);
}

// Creating a tensor directly on the device avoids the copy.
const z = randn([3, 3], { device });
assert.equal(z.device, xDevice.device);

// The same computation gives the same numbers on the CPU and on the device.
const a = randn([64, 32]);
const b = randn([32, 16]);
const expected = a.matmul(b).tanh();
const onDevice = a.to(device).matmul(b.to(device)).tanh();
await assertClose(await onDevice.toAsync('cpu'), expected, { rtol: 1e-4, atol: 1e-5 });

// A model moves its parameters and buffers in place: the Parameter objects stay the same,
// so an optimizer built before or after the move works either way.
const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
const firstWeight = model.getParameter('0.weight');
model.to(device);
assert.equal(model.getParameter('0.weight'), firstWeight);
for (const [name, p] of model.namedParameters()) {
  assert.equal(p.device, xDevice.device, `${name} moved`);
}
const out = model.call(randn([5, 4], { device }));
assert.deepEqual(out.shape, [5, 2]);

// And back, say to save or inspect it on the CPU: awaited, as for a tensor.
await model.toAsync('cpu');
assert.ok([...model.parameters()].every((p) => p.device.type === 'cpu'));
console.log(`model back on ${model.getParameter('0.weight')!.device}`);
