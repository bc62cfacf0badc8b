// Float32 2-d convolution (NCHW input, OIHW weight) and its two gradients in WebAssembly SIMD,
// as implicit matrix products on gemm.ts's microkernel: no im2col buffer of the batch, nor
// of one image, is ever made.
//
// Per image and channel group, with K = C/groups·kh·kw rows of the im2col matrix and
// L = oh·ow output positions:
//   forward          y[O/g, L]  = w[O/g, K] · cols[K, L]
//   input gradient   dcols[K, L] = wᵀ[K, O/g] · dy[O/g, L], then col2im adds dcols into dx
//   weight gradient  dw[O/g, K] += dy[O/g, L] · colsᵀ[L, K], summed over the images
// The weights are packed once per call. The im2col operand is packed straight from the
// image, one KC×NC block of microkernel panels at a time (padding becomes zeros while
// packing), so it only ever exists as one block of panels. The input gradient keeps one
// K×NC block of columns per call, never one per batch.
//
// Each export takes (params, n0, n1, scratch): it works on images n0..n1-1, reads the
// geometry and tensor pointers from the params block (see ConvParams), and keeps everything
// else in its scratch block, so workers may run the same export on different image ranges
// at once (the weight gradient then needs one output block per worker, summed afterwards).

import {
  Asm,
  add,
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
  ltU,
  max,
  min,
  mul,
  or,
  select,
  shl,
  simd,
  sub,
  zero128,
} from './asm.js';
import { ModuleBuilder } from './encoder.js';
import {
  addGemmFunctions,
  blockStep,
  defaultGemmConfig,
  type GemmConfig,
  type GemmFunctions,
  type SgemmExport,
  tileBytes,
} from './gemm.js';
import { ScratchBlock, type WasmRuntime } from './runtime.js';
import type { ThreadModule, ThreadPool } from './threads.js';

/** Most chunks one convolution splits into over threads (params blocks kept for each). */
const maxChunks = 16;
/** Convolutions of at least this many multiply-adds are split over threads. */
const threadedWork = 2 ** 21;

/** The fields of a params block, in order, one i32 each. */
export const convParamFields = [
  /** Byte offset of the input x [N, C, H, W] (or of dx, which the input gradient writes). */
  'x',
  /** Byte offset of the weight [O, C/groups, kh, kw] (or of dw, which the weight gradient writes). */
  'w',
  /** Byte offset of the output y [N, O, oh, ow] (or of dy, which the gradients read). */
  'y',
  'channels',
  'height',
  'width',
  'outChannels',
  'kernelH',
  'kernelW',
  'strideH',
  'strideW',
  'padH',
  'padW',
  'dilationH',
  'dilationW',
  'outH',
  'outW',
  'groups',
  /** Weight gradient only: add into w instead of overwriting it. */
  'accumulate',
] as const;

export type ConvParamField = (typeof convParamFields)[number];

/** A params block's values by field. */
export type ConvParams = Record<ConvParamField, number>;

/** Bytes of one params block. */
export const convParamsBytes = convParamFields.length * 4;

const field = (name: ConvParamField) => convParamFields.indexOf(name) * 4;

/** The geometry read from a params block into locals, with the products every routine uses. */
interface Geometry {
  readonly x: Local;
  readonly w: Local;
  readonly y: Local;
  readonly channels: Local;
  readonly height: Local;
  readonly width: Local;
  readonly outChannels: Local;
  readonly kernelH: Local;
  readonly kernelW: Local;
  readonly strideH: Local;
  readonly strideW: Local;
  readonly padH: Local;
  readonly padW: Local;
  readonly dilationH: Local;
  readonly dilationW: Local;
  readonly outH: Local;
  readonly outW: Local;
  readonly groups: Local;
  readonly accumulate: Local;
  /** C / groups. */
  readonly groupChannels: Local;
  /** O / groups. */
  readonly groupOut: Local;
  /** Rows of the im2col matrix per group: C/groups · kh · kw. */
  readonly rows: Local;
  /** Output positions per image: oh · ow. */
  readonly positions: Local;
  /** H · W · 4: bytes of one input plane. */
  readonly planeBytes: Local;
}

