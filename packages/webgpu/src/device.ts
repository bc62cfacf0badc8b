// A WebGPU device as dl uses it: compute work is recorded into a command encoder and
// submitted in batches, reading a buffer back is the only wait, and every WebGPU error
// (validation, out of memory, device loss) reaches the caller as an exception that names
// the work involved, never as console noise or a promise that never settles.

import { WebGPUDeviceLostError, WebGPUOperationError } from './errors.js';
import { BufferUsage, MapMode } from './flags.js';

/** What the adapter says about itself, for printing and for choosing kernels. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True when the adapter is a software rasteriser (lavapipe, SwiftShader, WARP). */
  isFallbackAdapter: boolean;
}

/** One compute dispatch: a WGSL module, the buffers it binds and the grid it runs on. */
export interface ComputeProgram {
  /** Names the work in error messages, e.g. `add [64, 128]`. */
  label: string;
  /** WGSL source. Pipelines are cached by source and entry point. */
  code: string;
  /** Entry point name; `main` when omitted. */
  entryPoint?: string;
  /** Buffers bound, in order, to `@group(0) @binding(0..n-1)`. */
  bindings: readonly GPUBuffer[];
  /** Workgroup counts along x, y and z. */
  workgroups: readonly [number, number?, number?];
}

type ErrorKind = 'validation' | 'out-of-memory' | 'internal';
const errorKinds: readonly ErrorKind[] = ['validation', 'out-of-memory', 'internal'];

/** Dispatches recorded before a batch is submitted without being asked. */
const maxDispatchesPerBatch = 64;

export class WebGPUDevice {
  readonly type = 'webgpu';
  readonly adapter: AdapterDescription;
  readonly gpu: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;

  #failure: Error | undefined;
  #rejectFailed: (error: Error) => void = () => {};
  readonly #failed: Promise<never>;
  #pendingErrors: Promise<WebGPUOperationError | undefined>[] = [];
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  #encoder: GPUCommandEncoder | undefined;
  #batchLabels: string[] = [];
  readonly #submitListeners: (() => void)[] = [];
  /**
   * The adapter and the implementation's instance object. Dawn frees its instance once
   * nothing references it, even while a device made from it (lost or not) is still
   * reachable, and the process crashes; so the device holds them for as long as it lives.
   * Holding them does not keep Node running once no work is pending.
   */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held, never read (see above)
  readonly #keepAlive: unknown;

