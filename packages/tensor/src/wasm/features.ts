// What this runtime's WebAssembly can do, found once at start-up by validating tiny modules
// (no code runs, nothing is evaluated: a page's Content Security Policy does not matter here).

import { wasmApi } from './api.js';
import { ModuleBuilder } from './encoder.js';

/** The WebAssembly features the CPU backend's kernels may use here. */
export interface WasmFeatures {
  /** WebAssembly itself exists (it may still be refused at compile time by a CSP). */
  readonly wasm: boolean;
  /** 128-bit SIMD (every current engine; Node since 16). */
  readonly simd: boolean;
  /** Relaxed SIMD (fused multiply-add): Chrome 114+, Node 22+; Node 20 only with a flag. */
  readonly relaxedSimd: boolean;
  /**
   * Shared memory: SharedArrayBuffer exists and, in a browser, the page is cross-origin
   * isolated. Needed for worker threads.
   */
  readonly sharedMemory: boolean;
}

function validates(build: (m: ModuleBuilder) => void): boolean {
  try {
    const m = new ModuleBuilder();
    build(m);
    return wasmApi!.validate(m.encode());
  } catch {
    return false;
  }
}

function detect(): WasmFeatures {
  const wasm = typeof wasmApi?.validate === 'function';
  if (!wasm) return { wasm, simd: false, relaxedSimd: false, sharedMemory: false };
  const simd = validates((m) =>
    m.func([], ['v128'], (f) => {
      f.f32Const(1).simd('f32x4.splat');
    }),
  );
  const relaxedSimd =
    simd &&
    validates((m) =>
      m.func([], ['v128'], (f) => {
        f.f32Const(1).simd('f32x4.splat').f32Const(2).simd('f32x4.splat');
        f.f32Const(3).simd('f32x4.splat', 'f32x4.relaxed_madd');
      }),
    );
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  const isBrowser = typeof (globalThis as { document?: unknown }).document === 'object';
  let sharedMemory = typeof SharedArrayBuffer === 'function' && (!isBrowser || isolated === true);
  if (sharedMemory) {
    try {
      new wasmApi!.Memory({ initial: 1, maximum: 1, shared: true });
    } catch {
      sharedMemory = false;
    }
  }
  return { wasm, simd, relaxedSimd, sharedMemory };
}

let detected: WasmFeatures | undefined;

/** The features of this runtime (detected on first call). */
export function wasmFeatures(): WasmFeatures {
  detected ??= detect();
  return detected;
}
