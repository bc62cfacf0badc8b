// Loads and stores of the elementwise kernels: each dtype's elements to the form kernel code
// computes on (f64 or i32 per element; f64x2, f32x4 or i32x4 per vector) and back, rounding
// and converting as the JavaScript kernels' stores into typed arrays do (render.ts's
// renderStored).

import type { DType } from '../dtype.js';
import { isTest, type Typed } from '../expr-types.js';
import { lanesOf, type VectorMode } from './elementwise-analysis.js';
import type { ExprEmitter } from './elementwise-expr.js';
import type { FunctionBuilder } from './encoder.js';

/** Pushes the element at the address on the stack in its kind (f64 or i32). */
export function loadScalar(f: FunctionBuilder, dtype: DType): void {
  switch (dtype) {
    case 'float32':
      f.mem('f32.load').op('f64.promote_f32');
      return;
    case 'float64':
      f.mem('f64.load');
      return;
    case 'int32':
      f.mem('i32.load');
      return;
    case 'bool':
      f.mem('i32.load8_u');
      return;
    default:
      dtype satisfies never;
  }
}

/** With the address and value (`e`'s kind) on the stack, stores it as `dtype`, as render.ts's renderStored. */
export function storeScalar(
  f: FunctionBuilder,
  emitter: ExprEmitter,
  e: Typed,
  dtype: DType,
): void {
  switch (dtype) {
    case 'float32':
      f.op(e.type === 'int' ? 'f32.convert_i32_s' : 'f32.demote_f64').mem('f32.store');
      return;
    case 'float64':
      emitter.convertScalar(e.type, 'float');
      f.mem('f64.store');
      return;
    case 'int32':
      emitter.convertScalar(e.type, 'int');
      f.mem('i32.store');
      return;
    case 'bool':
      if (!isTest(e)) emitter.truthy(e.type);
      f.mem('i32.store8');
      return;
    default:
      dtype satisfies never;
  }
}

/** How a dtype's lanes sit in a vector as loaded (before conversion to the compute form). */
const storageLane = {
  float32: {
    extract: 'f32x4.extract_lane',
    replace: 'f32x4.replace_lane',
    splat: 'f32x4.splat',
    load: 'f32.load',
    store: 'f32.store',
  },
  float64: {
    extract: 'f64x2.extract_lane',
    replace: 'f64x2.replace_lane',
    splat: 'f64x2.splat',
    load: 'f64.load',
    store: 'f64.store',
  },
  int32: {
    extract: 'i32x4.extract_lane',
    replace: 'i32x4.replace_lane',
    splat: 'i32x4.splat',
    load: 'i32.load',
    store: 'i32.store',
  },
  bool: {
    extract: 'i32x4.extract_lane',
    replace: 'i32x4.replace_lane',
    splat: 'i32x4.splat',
    load: 'i32.load8_u',
    store: 'i32.store8',
  },
} as const;

/**
 * Pushes the vector of elements at pointer local `q`: contiguous (`stride` < 0) or `stride`
 * bytes apart, converted to the compute form (floats as f64x2 or f32x4, ints as i32x4).
 */
export function loadVector(
  f: FunctionBuilder,
  emitter: ExprEmitter,
  dtype: DType,
  mode: VectorMode,
  q: number,
  stride: number,
): void {
  const lanes = lanesOf[mode];
  if (stride < 0) {
    f.get(q);
    const wide = mode === 'f32x4';
    switch (dtype) {
      case 'float32':
        if (wide) f.mem('v128.load');
        else f.mem('v128.load64_zero').simd('f64x2.promote_low_f32x4');
        return;
      case 'float64':
        f.mem('v128.load');
        return;
      case 'int32':
        f.mem(wide ? 'v128.load' : 'v128.load64_zero');
        return;
      case 'bool':
        f.mem(wide ? 'v128.load32_zero' : 'v128.load16_splat');
        f.simd('i16x8.extend_low_i8x16_u', 'i32x4.extend_low_i16x8_u');
        return;
      default:
        dtype satisfies never;
    }
  }
  const lane = storageLane[dtype];
  const t = emitter.temps.take('i32');
  f.get(q).mem(lane.load).simd(lane.splat);
  const storageLanes =
    dtype === 'float64' ? 2 : dtype === 'float32' && mode === 'f64x2' ? 2 : lanes;
  for (let l = 1; l < storageLanes; l++) {
    f.get(l === 1 ? q : t)
      .get(stride)
      .op('i32.add')
      .tee(t)
      .mem(lane.load)
      .lane(lane.replace, l);
  }
  emitter.temps.give('i32', t);
  if (dtype === 'float32' && mode === 'f64x2') f.simd('f64x2.promote_low_f32x4');
}

/** Converts `e`'s vector value to the lanes `dtype` stores (render.ts's renderStored per lane). */
export function toStorageVector(
  f: FunctionBuilder,
  emitter: ExprEmitter,
  e: Typed,
  dtype: DType,
  mode: VectorMode,
): void {
  switch (dtype) {
    case 'float32':
      if (e.type === 'int') f.simd('f32x4.convert_i32x4_s');
      else if (mode === 'f64x2') f.simd('f32x4.demote_f64x2_zero');
      return;
    case 'float64':
      if (e.type === 'int') f.simd('f64x2.convert_low_i32x4_s');
      return;
    case 'int32':
      if (e.type === 'float') emitter.vectorToInt32();
      return;
    case 'bool':
      if (!isTest(e)) {
        emitter.truthyMask(e.type);
        f.simd('i32x4.neg');
      }
      return;
    default:
      dtype satisfies never;
  }
}

/**
 * Stores the storage-form vector in local `v` at pointer local `q`: contiguous (`stride` <
 * 0) or `stride` bytes apart.
 */
export function storeVector(
  f: FunctionBuilder,
  emitter: ExprEmitter,
  dtype: DType,
  mode: VectorMode,
  q: number,
  stride: number,
  v: number,
): void {
  const wide = mode === 'f32x4';
  if (stride < 0) {
    f.get(q).get(v);
    switch (dtype) {
      case 'float32':
      case 'int32':
        if (wide) f.mem('v128.store');
        else f.memLane('v128.store64_lane', 0);
        return;
      case 'float64':
        f.mem('v128.store');
        return;
      case 'bool': {
        const t = emitter.temps.take('v128');
        f.tee(t).get(t).simd('i16x8.narrow_i32x4_u').tee(t).get(t).simd('i8x16.narrow_i16x8_u');
        f.memLane(wide ? 'v128.store32_lane' : 'v128.store16_lane', 0);
        emitter.temps.give('v128', t);
        return;
      }
      default:
        dtype satisfies never;
    }
  }
  const lane = storageLane[dtype];
  const t = emitter.temps.take('i32');
  const lanes = dtype === 'float64' || !wide ? 2 : 4;
  for (let l = 0; l < lanes; l++) {
    if (l === 0) f.get(q);
    else
      f.get(l === 1 ? q : t)
        .get(stride)
        .op('i32.add')
        .tee(t);
    f.get(v).lane(lane.extract, l).mem(lane.store);
  }
  emitter.temps.give('i32', t);
}
