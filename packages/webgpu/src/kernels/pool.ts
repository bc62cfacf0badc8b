// Max pooling on WebGPU: values and PyTorch's indices in one pass over each window, and the
// input gradient gathered from the windows that can hold each input position.

import type { WindowGeometry } from '@dl/tensor';
import { checkedMeta } from './meta.js';
import { flatIndexWgsl, helpersWgsl, workgroupSize } from './wgsl.js';

/**
 * Metadata: [planes (N * C), H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, offsets of the
 * bound views in binding order].
 */
export function maxPoolMeta(
  image: readonly number[],
  g: WindowGeometry,
  offsets: readonly number[],
): Int32Array {
  const [n, c, h, w] = image as [number, number, number, number];
  return checkedMeta([
    n * c,
    h,
    w,
    ...g.kernel,
    ...g.stride,
    ...g.padding,
    ...g.dilation,
    ...g.outSize,
    ...offsets,
  ]);
}

const fields = /* wgsl */ `
  let planes = info[0]; let H = info[1]; let W = info[2];
  let kh = info[3]; let kw = info[4]; let sh = info[5]; let sw = info[6];
  let ph = info[7]; let pw = info[8]; let dh = info[9]; let dw = info[10];
  let oh = info[11]; let ow = info[12];
  let threads = nwg.x * nwg.y * ${workgroupSize}u;
`;

/** The gradient kernels' bindings (dx, gy, indices) and the top of their entry point. */
const gradientEntry = /* wgsl */ `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> indices: array<i32>;

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${fields}
  let outAt = info[13]; let gradAt = info[14]; let indicesAt = info[15];`;

/**
 * One loop iteration per output row [planes, oh], walking its columns; input contiguous
 * float32. Everything that depends on the column is the same in every lane, and nothing
 * is divided per output: CPU-backed WebGPU divides integers one lane at a time.
 */
export const maxPoolShader = /* wgsl */ `
${helpersWgsl}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> indices: array<i32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${fields}
  let valuesAt = info[13]; let indicesAt = info[14]; let inputAt = info[15];
  let rows = u32(planes * oh);
  for (var r = ${flatIndexWgsl}; r < rows; r += threads) {
    let oy = i32(r) % oh;
    let plane = i32(r) / oh;
    let y0 = oy * sh - ph;
    let yEnd = min(y0 + (kh - 1) * dh + 1, H);
    // The first row inside the input.
    var yStart = y0;
    while (yStart < 0) { yStart += dh; }
    let base = inputAt + plane * H * W;
    let outRow = i32(r) * ow;
    for (var ox = 0; ox < ow; ox++) {
      let x0 = ox * sw - pw;
      let xEnd = min(x0 + (kw - 1) * dw + 1, W);
      var xStart = x0;
      while (xStart < 0) { xStart += dw; }
      var best = -dl_inf();
      var arg = yStart * W + xStart;
      for (var yy = yStart; yy < yEnd; yy += dh) {
        for (var xx = xStart; xx < xEnd; xx += dw) {
          let v = x[base + yy * W + xx];
          if (v > best || dl_isnan(v)) {
            best = v;
            arg = yy * W + xx;
          }
        }
      }
      values[valuesAt + outRow + ox] = best;
      indices[indicesAt + outRow + ox] = arg;
    }
  }
}
`;

/**
 * One loop iteration per input position [planes, H, W]: the sum of the gradients of the
 * windows that can contain it and whose index names it (at most ceil(k / s) per axis).
 */
export const maxPoolBackwardShader = /* wgsl */ `
${helpersWgsl}
${gradientEntry}
  let total = u32(planes * H * W);
  for (var i = ${flatIndexWgsl}; i < total; i += threads) {
    let xx = i32(i) % W;
    let rest = i32(i) / W;
    let yy = rest % H;
    let plane = rest / H;
    // Window oy reads rows oy * sh - ph + k * dh for k < kh.
    let ty = yy + ph;
    let tx = xx + pw;
    let yLow = ty - (kh - 1) * dh;
    let xLow = tx - (kw - 1) * dw;
    let oyFirst = select(0, (yLow + sh - 1) / sh, yLow > 0);
    let oxFirst = select(0, (xLow + sw - 1) / sw, xLow > 0);
    let oyLast = min(ty / sh, oh - 1);
    let oxLast = min(tx / sw, ow - 1);
    let position = yy * W + xx;
    let base = plane * oh * ow;
    var acc = 0.0;
    for (var oy = oyFirst; oy <= oyLast; oy++) {
      for (var ox = oxFirst; ox <= oxLast; ox++) {
        let o = base + oy * ow + ox;
        if (indices[indicesAt + o] == position) {
          acc = acc + gy[gradAt + o];
        }
      }
    }
    dx[outAt + i32(i)] = acc;
  }
}
`;

/**
 * For windows that do not overlap: one loop iteration per output row [planes, oh], adding
 * each of its outputs' gradients at the input position its index names (no two outputs of
 * a plane name the same one) into out, zeroed before.
 */
export const maxPoolScatterShader = /* wgsl */ `
${gradientEntry}
  let rows = u32(planes * oh);
  for (var r = ${flatIndexWgsl}; r < rows; r += threads) {
    let planeAt = outAt + (i32(r) / oh) * H * W;
    let first = i32(r) * ow;
    for (var k = first; k < first + ow; k++) {
      let index = indices[indicesAt + k];
      // A window of padding only names a position past the plane: its gradient goes nowhere.
      if (index >= 0 && index < H * W) {
        let at = planeAt + index;
        dx[at] = dx[at] + gy[gradAt + k];
      }
    }
  }
}
`;

/** True when no input position lies in two windows. */
export function windowsOverlap(g: WindowGeometry): boolean {
  return (
    g.stride[0] < (g.kernel[0] - 1) * g.dilation[0] + 1 ||
    g.stride[1] < (g.kernel[1] - 1) * g.dilation[1] + 1
  );
}