function readGeometry(s: Asm, params: Ex): Geometry {
  const get = (name: ConvParamField) => {
    const l = s.i32();
    s.set(l, load('i32.load', params, field(name)));
    return l;
  };
  const g = Object.fromEntries(convParamFields.map((name) => [name, get(name)])) as Record<
    ConvParamField,
    Local
  >;
  const groupChannels = s.i32();
  const groupOut = s.i32();
  const rows = s.i32();
  const positions = s.i32();
  const planeBytes = s.i32();
  s.set(groupChannels, bin('i32.div_s', g.channels, g.groups));
  s.set(groupOut, bin('i32.div_s', g.outChannels, g.groups));
  s.set(rows, mul(groupChannels, mul(g.kernelH, g.kernelW)));
  s.set(positions, mul(g.outH, g.outW));
  s.set(planeBytes, bytes(mul(g.height, g.width)));
  return { ...g, groupChannels, groupOut, rows, positions, planeBytes };
}

/**
 * The output positions t in [0, count) whose input index t * stride + shift lies in
 * [0, size), as [first, end) into the two locals (as window.ts's insideRange).
 */
function insideRange(
  s: Asm,
  count: Ex,
  shift: Ex,
  stride: Ex,
  size: Ex,
  first: Local,
  end: Local,
): void {
  s.set(
    first,
    select(lt(shift, 0), bin('i32.div_s', add(sub(0, shift), sub(stride, 1)), stride), 0),
  );
  const last = sub(sub(size, 1), shift);
  s.set(end, select(lt(last, 0), 0, min(count, add(bin('i32.div_s', last, stride), 1))));
  s.set(first, min(first, count));
  s.set(end, max(first, end));
}

/**
 * One row r = (c, i, j) of the im2col matrix over output positions start..start+count-1:
 * splits them into runs along output rows, and calls `outside(n)` for n positions whose
 * input lies in the padding and `inside(n, pixel)` for n positions whose input pixels start
 * at byte `pixel` and step by strideW. Positions are visited in order.
 */
interface RowWalk {
  readonly outside: (count: Ex) => void;
  readonly inside: (count: Ex, pixel: Ex) => void;
}

/** Locals of the im2col row walker, made once per function. */
class Im2colRows {
  readonly c: Local;
  readonly i: Local;
  readonly j: Local;
  readonly rowShift: Local;
  readonly colShift: Local;
  readonly plane: Local;
  readonly yFirst: Local;
  readonly yEnd: Local;
  readonly xFirst: Local;
  readonly xEnd: Local;
  readonly oy: Local;
  readonly ox: Local;
  readonly left: Local;
  readonly run: Local;
  readonly a: Local;
  readonly b: Local;

  constructor(
    readonly s: Asm,
    readonly g: Geometry,
  ) {
    this.c = s.i32();
    this.i = s.i32();
    this.j = s.i32();
    this.rowShift = s.i32();
    this.colShift = s.i32();
    this.plane = s.i32();
    this.yFirst = s.i32();
    this.yEnd = s.i32();
    this.xFirst = s.i32();
    this.xEnd = s.i32();
    this.oy = s.i32();
    this.ox = s.i32();
    this.left = s.i32();
    this.run = s.i32();
    this.a = s.i32();
    this.b = s.i32();
  }

  /** Sets (c, i, j) to row r's. */
  seek(r: Ex): void {
    const { s, g } = this;
    s.set(this.j, bin('i32.rem_s', r, g.kernelW));
    s.set(this.i, bin('i32.div_s', r, g.kernelW));
    s.set(this.c, bin('i32.div_s', this.i, g.kernelH));
    s.set(this.i, bin('i32.rem_s', this.i, g.kernelH));
  }

  /** Moves (c, i, j) to the next row. */
  next(): void {
    const { s, g } = this;
    s.inc(this.j, 1);
    s.if(eq(this.j, g.kernelW), () => {
      s.set(this.j, 0);
      s.inc(this.i, 1);
      s.if(eq(this.i, g.kernelH), () => {
        s.set(this.i, 0);
        s.inc(this.c, 1);
      });
    });
  }