  constructor(gpu: GPUDevice, adapter: AdapterDescription, keepAlive?: unknown) {
    this.gpu = gpu;
    this.#keepAlive = keepAlive;
    this.adapter = adapter;
    this.limits = gpu.limits;
    this.features = new Set(gpu.features);
    this.#failed = new Promise<never>((_, reject) => {
      this.#rejectFailed = reject;
    });
    // The rejection is observed through races; this handler only stops Node from reporting
    // it as unhandled when nothing is pending.
    this.#failed.catch(() => {});
    gpu.lost.then((info) => {
      this.#fail(this.#lostError(info.reason === 'destroyed' ? undefined : info.message));
    });
    gpu.addEventListener('uncapturederror', (event) => {
      // Our own work always runs inside error scopes; anything that reaches here came from
      // code using `gpu` directly. It is reported to the next wait instead of the console.
      event.preventDefault();
      const error = (event as GPUUncapturedErrorEvent).error;
      this.#fail(new WebGPUOperationError(`WebGPU error: ${error.message}`, 'uncaptured'));
    });
  }

  /** A short name for printing, like PyTorch's `cuda:0`. */
  toString(): string {
    return `webgpu (${this.adapter.description})`;
  }

  /** True once the device has been lost or destroyed; any further use throws. */
  get isLost(): boolean {
    return this.#failure instanceof WebGPUDeviceLostError;
  }

  /** Creates a storage buffer of `byteLength` bytes (rounded up to a multiple of 4). */
  createBuffer(byteLength: number, label = 'buffer'): GPUBuffer {
    this.#checkUsable(label);
    const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
    if (size > this.limits.maxBufferSize) {
      throw new RangeError(
        `${label}: ${byteLength} bytes exceed the device's maxBufferSize of ${this.limits.maxBufferSize}`,
      );
    }
    return this.#scoped(label, () =>
      this.gpu.createBuffer({
        label,
        size,
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      }),
    );
  }

  /** Creates a storage buffer holding a copy of `data`. */
  upload(data: ArrayBufferView<ArrayBuffer>, label = 'upload'): GPUBuffer {
    const buffer = this.createBuffer(data.byteLength, label);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // writeBuffer needs a multiple of 4 bytes; the buffer was rounded up to one.
    const padded = bytes.byteLength % 4 === 0 ? bytes : padTo4(bytes);
    this.#scoped(label, () => this.gpu.queue.writeBuffer(buffer, 0, padded));
    return buffer;
  }

  /**
   * Writes `data` into `buffer` at `byteOffset`. Queue writes take effect before work that
   * is recorded but not yet submitted, so `buffer` must not be used by such work: write
   * only into fresh buffers (the buffer pool holds freed buffers back until a submission).
   */
  write(buffer: GPUBuffer, data: ArrayBufferView, byteOffset = 0, label = 'write'): void {
    this.#checkUsable(label);
    // Tensors never live in SharedArrayBuffers; WebGPU's typing asks for a plain ArrayBuffer.
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    const padded = bytes.byteLength % 4 === 0 ? bytes : padTo4(bytes);
    this.#scoped(label, () => this.gpu.queue.writeBuffer(buffer, byteOffset, padded));
  }

  /**
   * Calls `listener` after every submission. Buffers freed while work that uses them was
   * only recorded become reusable here (queue writes are ordered after submitted work).
   */
  onSubmit(listener: () => void): void {
    this.#submitListeners.push(listener);
  }

  /** True while dispatches are recorded but not yet submitted. */
  get hasPendingWork(): boolean {
    return this.#encoder !== undefined;
  }

  /** Records one compute dispatch. Returns at once; the work runs when the batch is submitted. */
  dispatch(program: ComputeProgram): void {
    this.#checkUsable(program.label);
    const [x, y = 1, z = 1] = program.workgroups;
    const limit = this.limits.maxComputeWorkgroupsPerDimension;
    for (const [axis, count] of [
      ['x', x],
      ['y', y],
      ['z', z],
    ] as const) {
      if (!Number.isInteger(count) || count < 0 || count > limit) {
        throw new RangeError(
          `${program.label}: ${count} workgroups along ${axis} is outside the device's range 0..${limit}`,
        );
      }
    }
    if (x * y * z === 0) return;
    this.#scoped(program.label, () => {
      const pipeline = this.#pipeline(program);
      const bindGroup = this.gpu.createBindGroup({
        label: program.label,
        layout: pipeline.getBindGroupLayout(0),
        entries: program.bindings.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      this.#encoder ??= this.gpu.createCommandEncoder({ label: 'dl batch' });
      const pass = this.#encoder.beginComputePass({ label: program.label });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y, z);
      pass.end();
    });
    this.#batchLabels.push(program.label);
    if (this.#batchLabels.length >= maxDispatchesPerBatch) this.flush();
  }

  /** Submits the work recorded so far. Does not wait for it. */
  flush(): void {
    const encoder = this.#encoder;
    if (!encoder) return;
    const labels = this.#batchLabels;
    this.#encoder = undefined;
    this.#batchLabels = [];
    this.#scoped(describeBatch(labels), () => this.gpu.queue.submit([encoder.finish()]));
    for (const listener of this.#submitListeners) listener();
  }

  /**
   * Reads `byteLength` bytes of `buffer` back to the CPU, after all work recorded before
   * the call. The only operation that waits. Rejects with the first error any earlier work
   * raised, or when the device is lost.
   */
  async read(buffer: GPUBuffer, byteLength = buffer.size, label = 'read', byteOffset = 0): Promise<ArrayBuffer> {
    this.#checkUsable(label);
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.#scoped(label, () => {
      this.flush();
      const target = this.gpu.createBuffer({
        label: `${label} (staging)`,
        size: Math.max(4, size),
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      });
      const encoder = this.gpu.createCommandEncoder({ label });
      if (size > 0) encoder.copyBufferToBuffer(buffer, byteOffset, target, 0, size);
      this.gpu.queue.submit([encoder.finish()]);
      return target;
    });
    try {
      await this.#settle(staging.mapAsync(MapMode.READ));
      const bytes = staging.getMappedRange(0, size).slice(0, byteLength);
      staging.unmap();
      return bytes;
    } finally {
      if (!this.isLost) staging.destroy();
    }
  }

  /** Waits until all submitted work has finished, surfacing any error it raised. */
  async synchronize(): Promise<void> {
    this.#checkUsable('synchronize');
    this.flush();
    await this.#settle(this.gpu.queue.onSubmittedWorkDone());
  }

  /** Destroys the device. Pending reads reject with a WebGPUDeviceLostError. */
  destroy(): void {
    this.#encoder = undefined;
    this.#batchLabels = [];
    this.#fail(this.#lostError());
    this.gpu.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }

  /** Waits for `work`, the error scopes pushed so far, or the device failing, whichever is first. */
  async #settle<T>(work: Promise<T>): Promise<T> {
    const errors = this.#pendingErrors;
    this.#pendingErrors = [];
    const checked = Promise.all(errors).then((found) => {
      const first = found.find((error) => error !== undefined);
      if (first) throw first;
    });
    try {
      const [result] = await Promise.race([Promise.all([work, checked]), this.#failed]);
      return result;
    } catch (error) {
      // A map or wait aborted by device loss rejects on its own, sometimes before `lost`
      // resolves; let the loss (a clearer message) win when it follows within a tick.
      if (!(error instanceof WebGPUOperationError) && !(error instanceof WebGPUDeviceLostError)) {
        await Promise.race([this.gpu.lost, new Promise((resolve) => setTimeout(resolve, 50))]);
        if (this.#failure) throw this.#failure;
      }
      throw error;
    }
  }

  #checkUsable(label: string): void {
    if (this.#failure instanceof WebGPUDeviceLostError) {
      throw new WebGPUDeviceLostError(`${label}: ${this.#failure.message}`, this.#failure.reason);
    }
  }

  /** The error for a device destroyed on purpose (no cause) or lost for `cause`. */
  #lostError(cause?: string): WebGPUDeviceLostError {
    const how = cause === undefined ? 'it was destroyed' : `of ${cause || 'an unknown cause'}`;
    return new WebGPUDeviceLostError(
      `the WebGPU device (${this.adapter.description}) was lost because ${how}; ` +
        'work still pending on it was abandoned. Create a new device with webgpu().',
      cause === undefined ? 'destroyed' : 'unknown',
    );
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#rejectFailed(error);
  }

  /** Runs `body` inside validation, out-of-memory and internal error scopes labelled `label`. */
  #scoped<T>(label: string, body: () => T): T {
    for (const kind of errorKinds) this.gpu.pushErrorScope(kind);
    try {
      return body();
    } finally {
      // Scopes pop in reverse order of pushing.
      for (const kind of [...errorKinds].reverse()) {
        this.#pendingErrors.push(
          this.gpu.popErrorScope().then(
            (error) =>
              error
                ? new WebGPUOperationError(`${label}: ${kind} error: ${error.message}`, kind)
                : undefined,
            () => undefined, // popErrorScope only rejects once the device is lost, reported elsewhere
          ),
        );
      }
    }
  }

  #pipeline(program: ComputeProgram): GPUComputePipeline {
    const entryPoint = program.entryPoint ?? 'main';
    const key = `${entryPoint}\n${program.code}`;
    let pipeline = this.#pipelines.get(key);
    if (!pipeline) {
      const module = this.gpu.createShaderModule({ label: program.label, code: program.code });
      pipeline = this.gpu.createComputePipeline({
        label: program.label,
        layout: 'auto',
        compute: { module, entryPoint },
      });
      this.#pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}

function padTo4(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  padded.set(bytes);
  return padded;
}

function describeBatch(labels: readonly string[]): string {
  const shown = labels.slice(0, 5).join(', ');
  const more = labels.length > 5 ? `, and ${labels.length - 5} more` : '';
  return `submitting ${labels.length} dispatch${labels.length === 1 ? '' : 'es'} (${shown}${more})`;
}
