// im2col and col2im on WebGPU (the sliding windows of convolution and pooling), on f32
// values, or i32 ones for int32 and bool tensors (exact; col2im's sums wrap).

import type { DType, View, WindowGeometry } from '@dl/tensor';
import { checkedMeta } from './meta.js';
import {
  flatIndexWgsl,
  helpersWgsl,
  kindOfStorage,
  loadAs,
  storageType,
  storeAs,
  valueType,
} from './wgsl.js';

/**
 * Metadata: [N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, padValue, inStrides[4],
 * inOffset, outOffset]; padValue as f32 bits, or as an int32 for an integer image (the op
 * gives integers an int32 pad value).
 */
export function windowMeta(
  image: View,
  g: WindowGeometry,
  imageShape: readonly number[],
  outOffset = 0,
): Int32Array {
  const integer = kindOfStorage(image.dtype) === 'int';
  const meta = checkedMeta([
    ...imageShape,
    ...g.kernel,
    ...g.stride,
    ...g.padding,
    ...g.dilation,
    ...g.outSize,
    integer ? g.padValue : 0,
    ...image.strides,
    image.offset,
    outOffset,
  ]);
  if (!integer) new Float32Array(meta.buffer, 14 * 4, 1)[0] = g.padValue;
  return meta;
}

const fields = /* wgsl */ `
  let N = info[0]; let C = info[1]; let H = info[2]; let W = info[3];
  let kh = info[4]; let kw = info[5]; let sh = info[6]; let sw = info[7];
  let ph = info[8]; let pw = info[9]; let dh = info[10]; let dw = info[11];
  let oh = info[12]; let ow = info[13];
`;

/** One invocation per element of columns [N, C*kh*kw, oh*ow]; input [N, C, H, W] strided. */
export function im2colShader(input: DType, out: DType): string {
  const type = kindOfStorage(input);
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> cols: array<${storageType(out)}>;
@group(0) @binding(2) var<storage, read> x: array<${storageType(input)}>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${fields}
  let L = oh * ow;
  let total = N * C * kh * kw * L;
  let i = i32(${flatIndexWgsl});
  if (i >= total) { return; }
  let l = i % L;
  let rowIndex = (i / L) % (C * kh * kw);
  let n = i / (L * C * kh * kw);
  let j = rowIndex % kw;
  let ki = (rowIndex / kw) % kh;
  let c = rowIndex / (kw * kh);
  let y = (l / ow) * sh - ph + ki * dh;
  let xx = (l % ow) * sw - pw + j * dw;
  var v = ${type === 'int' ? 'info[14]' : 'bitcast<f32>(info[14])'};
  if (y >= 0 && y < H && xx >= 0 && xx < W) {
    v = ${loadAs(input, 'x[info[19] + n * info[15] + c * info[16] + y * info[17] + xx * info[18]]')};
  }
  cols[info[20] + i] = ${storeAs(out, 'v', type)};
}
`;
}

/**
 * One invocation per image row [N, C, H], walking its W pixels: each pixel sums the columns
 * [N, C*kh*kw, oh*ow] that read it. The row's coordinates are divided out once; along the
 * row, and for unit strides, nothing is divided (CPU-backed WebGPU divides integers one lane
 * at a time).
 */
export function col2imShader(input: DType, out: DType): string {
  const type = kindOfStorage(input);
  return /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> img: array<${storageType(out)}>;
@group(0) @binding(2) var<storage, read> cols: array<${storageType(input)}>;

// The window (along one axis) whose tap lands t past its start, or -1 when none of the
// count does; divides only for strides other than 1.
fn windowAt(t: i32, stride: i32, count: i32) -> i32 {
  if (t < 0) { return -1; }
  var at = t;
  if (stride != 1) {
    if (t % stride != 0) { return -1; }
    at = t / stride;
  }
  return select(-1, at, at < count);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${fields}
  let r = i32(${flatIndexWgsl});
  if (r >= N * C * H) { return; }
  let y = r % H;
  let c = (r / H) % C;
  let n = r / (H * C);
  let colsAt = info[19] + n * info[15];
  let rowStride = info[16];
  let pixelStride = info[17];
  let outRow = info[20] + r * W;
  for (var xx = 0; xx < W; xx++) {
    var acc: ${valueType(type)} = 0;
    for (var ki = 0; ki < kh; ki++) {
      let oy = windowAt(y + ph - ki * dh, sh, oh);
      if (oy < 0) { continue; }
      for (var j = 0; j < kw; j++) {
        let ox = windowAt(xx + pw - j * dw, sw, ow);
        if (ox < 0) { continue; }
        let row = (c * kh + ki) * kw + j;
        acc = acc + ${loadAs(input, 'cols[colsAt + row * rowStride + (oy * ow + ox) * pixelStride]')};
      }
    }
    img[outRow + xx] = ${storeAs(out, 'acc', type)};
  }
}
`;
}
