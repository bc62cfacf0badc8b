// WGSL building blocks shared by the kernels: element types, the expression renderer for
// elementwise ops, and scalar helpers with PyTorch's semantics where WGSL's differ (NaN
// propagation in max/min, pow of negative bases, log1p/expm1 accuracy, erf, integer
// division and powers, float to int conversion).

import {
  type BinaryFn,
  binaryRule,
  type DType,
  type Expr,
  isTest,
  type NumberKind,
  type Typed,
  type UnaryFn,
  variant,
} from '@dl/tensor';

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

/** The WGSL type of a computed value of `kind`. */
export function valueType(kind: NumberKind): 'f32' | 'i32' {
  return kind === 'int' ? 'i32' : 'f32';
}

/** The kind a kernel computes on a dtype's values in: i32 for int32 and bool, else f32. */
export function kindOfStorage(dtype: DType): NumberKind {
  return storageType(dtype) === 'f32' ? 'float' : 'int';
}

/** An element of `dtype` loaded from storage, as a value of its kind (bool's u32 as i32). */
export function loadAs(dtype: DType, element: string): string {
  return storageType(dtype) === 'u32' ? `i32(${element})` : element;
}

/** Converts a computed value of `kind` (default f32) into the storage type of `dtype`. */
export function storeAs(dtype: DType, value: string, kind: NumberKind = 'float'): string {
  switch (storageType(dtype)) {
    case 'f32':
      return kind === 'float' ? value : `f32(${value})`;
    case 'i32':
      return kind === 'int' ? value : `dl_f2i(${value})`;
    case 'u32':
      return `select(0u, 1u, ${kind === 'int' ? `${value} != 0i` : `dl_truthy(${value})`})`;
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
  // Small whole exponents by repeated squaring, exact wherever the result is (5^2 is 25;
  // exp2(2 * log2(5)) is 24.999998), as C's pow is.
  if (floor(b) == b && abs(b) <= 64.0) {
    var result = 1.0;
    var base = a;
    var e = u32(abs(b));
    loop {
      if ((e & 1u) == 1u) { result = result * base; }
      e = e >> 1u;
      if (e == 0u) { break; }
      base = base * base;
    }
    return select(result, 1.0 / result, b < 0.0);
  }
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
// Float to int32, truncating toward zero; NaN, infinities and values outside int32's range
// give -2^31, PyTorch's result on x86 (WGSL's i32() would clamp), as the CPU backend does.
fn dl_f2i(x: f32) -> i32 {
  if (!dl_isnan(x) && x >= -2147483648.0 && x < 2147483648.0) { return i32(x); }
  return i32(-2147483648);
}
// Integer arithmetic wraps as two's complement (WGSL's i32 does at run time). Dividing by
// zero gives 0, the CPU backend's result (PyTorch raises, which a kernel cannot); -2^31 / -1
// wraps to -2^31 and its remainder is 0, without the overflow the division would be.
fn dl_idiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  if (b == -1) { return -a; }
  return a / b;
}
fn dl_ifloordiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  if (b == -1) { return -a; }
  let q = a / b;
  return select(q, q - 1, a % b != 0 && ((a < 0) != (b < 0)));
}
fn dl_imod(a: i32, b: i32) -> i32 {
  if (b == 0 || b == -1) { return 0; }
  let r = a % b;
  return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}
