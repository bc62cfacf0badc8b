// Float32 matrix multiplication in WebAssembly SIMD, generated at run time: C = A·B (or
// C += A·B) over operands with any element strides, laid out as in BLIS/GotoBLAS.
//
// B is packed, a KC×NC block at a time, into NR-wide column panels stored k-major (NR floats
// per step of k); A, an MC×KC block at a time, into MR-row panels stored k-major. The
// microkernel keeps an MR×NR tile of C in f32x4 locals for a whole KC block: per step of k it
// loads NR/4 vectors of B, broadcasts MR elements of A, and does MR·NR/4 vector multiply-adds
// (`f32x4.relaxed_madd` where relaxed SIMD exists, f32x4.mul then f32x4.add elsewhere).
// Packing pads edges with zeros, so the microkernel never branches; edge tiles and C with a
// column stride other than 1 go through a small tile buffer. Transposed operands are
// transposed while packing (4×4 shuffles), never materialised.
//
// Everything an export needs beyond its operands lives in a scratch block passed by pointer,
// so several workers can run the same export over one shared memory at once, each on its own
// range of C's rows and columns with its own scratch.

import type { WasmExports } from './api.js';
import {
  Asm,
  add,
  and,
  bin,
  bytes,
  type Ex,
  eq,
  eqz,
  ge,
  gt,
  i32s,
  type Local,
  load,
  lt,
  min,
  mul,
  ne,
  or,
  simd,
  sub,
  zero128,
} from './asm.js';
import { type MemoryImport, ModuleBuilder } from './encoder.js';
import { ScratchBlock, type WasmRuntime } from './runtime.js';
import type { ThreadModule, ThreadPool } from './threads.js';

/** Tile and block sizes of the generated kernels. */
export interface GemmConfig {
  /** Rows of the register tile. */
  readonly mr: number;
  /** Columns of the register tile (a multiple of 4). */
  readonly nr: number;
  /** Steps of k per packed block (A's panels and B's panels are KC long). */
  readonly kc: number;
  /** Rows of A per packed block (a multiple of mr). */
  readonly mc: number;
  /** Columns of B per packed block (a multiple of nr). */
  readonly nc: number;
  /** Use f32x4.relaxed_madd (needs a runtime with relaxed SIMD). */
  readonly relaxed: boolean;
}

/**
 * The sizes measured fastest on x64 (an AMD EPYC, Node 20, 1024² single-threaded): 2×16
 * tiles reach 64 GFLOP/s against 54 for 4×8, 50 for 3×8 and 2×12, and 41-46 for 6×8, 8×8
 * and 4×12, which spill (see kernelFunction); the block sizes move it by a few percent.
 */
export function defaultGemmConfig(relaxed: boolean): GemmConfig {
  return { mr: 2, nr: 16, kc: 512, mc: 128, nc: 2048, relaxed };
}

