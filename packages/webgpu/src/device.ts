// A WebGPU device as dl uses it: compute work is recorded into a command encoder and
// submitted in batches, reading a buffer back is the only wait, and every WebGPU error
// (validation, out of memory, device loss) reaches the caller as an exception that names
// the work involved, never as console noise or a promise that never settles. A batch that
// needs a pipeline still compiling is held back, with all queue work after it, until the
// pipeline is ready: nothing waits for a compile but a read.
// The declarations name Symbol.dispose (for `using`): the reference brings its type to
// users' compilers whatever their lib.
/// <reference lib="esnext.disposable" preserve="true" />

import { IndexError } from '@dl/tensor';
import { BindGroupCache } from './bind-groups.js';
import { WebGPUDeviceLostError, WebGPUOperationError } from './errors.js';
import { BufferUsage, MapMode } from './flags.js';
import { HeldQueue } from './held.js';
import { type CachedPipeline, type CompileMode, PipelineCache, settled } from './pipelines.js';
import type { ComputeProgram } from './program.js';

export type { BufferRange, ComputeProgram } from './program.js';

/** What the adapter says about itself, for printing and for choosing kernels. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True when the adapter is a software rasteriser (lavapipe, SwiftShader, WARP). */
  isFallbackAdapter: boolean;
}

type ErrorKind = 'validation' | 'out-of-memory' | 'internal';
const errorKinds: readonly ErrorKind[] = ['validation', 'out-of-memory', 'internal'];

/**
 * Waits for a promise the WebGPU implementation settles. In Node, Dawn's binding polls for
 * its events in a loop that keeps the JavaScript thread busy while it waits; paced-wait.ts
 * slows that loop down. The identity elsewhere.
 */
export type Waiter = <T>(work: Promise<T>) => Promise<T>;

/** A dispatch recorded as data, encoded once its pipeline has compiled. */
interface HeldDispatch {
  program: ComputeProgram;
  cached: CachedPipeline;
  /** Where its metadata sits in the batch's copy, when it has any. */
  metaOffset: number | undefined;
  workgroups: readonly [number, number, number];
}

/**
 * Turns an out-of-range index a kernel found into the error to raise: `index` and the size
 * of the dim it indexed (`bound`).
 */
export type IndexReport = (index: number, bound: number) => Error;

/**
 * The index-check buffer: u32 words [reports, site, index, bound]. A kernel that finds a bad
 * index adds to `reports`; the invocation whose add came first (within a dispatch, whichever
 * the device ran first) writes its site (the dispatch, see indexCheck), index and bound.
 */
const checkBytes = 16;
/** Sites kept for reports at most; older ones fall back to a plain message. */
const maxCheckSites = 4096;

/** Bytes of metadata one dispatch may bind, and the batch's staging capacity. */
const metaBindingBytes = 1024;
const metaCapacityBytes = 64 * 1024;

/**
 * A batch is submitted without being asked once it holds this many dispatches, or at its
 * first dispatch after being open this many milliseconds: the device then starts on the
 * work while JavaScript records the rest (a training step's backward pass, say), instead
 * of idling until a read or the 64th dispatch. Each submission costs tens of microseconds.
 */
const maxDispatchesPerBatch = 64;
const batchOpenMs = 2;

/**
 * The WebGPU device under a WebGPUBackend (its `runtime`): buffers, batched compute
 * dispatches of ComputeProgram, reads and errors. Reach for it to run a WGSL kernel of
 * your own on the same device and queue as dl's tensors.
 */
export class WebGPUDevice {
  readonly type = 'webgpu';
  readonly adapter: AdapterDescription;
  readonly gpu: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  /** How pipelines compile: in the background ('async') or when first dispatched ('sync'). */
  readonly compile: CompileMode;

