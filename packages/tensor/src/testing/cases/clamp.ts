// Conformance cases: clamp with tensor bounds (and number bounds beside them), against
// PyTorch's values, dtypes and gradients (reference/clamp.ts, from scripts/reference/clamp.py),
// its derivatives against finite differences, clamp_ in place, and its refusals.

import type { Backend } from '../../backend.js';
import type { DeviceLike } from '../../device.js';
import type { DType } from '../../dtype.js';
import { type Tensor, tensor } from '../../index.js';
import type { ClampBound } from '../../ops/clamp.js';
import {
  assertClose,
  assertThrows,
  expectDType,
  expectValues,
  isTensor,
  type Tolerance,
} from '../assert.js';
import { type ConformanceCase, checkGradients, defineCases } from '../conformance.js';
import {
  type Bound,
  clampDTypeReference,
  clampReference,
  type Operand,
  type Typed,
} from './reference/clamp.js';
import { weights } from './reference/elementwise.js';

/** clamp is exact: each output is one of its inputs. */
const EXACT: Tolerance = { rtol: 0, atol: 0 };
/** float64 is CPU-only (WGSL has no f64), so cases about it run on the CPU whatever the device. */
const FLOAT64_DEVICE = 'cpu';

function operand(spec: Operand, device: Backend, requiresGrad: boolean): Tensor {
  return tensor([...spec.values], { device, dtype: 'float32' })
    .reshape(spec.shape)
    .requiresGrad_(requiresGrad);
}

function bound(spec: Bound, device: Backend): Tensor | number | null {
  return spec === null || typeof spec === 'number' ? spec : operand(spec, device, true);
}

function typedTensor(spec: Typed, device: DeviceLike): Tensor {
  const on = spec.dtype === 'float64' ? FLOAT64_DEVICE : device;
  const dtype: DType = spec.dtype;
  return typeof spec.values === 'number'
    ? tensor(spec.values, { device: on, dtype })
    : tensor([...spec.values], { device: on, dtype });
}

function typedBound(spec: Typed | number | null, device: DeviceLike): ClampBound {
  return spec === null || typeof spec === 'number' ? spec : typedTensor(spec, device);
}

function referenceCases(): Record<string, (device: Backend) => Promise<void>> {
  const cases: Record<string, (device: Backend) => Promise<void>> = {};
  for (const [name, ref] of Object.entries(clampReference)) {
    cases[`clamp with ${name} matches PyTorch (values and gradients)`] = async (device) => {
      const x = operand(ref.x, device, true);
      const min = bound(ref.min, device);
      const max = bound(ref.max, device);
      const y = x.clamp(min, max);
      expectDType(y, 'float32', name);
      await expectValues(y, ref.output.shape, ref.output.values, EXACT, `${name}: values`);
      y.mul(tensor(weights(y.numel()), { device, dtype: 'float32' }).reshape(y.shape))
        .sum()
        .backward();
      await expectValues(x.grad!, ref.x.shape, ref.gradX, EXACT, `${name}: gradient of x`);
      for (const [which, t, grad] of [
        ['min', min, ref.gradMin],
        ['max', max, ref.gradMax],
      ] as const) {
        if (!grad || !isTensor(t)) continue;
        await expectValues(t.grad!, t.shape, grad, EXACT, `${name}: gradient of ${which}`);
      }
    };
  }
  for (const [name, ref] of Object.entries(clampDTypeReference)) {
    const onCpu = [ref.x, ref.min, ref.max].some(
      (t) => t !== null && typeof t !== 'number' && t.dtype === 'float64',
    );
    cases[`clamp: ${name}, as PyTorch`] = async (device) => {
      const on = onCpu ? FLOAT64_DEVICE : device;
      const x = typedTensor(ref.x, on);
      const y = x.clamp(typedBound(ref.min, on), typedBound(ref.max, on));
      expectDType(y, ref.dtype, name);
      await expectValues(y, x.shape, ref.output, { rtol: 1e-7, atol: 0 }, name);
    };
  }
  return cases;
}

