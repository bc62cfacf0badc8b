// WGSL building blocks shared by the kernels: element types, the expression renderer for
// elementwise ops, and scalar helpers with PyTorch's semantics where WGSL's differ (NaN
// propagation in max/min, pow of negative bases, log1p/expm1 accuracy, erf).

import type { BinaryFn, DType, Expr, UnaryFn } from '@dl/tensor';

/** The WGSL element type a dtype is stored as (bool as u32 0/1: WGSL has no 8-bit storage). */
export function storageType(dtype: DType): 'f32' | 'i32' | 'u32' {
  switch (dtype) {
    case 'float32':
      return 'f32';
    case 'int32':
      return 'i32';
    case 'bool':
      return 'u32';
    case 'float64':
      throw new Error(
        "float64 is not supported on WebGPU (WGSL has no f64); use .to('float32') first",
      );
    default:
      return dtype satisfies never;
  }
}

/** Converts an f32 computation result into the storage type of `dtype`. */
export function storeAs(dtype: DType, value: string): string {
  switch (storageType(dtype)) {
    case 'f32':
      return value;
    case 'i32':
      return `i32(trunc(${value}))`;
    case 'u32':
      return `select(0u, 1u, dl_truthy(${value}))`;
  }
}

export const helpersWgsl = /* wgsl */ `
fn dl_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn dl_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// NaN and infinity come from private variables: WGSL rejects them as constant expressions.
var<private> dl_nan_bits: u32 = 0x7fc00000u;
var<private> dl_inf_bits: u32 = 0x7f800000u;
fn dl_nan() -> f32 { return bitcast<f32>(dl_nan_bits); }
fn dl_inf() -> f32 { return bitcast<f32>(dl_inf_bits); }
fn dl_max(a: f32, b: f32) -> f32 { if (dl_isnan(a) || dl_isnan(b)) { return dl_nan(); } return max(a, b); }
fn dl_min(a: f32, b: f32) -> f32 { if (dl_isnan(a) || dl_isnan(b)) { return dl_nan(); } return min(a, b); }
fn dl_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (dl_isnan(a) || dl_isnan(b)) { return dl_nan(); }
  if (a == 0.0) { return select(0.0, dl_inf(), b < 0.0); }
  let m = exp2(b * log2(abs(a)));
  if (a > 0.0) { return m; }
  if (floor(b) != b) { return dl_nan(); }
  return select(m, -m, abs(b) % 2.0 == 1.0);
}
fn dl_mod(a: f32, b: f32) -> f32 {
  let r = a - b * floor(a / b);
  return select(r, a % b, dl_isinf(b));
}
fn dl_log1p(x: f32) -> f32 {
  // 2 atanh(x / (2 + x)) as a series near 0, where log(1 + x) loses the digits of x.
  if (abs(x) < 0.5) {
    let s = x / (2.0 + x);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0))))));
  }
  return dl_log(1.0 + x);
}
fn dl_expm1(x: f32) -> f32 {
  // The Taylor series near 0, where exp(x) - 1 cancels.
  if (abs(x) < 0.5) {
    return x * (1.0 + x / 2.0 * (1.0 + x / 3.0 * (1.0 + x / 4.0 * (1.0 + x / 5.0 * (1.0 + x / 6.0 * (1.0 + x / 7.0 * (1.0 + x / 8.0)))))));
  }
  return exp(x) - 1.0;
}
// NaN is true, and unequal to everything (compilers may assume ordered comparisons).
fn dl_truthy(x: f32) -> bool { return x != 0.0 || dl_isnan(x); }
fn dl_ne(a: f32, b: f32) -> bool { return dl_isnan(a) || dl_isnan(b) || a != b; }
// log, sin and cos with IEEE results at the edges and float32 accuracy: WGSL allows
// builtins errors of up to 2^-11 (SwiftShader's sin and cos use them) and leaves log of
// negatives unspecified.
fn dl_log(x: f32) -> f32 {
  if (dl_isnan(x) || x < 0.0) { return dl_nan(); }
  if (x == 0.0) { return -dl_inf(); }
  return log(x);
}
fn dl_sincos_reduced(r: f32) -> vec2f {
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
  return vec2f(s, c);
}
/** (sin x, cos x): x reduced by multiples of pi/2 in two parts (Cody-Waite), then polynomials. */
fn dl_sincos(x: f32) -> vec2f {
  if (dl_isnan(x) || dl_isinf(x)) { return vec2f(dl_nan(), dl_nan()); }
  let k = round(x * 0.63661977236);
  let r = (x - k * 1.5707963705062866) + k * 4.371139000186241e-8;
  let sc = dl_sincos_reduced(r);
  let q = i32(k) & 3;
  if (q == 0) { return sc; }
  if (q == 1) { return vec2f(sc.y, -sc.x); }
  if (q == 2) { return vec2f(-sc.x, -sc.y); }
  return vec2f(-sc.y, sc.x);
}
fn dl_sin(x: f32) -> f32 { return dl_sincos(x).x; }
fn dl_cos(x: f32) -> f32 { return dl_sincos(x).y; }
fn dl_tan(x: f32) -> f32 { let sc = dl_sincos(x); return sc.x / sc.y; }
fn dl_tanh(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
fn dl_sign(x: f32) -> f32 { if (dl_isnan(x)) { return 0.0; } return sign(x); }
fn dl_erf(x: f32) -> f32 {
  // Numerical Recipes' Chebyshev fit of erfc (fractional error below 1.2e-7), and the
  // Maclaurin series near 0 where relative accuracy matters.
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  let e = 1.0 - r;
  if (z < 0.5) {
    let x2 = x * x;
    return x * (1.1283791671 + x2 * (-0.3761263890 + x2 * (0.1128379167 + x2 * (-0.0268661706 +
      x2 * (0.0052239776 - x2 * 0.000854832)))));
  }
  return select(-e, e, x >= 0.0);
}
fn dl_bool(x: f32) -> f32 { return select(0.0, 1.0, dl_truthy(x)); }
`;

