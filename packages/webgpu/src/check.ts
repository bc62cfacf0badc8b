// A self-check any user can run on a fresh device: one elementwise kernel over a large
// buffer, compared with the same arithmetic done on the CPU in float32.

import type { WebGPUDevice } from './device.js';

export interface DeviceCheck {
  /** Number of elements computed. */
  count: number;
  /** Largest |gpu - cpu| / max(1, |cpu|) over all elements. */
  maxRelativeError: number;
  /** True when every element is within float32 rounding of the CPU result. */
  ok: boolean;
  /** Milliseconds from upload to the result being read back. */
  milliseconds: number;
}

const polynomialKernel = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= arrayLength(&y)) { return; }
  let v = x[i];
  y[i] = 3.0 * v * v - 2.0 * v + 1.0;
}
`;

/** Evaluates y = 3x² - 2x + 1 over `count` floats on the device and on the CPU. */
export async function checkDevice(device: WebGPUDevice, count = 100_000): Promise<DeviceCheck> {
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = ((i * 7919) % 2003) / 1001 - 1; // values in [-1, 1]
  const start = performance.now();
  const input = device.upload(x, 'check input');
  const output = device.createBuffer(x.byteLength, 'check output');
  device.dispatch({
    label: `check polynomial [${count}]`,
    code: polynomialKernel,
    bindings: [input, output],
    workgroups: [Math.ceil(count / 64)],
  });
  const y = new Float32Array(await device.read(output, x.byteLength, 'check readback'));
  const milliseconds = performance.now() - start;
  input.destroy();
  output.destroy();
  let maxRelativeError = 0;
  const f = Math.fround;
  for (let i = 0; i < count; i++) {
    const v = x[i]!;
    const expected = f(f(f(f(3 * v) * v) - f(2 * v)) + 1);
    const error = Math.abs(y[i]! - expected) / Math.max(1, Math.abs(expected));
    if (!(error <= maxRelativeError)) maxRelativeError = error; // NaN counts as the worst
  }
  // A few float32 ulps: the device may contract multiply-adds into fused ones.
  return { count, maxRelativeError, ok: maxRelativeError <= 4e-7, milliseconds };
}