const clampCases = {
  ...referenceCases(),
  'clamp with tensor bounds: gradients match finite differences': async (device: Backend) => {
    // Away from the bounds and from min = max, where the derivatives jump.
    const x = [0.3, -2.2, 3.1, -0.6, 1.7, -3.3, 0.2, 2.6, -1.9, 1.2, 2.9, -0.1];
    const lo = [-1.1, -1.3, -0.8, -1.2, -0.9, 1.4, 0.7, -0.6, 1.1, 0.8, 0.9, -0.4];
    const hi = [2.2, 1.9, 2.4, 2.1, 1.8, -1.2, -0.9, 1.9, 1.3, 1.6, 1.4, 0.6];
    await checkGradients(device, (t, a, b) => t!.clamp(a, b), [
      { values: x, shape: [3, 4] },
      { values: lo, shape: [3, 4] },
      { values: hi, shape: [3, 4] },
    ]);
    await checkGradients(device, (t, a, b) => t!.clamp(a, b), [
      { values: [-0.7, 0.4, 2.3], shape: [3, 1] },
      { values: [-1.1, 0.1, 0.6, 1.3], shape: [1, 4] },
      { values: [-0.4, 0.7, 2.1, 3.2], shape: [1, 4] },
    ]);
    await checkGradients(device, (t, a) => t!.clamp(null, a), [
      { values: x, shape: [3, 4] },
      { values: [1.9, 0.1, -2.1], shape: [3, 1] },
    ]);
  },
  'clamp_ with tensor bounds writes in place and differentiates through': async (
    device: Backend,
  ) => {
    const leaf = tensor([0.5, -2, 3, -1], { device, dtype: 'float32', requiresGrad: true });
    const lo = tensor([-1, -1, 0, 0], { device, dtype: 'float32', requiresGrad: true });
    const x = leaf.mul(1);
    x.clamp_(lo, 2.5);
    await assertClose(x, [0.5, -1, 2.5, 0]);
    x.sum().backward();
    await assertClose(leaf.grad!, [1, 0, 0, 0]);
    await assertClose(lo.grad!, [0, 1, 0, 1]);
    // Number bounds, and a tensor that needs no gradient clamped by one that does (PyTorch's
    // gradients: x = -1 ties with min and keeps its gradient).
    const leaf2 = tensor([0.5, -2, 3, -1], { device, dtype: 'float32', requiresGrad: true });
    const y = leaf2.mul(1);
    y.clamp_(-1, 2.5);
    y.sum().backward();
    await assertClose(leaf2.grad!, [1, 0, 0, 1]);
    const plain = tensor([0.5, -2, 3, -1], { device, dtype: 'float32' });
    const lo2 = tensor([-1, -1, 0, 0], { device, dtype: 'float32', requiresGrad: true });
    plain.clamp_(lo2, 2.5);
    plain.sum().backward();
    await assertClose(lo2.grad!, [0, 1, 0, 1]);
    const i = tensor([-3, 0, 5], { device, dtype: 'int32' });
    i.clamp_(tensor([0, 1, 2], { device, dtype: 'int32' }), null);
    expectDType(i, 'int32', 'int32 clamp_');
    await assertClose(i, [0, 1, 5]);
    assertThrows(
      () => i.clamp_(tensor([0.5], { device, dtype: 'float32' })),
      "result type float32 can't be cast to the desired output type int32",
      'int32 clamp_ with a float32 bound',
    );
    assertThrows(
      () =>
        tensor([[1, 2, 3]], { device, dtype: 'float32' }).clamp_(
          tensor([[0], [1]], { device, dtype: 'float32' }),
        ),
      'must match the existing size (2)',
      'clamp_ into a smaller tensor',
    );
  },
  'clamp refuses bounds that are neither numbers nor tensors, and shapes that do not broadcast':
    async (device: Backend) => {
      const x = tensor([1, 2, 3], { device, dtype: 'float32' });
      assertThrows(
        () => x.clamp([0, 1] as unknown as number),
        'clamp: min must be a number, a tensor, null or undefined, got [0, 1]',
        'an array bound',
      );
      assertThrows(
        () => x.clamp(null, '2' as unknown as number),
        "clamp: max must be a number, a tensor, null or undefined, got '2'",
        'a string bound',
      );
      assertThrows(() => x.clamp(null, null), "at least one of 'min' or 'max'", 'no bounds');
      assertThrows(
        () => x.clamp(tensor([0, 1], { device, dtype: 'float32' })),
        /\[3\].*\[2\]/,
        'a min of shape [2] for x [3]',
      );
    },
};

export const elementwiseClampCases: ConformanceCase[] = defineCases('elementwise', clampCases);
