// Float32 2-d convolution (NCHW input, OIHW weight) and its two gradients in WebAssembly SIMD,
// as implicit matrix products on gemm.ts's microkernel: no im2col buffer of the batch is
// ever made, only one block of one image's at a time (KC×NC floats at most; K×NC for the
// input gradient, below).
//
// Per image and channel group, with K = C/groups·kh·kw rows of the im2col matrix and
// L = oh·ow output positions:
//   forward          y[O/g, L]  = w[O/g, K] · cols[K, L]
//   input gradient   dcols[K, L] = wᵀ[K, O/g] · dy[O/g, L], then col2im adds dcols into dx
//   weight gradient  dw[O/g, K] += dy[O/g, L] · colsᵀ[L, K], summed over the images
// The weights are packed once per call. The im2col matrix is unfolded from the image one
// KC×NC block at a time (im2col.ts), which the microkernel reads in place (forward) or which
// is transposed into panels NR rows at a time (weight gradient). The input gradient keeps
// one K×NC block of columns, folded into dx after each block. Scratch is sized by one image,
// never by the batch.
//
// Each export takes (params, n0, n1, scratch): it works on images n0..n1-1, reads the
// geometry and tensor pointers from the params block (see convParamFields), and keeps
// everything else in its scratch block, so workers may run the same export on different
// image ranges at once (the weight gradient then needs one output block per worker, summed
// afterwards).

import {
  Asm,
  add,
  bin,
  bytes,
  type Ex,
  eqz,
  ge,
  gt,
  i32s,
  lt,
  min,
  mul,
  or,
  shl,
  sub,
} from './asm.js';
import { ModuleBuilder } from './encoder.js';
import {
  addGemmFunctions,
  addSgemmChunks,
  blockStep,
  defaultGemmConfig,
  type GemmConfig,
  type GemmFunctions,
  tileBytes,
  WasmGemm,
} from './gemm.js';
import {
  type ConvParams,
  col2imFunction,
  colsTFunction,
  convParamFields,
  convParamsBytes,
  f32zero,
  readGeometry,
  unfoldFunction,
} from './im2col.js';
import { ScratchBlock, type WasmRuntime } from './runtime.js';
import type { ThreadModule, ThreadPool } from './threads.js';

/** Most chunks one convolution splits into over threads (params blocks kept for each). */
const maxChunks = 16;
/** Convolutions of at least this many multiply-adds are split over threads. */
const threadedWork = 2 ** 21;

export {
  type ConvParamField,
  type ConvParams,
  convParamFields,
  convParamsBytes,
} from './im2col.js';

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * Floats per row of a row-major block of n columns that the microkernel reads down: an odd
 * multiple of 16, so each row's 64-byte run is one cache line and the runs of consecutive
 * rows fall in different cache sets (rows a power of two of bytes apart would all share a
 * few sets of the L1 cache, and its 12 ways would not hold a panel).
 */
export function rowFloats(n: number): number {
  return (Math.ceil(n / 16) | 1) * 16;
}

const rowFloatsEx = (n: Ex): Ex => shl(bin('i32.or', bin('i32.shr_u', add(n, 15), 4), 1), 4);

/** x rounded up to a multiple of the constant `to`. */
const roundUpEx = (x: Ex, to: number): Ex => mul(bin('i32.div_s', add(x, to - 1), to), to);

/** The conv exports' functions, by index in their module. */
interface ConvFunctions {
  readonly forward: number;
  readonly backwardInput: number;
  readonly backwardWeight: number;
}

/**
 * Adds the convolution exports to a module that holds the matmul's functions `gemm`:
 * conv2d, conv2dBackwardInput and conv2dBackwardWeight, each (params, n0, n1, scratch).
 */