/** Bytes at the start of every scratch block for one edge tile, kept a cache line. */
export function tileBytes(config: GemmConfig): number {
  return Math.ceil((config.mr * config.nr * 4) / 64) * 64;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * Transposes four f32x4 rows in `rows` into columns, leaving them in `into` (may alias no
 * row): into[t] lane u = rows[u] lane t.
 */
function transpose4(s: Asm, rows: Local[], tmp: Local[], into: Local[]): void {
  const shuffle = (a: Local, b: Local, floats: number[], to: Local) => {
    s.f.get(a.index).get(b.index).shuffle(floatLanes(floats)).set(to.index);
  };
  const [r0, r1, r2, r3] = rows as [Local, Local, Local, Local];
  const [t0, t1, t2, t3] = tmp as [Local, Local, Local, Local];
  shuffle(r0, r1, [0, 4, 1, 5], t0);
  shuffle(r0, r1, [2, 6, 3, 7], t1);
  shuffle(r2, r3, [0, 4, 1, 5], t2);
  shuffle(r2, r3, [2, 6, 3, 7], t3);
  shuffle(t0, t2, [0, 1, 4, 5], into[0]!);
  shuffle(t0, t2, [2, 3, 6, 7], into[1]!);
  shuffle(t1, t3, [0, 1, 4, 5], into[2]!);
  shuffle(t1, t3, [2, 3, 6, 7], into[3]!);
}

/**
 * kernel(ap, bp, bStepBytes, kc, c, cRowBytes, add): the MR×(4·vectors) tile at c (rows
 * cRowBytes apart, columns contiguous) gets (add ? itself : 0) + Σ_p ap[p][i] · bp[p][j]
 * over kc steps, from A's panel (MR floats per step) and B's rows (bStepBytes apart: NR
 * floats in a packed panel, a whole row in a row-major block; the first 4·vectors read).
 * The full-width kernel does all the work but at C's right edge, where the narrower ones
 * avoid multiplying padding.
 *
 * Registers decide the shape: V8 hoists the loads of a step above its arithmetic, so the
 * step's loaded values, the accumulators and one product must fit x64's 15 free vector
 * registers together or the loop spills (unrolling the loop spills for the same reason).
 * 2×16 (8 accumulators, 4 B vectors, 2 broadcasts) is the best shape that fits; see
 * defaultGemmConfig.
 */
function kernelFunction(m: ModuleBuilder, config: GemmConfig, vectors: number): number {
  const { mr, relaxed } = config;
  return m.func(i32s(7), [], (f) => {
    const s = new Asm(f);
    const [ap, bp, bStepBytes, kc, c, cRowBytes, addFlag] = s.params(7);
    const acc = Array.from({ length: mr }, () => Array.from({ length: vectors }, () => s.v128()));
    const bvec = Array.from({ length: vectors }, () => s.v128());
    const avec = s.v128();
    const aEnd = s.i32();
    for (const row of acc) for (const a of row) s.set(a, zero128);
    s.set(aEnd, add(ap, mul(kc, mr * 4)));
    s.while(ne(ap, aEnd), () => {
      for (let v = 0; v < vectors; v++) s.set(bvec[v]!, load('v128.load', bp, 16 * v));
      for (let i = 0; i < mr; i++) {
        s.set(avec, load('v128.load32_splat', ap, 4 * i));
        for (let v = 0; v < vectors; v++) {
          const a = acc[i]![v]!;
          if (relaxed) s.set(a, simd('f32x4.relaxed_madd', avec, bvec[v]!, a));
          else s.set(a, simd('f32x4.add', a, simd('f32x4.mul', avec, bvec[v]!)));
        }
      }
      s.inc(ap, mr * 4);
      s.inc(bp, bStepBytes);
    });
    const row = s.i32();
    s.set(row, c);
    for (let i = 0; i < mr; i++) {
      for (let v = 0; v < vectors; v++) {
        const a = acc[i]![v]!;
        s.if(addFlag, () => s.set(a, simd('f32x4.add', a, load('v128.load', row, 16 * v))));
        s.store('v128.store', row, a, 16 * v);
      }
      if (i + 1 < mr) s.inc(row, cRowBytes);
    }
  });
}

/**
 * pack(src, lineStride, alongStride, lines, kc, dst): copies `lines` lines of `kc` elements
 * into k-major panels of `width` lines, zeros past the last line:
 * dst[(l / width) * kc * width + p * width + l % width] = src[l * lineStride + p * alongStride]
 * (strides in elements). Packs A (lines = rows, width = MR) and B (lines = columns,
 * width = NR). Lines contiguous along k are transposed with shuffles (4×4, or 2×4 for
 * width 2); lines next to each other in memory (a transposed operand) are copied whole.
 */
export function packFunction(m: ModuleBuilder, width: number): number {
  return m.func(i32s(6), [], (f) => {
    const s = new Asm(f);
    const [src, lineStride, alongStride, lines, kc, dst] = s.params(6);
    const l0 = s.i32();
    const count = s.i32();
    const p = s.i32();
    const from = s.i32();
    const to = s.i32();
    const lineBytes = s.i32();
    const alongBytes = s.i32();
    const rows = Array.from({ length: 4 }, () => s.v128());
    const tmp = Array.from({ length: 4 }, () => s.v128());
    const cols = Array.from({ length: 4 }, () => s.v128());
    s.set(lineBytes, bytes(lineStride));
    s.set(alongBytes, bytes(alongStride));
    s.set(to, dst);
    // Any panel, any strides: element by element, zeros past the last line.
    const scalar = () =>
      s.for(p, 0, kc, 1, () => {
        for (let k = 0; k < width; k++) {
          s.store(
            'f32.store',
            to,
            k === 0
              ? load('f32.load', from)
              : (ff) => {
                  s.emit(lt(k, count));
                  ff.if('f32');
                  s.emit(load('f32.load', add(from, mul(k, lineBytes))));
                  ff.else().f32Const(0).end();
                },
            4 * k,
          );
        }
        s.inc(from, alongBytes);
        s.inc(to, width * 4);
      });
    // A full panel of lines contiguous along k: 4 steps of every line at a time, transposed.
    const transposing = () => {
      s.set(p, 0);
      s.while(ge(kc, add(p, 4)), () => {
        if (width === 2) {
          s.set(rows[0]!, load('v128.load', from));
          s.set(rows[1]!, load('v128.load', add(from, lineBytes)));
          s.store('v128.store', to, shuffle(rows[0]!, rows[1]!, [0, 4, 1, 5]));
          s.store('v128.store', to, shuffle(rows[0]!, rows[1]!, [2, 6, 3, 7]), 16);
        }
        for (let g = 0; g < Math.floor(width / 4); g++) {
          for (let t = 0; t < 4; t++)
            s.set(rows[t]!, load('v128.load', add(from, mul(4 * g + t, lineBytes))));
          transpose4(s, rows, tmp, cols);
          for (let t = 0; t < 4; t++) s.store('v128.store', to, cols[t]!, (t * width + 4 * g) * 4);
        }
        s.inc(from, 16);
        s.inc(to, 4 * width * 4);
        s.inc(p, 4);
      });
      s.while(lt(p, kc), () => {
        for (let k = 0; k < width; k++)
          s.store('f32.store', to, load('f32.load', add(from, mul(k, lineBytes))), 4 * k);
        s.inc(from, 4);
        s.inc(to, width * 4);
        s.inc(p, 1);
      });
    };
    // A full panel of lines adjacent in memory: one step of k is `width` contiguous floats.
    const copying = () =>
      s.for(p, 0, kc, 1, () => {
        if (width === 2) s.store('i64.store', to, load('i64.load', from));
        for (let g = 0; g < Math.floor(width / 4); g++)
          s.store('v128.store', to, load('v128.load', from, 16 * g), 16 * g);
        s.inc(from, alongBytes);
        s.inc(to, width * 4);
      });
    s.for(l0, 0, lines, width, () => {
      s.set(count, min(width, sub(lines, l0)));
      s.set(from, add(src, mul(l0, lineBytes)));
      if (width % 4 !== 0 && width !== 2) {
        scalar();
        return;
      }
      s.if(and(eq(count, width), eq(alongStride, 1)), transposing, () =>
        s.if(and(eq(count, width), eq(lineStride, 1)), copying, scalar),
      );
    });
  });
}

/** The two-operand shuffle taking float lanes `floats` (0-3 from a, 4-7 from b). */
function shuffle(a: Local, b: Local, floats: number[]): Ex {
  return (f) => {
    f.get(a.index).get(b.index).shuffle(floatLanes(floats));
  };
}

const floatLanes = (floats: number[]) =>
  floats.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);