const unaryWgsl: Record<UnaryFn, (x: string) => string> = {
  neg: (x) => `(-${x})`,
  abs: (x) => `abs(${x})`,
  exp: (x) => `exp(${x})`,
  log: (x) => `dl_log(${x})`,
  log1p: (x) => `dl_log1p(${x})`,
  expm1: (x) => `dl_expm1(${x})`,
  sqrt: (x) => `sqrt(${x})`,
  sin: (x) => `dl_sin(${x})`,
  cos: (x) => `dl_cos(${x})`,
  tan: (x) => `dl_tan(${x})`,
  tanh: (x) => `dl_tanh(${x})`,
  erf: (x) => `dl_erf(${x})`,
  floor: (x) => `floor(${x})`,
  ceil: (x) => `ceil(${x})`,
  trunc: (x) => `trunc(${x})`,
  roundHalfEven: (x) => `round(${x})`, // WGSL's round is half to even
  sign: (x) => `dl_sign(${x})`,
  not: (x) => `select(0.0, 1.0, ${x} == 0.0)`,
  isnan: (x) => `select(0.0, 1.0, dl_isnan(${x}))`,
  isinf: (x) => `select(0.0, 1.0, dl_isinf(${x}))`,
};

const binaryWgsl: Record<BinaryFn, (a: string, b: string) => string> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  pow: (a, b) => `dl_pow(${a}, ${b})`,
  max: (a, b) => `dl_max(${a}, ${b})`,
  min: (a, b) => `dl_min(${a}, ${b})`,
  atan2: (a, b) => `atan2(${a}, ${b})`,
  mod: (a, b) => `dl_mod(${a}, ${b})`,
  eq: (a, b) => `select(0.0, 1.0, ${a} == ${b})`,
  ne: (a, b) => `select(0.0, 1.0, dl_ne(${a}, ${b}))`,
  lt: (a, b) => `select(0.0, 1.0, ${a} < ${b})`,
  le: (a, b) => `select(0.0, 1.0, ${a} <= ${b})`,
  gt: (a, b) => `select(0.0, 1.0, ${a} > ${b})`,
  ge: (a, b) => `select(0.0, 1.0, ${a} >= ${b})`,
  and: (a, b) => `select(0.0, 1.0, dl_truthy(${a}) && dl_truthy(${b}))`,
  or: (a, b) => `select(0.0, 1.0, dl_truthy(${a}) || dl_truthy(${b}))`,
  xor: (a, b) => `select(0.0, 1.0, dl_truthy(${a}) != dl_truthy(${b}))`,
};