function addConvFunctions(
  m: ModuleBuilder,
  config: GemmConfig,
  gemm: GemmFunctions,
): ConvFunctions {
  const { mr, nr, kc: KC, mc: MC, nc: NC } = config;
  const unfold = unfoldFunction(m);
  const colsT = colsTFunction(m, config, unfold, gemm.packB);
  const col2im = col2imFunction(m);
  const signature = i32s(4);

  // conv2d: y[n, g] = w[g] · cols(x[n, g]) for images n0..n1-1.
  // Scratch: edge tile | packed weights (groups × ⌈O/g⌉MR × K) | one B block (KC × NC).
  const forward = m.func(
    signature,
    [],
    (f) => {
      const s = new Asm(f);
      const [params, n0, n1, scratch] = s.params(4);
      const g = readGeometry(s, params);
      const packedW = s.i32();
      const pB = s.i32();
      const groupWBytes = s.i32();
      const group = s.i32();
      const n = s.i32();
      const jc = s.i32();
      const pc = s.i32();
      const nc = s.i32();
      const kc = s.i32();
      const image = s.i32();
      const out = s.i32();
      s.set(packedW, add(scratch, tileBytes(config)));
      s.set(groupWBytes, bytes(mul(roundUpEx(g.groupOut, mr), g.rows)));
      s.set(pB, add(packedW, mul(g.groups, groupWBytes)));
      s.for(group, 0, g.groups, 1, () =>
        s.call(
          gemm.packA,
          add(g.w, bytes(mul(mul(group, g.groupOut), g.rows))),
          g.rows,
          1,
          g.groupOut,
          g.rows,
          add(packedW, mul(group, groupWBytes)),
        ),
      );
      s.for(n, n0, n1, 1, () =>
        s.for(group, 0, g.groups, 1, () => {
          s.set(
            image,
            add(g.x, mul(add(mul(n, g.channels), mul(group, g.groupChannels)), g.planeBytes)),
          );
          s.set(
            out,
            add(g.y, bytes(mul(add(mul(n, g.outChannels), mul(group, g.groupOut)), g.positions))),
          );
          s.for(jc, 0, g.positions, NC, () => {
            s.set(nc, min(NC, sub(g.positions, jc)));
            s.for(pc, 0, g.rows, blockStep(g.rows, KC), () => {
              s.set(kc, min(blockStep(g.rows, KC), sub(g.rows, pc)));
              // The block of columns, row-major (see rowFloats).
              s.call(unfold, params, image, pc, kc, jc, nc, pB, rowFloatsEx(nc));
              s.call(
                gemm.macro,
                add(add(packedW, mul(group, groupWBytes)), mul(pc, mr * 4)),
                mul(g.rows, mr * 4),
                pB,
                nr * 4,
                bytes(rowFloatsEx(nc)),
                kc,
                g.groupOut,
                nc,
                add(out, bytes(jc)),
                g.positions,
                1,
                gt(pc, 0),
                scratch,
              );
            });
          });
        }),
      );
    },
    'conv2d',
  );

  // conv2dBackwardInput: dx[n, g] = col2im(w[g]ᵀ · dy[n, g]) for images n0..n1-1.
  // Scratch: edge tile | packed wᵀ (groups × ⌈K⌉MR × O/g) | one B block (KC × NC) |
  // one block of columns (K × NC).
  const backwardInput = m.func(
    signature,
    [],
    (f) => {
      const s = new Asm(f);
      const [params, n0, n1, scratch] = s.params(4);
      const g = readGeometry(s, params);
      const packedW = s.i32();
      const pB = s.i32();
      const colBlock = s.i32();
      const blockWidth = s.i32();
      const groupWBytes = s.i32();
      const group = s.i32();
      const n = s.i32();
      const jc = s.i32();
      const pc = s.i32();
      const nc = s.i32();
      const kc = s.i32();
      const image = s.i32();
      const grad = s.i32();
      s.set(packedW, add(scratch, tileBytes(config)));
      s.set(groupWBytes, bytes(mul(roundUpEx(g.rows, mr), g.groupOut)));
      s.set(pB, add(packedW, mul(g.groups, groupWBytes)));
      s.set(blockWidth, rowFloatsEx(min(NC, g.positions)));
      s.set(colBlock, add(pB, bytes(mul(min(KC, g.groupOut), blockWidth))));
      // wᵀ of group g: row r, column o is w[g·O/g + o][r].
      s.for(group, 0, g.groups, 1, () =>
        s.call(
          gemm.packA,
          add(g.w, bytes(mul(mul(group, g.groupOut), g.rows))),
          1,
          g.rows,
          g.rows,
          g.groupOut,
          add(packedW, mul(group, groupWBytes)),
        ),
      );
      s.for(n, n0, n1, 1, () => {
        s.set(image, add(g.x, mul(mul(n, g.channels), g.planeBytes)));
        f.get(image.index).i32Const(0);
        s.emit(mul(g.channels, g.planeBytes));
        f.memoryFill();
        s.for(group, 0, g.groups, 1, () => {
          s.set(
            grad,
            add(g.y, bytes(mul(add(mul(n, g.outChannels), mul(group, g.groupOut)), g.positions))),
          );
          s.for(jc, 0, g.positions, NC, () => {
            s.set(nc, min(NC, sub(g.positions, jc)));
            s.for(pc, 0, g.groupOut, blockStep(g.groupOut, KC), () => {
              s.set(kc, min(blockStep(g.groupOut, KC), sub(g.groupOut, pc)));
              // dy rows pc.., columns jc..: B with rows `positions` apart.
              s.call(
                gemm.packB,
                add(grad, bytes(add(mul(pc, g.positions), jc))),
                1,
                g.positions,
                nc,
                kc,
                pB,
              );
              s.call(
                gemm.macro,
                add(add(packedW, mul(group, groupWBytes)), mul(pc, mr * 4)),
                mul(g.groupOut, mr * 4),
                pB,
                mul(kc, nr * 4),
                nr * 4,
                kc,
                g.rows,
                nc,
                colBlock,
                blockWidth,
                1,
                gt(pc, 0),
                scratch,
              );
            });
            s.call(
              col2im,
              params,
              colBlock,
              bytes(blockWidth),
              add(image, mul(mul(group, g.groupChannels), g.planeBytes)),
              jc,
              nc,
            );
          });
        });
      });
    },
    'conv2dBackwardInput',
  );

  // conv2dBackwardWeight: dw[g] (+)= Σ_n dy[n, g] · cols(x[n, g])ᵀ over images n0..n1-1.
  // Scratch: edge tile | packed dy block (MC × KC) | one B block (KC × NC) | NR unfolded
  // rows (NR × KC).
  const backwardWeight = m.func(
    signature,
    [],
    (f) => {
      const s = new Asm(f);
      const [params, n0, n1, scratch] = s.params(4);
      const g = readGeometry(s, params);
      const pA = s.i32();
      const pB = s.i32();
      const rowsScratch = s.i32();
      const group = s.i32();
      const n = s.i32();
      const jc = s.i32();
      const pc = s.i32();
      const ic = s.i32();
      const nc = s.i32();
      const kc = s.i32();
      const mc = s.i32();
      const image = s.i32();
      const grad = s.i32();
      const i = s.i32();
      s.set(pA, add(scratch, tileBytes(config)));
      s.set(pB, add(pA, bytes(mul(roundUpEx(min(MC, g.groupOut), mr), min(KC, g.positions)))));
      s.set(rowsScratch, add(pB, bytes(mul(roundUpEx(min(NC, g.rows), nr), min(KC, g.positions)))));
      // No images or no output positions: the sum is empty.
      s.if(bin('i32.and', eqz(g.accumulate), or(ge(n0, n1), eqz(g.positions))), () => {
        s.set(i, 0);
        s.while(lt(i, mul(g.outChannels, g.rows)), () => {
          s.store('f32.store', add(g.w, bytes(i)), f32zero());
          s.inc(i, 1);
        });
      });
      s.for(n, n0, n1, 1, () =>
        s.for(group, 0, g.groups, 1, () => {
          s.set(
            image,
            add(g.x, mul(add(mul(n, g.channels), mul(group, g.groupChannels)), g.planeBytes)),
          );
          s.set(
            grad,
            add(g.y, bytes(mul(add(mul(n, g.outChannels), mul(group, g.groupOut)), g.positions))),
          );
          s.for(jc, 0, g.rows, NC, () => {
            s.set(nc, min(NC, sub(g.rows, jc)));
            s.for(pc, 0, g.positions, blockStep(g.positions, KC), () => {
              s.set(kc, min(blockStep(g.positions, KC), sub(g.positions, pc)));
              s.call(colsT, params, image, pc, kc, jc, nc, pB, rowsScratch);
              s.for(ic, 0, g.groupOut, MC, () => {
                s.set(mc, min(MC, sub(g.groupOut, ic)));
                s.call(
                  gemm.packA,
                  add(grad, bytes(add(mul(ic, g.positions), pc))),
                  g.positions,
                  1,
                  mc,
                  kc,
                  pA,
                );
                s.call(
                  gemm.macro,
                  pA,
                  mul(kc, mr * 4),
                  pB,
                  mul(kc, nr * 4),
                  nr * 4,
                  kc,
                  mc,
                  nc,
                  add(g.w, bytes(add(mul(add(mul(group, g.groupOut), ic), g.rows), jc))),
                  g.rows,
                  1,
                  or(or(g.accumulate, gt(n, n0)), gt(pc, 0)),
                  scratch,
                );
              });
            });
          });
        }),
      );
    },
    'conv2dBackwardWeight',
  );
  return { forward, backwardInput, backwardWeight };
}