/**
 * Calls kernels[vectors - 1] (the kernel reading that many vectors of each B step) with
 * `args`; `vectors` is 1..kernels.length.
 */
function callKernel(s: Asm, kernels: readonly number[], vectors: Ex, args: Ex[], from = 0): void {
  if (from === kernels.length - 1) {
    s.call(kernels[from]!, ...args);
    return;
  }
  s.if(
    eq(vectors, from + 1),
    () => s.call(kernels[from]!, ...args),
    () => callKernel(s, kernels, vectors, args, from + 1),
  );
}

/**
 * macro(pa, aPanelBytes, pb, bPanelBytes, bStepBytes, kc, mc, nc, c, cRs, cCs, add, tile):
 * the mc×nc block of C at c (strides in elements) gets (add ? itself : 0) + packed A · B,
 * where A's panels (MR rows, kc long) are aPanelBytes apart from pa and B's (NR columns,
 * steps of k bStepBytes apart) are bPanelBytes apart from pb: packed panels have
 * bStepBytes = NR·4 and bPanelBytes = kc·NR·4, a row-major block of B has bStepBytes = its
 * row's bytes and bPanelBytes = NR·4. `kernels[v - 1]` computes a tile v vectors wide. Tiles cut by
 * the block's bottom edge or by a column count that is not a multiple of 4, or in a C whose
 * columns are not contiguous, are computed into `tile` and copied out element by element.
 */