// PyTorch's integer pow: repeated squaring; a negative exponent gives 1 / a^-b truncated.
fn dl_ipow(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var result = 1;
  var base = a;
  for (var e = b; e != 0; e = e >> 1u) {
    if ((e & 1) != 0) { result = result * base; }
    base = base * base;
  }
  return result;
}
`;

type Render1 = (x: string) => string;
type Render2 = (a: string, b: string) => string;

/**
 * Each unary fn on f32 values and, where it computes on integers, on i32 values. Tests
 * (not, isnan, isinf) give a WGSL bool, by their operand's kind.
 */
const unaryWgsl: Record<UnaryFn, { float: Render1; int?: Render1 }> = {
  neg: { float: (x) => `(-${x})`, int: (x) => `(-${x})` },
  abs: { float: (x) => `abs(${x})`, int: (x) => `abs(${x})` },
  exp: { float: (x) => `exp(${x})` },
  log: { float: (x) => `dl_log(${x})` },
  log1p: { float: (x) => `dl_log1p(${x})` },
  expm1: { float: (x) => `dl_expm1(${x})` },
  sqrt: { float: (x) => `sqrt(${x})` },
  sin: { float: (x) => `dl_sin(${x})` },
  cos: { float: (x) => `dl_cos(${x})` },
  tan: { float: (x) => `dl_tan(${x})` },
  tanh: { float: (x) => `dl_tanh(${x})` },
  erf: { float: (x) => `dl_erf(${x})` },
  // Integers are their own floor, ceiling, truncation and rounding.
  floor: { float: (x) => `floor(${x})`, int: (x) => x },
  ceil: { float: (x) => `ceil(${x})`, int: (x) => x },
  trunc: { float: (x) => `trunc(${x})`, int: (x) => x },
  roundHalfEven: { float: (x) => `round(${x})`, int: (x) => x }, // WGSL's round is half to even
  sign: { float: (x) => `dl_sign(${x})`, int: (x) => `sign(${x})` },
  not: { float: (x) => `(${x} == 0.0)`, int: (x) => `(${x} == 0i)` },
  isnan: { float: (x) => `dl_isnan(${x})`, int: () => 'false' },
  isinf: { float: (x) => `dl_isinf(${x})`, int: () => 'false' },
};

/**
 * Each binary fn on f32 values and, where it computes on integers, on i32 values.
 * Comparisons give a WGSL bool, by their operands' kind; logical ops take WGSL bools.
 */
const binaryWgsl: Record<BinaryFn, { float: Render2; int?: Render2 }> = {
  add: { float: (a, b) => `(${a} + ${b})`, int: (a, b) => `(${a} + ${b})` },
  sub: { float: (a, b) => `(${a} - ${b})`, int: (a, b) => `(${a} - ${b})` },
  mul: { float: (a, b) => `(${a} * ${b})`, int: (a, b) => `(${a} * ${b})` },
  div: { float: (a, b) => `(${a} / ${b})` },
  pow: { float: (a, b) => `dl_pow(${a}, ${b})`, int: (a, b) => `dl_ipow(${a}, ${b})` },
  max: { float: (a, b) => `dl_max(${a}, ${b})`, int: (a, b) => `max(${a}, ${b})` },
  min: { float: (a, b) => `dl_min(${a}, ${b})`, int: (a, b) => `min(${a}, ${b})` },
  atan2: { float: (a, b) => `atan2(${a}, ${b})` },
  mod: { float: (a, b) => `dl_mod(${a}, ${b})`, int: (a, b) => `dl_imod(${a}, ${b})` },
  divTrunc: { float: (a, b) => `trunc((${a} / ${b}))`, int: (a, b) => `dl_idiv(${a}, ${b})` },
  divFloor: {
    float: (a, b) => `floor((${a} / ${b}))`,
    int: (a, b) => `dl_ifloordiv(${a}, ${b})`,
  },
  eq: { float: (a, b) => `(${a} == ${b})`, int: (a, b) => `(${a} == ${b})` },
  ne: { float: (a, b) => `dl_ne(${a}, ${b})`, int: (a, b) => `(${a} != ${b})` },
  lt: { float: (a, b) => `(${a} < ${b})`, int: (a, b) => `(${a} < ${b})` },
  le: { float: (a, b) => `(${a} <= ${b})`, int: (a, b) => `(${a} <= ${b})` },
  gt: { float: (a, b) => `(${a} > ${b})`, int: (a, b) => `(${a} > ${b})` },
  ge: { float: (a, b) => `(${a} >= ${b})`, int: (a, b) => `(${a} >= ${b})` },
  and: { float: (a, b) => `(${a} && ${b})` },
  or: { float: (a, b) => `(${a} || ${b})` },
  xor: { float: (a, b) => `(${a} != ${b})` },
};

function literal(value: number, kind: NumberKind): string {
  // The type pass makes integer constants int32 values; -2^31 has no i32 literal.
  if (kind === 'int') return value < 0 ? `i32(${value})` : `${value}i`;
  if (Number.isNaN(value)) return 'dl_nan()';
  if (value === Infinity) return 'dl_inf()';
  if (value === -Infinity) return '(-dl_inf())';
  // An f32 literal; WGSL rejects literals it cannot represent, so go through bits.
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
  return `bitcast<f32>(${bits}u)`;
}

/** Nesting past this depth is cut into `let` statements (WGSL parsers limit recursion). */
const maxNesting = 32;

interface Rendered {
  text: string;
  depth: number;
}

/**
 * Renders typed `expr` (see @dl/tensor's typeExprs) over values a0, a1, ... (f32, or i32 for
 * int32 and bool inputs) and parameters p0, p1, ... as one WGSL expression of its kind's
 * type, or, with `asBool`, as a WGSL bool (its truth). The `let` statements it pushes onto
 * `lines` (named `prefix` + n) hold subexpressions nested deeper than maxNesting: a fused
 * chain of hundreds of ops would otherwise exceed the parser's recursion limit.
 */
export function renderWgsl(
  expr: Typed,
  lines: string[] = [],
  prefix = 'e',
  asBool = false,
): string {
  const node = (text: string, children: readonly Rendered[]): Rendered => {
    const depth = 1 + Math.max(0, ...children.map((c) => c.depth));
    if (depth < maxNesting) return { text, depth };
    const name = `${prefix}${lines.length}`;
    lines.push(`let ${name} = ${text};`);
    return { text: name, depth: 0 };
  };
  /** The WGSL bool a 0/1 test computes (see isTest). */
  const test = (e: Typed): Rendered => {
    switch (e.kind) {
      case 'unary': {
        const x = value(e.x);
        return node(variant(unaryWgsl[e.fn], e.x.type, e.fn)(x.text), [x]);
      }
      case 'binary': {
        if (binaryRule[e.fn] === 'logical') {
          const [a, b] = [truth(e.a), truth(e.b)];
          return node(binaryWgsl[e.fn].float(a.text, b.text), [a, b]);
        }
        const [a, b] = [value(e.a), value(e.b)];
        return node(variant(binaryWgsl[e.fn], e.a.type, e.fn)(a.text, b.text), [a, b]);
      }
      case 'cast':
        return truth(e.x);
      default:
        throw new Error(`a ${e.kind} node is not a test`);
    }
  };
  /** The WGSL bool of any value: nonzero, or NaN (which is true, as in PyTorch). */
  const truth = (e: Typed): Rendered => {
    if (isTest(e)) return test(e);
    const x = value(e);
    return node(e.type === 'int' ? `(${x.text} != 0i)` : `dl_truthy(${x.text})`, [x]);
  };
  /** `x` converted to kind `to`: i32 to f32 exactly rounded, f32 to i32 as a cast does. */
  const convert = (x: Typed, to: NumberKind): Rendered => {
    if (x.type === to) return value(x);
    if (to === 'float' && isTest(x)) {
      const t = test(x);
      return node(`select(0.0, 1.0, ${t.text})`, [t]);
    }
    const v = value(x);
    return node(to === 'float' ? `f32(${v.text})` : `dl_f2i(${v.text})`, [v]);
  };
  const value = (e: Typed): Rendered => {
    if (isTest(e)) {
      const t = test(e);
      return node(`select(0i, 1i, ${t.text})`, [t]);
    }
    switch (e.kind) {
      case 'input':
        return { text: `a${e.index}`, depth: 0 };
      case 'param':
        return { text: `p${e.index}`, depth: 0 };
      case 'const':
        return { text: literal(e.value, e.type), depth: 0 };
      case 'unary': {
        const x = value(e.x);
        return node(variant(unaryWgsl[e.fn], e.type, e.fn)(x.text), [x]);
      }
      case 'binary': {
        const [a, b] = [value(e.a), value(e.b)];
        return node(variant(binaryWgsl[e.fn], e.type, e.fn)(a.text, b.text), [a, b]);
      }
      case 'select': {
        const [c, a, b] = [truth(e.cond), value(e.a), value(e.b)];
        return node(`select(${b.text}, ${a.text}, ${c.text})`, [c, a, b]);
      }
      case 'cast':
        // To bool is a test (above); float32 and float64 (refused earlier) are f32 here.
        return convert(e.x, e.to === 'int32' ? 'int' : 'float');
      case 'convert':
        return convert(e.x, e.type);
      default:
        return e satisfies never;
    }
  };
  return (asBool ? truth(expr) : value(expr)).text;
}

/** Typed `expr` rendered as the value stored into an array of `dtype` (see renderWgsl). */
export function renderStored(expr: Typed, dtype: DType, lines: string[], prefix: string): string {
  if (storageType(dtype) === 'u32')
    return `select(0u, 1u, ${renderWgsl(expr, lines, prefix, true)})`;
  return storeAs(dtype, renderWgsl(expr, lines, prefix), expr.type);
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