  /** When the current batch's first command was recorded (performance.now()). */
  #batchStarted = 0;
  #failure: Error | undefined;
  #rejectFailed: (error: Error) => void = () => {};
  readonly #failed: Promise<never>;
  #pendingErrors: Promise<WebGPUOperationError | undefined>[] = [];
  readonly #pipelines: PipelineCache;
  readonly #bindGroups: BindGroupCache;
  #nextPipelineId = 0;
  /** The metadata of the current batch, copied into #metaBuffer when it is submitted. */
  readonly #metaStaging = new Int32Array(metaCapacityBytes / 4);
  #metaUsed = 0;
  #metaBuffer: GPUBuffer | undefined;
  #encoder: GPUCommandEncoder | undefined;
  #pass: GPUComputePassEncoder | undefined;
  #batchLabels: string[] = [];
  /**
   * The current batch's dispatches from its first one whose pipeline was not compiled yet;
   * undefined while every dispatch so far went straight into the pass.
   */
  #held: HeldDispatch[] | undefined;
  /**
   * Queue work (submissions, writes, read copies) recorded after a batch that waits for a
   * compile, run in order as the compiles finish. Empty on the synchronous fast path.
   */
  readonly #waiting: HeldQueue;
  /** How reads and synchronize wait for the implementation's promises (see Waiter). */
  readonly #wait: Waiter;
  /** Where kernels report out-of-range indices (see checkBytes); made on first use. */
  #checkBuffer: GPUBuffer | undefined;
  /** The reports of the checked dispatches recorded since the last check, by site id. */
  #checkSites = new Map<number, IndexReport>();
  /**
   * What the last check (carried by a read still in flight) found: reads and synchronize()
   * calls started meanwhile wait for it too, since their values may depend on the same work.
   */
  #checkInFlight: Promise<Error | undefined> | undefined;
  #nextSite = 1;
  readonly #submitListeners: (() => void)[] = [];
  readonly #waitListeners: (() => void)[] = [];
  /**
   * The adapter and the implementation's instance object. Dawn frees its instance once
   * nothing references it, even while a device made from it (lost or not) is still
   * reachable, and the process crashes; so the device holds them for as long as it lives.
   * Holding them does not keep Node running once no work is pending.
   */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held, never read (see above)
  readonly #keepAlive: unknown;