/** The shape of a convolution, as the Backend's ConvGeometry and the tensors' shapes give it. */
export interface ConvShape {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly outSize: readonly [number, number];
  readonly groups: number;
}

/** The signature of the conv exports: (params, n0, n1, scratch). */
export type ConvExport = (params: number, n0: number, n1: number, scratch: number) => void;

/**
 * Bytes of scratch one call of each conv export needs for `shape` (the same for any image
 * range).
 */
export function convScratchBytes(
  config: GemmConfig,
  shape: ConvShape,
): { forward: number; backwardInput: number; backwardWeight: number } {
  const { mr, nr, kc: KC, mc: MC, nc: NC } = config;
  const groupOut = shape.outChannels / shape.groups;
  const rows = (shape.channels / shape.groups) * shape.kernel[0] * shape.kernel[1];
  const positions = shape.outSize[0] * shape.outSize[1];
  const tile = tileBytes(config);
  const blockWidth = rowFloats(Math.min(NC, positions));
  return {
    forward:
      tile + 4 * shape.groups * roundUp(groupOut, mr) * rows + 4 * Math.min(KC, rows) * blockWidth,
    backwardInput:
      tile +
      4 * shape.groups * roundUp(rows, mr) * groupOut +
      4 * Math.min(KC, groupOut) * blockWidth +
      4 * roundUp(rows, mr) * blockWidth,
    backwardWeight:
      tile +
      4 * roundUp(Math.min(MC, groupOut), mr) * Math.min(KC, positions) +
      4 * Math.min(KC, positions) * roundUp(Math.min(NC, rows), nr) +
      4 * nr * Math.min(KC, positions),
  };
}

