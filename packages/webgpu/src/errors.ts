// Errors raised by the WebGPU backend. Each says what happened and, where there is one,
// what to do about it.

/** No WebGPU adapter could be had: no implementation, no driver, or a refused request. */
export class WebGPUUnavailableError extends Error {
  override name = 'WebGPUUnavailableError';
}

/** The device was lost (destroyed, driver reset, out of memory); all pending work fails. */
export class WebGPUDeviceLostError extends Error {
  override name = 'WebGPUDeviceLostError';
  constructor(
    message: string,
    readonly reason: GPUDeviceLostReason | 'unknown',
  ) {
    super(message);
  }
}

/** A validation, out-of-memory or internal error reported by WebGPU for some work. */
export class WebGPUOperationError extends Error {
  override name = 'WebGPUOperationError';
  constructor(
    message: string,
    readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'uncaptured',
  ) {
    super(message);
  }
}