  /** @internal webgpu() opens the device. */
  constructor(
    gpu: GPUDevice,
    adapter: AdapterDescription,
    keepAlive?: unknown,
    compile: CompileMode = 'sync',
    wait: Waiter = (work) => work,
  ) {
    this.gpu = gpu;
    this.#wait = wait;
    this.#keepAlive = keepAlive;
    this.compile = compile;
    this.#pipelines = new PipelineCache(
      gpu,
      compile,
      (label, body) => this.#scoped(label, body),
      () => this.#nextPipelineId++,
      () => this.#waiting.run(),
    );
    this.#bindGroups = new BindGroupCache(gpu, () => this.#metaBufferFor(), metaBindingBytes);
    this.#waiting = new HeldQueue(
      () => this.isLost,
      () => {
        // Buffers freed meanwhile become reusable once nothing recorded is left unsubmitted.
        if (!this.#encoder) for (const listener of this.#submitListeners) listener();
      },
      (error) =>
        this.#pendingErrors.push(
          Promise.resolve(new WebGPUOperationError(`held work failed: ${error}`, 'internal')),
        ),
    );
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
      this.#pendingErrors.push(
        Promise.resolve(new WebGPUOperationError(`WebGPU error: ${error.message}`, 'uncaptured')),
      );
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
    // At once even behind held work: no work recorded so far can use a buffer this new.
    this.#scoped(label, () => this.gpu.queue.writeBuffer(buffer, 0, padded));
    return buffer;
  }

  /**
   * Writes `data` into `buffer` at `byteOffset`. Queue writes take effect before work that
   * is recorded but not yet submitted, so `buffer` must not be used by such work: write
   * only into fresh buffers (the buffer pool holds freed buffers back until a submission).
   * Behind work held for a compile, the write is held too, in order, as if that work had
   * been submitted.
   */
  write(buffer: GPUBuffer, data: ArrayBufferView, byteOffset = 0, label = 'write'): void {
    this.#checkUsable(label);
    // Tensors never live in SharedArrayBuffers; WebGPU's typing asks for a plain ArrayBuffer.
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    const padded = bytes.byteLength % 4 === 0 ? bytes : padTo4(bytes);
    if (this.#waiting.pending) {
      // Held behind work still waiting for a compile; the caller may reuse `data` at once.
      const copy = padded.slice();
      this.#waiting.hold(
        () => true,
        () => this.#scoped(label, () => this.gpu.queue.writeBuffer(buffer, byteOffset, copy)),
      );
      return;
    }
    this.#beginBatch(); // errors of the write are caught by the batch's scopes
    this.gpu.queue.writeBuffer(buffer, byteOffset, padded);
    this.#batchLabels.push(label);
  }

  /**
   * Calls `listener` whenever all work recorded so far has been submitted. Buffers freed
   * while work that uses them was only recorded become reusable here (queue writes are
   * ordered after submitted work).
   */
  onSubmit(listener: () => void): void {
    this.#submitListeners.push(listener);
  }

  /** Calls `listener` before every wait for the device (reads and synchronize). */
  onWait(listener: () => void): void {
    this.#waitListeners.push(listener);
  }

  /** True while dispatches are recorded but not yet submitted (or wait for a compile). */
  get hasPendingWork(): boolean {
    return this.#encoder !== undefined || this.#waiting.pending;
  }

  /**
   * For a dispatch whose kernel checks its indices: the buffer it reports a bad index into
   * (bound read_write; see checkBytes) and the site id it writes with it. The next read or
   * synchronize() (and any started while that one is in flight) raises `report`'s error for
   * the bad index recorded, instead of returning.
   */
  indexCheck(report: IndexReport): { buffer: GPUBuffer; site: number } {
    this.#checkUsable('index check');
    // New buffers are zero-filled: no reports yet.
    this.#checkBuffer ??= this.gpu.createBuffer({
      label: 'dl index checks',
      size: checkBytes,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    const site = this.#nextSite;
    this.#nextSite = site >= 0x7fffffff ? 1 : site + 1;
    if (this.#checkSites.size >= maxCheckSites) {
      // A loop that never reads: forget the oldest sites (a report from one of them gets a
      // plain message) rather than grow without bound.
      const oldest = this.#checkSites.keys().next().value;
      if (oldest !== undefined) this.#checkSites.delete(oldest);
    }
    this.#checkSites.set(site, report);
    return { buffer: this.#checkBuffer, site };
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
    const meta = program.meta;
    if (meta && meta.byteLength > metaBindingBytes) {
      throw new RangeError(
        `${program.label}: ${meta.byteLength} bytes of kernel metadata exceed ${metaBindingBytes}`,
      );
    }
    const align = Math.max(256, this.limits.minStorageBufferOffsetAlignment);
    if (meta && this.#metaUsed + metaBindingBytes > metaCapacityBytes) this.flush();
    this.#beginBatch(); // opens the batch's error scopes first
    const cached = this.#pipelines.get(program);
    let metaOffset: number | undefined;
    if (meta) {
      metaOffset = this.#metaUsed;
      this.#metaStaging.set(meta, metaOffset / 4);
      this.#metaUsed = metaOffset + Math.ceil(meta.byteLength / align) * align;
    }
    this.#batchLabels.push(program.label);
    if (this.#held === undefined && cached.pipeline) {
      this.#encode(this.#batchPass(), program, cached, metaOffset, x, y, z);
    } else {
      // From the first dispatch whose pipeline is compiling, the rest of the batch is kept
      // as data (its order matters) and encoded when the batch's pipelines are ready.
      if (this.#held === undefined) {
        this.#pass?.end();
        this.#pass = undefined;
        this.#held = [];
      }
      this.#held.push({ program, cached, metaOffset, workgroups: [x, y, z] });
    }
    if (
      this.#batchLabels.length >= maxDispatchesPerBatch ||
      performance.now() - this.#batchStarted >= batchOpenMs
    )
      this.flush();
  }

  /**
   * Submits the work recorded so far, or, when it needs a pipeline still compiling (or
   * follows work that does), hands it to the queue to submit in order once it is ready.
   * Does not wait for it.
   */
  flush(): void {
    const encoder = this.#encoder;
    if (!encoder) return;
    const labels = this.#batchLabels;
    const held = this.#held;
    this.#pass?.end();
    this.#pass = undefined;
    this.#encoder = undefined;
    this.#batchLabels = [];
    this.#held = undefined;
    if (held || this.#waiting.pending) {
      this.#holdBatch(encoder, held, labels);
      return;
    }
    if (this.#metaUsed > 0) {
      // Queue writes land before the submission below and after every earlier one, so one
      // staging buffer serves every batch.
      this.gpu.queue.writeBuffer(
        this.#metaBufferFor(),
        0,
        this.#metaStaging,
        0,
        this.#metaUsed / 4,
      );
      this.#metaUsed = 0;
    }
    this.gpu.queue.submit([encoder.finish()]);
    // The batch's error scopes, pushed when it began, close over everything recorded in it.
    this.#popScopes(describeBatch(labels));
    for (const listener of this.#submitListeners) listener();
  }

  /**
   * Reads `byteLength` bytes of `buffer` back to the CPU, after all work recorded before
   * the call. The only operation that waits. Rejects with the first error any earlier work
   * raised, or when the device is lost.
   */
  async read(
    buffer: GPUBuffer,
    byteLength = buffer.size,
    label = 'read',
    byteOffset = 0,
  ): Promise<ArrayBuffer> {
    this.#checkUsable(label);
    const size = Math.ceil(byteLength / 4) * 4;
    this.flush();
    // The index reports of the checked dispatches recorded so far come back with the data
    // (and the buffer is cleared for the next ones), in the same submission.
    const check = this.#takeCheck();
    const earlier = this.#checkInFlight;
    let settleCheck: (report: Error | undefined) => void = () => {};
    if (check) {
      const found = new Promise<Error | undefined>((resolve) => {
        settleCheck = resolve;
      });
      this.#checkInFlight = found;
      void found.then(() => {
        if (this.#checkInFlight === found) this.#checkInFlight = undefined;
      });
    }
    const total = size + (check ? checkBytes : 0);
    const staging = this.#scoped(label, () =>
      this.gpu.createBuffer({
        label: `${label} (staging)`,
        size: Math.max(4, total),
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      }),
    );
    const copy = () =>
      this.#scoped(label, () => {
        const encoder = this.gpu.createCommandEncoder({ label });
        if (size > 0) encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
        if (check) {
          encoder.copyBufferToBuffer(check.buffer, 0, staging, size, checkBytes);
          encoder.clearBuffer(check.buffer, 0, checkBytes);
        }
        this.gpu.queue.submit([encoder.finish()]);
      });
    try {
      if (this.#waiting.pending) await this.#afterWaiting(copy);
      else copy();
      await this.#settle(staging.mapAsync(MapMode.READ));
      const mapped = staging.getMappedRange(0, Math.max(4, total));
      const bytes = mapped.slice(0, byteLength);
      const report = check && reportedError(new Int32Array(mapped, size, 4), check.sites);
      staging.unmap();
      settleCheck(report);
      // A kernel found a bad index: the values it computed are not to be used.
      const found = report ?? (earlier && (await earlier));
      if (found) throw found;
      return bytes;
    } finally {
      // A read that failed (an earlier error, a lost device) lost its report with it.
      settleCheck(undefined);
      if (!this.isLost) staging.destroy();
    }
  }

  /** The check buffer and the sites recorded since the last check, when there are any. */
  #takeCheck(): { buffer: GPUBuffer; sites: Map<number, IndexReport> } | undefined {
    if (!this.#checkBuffer || this.#checkSites.size === 0) return undefined;
    const sites = this.#checkSites;
    this.#checkSites = new Map();
    return { buffer: this.#checkBuffer, sites };
  }

  /** Waits until all submitted work has finished, surfacing any error it raised. */
  async synchronize(): Promise<void> {
    this.#checkUsable('synchronize');
    if (this.#checkBuffer && this.#checkSites.size > 0) {
      // Reading the index reports waits for all work recorded so far, and raises them.
      await this.read(this.#checkBuffer, 0, 'synchronize');
      return;
    }
    const earlier = this.#checkInFlight;
    this.flush();
    if (this.#waiting.pending) await this.#afterWaiting(() => {});
    await this.#settle(this.gpu.queue.onSubmittedWorkDone());
    const found = earlier && (await earlier);
    if (found) throw found;
  }

  /** Destroys the device. Pending reads reject with a WebGPUDeviceLostError. */
  destroy(): void {
    this.#encoder = undefined;
    this.#pass = undefined;
    this.#batchLabels = [];
    this.#held = undefined;
    this.#waiting.clear();
    this.#fail(this.#lostError());
    this.gpu.destroy();
  }

  /** Destroys the device (see destroy), for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  /** Waits for `work`, the error scopes pushed so far, or the device failing, whichever is first. */
  async #settle<T>(work: Promise<T>): Promise<T> {
    for (const listener of this.#waitListeners) listener();
    const errors = this.#pendingErrors;
    this.#pendingErrors = [];
    const checked = Promise.all(errors).then((found) => {
      const first = found.find((error) => error !== undefined);
      if (first) throw first;
    });
    try {
      const [result] = await this.#wait(Promise.race([Promise.all([work, checked]), this.#failed]));
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
    this.#pushScopes();
    try {
      return body();
    } finally {
      this.#popScopes(label);
    }
  }

  #pushScopes(): void {
    for (const kind of errorKinds) this.gpu.pushErrorScope(kind);
  }

  /** Pops the three scopes of #pushScopes; their errors reject the next wait, labelled. */
  #popScopes(label: string): void {
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

  /** The current batch's encoder, starting a batch (and its error scopes) if needed. */
  #beginBatch(): GPUCommandEncoder {
    if (!this.#encoder) {
      this.#pushScopes();
      this.#encoder = this.gpu.createCommandEncoder({ label: 'dl batch' });
      this.#batchStarted = performance.now();
    }
    return this.#encoder;
  }

  /** The compute pass of the current batch. */
  #batchPass(): GPUComputePassEncoder {
    this.#pass ??= this.#beginBatch().beginComputePass({ label: 'dl batch' });
    return this.#pass;
  }

  #encode(
    pass: GPUComputePassEncoder,
    program: ComputeProgram,
    cached: CachedPipeline,
    metaOffset: number | undefined,
    x: number,
    y: number,
    z: number,
  ): void {
    // The caller checked that the pipeline exists; its layout exists with it.
    pass.setPipeline(cached.pipeline!);
    pass.setBindGroup(0, this.#bindGroups.get(cached.id, cached.layout!, program, metaOffset));
    pass.dispatchWorkgroups(x, y, z);
  }

  /**
   * Queues a finished batch behind held work, or a batch with `held` dispatches until their
   * pipelines compile. Its metadata is copied now (the staging array serves the next batch);
   * the queue writes it into the shared metadata buffer just before submitting, which is
   * ordered after every earlier submission that read it.
   */
  #holdBatch(
    encoder: GPUCommandEncoder,
    held: readonly HeldDispatch[] | undefined,
    labels: readonly string[],
  ): void {
    const meta = this.#metaUsed > 0 ? this.#metaStaging.slice(0, this.#metaUsed / 4) : undefined;
    this.#metaUsed = 0;
    const description = describeBatch(labels);
    // Errors of the recording so far are caught by the batch's scopes, pushed when it began.
    const finished = held ? undefined : encoder.finish();
    this.#popScopes(description);
    const pending = held?.filter((h) => !settled(h.cached)) ?? [];
    this.#waiting.hold(
      () => pending.every((h) => settled(h.cached)),
      () =>
        this.#scoped(description, () => {
          let commands = finished;
          if (held) {
            const failed = held.filter((h) => h.cached.failure);
            if (failed.length > 0) {
              // A pipeline that did not compile makes the whole batch invalid, as a
              // synchronous compile's error pipeline would: report it, submit nothing.
              for (const { program, cached } of failed) {
                const { kind, message } = cached.failure!;
                this.#pendingErrors.push(
                  Promise.resolve(
                    new WebGPUOperationError(`${program.label}: ${kind} error: ${message}`, kind),
                  ),
                );
              }
              return;
            }
            const pass = encoder.beginComputePass({ label: 'dl batch' });
            for (const { program, cached, metaOffset, workgroups } of held) {
              this.#encode(pass, program, cached, metaOffset, ...workgroups);
            }
            pass.end();
            commands = encoder.finish();
          }
          if (meta) this.gpu.queue.writeBuffer(this.#metaBufferFor(), 0, meta);
          this.gpu.queue.submit([commands!]);
        }),
    );
  }

  /** Runs `work` after the held queue work before it; rejects when the device is lost. */
  #afterWaiting(work: () => void): Promise<void> {
    return Promise.race([this.#waiting.after(work), this.#failed]);
  }

  #metaBufferFor(): GPUBuffer {
    this.#metaBuffer ??= this.gpu.createBuffer({
      label: 'dl kernel metadata',
      size: metaCapacityBytes,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_DST,
    });
    return this.#metaBuffer;
  }
}

/** The error for the bad index in the check words [reports, site, index, bound], if any. */
function reportedError(
  words: Int32Array,
  sites: ReadonlyMap<number, IndexReport>,
): Error | undefined {
  const [reports, site, index, bound] = words;
  if (!reports) return undefined;
  const report = sites.get(site!);
  if (report) return report(index!, bound!);
  return new IndexError(
    `index ${index} is out of bounds for a dim of size ${bound} (found by an indexing kernel recorded more than ${maxCheckSites} indexing ops before this read)`,
  );
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