  /**
   * Finds the current row's input plane (of the group's planes at byte `image`), its shifts,
   * and the output rows [yFirst, yEnd) and columns [xFirst, xEnd) whose input is inside.
   */
  locate(image: Ex): void {
    const { s, g } = this;
    s.set(this.rowShift, sub(mul(this.i, g.dilationH), g.padH));
    s.set(this.colShift, sub(mul(this.j, g.dilationW), g.padW));
    s.set(this.plane, add(image, mul(this.c, g.planeBytes)));
    insideRange(s, g.outH, this.rowShift, g.strideH, g.height, this.yFirst, this.yEnd);
    insideRange(s, g.outW, this.colShift, g.strideW, g.width, this.xFirst, this.xEnd);
  }

  /** Walks the located row over positions start..start+count-1 (see locate). */
  walk(start: Ex, count: Ex, visit: RowWalk): void {
    const { s, g } = this;
    s.set(this.oy, bin('i32.div_s', start, g.outW));
    s.set(this.ox, sub(start, mul(this.oy, g.outW)));
    s.set(this.left, count);
    s.while(gt(this.left, 0), () => {
      s.set(this.run, min(sub(g.outW, this.ox), this.left));
      s.if(
        bin('i32.and', ge(this.oy, this.yFirst), lt(this.oy, this.yEnd)),
        () => {
          s.set(this.a, min(max(sub(this.xFirst, this.ox), 0), this.run));
          s.set(this.b, min(max(sub(this.xEnd, this.ox), 0), this.run));
          s.if(gt(this.a, 0), () => visit.outside(this.a));
          s.if(gt(this.b, this.a), () => {
            const iy = add(mul(this.oy, g.strideH), this.rowShift);
            const ix = add(mul(add(this.ox, this.a), g.strideW), this.colShift);
            visit.inside(sub(this.b, this.a), add(this.plane, bytes(add(mul(iy, g.width), ix))));
          });
          s.if(gt(this.run, this.b), () => visit.outside(sub(this.run, this.b)));
        },
        () => visit.outside(this.run),
      );
      s.inc(this.left, mul(this.run, -1));
      s.inc(this.oy, 1);
      s.set(this.ox, 0);
    });
  }
}

/**
 * unfold(params, image, r0, count, l0, n, dst, rowFloats): rows r0..r0+count-1 of one
 * group's im2col matrix (its channels' planes from byte `image`), positions l0..l0+n-1,
 * row-major at dst with rows rowFloats apart: dst[r * rowFloats + l] (block-relative r, l),
 * zeros in the padding and from n to rowFloats. Runs of contiguous input are copied as
 * vectors.
 */
