// How ops build tensors: allocate outputs on a device, make views of existing storage, and
// record the backward step in the autograd graph. Used by every op; not exported (except
// checkTensor, which other packages' ops use too).

import { isGradEnabled, Node } from '@dl/autograd';
import { describeValue } from './args.js';
import type { Backend, View } from './backend.js';
import type { DType } from './dtype.js';
import { contiguousStrides, numelOf, type Shape } from './shape.js';
import { StorageRef } from './storage.js';
import { Tensor } from './tensor.js';

/**
 * Refuses tensors that were disposed: their storage may already hold another tensor's
 * values (GPU buffers are pooled), so using one must be an error at the op, not a wrong
 * result later.
 */
export function checkAlive(op: string, tensors: readonly Tensor[]): void {
  for (const t of tensors) {
    checkTensor(op, t);
    t.assertAlive(op);
  }
}

/**
 * Throws a TypeError naming `op`, the argument (`name`) and what it got when `value` is not a
 * Tensor: `mseLoss: expected target to be a Tensor, got [1, 2]; make one with tensor(...)`.
 */
export function checkTensor(
  op: string,
  value: unknown,
  name = 'a Tensor argument',
): asserts value is Tensor {
  if (value instanceof Tensor) return;
  const what = name === 'a Tensor argument' ? 'a Tensor' : `${name} to be a Tensor`;
  const hint =
    Array.isArray(value) || ArrayBuffer.isView(value) || typeof value === 'number'
      ? '; make one with tensor(...)'
      : '';
  throw new TypeError(`${op}: expected ${what}, got ${describeValue(value)}${hint}`);
}

/** A new contiguous tensor with unspecified contents. */
export function emptyTensor(shape: Shape, dtype: DType, device: Backend): Tensor {
  const storage = new StorageRef(device.allocate(dtype, numelOf(shape)));
  return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
}

/** A view sharing `base`'s storage with another shape, strides and offset. */
export function viewOf(
  op: string,
  base: Tensor,
  shape: Shape,
  strides: readonly number[],
  offset: number,
): Tensor {
  checkAlive(op, [base]);
  const view = new Tensor(base.storageRef, shape, strides, offset, base.dtype);
  view.markView();
  return view;
}

/** The view a kernel reads or writes for `t`, which `op` uses. */
export function viewDescriptor(t: Tensor, op: string): View {
  checkTensor(op, t);
  t.assertAlive(op);
  return {
    storage: t.storageRef.storage,
    dtype: t.dtype,
    shape: t.shape,
    strides: t.stride(),
    offset: t.storageOffset,
  };
}

/** The gradient function of an op: gradients for each input (null where none). */
export type Derivative = (gradOutput: Tensor) => readonly (Tensor | null)[];

/**
 * Attaches the backward step of an op to its output when grad mode is on and an input
 * requires grad. The versions of `saved` are checked when backward runs, so an in-place
 * change to a value the derivative needs is an error, not a silently wrong gradient.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  derivative: Derivative,
  saved: readonly Tensor[] = inputs,
): Tensor {
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return out;
  const versions = saved.map((t) => t.storageRef.version);
  const nodeName = backwardName(name);
  out.attachGradFn(
    new Node<Tensor>(nodeName, inputs, (gradOutput) => {
      for (const [i, t] of saved.entries()) {
        if (t.storageRef.version !== versions[i]) {
          throw new Error(
            `one of the tensors needed for gradient computation has been modified by an ` +
              `in-place operation: a tensor of shape [${t.shape.join(', ')}] used by ` +
              `${nodeName} is at version ${t.storageRef.version}; expected version ` +
              `${versions[i]}. Use an out-of-place op (add instead of add_), or clone() first.`,
          );
        }
      }
      return derivative(gradOutput);
    }),
  );
  return out;
}

/** Node names by op name: `MulBackward` for `mul`, spelled once per op. */
const backwardNames = new Map<string, string>();

function backwardName(op: string): string {
  let name = backwardNames.get(op);
  if (name === undefined) {
    name = `${op.charAt(0).toUpperCase()}${op.slice(1)}Backward`;
    backwardNames.set(op, name);
  }
  return name;
}

/** Checks that all tensors are alive and share one device, and returns it. */
export function commonDevice(op: string, tensors: readonly Tensor[]): Backend {
  checkAlive(op, tensors);
  const device = tensors[0]!.device;
  for (const t of tensors) {
    if (t.device !== device) {
      throw new Error(
        `${op}: expected all tensors to be on the same device, but found at least two ` +
          `devices, ${device} and ${t.device}`,
      );
    }
  }
  return device;
}