export function macroFunction(m: ModuleBuilder, config: GemmConfig, kernels: number[]): number {
  const { mr, nr } = config;
  return m.func(i32s(13), [], (f) => {
    const s = new Asm(f);
    const [pa, aPanelBytes, pb, bPanelBytes, bStepBytes, kc, mc, nc, c, cRs, cCs, addFlag, tile] =
      s.params(13);
    const jr = s.i32();
    const ir = s.i32();
    const rows = s.i32();
    const cols = s.i32();
    const vectors = s.i32();
    const direct = s.i32();
    const ap = s.i32();
    const bp = s.i32();
    const cp = s.i32();
    const cRowBytes = s.i32();
    const cColBytes = s.i32();
    const i = s.i32();
    const j = s.i32();
    const out = s.i32();
    const from = s.i32();
    s.set(cRowBytes, bytes(cRs));
    s.set(cColBytes, bytes(cCs));
    s.set(bp, pb);
    s.for(jr, 0, nc, nr, () => {
      s.set(cols, min(nr, sub(nc, jr)));
      s.set(vectors, shr(add(cols, 3), 2));
      s.set(ap, pa);
      s.set(cp, add(c, mul(jr, cColBytes)));
      s.for(ir, 0, mc, mr, () => {
        s.set(rows, min(mr, sub(mc, ir)));
        s.set(direct, and(and(eq(rows, mr), eqz(and(cols, 3))), eq(cCs, 1)));
        s.if(
          direct,
          () => callKernel(s, kernels, vectors, [ap, bp, bStepBytes, kc, cp, cRowBytes, addFlag]),
          () => {
            callKernel(s, kernels, vectors, [ap, bp, bStepBytes, kc, tile, nr * 4, 0]);
            s.set(from, tile);
            s.for(i, 0, rows, 1, () => {
              s.set(out, add(cp, mul(i, cRowBytes)));
              s.for(j, 0, cols, 1, () => {
                s.store('f32.store', out, (ff) => {
                  s.emit(load('f32.load', add(from, bytes(j))));
                  s.emit(addFlag);
                  ff.if('f32');
                  s.emit(load('f32.load', out));
                  ff.else().f32Const(0).end();
                  ff.op('f32.add');
                });
                s.inc(out, cColBytes);
              });
              s.inc(from, nr * 4);
            });
          },
        );
        s.inc(ap, aPanelBytes);
        s.inc(cp, mul(mr, cRowBytes));
      });
      s.inc(bp, bPanelBytes);
    });
  });
}

const shr = (a: Ex, b: Ex) => bin('i32.shr_u', a, b);

/** The wasm functions of the matmul, by index in their module. */
export interface GemmFunctions {
  /** Kernels by the vectors of each B step they read (the last is the full tile). */
  readonly kernels: readonly number[];
  readonly packA: number;
  readonly packB: number;
  readonly macro: number;
  readonly sgemm: number;
}