function unfoldFunction(m: ModuleBuilder): number {
  return m.func(i32s(8), [], (f) => {
    const s = new Asm(f);
    const [params, image, r0, count, l0, n, dst, rowFloats] = s.params(8);
    const g = readGeometry(s, params);
    const rows = new Im2colRows(s, g);
    const r = s.i32();
    const to = s.i32();
    const end = s.i32();
    const src = s.i32();
    const next = s.i32();
    const step = s.i32();
    s.set(step, bytes(g.strideW));
    // Writes `values` floats at `to` onwards: vectors while 4 or more remain, then floats.
    // (Addresses compare unsigned: memory may hold more than 2 GiB.)
    const write = (
      values: Ex,
      vector: Ex | undefined,
      scalar: Ex,
      after4: () => void,
      after1: () => void,
    ) => {
      s.set(end, add(to, bytes(values)));
      if (vector) {
        s.while(ltU(add(to, 12), end), () => {
          s.store('v128.store', to, vector);
          after4();
          s.inc(to, 16);
        });
      }
      s.while(ltU(to, end), () => {
        s.store('f32.store', to, scalar);
        after1();
        s.inc(to, 4);
      });
    };
    const zeros = (values: Ex) =>
      write(
        values,
        zero128,
        f32zero(),
        () => {},
        () => {},
      );
    const y = s.i32();
    const wholeRows = s.i32();
    const rowStep = s.i32();
    const yStart = s.i32();
    const yStop = s.i32();
    const ya = s.i32();
    const yb = s.i32();
    // Whole output rows yStart..yStop-1, each read from one contiguous run of input (stride
    // 1 along x, and no padding along x for this row of the matrix): the common case, copied
    // without the general walk.
    s.set(
      wholeRows,
      bin(
        'i32.and',
        eq(g.strideW, 1),
        eqz(bin('i32.or', bin('i32.rem_s', l0, g.outW), bin('i32.rem_s', n, g.outW))),
      ),
    );
    s.set(yStart, bin('i32.div_s', l0, g.outW));
    s.set(yStop, bin('i32.div_s', add(l0, n), g.outW));
    s.set(rowStep, bytes(mul(g.strideH, g.width)));
    rows.seek(r0);
    s.for(r, 0, count, 1, () => {
      s.set(to, add(dst, bytes(mul(r, rowFloats))));
      rows.locate(image);
      s.if(
        bin('i32.and', wholeRows, bin('i32.and', eqz(rows.xFirst), eq(rows.xEnd, g.outW))),
        () => {
          s.set(ya, min(max(rows.yFirst, yStart), yStop));
          s.set(yb, min(max(rows.yEnd, ya), yStop));
          zeros(mul(sub(ya, yStart), g.outW));
          const firstRow = add(mul(ya, g.strideH), rows.rowShift);
          s.set(src, add(rows.plane, bytes(add(mul(firstRow, g.width), rows.colShift))));
          s.for(y, ya, yb, 1, () => {
            s.set(next, add(src, rowStep));
            write(
              g.outW,
              load('v128.load', src),
              load('f32.load', src),
              () => s.inc(src, 16),
              () => s.inc(src, 4),
            );
            s.set(src, next);
          });
          zeros(mul(sub(yStop, yb), g.outW));
        },
        () =>
          rows.walk(l0, n, {
            outside: zeros,
            inside: (values, pixel) => {
              s.set(src, pixel);
              s.if(
                eq(g.strideW, 1),
                () =>
                  write(
                    values,
                    load('v128.load', src),
                    load('f32.load', src),
                    () => s.inc(src, 16),
                    () => s.inc(src, 4),
                  ),
                () =>
                  write(
                    values,
                    undefined,
                    load('f32.load', src),
                    () => {},
                    () => s.inc(src, step),
                  ),
              );
            },
          }),
      );
      zeros(sub(rowFloats, n));
      rows.next();
    });
  });
}

/**
 * colsT(params, image, l0, kc, r0, nc, dst, rowsScratch): the transpose of a block of the
 * im2col matrix, as B panels of the weight gradient's product: positions l0..l0+kc-1 are
 * its steps of k and rows r0..r0+nc-1 its columns, dst[(r / NR) * kc * NR + l * NR + r % NR],
 * zeros in the padding and past column nc. NR rows at a time are unfolded into rowsScratch
 * (NR × kc floats), then transposed into their panel by gemm's packB.
 */
function colsTFunction(
  m: ModuleBuilder,
  config: GemmConfig,
  unfold: number,
  packB: number,
): number {
  const { nr } = config;
  return m.func(i32s(8), [], (f) => {
    const s = new Asm(f);
    const [params, image, l0, kc, r0, nc, dst, rowsScratch] = s.params(8);
    const jr = s.i32();
    const count = s.i32();
    s.for(jr, 0, nc, nr, () => {
      s.set(count, min(nr, sub(nc, jr)));
      s.call(unfold, params, image, add(r0, jr), count, l0, kc, rowsScratch, kc);
      s.call(packB, rowsScratch, kc, 1, count, kc, add(dst, bytes(mul(jr, kc))));
    });
  });
}

/**
 * col2im(params, cols, rowBytes, image, l0, nc): adds a block of the im2col matrix's
 * gradient (all K rows of one group, columns l0..l0+nc-1, rows rowBytes apart from `cols`)
 * into the group's input-gradient planes at byte `image`.
 */