function literal(value: number): string {
  if (Number.isNaN(value)) return 'dl_nan()';
  if (value === Infinity) return 'dl_inf()';
  if (value === -Infinity) return '(-dl_inf())';
  // An f32 literal; WGSL rejects literals it cannot represent, so go through bits.
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
  return `bitcast<f32>(${bits}u)`;
}

/** Nesting past this depth is cut into `let` statements (WGSL parsers limit recursion). */
const maxNesting = 32;

/**
 * Renders `expr` over f32 values a0, a1, ... and parameters p0, p1, ... as one WGSL
 * expression, after the `let` statements it pushes onto `lines` (named `prefix` + n) for
 * subexpressions nested deeper than maxNesting: a fused chain of hundreds of ops would
 * otherwise exceed the parser's recursion limit.
 */
export function renderWgsl(expr: Expr, lines: string[] = [], prefix = 'e'): string {
  const render = (e: Expr): { text: string; depth: number } => {
    const node = (text: string, children: { depth: number }[]) => {
      const depth = 1 + Math.max(0, ...children.map((c) => c.depth));
      if (depth < maxNesting) return { text, depth };
      const name = `${prefix}${lines.length}`;
      lines.push(`let ${name} = ${text};`);
      return { text: name, depth: 0 };
    };
    switch (e.kind) {
      case 'input':
        return { text: `a${e.index}`, depth: 0 };
      case 'param':
        return { text: `p${e.index}`, depth: 0 };
      case 'const':
        return { text: literal(e.value), depth: 0 };
      case 'unary': {
        const x = render(e.x);
        return node(unaryWgsl[e.fn](x.text), [x]);
      }
      case 'binary': {
        const [a, b] = [render(e.a), render(e.b)];
        return node(binaryWgsl[e.fn](a.text, b.text), [a, b]);
      }
      case 'select': {
        const [c, a, b] = [render(e.cond), render(e.a), render(e.b)];
        return node(`select(${b.text}, ${a.text}, dl_truthy(${c.text}))`, [c, a, b]);
      }
      case 'cast': {
        const x = render(e.x);
        if (e.to === 'int32') return node(`trunc(${x.text})`, [x]);
        if (e.to === 'bool') return node(`dl_bool(${x.text})`, [x]);
        return x;
      }
      default:
        return e satisfies never;
    }
  };
  return render(expr).text;
}

/** Largest param and input index used, so the kernel declares what it needs. */
export function exprArity(expr: Expr): { inputs: number; params: number } {
  switch (expr.kind) {
    case 'input':
      return { inputs: expr.index + 1, params: 0 };
    case 'param':
      return { inputs: 0, params: expr.index + 1 };
    case 'const':
      return { inputs: 0, params: 0 };
    case 'unary':
    case 'cast':
      return exprArity(expr.x);
    case 'binary': {
      const [a, b] = [exprArity(expr.a), exprArity(expr.b)];
      return { inputs: Math.max(a.inputs, b.inputs), params: Math.max(a.params, b.params) };
    }
    case 'select': {
      const parts = [exprArity(expr.cond), exprArity(expr.a), exprArity(expr.b)];
      return {
        inputs: Math.max(...parts.map((p) => p.inputs)),
        params: Math.max(...parts.map((p) => p.params)),
      };
    }
    default:
      return expr satisfies never;
  }
}

export const workgroupSize = 256;

/** Workgroup counts covering `count` invocations of `workgroupSize`, folded past 65,535. */
export function grid(count: number, maxPerDimension: number): [number, number] {
  const groups = Math.ceil(count / workgroupSize);
  if (groups <= maxPerDimension) return [groups, 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y];
}

/** The flat invocation index for a grid folded by `grid`. */
export const flatIndexWgsl = 'gid.x + gid.y * nwg.x * 256u';

/** A 3-d grid of at least `count` workgroups within the per-dimension limit `max`. */
export function spreadGrid(count: number, max: number, op: string): [number, number, number] {
  const x = Math.min(count, max);
  const rest = Math.ceil(count / Math.max(x, 1));
  const y = Math.min(rest, max);
  const z = Math.ceil(rest / y);
  if (z > max) throw new RangeError(`${op}: ${count} tiles exceed the device's grid`);
  return [x, y, z];
}