/**
 * Adds the matmul's functions to `m` (conv.ts adds its own beside them) and exports
 * `sgemm`:
 *
 * sgemm(a, aRs, aCs, b, bRs, bCs, c, cRs, cCs, k, m0, m1, n0, n1, accumulate, scratch):
 * rows m0..m1-1 and columns n0..n1-1 of C get (accumulate ? C : 0) + A·B, where element
 * (i, p) of A is the float32 at byte a + 4 * (i * aRs + p * aCs), likewise B (p, j) and
 * C (i, j). `scratch` is a 16-byte-aligned block of gemmScratchBytes(m1 - m0, n1 - n0, k)
 * bytes that no other call uses at the same time.
 */
export function addGemmFunctions(m: ModuleBuilder, config: GemmConfig): GemmFunctions {
  const { mr, nr, kc: KC, mc: MC, nc: NC } = config;
  const kernels = Array.from({ length: nr / 4 }, (_, v) => kernelFunction(m, config, v + 1));
  const packA = packFunction(m, mr);
  const packB = packFunction(m, nr);
  const macro = macroFunction(m, config, kernels);
  const sgemm = m.func(
    i32s(16),
    [],
    (f) => {
      const s = new Asm(f);
      const [a, aRs, aCs, b, bRs, bCs, c, cRs, cCs, k, m0, m1, n0, n1, accumulate, scratch] =
        s.params(16);
      const i = s.i32();
      const j = s.i32();
      const jc = s.i32();
      const pc = s.i32();
      const ic = s.i32();
      const nc = s.i32();
      const kc = s.i32();
      const mc = s.i32();
      const pA = s.i32();
      const pB = s.i32();
      const kcStep = s.i32();
      s.if(lt(k, 1), () => {
        s.if(eqz(accumulate), () =>
          s.for(i, m0, m1, 1, () =>
            s.for(j, n0, n1, 1, () =>
              s.store('f32.store', add(c, bytes(add(mul(i, cRs), mul(j, cCs)))), f32zero),
            ),
          ),
        );
        s.return();
      });
      // Scratch: the edge tile, then packed A (MC×KC at most), then packed B (KC×NC).
      s.set(pA, add(scratch, tileBytes(config)));
      s.set(pB, add(pA, bytes(mul(roundUpEx(min(MC, sub(m1, m0)), mr), min(KC, k)))));
      s.set(kcStep, blockStep(k, KC));
      s.for(jc, n0, n1, NC, () => {
        s.set(nc, min(NC, sub(n1, jc)));
        s.for(pc, 0, k, kcStep, () => {
          s.set(kc, min(kcStep, sub(k, pc)));
          s.call(packB, add(b, bytes(add(mul(pc, bRs), mul(jc, bCs)))), bCs, bRs, nc, kc, pB);
          s.for(ic, m0, m1, MC, () => {
            s.set(mc, min(MC, sub(m1, ic)));
            s.call(packA, add(a, bytes(add(mul(ic, aRs), mul(pc, aCs)))), aRs, aCs, mc, kc, pA);
            s.call(
              macro,
              pA,
              mul(kc, mr * 4),
              pB,
              mul(kc, nr * 4),
              nr * 4,
              kc,
              mc,
              nc,
              add(c, bytes(add(mul(ic, cRs), mul(jc, cCs)))),
              cRs,
              cCs,
              or(accumulate, gt(pc, 0)),
              scratch,
            );
          });
        });
      });
    },
    'sgemm',
  );
  return { kernels, packA, packB, macro, sgemm };
}

const f32zero: Ex = (f) => {
  f.f32Const(0);
};

/**
 * The length of each of the ⌈total / block⌉ nearly equal blocks that cover `total` (> 0): k
 * is split evenly rather than into full blocks and a short last one, which would run the
 * microkernel over few steps of k and add into C once more.
 */
export function blockStep(total: Ex, block: number): Ex {
  const blocks = bin('i32.div_s', add(total, block - 1), block);
  return bin('i32.div_s', add(total, sub(blocks, 1)), blocks);
}

