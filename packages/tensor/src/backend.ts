// The Backend interface: what a device must provide for every tensor op to run on it.
//
// A backend owns storage (typed arrays on the CPU, GPU buffers on WebGPU) and a small
// closed set of kernels. Every op of the op table is either one of these kernels or is
// composed from other ops, so a new backend implements only what is below. Kernels receive
// Views: storage plus shape, strides (in elements; 0 for broadcast dims) and offset, so
// they read strided and broadcast inputs in place. Outputs are views too, which lets one
// kernel write into a slice of a larger tensor (cat, pad, in-place ops). All validation
// happens before a kernel is called; kernels may assume well-formed arguments.

import type { DType, TypedArray } from './dtype.js';
import type { OutOfRangeMessage } from './errors.js';
import type { Expr } from './expr.js';
import type { Shape } from './shape.js';

/** A backend's memory for one tensor's elements (and the views that share them). */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  /** Number of elements it holds. */
  readonly length: number;
  /**
   * True when the garbage collector reclaims this storage by itself although its backend
   * releases memory (a CPU tensor that did not fit in the WebAssembly memory): then nothing
   * keeps it alive for release().
   */
  readonly collectable?: boolean;
}

/**
 * A strided window on a Storage, as a kernel reads or writes it: strides and offset in elements,
 * stride 0 along broadcast dims.
 */
export interface View {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * The reductions Backend.reduce implements; the others (mean, all, any, ...) are composed from
 * them.
 */
export type ReduceKind = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

/** The geometry of a 2-d sliding window over [N, C, H, W] (convolution and pooling). */
export interface WindowGeometry {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** Output height and width. */
  readonly outSize: readonly [number, number];
  /** The value read outside the input: 0 for convolution, -Infinity for max pooling. */
  readonly padValue: number;
}

/**
 * The geometry of a 2-d convolution of input [N, C, H, W] with weight [O, C / groups, kh, kw]
 * into [N, O, oh, ow]: its window (zero padding) and channel groups.
 */
export interface ConvGeometry {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** The forward output's height and width (oh, ow). */
  readonly outSize: readonly [number, number];
  readonly groups: number;
}

/**
 * A device: its storage and the closed set of kernels every tensor op is built from (see the top of
 * backend.ts). `cpu` and the backend `await webgpu()` returns implement it; `tensor.device` is one.
 */
export interface Backend {
  /** 'cpu', 'webgpu', ...: what `tensor.device.type` reports. */
  readonly type: string;
  /**
   * True when storage must be freed explicitly (GPU buffers): then storage nobody disposed is
   * released when the garbage collector finds it unreachable. False when the collector
   * reclaims it by itself (typed arrays).
   */
  readonly releasesMemory: boolean;
  /**
   * True when an elementwise result may be computed later, folded into the kernel of the
   * elementwise op that consumes it (fusion): backends whose fused kernel gives the values the
   * separate kernels would (WebGPU computes float32 ops in f32 and int32 ops in i32, and
   * stores both exactly).
   */
  readonly fusesElementwise?: boolean;
  /** Bytes of freed storage kept for reuse (a buffer pool), for memory(); none by default. */
  pooledBytes?(): number;
  /**
   * True once the device is gone (lost, or destroyed): its storage no longer exists and
   * memory() stops counting it. Absent on devices that cannot be lost, such as the CPU.
   */
  readonly isLost?: boolean;
  /** The device's printed name: `cpu`, `webgpu (...)`. */
  toString(): string;

  /** Storage for `length` elements of `dtype`; contents unspecified. */
  allocate(dtype: DType, length: number): Storage;
  /** Storage holding a copy of `data`, whose typed array matches `dtype`. */
  fromData(dtype: DType, data: TypedArray): Storage;
  /** The view's elements in row-major order, copied to the CPU. */
  read(view: View): Promise<TypedArray>;
  /** Same as read, synchronously; only backends that hold data on the CPU have it. */
  readSync?(view: View): TypedArray;
  /** Frees storage no tensor uses any more. */
  release(storage: Storage): void;