/**
 * Builds the module bytes holding the matmul's exports (sgemm, sgemmChunks: WasmConv.gemm
 * runs on them) and the convolutions'.
 */
export function convModuleBytes(
  memory: ConstructorParameters<typeof ModuleBuilder>[0],
  config: GemmConfig,
): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder(memory);
  const gemm = addGemmFunctions(m, config);
  addSgemmChunks(m, gemm.sgemm);
  const conv = addConvFunctions(m, config, gemm);
  addChunked(m, conv.forward, 'conv2dChunks');
  addChunked(m, conv.backwardInput, 'conv2dBackwardInputChunks');
  addChunked(m, conv.backwardWeight, 'conv2dBackwardWeightChunks');
  return m.encode();
}

/**
 * Exports `name(paramsBase, paramsStride, scratchBase, scratchStride, grain, n0, n1)`: the
 * conv export `target` over images [n0, n1), one chunk of `grain` images at a time, each with
 * the params and scratch blocks of its chunk (start / grain). A thread pool (threads.ts) runs
 * disjoint ranges whose starts are multiples of grain on several threads at once; as every
 * chunk is computed alone into its own blocks, however the ranges fall, the results (the
 * weight gradient's per-chunk sums) do not depend on the threads.
 */
function addChunked(m: ModuleBuilder, target: number, name: string): void {
  m.func(
    i32s(7),
    [],
    (f) => {
      const [start, end, chunk] = [f.local('i32'), f.local('i32'), f.local('i32')];
      f.get(5).set(start);
      f.block().loop();
      f.get(start).get(6).op('i32.ge_u').brIf(1);
      f.get(start).get(4).op('i32.div_u').set(chunk);
      // end = min((chunk + 1) * grain, n1)
      f.get(chunk).i32Const(1).op('i32.add').get(4).op('i32.mul').tee(end);
      f.get(6).get(end).get(6).op('i32.lt_u').op('select').set(end);
      f.get(chunk).get(1).op('i32.mul').get(0).op('i32.add');
      f.get(start).get(end);
      f.get(chunk).get(3).op('i32.mul').get(2).op('i32.add');
      f.call(target);
      f.get(end).set(start);
      f.br(0);
      f.end().end();
    },
    name,
  );
}