/** x rounded up to a multiple of `to` (a positive constant). */
function roundUpEx(x: Ex, to: number): Ex {
  return mul(bin('i32.div_s', add(x, to - 1), to), to);
}

/** Bytes of scratch sgemm needs for an m×k by k×n product (at least one tile). */
export function gemmScratchBytes(config: GemmConfig, m: number, n: number, k: number): number {
  const kc = Math.min(config.kc, Math.max(k, 0));
  const mc = roundUp(Math.min(config.mc, Math.max(m, 0)), config.mr);
  const nc = roundUp(Math.min(config.nc, Math.max(n, 0)), config.nr);
  return tileBytes(config) + 4 * kc * (mc + nc);
}

/** The signature of the sgemm export (all i32: pointers in bytes, strides in elements). */
export type SgemmExport = (
  a: number,
  aRs: number,
  aCs: number,
  b: number,
  bRs: number,
  bCs: number,
  c: number,
  cRs: number,
  cCs: number,
  k: number,
  m0: number,
  m1: number,
  n0: number,
  n1: number,
  accumulate: number,
  scratch: number,
) => void;

/** A strided float32 matrix in a runtime's memory: element (i, j) at byte ptr + 4 * (i * rowStride + j * colStride). */
export interface WasmMatrix {
  readonly ptr: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** Per-batch byte steps of a batched product's operands (0 for a broadcast operand). */
export interface BatchStrides {
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** Builds the module bytes of the matmul alone (bench and tests of other configurations). */
export function gemmModuleBytes(memory: MemoryImport, config: GemmConfig): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder(memory);
  const gemm = addGemmFunctions(m, config);
  addSgemmChunks(m, gemm.sgemm);
  return m.encode();
}

/**
 * Exports `sgemmChunks(a, aRs, aCs, b, bRs, bCs, c, cRs, cCs, k, m, accumulate, scratchBase,
 * scratchStride, grain, n0, n1)`: sgemm over all rows and the columns [n0, n1), with the
 * scratch block of chunk n0 / grain, so a thread pool (threads.ts) can run disjoint column
 * ranges, chunk starts being multiples of grain, on several threads at once.
 */
export function addSgemmChunks(m: ModuleBuilder, sgemm: number): void {
  m.func(
    i32s(17),
    [],
    (f) => {
      for (let p = 0; p < 10; p++) f.get(p); // a .. cCs, k
      f.i32Const(0).get(10); // m0 = 0, m1 = m
      f.get(15).get(16); // n0, n1
      f.get(11); // accumulate
      f.get(15).get(14).op('i32.div_u').get(13).op('i32.mul').get(12).op('i32.add');
      f.call(sgemm);
    },
    'sgemmChunks',
  );
}

/**
 * A module already compiled for a runtime that exports sgemm and sgemmChunks (conv.ts's holds
 * them beside the convolutions), so the matmul can run on it instead of compiling a second
 * copy of the same code (and registering it with the thread pool twice).
 */
export interface SgemmModule {
  /** The configuration the module was built with. */
  readonly config: GemmConfig;
  /** The calling thread's instance. */
  readonly exports: WasmExports;
  /** Its handle in the pool, when it was registered with one. */
  readonly threads: ThreadModule | undefined;
}

/**
 * The matmul compiled against one runtime's memory, with a scratch block it reuses between
 * calls (one caller at a time; workers pass their own scratch to the export).
 */
export class WasmGemm {
  readonly config: GemmConfig;
  /** The raw export (see addGemmFunctions), for worker threads. */
  readonly sgemmExport: SgemmExport;
  readonly #pool: ThreadPool | undefined;
  readonly #module: ThreadModule | undefined;
  readonly #scratch: ScratchBlock;

