// The part of the WebAssembly JavaScript API the CPU backend uses, typed here so @dl/tensor
// needs neither the DOM library nor Node's types (it runs on both; so do its declarations).

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}

/** A WebAssembly.Instance's exports. */
export type WasmExports = Record<string, unknown>;

interface WasmNamespace {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object, imports: object) => { readonly exports: WasmExports };
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
}

/** The global WebAssembly object, or undefined where the runtime has none. */
export const wasmApi: WasmNamespace | undefined = (
  globalThis as unknown as { WebAssembly?: WasmNamespace }
).WebAssembly;
