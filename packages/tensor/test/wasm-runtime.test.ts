// The WebAssembly encoder, feature detection and memory allocator under the CPU backend.

import { describe, expect, it } from 'vitest';
import { ModuleBuilder, writeS64, writeU32 } from '../src/wasm/encoder.js';
import { wasmFeatures } from '../src/wasm/features.js';
import { WasmRuntime } from '../src/wasm/runtime.js';

describe('wasm encoder', () => {
  it('writes LEB128 as the spec examples give it', () => {
    const u: number[] = [];
    writeU32(u, 624485);
    expect(u).toEqual([0xe5, 0x8e, 0x26]);
    const s: number[] = [];
    writeS64(s, -123456);
    expect(s).toEqual([0xc0, 0xbb, 0x78]);
    const zero: number[] = [];
    writeU32(zero, 0);
    expect(zero).toEqual([0]);
  });

  it('builds a module that runs scalar and SIMD code over an imported memory', () => {
    const runtime = new WasmRuntime({ maximumBytes: 2 ** 20 });
    const m = new ModuleBuilder(runtime.memoryImport);
    m.func(
      ['i32', 'i32', 'i32', 'i32'],
      [],
      (f) => {
        const i = f.local('i32');
        f.block().loop();
        f.get(i).get(3).op('i32.ge_u').brIf(1);
        f.get(2).get(i).op('i32.add');
        f.get(0).get(i).op('i32.add').mem('v128.load');
        f.get(1).get(i).op('i32.add').mem('v128.load');
        f.simd('f32x4.mul').mem('v128.store');
        f.get(i).i32Const(16).op('i32.add').set(i).br(0);
        f.end().end();
      },
      'mul',
    );
    m.func(['f64'], ['f64'], (f) => void f.get(0).f64Const(-2.5).op('f64.mul'), 'scale');
    m.func([], ['i32'], (f) => void f.i32Const(-123456789), 'constant');
    const exports = runtime.instantiate(m.encode());
    const a = runtime.alloc(32)!;
    const b = runtime.alloc(32)!;
    const out = runtime.alloc(32)!;
    const view = new Float32Array(runtime.buffer);
    for (let i = 0; i < 8; i++) {
      view[a / 4 + i] = i + 0.5;
      view[b / 4 + i] = -3 * i;
    }
    (exports['mul'] as (...args: number[]) => void)(a, b, out, 32);
    expect(Array.from(view.subarray(out / 4, out / 4 + 8))).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => Math.fround((i + 0.5) * -3 * i)),
    );
    expect((exports['scale'] as (x: number) => number)(2)).toBe(-5);
    expect((exports['constant'] as () => number)()).toBe(-123456789);
  });

  it('finds SIMD in Node', () => {
    const features = wasmFeatures();
    expect(features.wasm).toBe(true);
    expect(features.simd).toBe(true);
    expect(features.sharedMemory).toBe(true);
  });
});

describe('wasm memory allocator', () => {
  it('never hands out overlapping blocks, reuses freed bytes and gives the top back', () => {
    const runtime = new WasmRuntime({ maximumBytes: 64 * 2 ** 20 });
    // A seeded sequence of allocations and frees, checked against the live set.
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const live = new Map<number, number>();
    for (let step = 0; step < 5000; step++) {
      if (live.size > 0 && random() < 0.45) {
        const starts = [...live.keys()];
        const start = starts[Math.floor(random() * starts.length)]!;
        runtime.free(start);
        live.delete(start);
      } else {
        const bytes = 1 + Math.floor(random() ** 3 * 100000);
        const start = runtime.alloc(bytes)!;
        expect(start % (bytes >= 4096 ? 64 : 16)).toBe(0);
        for (const [other, size] of live) {
          const overlaps = start < other + size && other < start + bytes;
          if (overlaps) throw new Error(`block ${start}+${bytes} overlaps ${other}+${size}`);
        }
        expect(start + bytes).toBeLessThanOrEqual(runtime.byteLength);
        live.set(start, bytes);
      }
    }
    for (const start of live.keys()) runtime.free(start);
    expect(runtime.allocatedBytes).toBe(0);
    // Small blocks wait in the cache for a request of their size until released.
    runtime.releaseCache();
    expect(runtime.freeBytes).toBe(0);
    expect(runtime.alloc(16)).toBe(64);
  });

  it('reuses a freed block of the same size in a loop, so memory stays flat', () => {
    const runtime = new WasmRuntime({ maximumBytes: 64 * 2 ** 20 });
    const first = runtime.alloc(1_000_000)!;
    runtime.alloc(10)!;
    runtime.free(first);
    const grown = runtime.byteLength;
    for (let i = 0; i < 100; i++) runtime.free(runtime.alloc(1_000_000)!);
    expect(runtime.byteLength).toBe(grown);
  });

  it('places a batch loop where the last batch was, whatever order the last one was freed in', () => {
    // A forward pass's activations (sizes in MiB as a CNN's at batch 1000, scaled down) around
    // a kernel's scratch block made during the first pass, with a block that stays after it
    // (a cached weight): the collector frees each pass in its own order, and the next pass
    // must fit in the same bytes instead of growing the memory past its peak.
    const runtime = new WasmRuntime({ maximumBytes: 256 * 2 ** 20 });
    const sizes = [8.25, 8.25, 14.06, 14.06, 3.52, 3.52, 0.13].map((m) => Math.round(m * 2 ** 20));
    runtime.alloc(450_000); // a weight
    const pass = (first: boolean) =>
      sizes.map((bytes, i) => {
        const start = runtime.alloc(bytes)!;
        if (first && i === 2) runtime.alloc(300_000); // scratch, kept
        return start;
      });
    const first = pass(true);
    runtime.alloc(1_300_000); // kept
    const grown = runtime.byteLength;
    let blocks = first;
    for (const order of [
      [0, 1, 2, 3, 4, 5, 6],
      [3, 1, 6, 4, 0, 5, 2],
      [6, 5, 4, 3, 2, 1, 0],
    ]) {
      for (const i of order) runtime.free(blocks[i]!);
      blocks = pass(false);
      expect(runtime.byteLength).toBe(grown);
    }
  });

  it('hands a freed small block to the next request of its size, and refuses a double free', () => {
    const runtime = new WasmRuntime({ maximumBytes: 64 * 2 ** 20 });
    const a = runtime.alloc(400)!;
    const b = runtime.alloc(400)!;
    runtime.free(a);
    expect(runtime.freeBytes).toBe(400);
    expect(runtime.allocatedBytes).toBe(400);
    expect(runtime.alloc(400)).toBe(a);
    runtime.free(b);
    expect(() => runtime.free(b)).toThrow(`no block allocated at ${b}`);
    // A request no free block fits takes the cached ones back before the memory grows: here
    // the memory cannot grow, and only the coalesced cache makes room.
    const tight = new WasmRuntime({ maximumBytes: 2 ** 21 });
    const small = Array.from({ length: 100 }, () => tight.alloc(4000)!);
    for (const start of small) tight.free(start);
    expect(tight.freeBytes).toBe(400_000);
    expect(tight.alloc(2 ** 21 - 1024)).toBe(64);
  });

  it('returns undefined past its maximum and refuses to free what it did not allocate', () => {
    const runtime = new WasmRuntime({ maximumBytes: 2 ** 20 });
    expect(runtime.alloc(2 ** 21)).toBeUndefined();
    expect(() => runtime.free(12345)).toThrow('no block allocated at 12345');
  });
});