  /**
   * Compiles the matmul's own module, or with `options.module` runs on that one (whose
   * config then rules; `relaxed` and `config` must not be given with it).
   */
  constructor(
    readonly runtime: WasmRuntime,
    options: {
      relaxed?: boolean;
      config?: Partial<GemmConfig>;
      pool?: ThreadPool;
      module?: SgemmModule;
    } = {},
  ) {
    this.#scratch = new ScratchBlock(runtime, 'wasm gemm');
    this.#pool = options.pool;
    let exports: WasmExports;
    if (options.module) {
      if (options.relaxed !== undefined || options.config)
        throw new Error('wasm gemm: relaxed and config come from the module when one is given');
      if (options.pool && !options.module.threads)
        throw new Error('wasm gemm: the module given was not registered with the pool given');
      this.config = options.module.config;
      this.#module = options.module.threads;
      exports = options.module.exports;
    } else {
      const relaxed = options.relaxed ?? runtime.features.relaxedSimd;
      if (relaxed && !runtime.features.relaxedSimd)
        throw new Error('wasm gemm: relaxed SIMD was asked for but this runtime has none');
      this.config = { ...defaultGemmConfig(relaxed), ...options.config };
      const bytes = gemmModuleBytes(runtime.memoryImport, this.config);
      this.#module = options.pool?.register(bytes);
      exports = this.#module?.exports ?? runtime.instantiate(bytes);
    }
    // The export's signature is the one addGemmFunctions builds (a foreign boundary).
    this.sgemmExport = exports['sgemm'] as SgemmExport;
  }

  /** Bytes of scratch one sgemm call over an m×k by k×n product needs. */
  scratchBytes(m: number, n: number, k: number): number {
    return gemmScratchBytes(this.config, m, n, k);
  }

  /** A scratch block of at least `size` bytes, kept between calls. */
  scratch(size: number): number {
    return this.#scratch.at(size);
  }

  /**
   * c = a · b (or c += a · b with `accumulate`) for a m×k, b k×n, c m×n; with `batch` > 1,
   * `batch` such products, operand pointers advancing by `strides` bytes per product. Large
   * products are split over the pool's threads by ranges of columns.
   */
  matmul(
    a: WasmMatrix,
    b: WasmMatrix,
    c: WasmMatrix,
    m: number,
    n: number,
    k: number,
    options: { accumulate?: boolean; batch?: number; strides?: BatchStrides } = {},
  ): void {
    const { accumulate = false, batch = 1, strides = { a: 0, b: 0, c: 0 } } = options;
    if (m <= 0 || n <= 0) return;
    const threads = this.#pool?.info.threads ?? 1;
    const nr = this.config.nr;
    if (threads > 1 && m * n * k >= threadedFlops && n >= 2 * nr) {
      // About two chunks per thread, each a whole number of column panels.
      const grain = Math.ceil(Math.ceil(n / (2 * threads)) / nr) * nr;
      const chunks = Math.ceil(n / grain);
      const each = Math.ceil(this.scratchBytes(m, grain, k) / 64) * 64;
      const scratch = this.scratch(each * chunks);
      for (let t = 0; t < batch; t++) {
        this.#pool!.run(
          this.#module!,
          'sgemmChunks',
          [
            a.ptr + t * strides.a,
            a.rowStride,
            a.colStride,
            b.ptr + t * strides.b,
            b.rowStride,
            b.colStride,
            c.ptr + t * strides.c,
            c.rowStride,
            c.colStride,
            k,
            m,
            accumulate ? 1 : 0,
            scratch,
            each,
            grain,
          ],
          n,
          grain,
        );
      }
      return;
    }
    const scratch = this.scratch(this.scratchBytes(m, n, k));
    for (let t = 0; t < batch; t++) {
      this.sgemmExport(
        a.ptr + t * strides.a,
        a.rowStride,
        a.colStride,
        b.ptr + t * strides.b,
        b.rowStride,
        b.colStride,
        c.ptr + t * strides.c,
        c.rowStride,
        c.colStride,
        k,
        0,
        m,
        0,
        n,
        accumulate ? 1 : 0,
        scratch,
      );
    }
  }
}

/** Products of at least this many multiply-adds (m·n·k) are split over threads. */
const threadedFlops = 2 ** 20;