/**
 * The convolutions (and the matmul, `gemm`, from the same module) compiled against one
 * runtime's memory, with a params block and a scratch block reused between calls (one caller
 * at a time; workers pass their own params and scratch to the exports).
 */
export class WasmConv {
  readonly config: GemmConfig;
  readonly conv2dExport: ConvExport;
  readonly conv2dBackwardInputExport: ConvExport;
  readonly conv2dBackwardWeightExport: ConvExport;
  /** The matmul on this module's sgemm: one compiled copy of the gemm code serves both. */
  readonly gemm: WasmGemm;
  readonly #pool: ThreadPool | undefined;
  readonly #module: ThreadModule | undefined;
  #params: number;
  readonly #scratch: ScratchBlock;

  constructor(
    readonly runtime: WasmRuntime,
    options: { relaxed?: boolean; config?: Partial<GemmConfig>; pool?: ThreadPool } = {},
  ) {
    const relaxed = options.relaxed ?? runtime.features.relaxedSimd;
    if (relaxed && !runtime.features.relaxedSimd)
      throw new Error('wasm conv: relaxed SIMD was asked for but this runtime has none');
    this.config = { ...defaultGemmConfig(relaxed), ...options.config };
    const bytes = convModuleBytes(runtime.memoryImport, this.config);
    this.#scratch = new ScratchBlock(runtime, 'wasm conv');
    this.#pool = options.pool;
    this.#module = options.pool?.register(bytes);
    const exports = this.#module?.exports ?? runtime.instantiate(bytes);
    // The exports' signatures are the ones built above (a foreign boundary).
    this.conv2dExport = exports['conv2d'] as ConvExport;
    this.conv2dBackwardInputExport = exports['conv2dBackwardInput'] as ConvExport;
    this.conv2dBackwardWeightExport = exports['conv2dBackwardWeight'] as ConvExport;
    this.gemm = new WasmGemm(runtime, {
      ...(options.pool && { pool: options.pool }),
      module: { config: this.config, exports, threads: this.#module },
    });
    const params = runtime.alloc(convParamsBytes * maxChunks);
    if (params === undefined) throw new Error('wasm conv: cannot allocate its params block');
    this.#params = params;
  }

  /**
   * How a call over `shape` splits over the pool's threads: images per chunk and chunks, or
   * undefined to run it on this thread (one image, or too little work for threads to pay).
   */
  #split(shape: ConvShape): { grain: number; chunks: number } | undefined {
    const threads = this.#pool?.info.threads ?? 1;
    if (threads < 2 || shape.batch < 2) return undefined;
    const perImage =
      (shape.outChannels / shape.groups) *
      shape.channels *
      shape.kernel[0] *
      shape.kernel[1] *
      shape.outSize[0] *
      shape.outSize[1];
    if (perImage * shape.batch < threadedWork) return undefined;
    const grain = Math.ceil(shape.batch / Math.min(2 * threads, maxChunks));
    return { grain, chunks: Math.ceil(shape.batch / grain) };
  }

