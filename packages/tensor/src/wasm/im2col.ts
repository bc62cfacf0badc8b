// The im2col side of the WebAssembly convolutions (conv.ts): the params block that describes
// a convolution to its exports, and the wasm functions that unfold blocks of an image's
// im2col matrix (padding written as zeros) and fold gradient columns back into an image.
// None of them ever holds more than one block of the matrix.

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
  select,
  simd,
  sub,
  zero128,
} from './asm.js';
import type { ModuleBuilder } from './encoder.js';
import type { GemmConfig } from './gemm.js';

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
export interface Geometry {
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

export function readGeometry(s: Asm, params: Ex): Geometry {
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
export function unfoldFunction(m: ModuleBuilder): number {
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
export function colsTFunction(
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
export function col2imFunction(m: ModuleBuilder): number {
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

export const f32zero: () => Ex = () => (f) => {
  f.f32Const(0);
};