function col2imFunction(m: ModuleBuilder): number {
  return m.func(i32s(6), [], (f) => {
    const s = new Asm(f);
    const [params, cols, rowBytes, image, l0, nc] = s.params(6);
    const g = readGeometry(s, params);
    const rows = new Im2colRows(s, g);
    const r = s.i32();
    const src = s.i32();
    const to = s.i32();
    const n = s.i32();
    const step = s.i32();
    const y = s.i32();
    const next = s.i32();
    const wholeRows = s.i32();
    const rowStep = s.i32();
    const yStart = s.i32();
    const yStop = s.i32();
    const ya = s.i32();
    const yb = s.i32();
    s.set(step, bytes(g.strideW));
    // Adds `count` floats from src into the pixels from `to` (strideW apart).
    const addRun = (count: Ex) => {
      s.set(n, count);
      s.if(eq(g.strideW, 1), () =>
        s.while(ge(n, 4), () => {
          s.store(
            'v128.store',
            to,
            simd('f32x4.add', load('v128.load', to), load('v128.load', src)),
          );
          s.inc(to, 16);
          s.inc(src, 16);
          s.inc(n, -4);
        }),
      );
      s.while(gt(n, 0), () => {
        s.store('f32.store', to, bin('f32.add', load('f32.load', to), load('f32.load', src)));
        s.inc(to, step);
        s.inc(src, 4);
        s.inc(n, -1);
      });
    };
    // As in unfold: whole output rows whose pixels are one contiguous run skip the walk.
    s.set(
      wholeRows,
      bin(
        'i32.and',
        eq(g.strideW, 1),
        eqz(bin('i32.or', bin('i32.rem_s', l0, g.outW), bin('i32.rem_s', nc, g.outW))),
      ),
    );
    s.set(yStart, bin('i32.div_s', l0, g.outW));
    s.set(yStop, bin('i32.div_s', add(l0, nc), g.outW));
    s.set(rowStep, bytes(mul(g.strideH, g.width)));
    rows.seek(0);
    s.for(r, 0, g.rows, 1, () => {
      s.set(src, add(cols, mul(r, rowBytes)));
      rows.locate(image);
      s.if(
        bin('i32.and', wholeRows, bin('i32.and', eqz(rows.xFirst), eq(rows.xEnd, g.outW))),
        () => {
          s.set(ya, min(max(rows.yFirst, yStart), yStop));
          s.set(yb, min(max(rows.yEnd, ya), yStop));
          s.inc(src, bytes(mul(sub(ya, yStart), g.outW)));
          const firstRow = add(mul(ya, g.strideH), rows.rowShift);
          s.set(to, add(rows.plane, bytes(add(mul(firstRow, g.width), rows.colShift))));
          s.for(y, ya, yb, 1, () => {
            s.set(next, add(to, rowStep));
            addRun(g.outW);
            s.set(to, next);
          });
        },
        () =>
          rows.walk(l0, nc, {
            outside: (count) => s.inc(src, bytes(count)),
            inside: (count, pixel) => {
              s.set(to, pixel);
              addRun(count);
            },
          }),
      );
      rows.next();
    });
  });
}

const f32zero: () => Ex = () => (f) => {
  f.f32Const(0);
};

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

/** Builds the module bytes holding the matmul's and the convolutions' exports. */
export function convModuleBytes(
  memory: ConstructorParameters<typeof ModuleBuilder>[0],
  config: GemmConfig,
): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder(memory);
  const gemm = addGemmFunctions(m, config);
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
 * The convolutions (and the matmul, from the same module) compiled against one runtime's
 * memory, with a params block and a scratch block reused between calls (one caller at a
 * time; workers pass their own params and scratch to the exports).
 */
export class WasmConv {
  readonly config: GemmConfig;
  readonly conv2dExport: ConvExport;
  readonly conv2dBackwardInputExport: ConvExport;
  readonly conv2dBackwardWeightExport: ConvExport;
  readonly sgemmExport: SgemmExport;
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
    this.sgemmExport = exports['sgemm'] as SgemmExport;
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