  /** Runs a chunked export over the batch: scratch per chunk, params per chunk if `paramsStride`. */
  #runChunks(
    name: string,
    shape: ConvShape,
    split: { grain: number; chunks: number },
    scratchBytes: number,
    paramsStride: number,
  ): void {
    const each = Math.ceil(scratchBytes / 64) * 64;
    const scratch = this.#scratch.at(each * split.chunks);
    this.#pool!.run(
      this.#module!,
      name,
      [this.#params, paramsStride, scratch, each, split.grain],
      shape.batch,
      split.grain,
    );
  }

  /** Writes a params block at byte `ptr` (convParamsBytes long). */
  writeParams(
    ptr: number,
    shape: ConvShape,
    pointers: { x: number; w: number; y: number },
    accumulate = false,
  ): void {
    const values: ConvParams = {
      x: pointers.x,
      w: pointers.w,
      y: pointers.y,
      channels: shape.channels,
      height: shape.height,
      width: shape.width,
      outChannels: shape.outChannels,
      kernelH: shape.kernel[0],
      kernelW: shape.kernel[1],
      strideH: shape.stride[0],
      strideW: shape.stride[1],
      padH: shape.padding[0],
      padW: shape.padding[1],
      dilationH: shape.dilation[0],
      dilationW: shape.dilation[1],
      outH: shape.outSize[0],
      outW: shape.outSize[1],
      groups: shape.groups,
      accumulate: accumulate ? 1 : 0,
    };
    const view = new Int32Array(this.runtime.buffer, ptr, convParamFields.length);
    convParamFields.forEach((name, i) => {
      view[i] = values[name];
    });
  }

  /** y = conv2d(x, w): byte offsets of contiguous float32 x [N, C, H, W], w, y [N, O, oh, ow]. */
  conv2d(shape: ConvShape, x: number, w: number, y: number): void {
    const bytesNeeded = convScratchBytes(this.config, shape).forward;
    this.writeParams(this.#params, shape, { x, w, y });
    const split = this.#split(shape);
    if (split) {
      this.#runChunks('conv2dChunks', shape, split, bytesNeeded, 0);
      return;
    }
    this.conv2dExport(this.#params, 0, shape.batch, this.#scratch.at(bytesNeeded));
  }

  /** dx = the input gradient of conv2d from dy [N, O, oh, ow] and w; dx is overwritten. */
  conv2dBackwardInput(shape: ConvShape, dy: number, w: number, dx: number): void {
    const bytesNeeded = convScratchBytes(this.config, shape).backwardInput;
    this.writeParams(this.#params, shape, { x: dx, w, y: dy });
    const split = this.#split(shape);
    if (split) {
      this.#runChunks('conv2dBackwardInputChunks', shape, split, bytesNeeded, 0);
      return;
    }
    this.conv2dBackwardInputExport(this.#params, 0, shape.batch, this.#scratch.at(bytesNeeded));
  }

  /**
   * dw (+)= the weight gradient of conv2d from x and dy, summed over the batch. Split over
   * threads, each chunk of images sums into a buffer of its own (the first into dw), added up
   * afterwards in chunk order.
   */
  conv2dBackwardWeight(
    shape: ConvShape,
    x: number,
    dy: number,
    dw: number,
    accumulate = false,
  ): void {
    const bytesNeeded = convScratchBytes(this.config, shape).backwardWeight;
    const split = this.#split(shape);
    if (!split) {
      this.writeParams(this.#params, shape, { x, w: dw, y: dy }, accumulate);
      this.conv2dBackwardWeightExport(this.#params, 0, shape.batch, this.#scratch.at(bytesNeeded));
      return;
    }
    const count =
      shape.outChannels * (shape.channels / shape.groups) * shape.kernel[0] * shape.kernel[1];
    const partials = this.runtime.alloc(4 * count * (split.chunks - 1));
    if (partials === undefined) throw new Error('wasm conv: cannot allocate the partial sums');
    try {
      for (let chunk = 0; chunk < split.chunks; chunk++) {
        const target = chunk === 0 ? dw : partials + 4 * count * (chunk - 1);
        const ptr = this.#params + chunk * convParamsBytes;
        this.writeParams(ptr, shape, { x, w: target, y: dy }, chunk === 0 && accumulate);
      }
      this.#runChunks('conv2dBackwardWeightChunks', shape, split, bytesNeeded, convParamsBytes);
      const buffer = this.runtime.buffer;
      const out = new Float32Array(buffer, dw, count);
      for (let chunk = 1; chunk < split.chunks; chunk++) {
        const part = new Float32Array(buffer, partials + 4 * count * (chunk - 1), count);
        for (let i = 0; i < count; i++) out[i]! += part[i]!;
      }
    } finally {
      this.runtime.free(partials);
    }
  }
}
