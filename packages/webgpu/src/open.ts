// Turns a WebGPU implementation (`navigator.gpu` in a browser, Dawn in Node) into a
// WebGPUDevice: picks the adapter, asks for the limits and features dl's kernels use,
// and explains what to do when there is no adapter.

import { type AdapterDescription, type Waiter, WebGPUDevice } from './device.js';
import { WebGPUUnavailableError } from './errors.js';
import type { ElementwiseOrder } from './kernels/elementwise.js';
import type { CompileMode } from './pipelines.js';

/** Options of `webgpu()` and `isWebGPUAvailable()`; every one has a default. */
export interface WebGPUOptions {
  /** Passed to `requestAdapter`; WebGPU's default when omitted. */
  powerPreference?: GPUPowerPreference;
  /**
   * Bytes of GPU memory in use above which the backend asks the garbage collector to free
   * tensors nobody disposed (Node only; default 16 MiB, doubling with what stays in use).
   * Infinity turns it off.
   */
  collectAbove?: number;
  /**
   * The largest storage binding kernels use, in bytes (default and upper bound: the device's
   * maxStorageBufferBindingSize). Tensors past it are bound by parts; a lower value exercises
   * that path with small tensors.
   */
  maxBindingSize?: number;
  /**
   * How elementwise kernels walk their elements: 'rows' (each invocation a
   * run along the innermost dim, dividing out the other coordinates once per run: fastest
   * where invocations run on CPU cores) or 'interleaved' (neighbouring invocations on
   * neighbouring elements: coalesced loads on a GPU). Default: 'rows' on a software adapter
   * (lavapipe, SwiftShader), 'interleaved' otherwise.
   */
  elementwiseOrder?: ElementwiseOrder;
  /**
   * How pipelines compile. 'sync' (default): createComputePipeline, when an op first needs
   * one. 'async': createComputePipelineAsync, so the compile runs on the implementation's
   * threads while ops keep recording; a batch that needs a pipeline still compiling is
   * submitted, with all queue work after it, once it is ready. Results are the same. Async
   * frees the JavaScript thread sooner, but the held batches cannot start before it yields:
   * on lavapipe, where the driver's real compile runs at a kernel's first dispatch anyway,
   * it made the first MNIST training step and the test suite slower (see the README).
   */
  compile?: CompileMode;
  /**
   * Whether kernels that index (gather, scatter and the ops built on them: indexSelect,
   * embedding, nllLoss, crossEntropy, oneHot) check their indices (default true). A bad
   * index is recorded on the device and the next read or synchronize() raises an
   * IndexError naming the op, the index and the bound, as the CPU raises at the op. Off,
   * such an index reads 0 and writes nothing, silently; only for measuring the checks' cost.
   */
  checkIndices?: boolean;
}

/** Limits raised to what the adapter supports, so large tensors and tiles fit. */
const wantedLimits = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Optional features used when present. */
const wantedFeatures: readonly GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

export async function openDevice(
  gpu: GPU,
  options: WebGPUOptions,
  noAdapterHint: string,
  wait?: Waiter,
): Promise<WebGPUDevice> {
  const compile = options.compile ?? 'sync';
  if (compile !== 'async' && compile !== 'sync') {
    throw new RangeError(`webgpu: compile must be 'async' or 'sync', got ${String(compile)}`);
  }
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) {
    throw new WebGPUUnavailableError(`no WebGPU adapter is available. ${noAdapterHint}`);
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of wantedLimits) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = wantedFeatures.filter((feature) => adapter.features.has(feature));
  const device = await adapter.requestDevice({
    label: 'dl',
    requiredLimits,
    requiredFeatures,
  });
  const info = adapter.info;
  const description: AdapterDescription = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description:
      info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' '),
    // `isFallbackAdapter` moved from the adapter to its info; read whichever exists.
    isFallbackAdapter: Boolean(
      (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
        (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    ),
  };
  return new WebGPUDevice(device, description, [gpu, adapter], compile, wait);
}