  /**
   * out[i] = expr(inputs[0][i], inputs[1][i], ...) over out's shape. Inputs are already
   * broadcast to it (stride 0 where broadcast). Each node computes on int32 values or on
   * floats as typeExprs (expr-types.ts) decides, and the result is stored in out's dtype.
   * `params` are the values of the expression's `param` nodes, in the kind typeExprs gives
   * them (an integer param is an int32, wrapped past its range).
   */
  elementwise(expr: Expr, inputs: readonly View[], out: View, params?: readonly number[]): void;
  /**
   * `outs[k][i] = exprs[k](inputs[0][i], ...)` for every k, in one kernel (a fused update such
   * as an optimizer step). The outs share one shape and live in distinct storages; an input
   * may view an out's storage, and each element's inputs are read before its outputs are
   * written.
   */
  elementwiseMulti(
    exprs: readonly Expr[],
    inputs: readonly View[],
    outs: readonly View[],
    params?: readonly number[],
  ): void;
  /**
   * Reduces `input` over `dims` (sorted, distinct). `out` is contiguous with the shape of
   * input minus those dims. argmax/argmin take exactly one dim and write int32 indices of
   * the first extreme value; max/min/argmax/argmin propagate NaN.
   */
  reduce(kind: ReduceKind, input: View, dims: readonly number[], out: View): void;
  /** out[..., m, n] = sum_k a[..., m, k] * b[..., k, n]; batch dims already broadcast. */
  matmul(a: View, b: View, out: View): void;
  /**
   * out[i][j][k] = input[i][index[i][j][k]][k] for dim 1, and so on (torch.gather). An index
   * outside [0, input.shape[dim]) raises an IndexError with `outOfRange`'s message: at once,
   * or, on a device that computes later, at the next read or synchronize (never a value).
   */
  gather(input: View, dim: number, index: View, out: View, outOfRange: OutOfRangeMessage): void;
  /**
   * target[i][index[i][j][k]][k] = src[i][j][k] (mode 'assign') or += (mode 'add') for
   * dim 1, over index's shape (torch.scatter_). `target` is contiguous and written in place.
   * Out-of-range indices raise as in gather; a backend that raises at once leaves `target`
   * untouched.
   */
  scatter(
    mode: 'assign' | 'add',
    target: View,
    dim: number,
    index: View,
    src: View,
    outOfRange: OutOfRangeMessage,
  ): void;
  /** Inclusive prefix sums of `input` along `dim`, into contiguous `out`. */
  cumsum(input: View, dim: number, out: View): void;
  /**
   * Unfolds sliding windows of input [N, C, H, W] into out [N, C * kh * kw, oh * ow]
   * (torch.nn.functional.unfold).
   */
  im2col(input: View, geometry: WindowGeometry, out: View): void;
  /** The adjoint of im2col: sums columns [N, C * kh * kw, L] back into zeroed out [N, C, H, W]. */
  col2im(columns: View, geometry: WindowGeometry, out: View): void;
  /**
   * Convolution (cross-correlation, as torch.nn.functional.conv2d) of input [N, C, H, W] with
   * weight [O, C / groups, kh, kw] into out [N, O, oh, ow]. All three views are contiguous
   * and share one floating dtype.
   */
  conv2d(input: View, weight: View, geometry: ConvGeometry, out: View): void;
  /**
   * The input gradient of conv2d (its adjoint in the input): writes every element of out
   * [N, C, H, W] from grad [N, O, oh, ow] and weight [O, C / groups, kh, kw]. Contiguous views.
   */
  conv2dBackwardInput(grad: View, weight: View, geometry: ConvGeometry, out: View): void;
  /**
   * The weight gradient of conv2d: writes out [O, C / groups, kh, kw] from input
   * [N, C, H, W] and grad [N, O, oh, ow]. Contiguous views.
   */
  conv2dBackwardWeight(input: View, grad: View, geometry: ConvGeometry, out: View): void;
  /**
   * Max pooling of contiguous input [N, C, H, W] (a floating dtype) over the geometry's
   * windows into contiguous values [N, C, oh, ow] and int32 indices into each input plane
   * (h * W + w), as torch.nn.functional.max_pool2d with return_indices: the search starts at
   * the window's first position inside the input with -Infinity and moves to a larger value
   * or to NaN.
   */
  maxPool2d(input: View, geometry: WindowGeometry, values: View, indices: View): void;
  /**
   * The input gradient of maxPool2d: writes every element of contiguous out [N, C, H, W],
   * the sum of the elements of grad [N, C, oh, ow] whose index names it. Contiguous views.
   */
  maxPool2dBackward(grad: View, indices: View, geometry: WindowGeometry, out: View): void;
  /**
   * Softmax (or, with `log`, logSoftmax) of contiguous input [rows, n] (a floating dtype)
   * along its last dim into contiguous out: exp(x - max) / sum, or (x - max) - log(sum),
   * with max and sum over the row, as the composition of those ops computes them.
   */
  softmax(input: View, log: boolean, out: View): void;
}
