#!/usr/bin/env python3
"""Prints the PyTorch-derived constants of the elementwise conformance cases (a TypeScript module).

    /usr/bin/python3 packages/tensor/scripts/reference/elementwise.py > packages/tensor/src/testing/cases/reference/elementwise.ts
    npx biome format --write packages/tensor/src/testing/cases/reference/elementwise.ts

Every input is rounded to float32 first and the op is then evaluated in float64, so the
expected values are the exact results for the float32 inputs dl receives (rounded to 9
significant digits), free of PyTorch's own float32 rounding. Gradients are those of
(y * weights(n)).sum() for the output y, with weights() mirrored in the generated module, at
points that include PyTorch's conventions for kinks (relu at 0, clamp at its bounds, ties of
maximum). Each unary op also lists smooth inputs, away from kinks, for finite differences.
"""

import torch
import torch.nn.functional as F


def weights(n):
    return [((i * 7) % 11 - 5) / 4 for i in range(n)]


def f32(values):
    """float32 inputs, as float64 tensors (exactly what a float32 dl tensor holds)."""
    return torch.tensor(values, dtype=torch.float32).double()


def number(v):
    v = float(v)
    if v != v:
        return 'NaN'
    if v in (float('inf'), float('-inf')):
        return 'Infinity' if v > 0 else '-Infinity'
    text = '%.9g' % v
    return '0' if text == '-0' else text


def full(values):
    """float64 values to the last digit (repr is the shortest exact form)."""
    return '[' + ', '.join(repr(float(v)) for v in values) + ']'


def numbers(values):
    return '[' + ', '.join(number(v) for v in values) + ']'


def shape_of(t):
    return '[' + ', '.join(str(d) for d in t.shape) + ']'


def flat(t):
    t = t.detach()
    if t.dtype == torch.bool:
        t = t.int()
    return t.reshape(-1).tolist()


def dtype_name(t):
    return {torch.float32: 'float32', torch.float64: 'float32', torch.int32: 'int32', torch.int64: 'int32', torch.bool: 'bool'}[t.dtype]


# ---- unary ops ------------------------------------------------------------------------------

# Domains: each 12 values, read as shape [3, 4]. Forward values and PyTorch gradients are
# checked on `values` (which include kinks); finite differences on `smooth` (which avoid them).
DOMAINS = {
    'general': dict(
        values=[-3.5, -2.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.5, 3.0, 4.0],
        smooth=[-3.3, -2.2, -1.3, -0.7, -0.2, 0.15, 0.35, 0.8, 1.3, 1.7, 2.2, 3.1],
    ),
    'wide': dict(
        values=[-20.0, -8.0, -3.5, -1.0, -0.5, -0.01, 0.0, 0.3, 1.0, 2.5, 6.0, 20.0],
        smooth=[-6.0, -3.5, -2.2, -1.3, -0.7, -0.2, 0.15, 0.35, 0.8, 1.7, 2.6, 4.5],
    ),
    'positive': dict(
        values=[1e-4, 0.01, 0.1, 0.25, 0.5, 0.9, 1.0, 1.5, 2.0, 3.0, 10.0, 100.0],
        smooth=[0.05, 0.2, 0.35, 0.6, 0.8, 1.1, 1.4, 1.9, 2.5, 3.3, 5.0, 8.0],
    ),
    'nonzero': dict(
        values=[-4.0, -2.0, -1.0, -0.5, -0.1, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 8.0],
        smooth=[-3.3, -2.2, -1.3, -0.7, -0.3, 0.2, 0.35, 0.8, 1.3, 1.7, 2.2, 3.1],
    ),
    # log1p and expm1 are there for their accuracy near 0: the tiny inputs catch log(1 + x).
    'log1p': dict(
        values=[-0.9, -0.5, -0.1, -1e-4, -1e-7, 0.0, 1e-7, 1e-4, 0.01, 0.5, 2.0, 10.0],
        smooth=[-0.8, -0.5, -0.3, -0.1, -0.01, 0.02, 0.1, 0.4, 0.9, 1.5, 3.0, 6.0],
    ),
    'expm1': dict(
        values=[-5.0, -1.0, -0.1, -1e-4, -1e-7, 0.0, 1e-7, 1e-4, 0.1, 0.5, 1.0, 3.0],
        smooth=[-3.3, -2.2, -1.3, -0.7, -0.2, -0.01, 0.02, 0.35, 0.8, 1.3, 1.7, 2.2],
    ),
    'tan': dict(
        values=[-1.4, -1.2, -0.9, -0.6, -0.3, -0.1, 0.0, 0.2, 0.5, 0.8, 1.1, 1.3],
        smooth=[-1.3, -1.1, -0.8, -0.5, -0.3, -0.1, 0.05, 0.2, 0.45, 0.7, 0.95, 1.2],
    ),
    # Exact halves for round (half to even), both signs, and values just off them.
    'halves': dict(
        values=[-2.5, -1.5, -0.5, -0.49, 0.0, 0.5, 0.51, 1.5, 2.5, 3.5, -3.7, 2.2],
        smooth=[-3.3, -2.2, -1.3, -0.7, -0.2, 0.15, 0.35, 0.8, 1.3, 1.7, 2.2, 3.1],
    ),
    # hardtanh's bounds are left out: PyTorch's gradient there (0) differs from clamp's (1),
    # and dl's hardtanh is clamp until Tensor.hardtanh calls its own op.
    'hardtanh': dict(
        values=[-3.5, -2.5, -1.5, -0.5, 0.0, 0.25, 0.5, 0.99, 1.5, 2.5, 3.0, -0.999],
        smooth=[-3.3, -2.2, -1.3, -0.7, -0.2, 0.15, 0.35, 0.8, 1.3, 1.7, 2.2, 3.1],
    ),
}

# name: (domain, PyTorch function). The names are the keys the cases use.
UNARY = {
    'neg': ('general', torch.neg),
    'abs': ('general', torch.abs),
    'exp': ('wide', torch.exp),
    'log': ('positive', torch.log),
    'log1p': ('log1p', torch.log1p),
    'expm1': ('expm1', torch.expm1),
    'sqrt': ('positive', torch.sqrt),
    'rsqrt': ('positive', torch.rsqrt),
    'sin': ('general', torch.sin),
    'cos': ('general', torch.cos),
    'tan': ('tan', torch.tan),
    'tanh': ('wide', torch.tanh),
    'sigmoid': ('wide', torch.sigmoid),
    'relu': ('general', torch.relu),
    'gelu': ('wide', F.gelu),
    "gelu approximate 'tanh'": ('wide', lambda x: F.gelu(x, approximate='tanh')),
    'silu': ('wide', F.silu),
    'softplus': ('wide', F.softplus),
    'softplus beta 2 threshold 1': ('general', lambda x: F.softplus(x, beta=2, threshold=1)),
    'leakyRelu': ('general', F.leaky_relu),
    'leakyRelu 0.2': ('general', lambda x: F.leaky_relu(x, 0.2)),
    'elu': ('general', F.elu),
    'elu alpha 0.5': ('general', lambda x: F.elu(x, 0.5)),
    'mish': ('wide', F.mish),
    'hardtanh': ('hardtanh', F.hardtanh),
    'hardtanh -2 2': ('hardtanh', lambda x: F.hardtanh(x, -2.0, 2.0)),
    'erf': ('wide', torch.erf),
    'sign': ('general', torch.sign),
    'floor': ('halves', torch.floor),
    'ceil': ('halves', torch.ceil),
    'round': ('halves', torch.round),
    'trunc': ('halves', torch.trunc),
    'reciprocal': ('nonzero', torch.reciprocal),
    'square': ('general', torch.square),
    'pow 2': ('general', lambda x: x.pow(2)),
    'pow 3': ('general', lambda x: x.pow(3)),
    'pow 0': ('general', lambda x: x.pow(0)),
    'pow -2': ('nonzero', lambda x: x.pow(-2)),
    'pow 0.5': ('positive', lambda x: x.pow(0.5)),
    'pow 1.5': ('positive', lambda x: x.pow(1.5)),
    'clamp min 0.5': ('general', lambda x: x.clamp(min=0.5)),
    'clamp max -0.5': ('general', lambda x: x.clamp(max=-0.5)),
    'clamp -1 2.5': ('general', lambda x: x.clamp(-1.0, 2.5)),
}

# float64 accuracy: name (a key of UNARY): inputs. Evaluated on the float64 inputs themselves.
FLOAT64_GENERAL = [-5.3, -2.7, -1.3, -0.45, -0.013, 0.05, 0.3, 0.9, 1.6, 2.4, 3.3, 5.1]
FLOAT64_POSITIVE = [1e-6, 0.013, 0.05, 0.3, 0.9, 1.0, 1.6, 2.4, 3.3, 5.1, 17.0, 1e6]
FLOAT64 = {
    'exp': FLOAT64_GENERAL,
    'expm1': FLOAT64_GENERAL,
    'log': FLOAT64_POSITIVE,
    'log1p': FLOAT64_POSITIVE,
    'sqrt': FLOAT64_POSITIVE,
    'rsqrt': FLOAT64_POSITIVE,
    'sin': FLOAT64_GENERAL,
    'cos': FLOAT64_GENERAL,
    'tanh': FLOAT64_GENERAL,
    'sigmoid': FLOAT64_GENERAL,
    'erf': FLOAT64_GENERAL,
    'gelu': FLOAT64_GENERAL,
    "gelu approximate 'tanh'": FLOAT64_GENERAL,
    'silu': FLOAT64_GENERAL,
    'softplus': FLOAT64_GENERAL,
    'mish': FLOAT64_GENERAL,
    'elu': FLOAT64_GENERAL,
    'pow 1.5': FLOAT64_POSITIVE,
}

# ---- binary ops -----------------------------------------------------------------------------

A = [[-2.5, -1.0, 0.0, 0.5], [1.0, 2.0, 3.5, -0.75], [4.0, -3.0, 1.5, 2.0]]
# Ties with A at [0][1], [0][3], [1][1] and [2][3] (maximum/minimum split their gradient).
B = [[1.5, -1.0, 2.0, 0.5], [-2.0, 2.0, 0.25, -0.5], [3.0, 1.5, -1.5, 2.0]]
POSITIVE_BASE = [[0.5, 1.0, 2.0, 0.25], [3.0, 1.5, 0.75, 4.0], [1.25, 2.5, 0.1, 1.0]]
INTEGER_EXPONENT = [[2.0, 3.0, -1.0, 0.0], [1.0, -2.0, 2.0, 3.0], [0.0, 2.0, 3.0, -1.0]]

# Smooth inputs for finite differences: no ties, b away from 0, a / b away from integers.
SMOOTH_A = [[-2.3, -1.1, 0.3, 0.7], [1.2, 2.1, 3.3, -0.6], [3.7, -2.6, 1.4, 2.2]]
SMOOTH_B = [[1.3, -0.9, 2.2, 0.45], [-1.8, 1.7, 0.35, -0.55], [2.8, 1.6, -1.3, 1.9]]
SMOOTH_BASE = [[2.3, 1.1, 0.3, 0.7], [1.2, 2.1, 3.3, 0.6], [3.7, 2.6, 1.4, 2.2]]

# name: (a, b, function, whether b is differentiable, smooth a, smooth b). All [3, 4].
BINARY = {
    'add': (A, B, lambda a, b: a + b, True, SMOOTH_A, SMOOTH_B),
    'add alpha 2': (A, B, lambda a, b: torch.add(a, b, alpha=2), True, SMOOTH_A, SMOOTH_B),
    'sub': (A, B, lambda a, b: a - b, True, SMOOTH_A, SMOOTH_B),
    'sub alpha -0.5': (A, B, lambda a, b: torch.sub(a, b, alpha=-0.5), True, SMOOTH_A, SMOOTH_B),
    'mul': (A, B, lambda a, b: a * b, True, SMOOTH_A, SMOOTH_B),
    'div': (A, B, lambda a, b: a / b, True, SMOOTH_A, SMOOTH_B),
    "div roundingMode 'trunc'": (A, B, lambda a, b: torch.div(a, b, rounding_mode='trunc'), True, SMOOTH_A, SMOOTH_B),
    "div roundingMode 'floor'": (A, B, lambda a, b: torch.div(a, b, rounding_mode='floor'), True, SMOOTH_A, SMOOTH_B),
    'remainder': (A, B, torch.remainder, True, SMOOTH_A, SMOOTH_B),
    'pow': (POSITIVE_BASE, B, torch.pow, True, SMOOTH_BASE, SMOOTH_B),
    # d/db a^b = a^b log a is NaN for a negative base, so only a is differentiated.
    'pow of negative bases to integer exponents': (A, INTEGER_EXPONENT, torch.pow, False, SMOOTH_A, INTEGER_EXPONENT),
    'maximum': (A, B, torch.maximum, True, SMOOTH_A, SMOOTH_B),
    'minimum': (A, B, torch.minimum, True, SMOOTH_A, SMOOTH_B),
    'atan2': (A, B, torch.atan2, True, SMOOTH_A, SMOOTH_B),
}

# name: (scalar, function of (a, scalar)); a is A.
SCALAR = {
    'add 2.5': (2.5, lambda a, s: a + s),
    'add -3 alpha 0.5': (-3.0, lambda a, s: torch.add(a, s, alpha=0.5)),
    'sub 0.75': (0.75, lambda a, s: a - s),
    'sub 2 alpha -1.5': (2.0, lambda a, s: torch.sub(a, s, alpha=-1.5)),
    'mul -3': (-3.0, lambda a, s: a * s),
    'div 4': (4.0, lambda a, s: a / s),
    'div -0.3': (-0.3, lambda a, s: a / s),
    "div -1.5 roundingMode 'trunc'": (-1.5, lambda a, s: torch.div(a, s, rounding_mode='trunc')),
    "div -1.5 roundingMode 'floor'": (-1.5, lambda a, s: torch.div(a, s, rounding_mode='floor')),
    "div 2 roundingMode 'floor'": (2.0, lambda a, s: torch.div(a, s, rounding_mode='floor')),
    'remainder 1.5': (1.5, torch.remainder),
    'remainder -1.5': (-1.5, torch.remainder),
}

# Integer tensors: name: (a, b or scalar, function). int32 in, dtype as PyTorch gives it.
INT_A = [-7, -6, -1, 0, 5, 7, 9, -9]
INT_B = [2, -4, 3, -3, -2, 3, 4, 4]
INTEGER = {
    'int32 div int32 (true division gives float32)': (INT_A, INT_B, lambda a, b: a / b),
    "int32 div int32 roundingMode 'trunc'": (INT_A, INT_B, lambda a, b: torch.div(a, b, rounding_mode='trunc')),
    "int32 div int32 roundingMode 'floor'": (INT_A, INT_B, lambda a, b: torch.div(a, b, rounding_mode='floor')),
    'int32 remainder int32': (INT_A, INT_B, torch.remainder),
    "int32 div -4 roundingMode 'floor'": (INT_A, -4, lambda a, s: torch.div(a, s, rounding_mode='floor')),
    "int32 div 3 roundingMode 'trunc'": (INT_A, 3, lambda a, s: torch.div(a, s, rounding_mode='trunc')),
    'int32 remainder -3': (INT_A, -3, torch.remainder),
    'int32 mul 2.5 (float scalar gives float32)': (INT_A, 2.5, lambda a, s: a * s),
    'int32 add 3 (int scalar stays int32)': (INT_A, 3, lambda a, s: a + s),
    'int32 maximum int32': (INT_A, INT_B, torch.maximum),
}


def main():
    out = []
    emit = out.append
    emit('// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: computed values, not spelled constants')
    emit(f'// Generated by packages/tensor/scripts/reference/elementwise.py with PyTorch {torch.__version__}; do not edit.')
    emit('// Expected values and gradients of the elementwise conformance cases; see the script for how.')
    emit('')
    emit('export interface UnaryReference {')
    emit('  readonly shape: readonly number[];')
    emit('  readonly input: readonly number[];')
    emit('  readonly output: readonly number[];')
    emit('  /** The gradient of (output * weights(n)).sum() with respect to the input. */')
    emit('  readonly grad: readonly number[];')
    emit('  /** Inputs away from kinks, for finite differences. */')
    emit('  readonly smooth: readonly number[];')
    emit('}')
    emit('')
    emit('export interface BinaryReference {')
    emit('  readonly shape: readonly number[];')
    emit('  readonly a: readonly number[];')
    emit('  readonly b: readonly number[];')
    emit('  readonly output: readonly number[];')
    emit('  readonly gradA: readonly number[];')
    emit('  /** null where the op is not differentiated with respect to b. */')
    emit('  readonly gradB: readonly number[] | null;')
    emit('  /** Inputs away from ties and jumps, for finite differences (b is not differentiated where gradB is null). */')
    emit('  readonly smoothA: readonly number[];')
    emit('  readonly smoothB: readonly number[];')
    emit('}')
    emit('')
    emit('export interface ScalarReference {')
    emit('  readonly shape: readonly number[];')
    emit('  readonly a: readonly number[];')
    emit('  readonly scalar: number;')
    emit('  readonly output: readonly number[];')
    emit('  readonly gradA: readonly number[];')
    emit('  readonly smoothA: readonly number[];')
    emit('}')
    emit('')
    emit('export interface IntegerReference {')
    emit('  readonly a: readonly number[];')
    emit('  /** An int32 tensor of a\'s shape, or a scalar. */')
    emit('  readonly b: readonly number[] | number;')
    emit("  readonly dtype: 'float32' | 'int32' | 'bool';")
    emit('  readonly output: readonly number[];')
    emit('}')
    emit('')
    emit('/** The weights of the outputs whose gradients are recorded: ((i * 7) % 11 - 5) / 4. */')
    emit('export function weights(n: number): number[] {')
    emit('  return Array.from({ length: n }, (_, i) => (((i * 7) % 11) - 5) / 4);')
    emit('}')

    emit('')
    emit('export type UnaryName =')
    for name in UNARY:
        emit(f'  | "{name}"')
    emit(';')
    emit('')
    emit('export const unaryReference: Readonly<Record<UnaryName, UnaryReference>> = {')
    for name, (domain, fn) in UNARY.items():
        d = DOMAINS[domain]
        x = f32(d['values']).reshape(3, 4).requires_grad_(True)
        y = fn(x)
        (y * torch.tensor(weights(y.numel()), dtype=torch.float64).reshape(y.shape)).sum().backward()
        emit(f'  "{name}": {{')
        emit(f'    shape: {shape_of(x)},')
        emit(f'    input: {numbers(d["values"])},')
        emit(f'    output: {numbers(flat(y))},')
        emit(f'    grad: {numbers(flat(x.grad))},')
        emit(f'    smooth: {numbers(d["smooth"])},')
        emit('  },')
    emit('};')

    emit('')
    emit('/** float64 inputs and outputs, to full precision, for ops of the unary table. */')
    emit('export const float64Reference: Readonly<Partial<Record<UnaryName, { readonly input: readonly number[]; readonly output: readonly number[] }>>> = {')
    for name, values in FLOAT64.items():
        x = torch.tensor(values, dtype=torch.float64)
        y = UNARY[name][1](x)
        emit(f'  "{name}": {{ input: {full(values)}, output: {full(flat(y))} }},')
    emit('};')

    emit('')
    emit('export type BinaryName =')
    for name in BINARY:
        emit(f'  | "{name}"')
    emit(';')
    emit('')
    emit('export const binaryReference: Readonly<Record<BinaryName, BinaryReference>> = {')
    for name, (a_values, b_values, fn, b_grad, smooth_a, smooth_b) in BINARY.items():
        a = f32(a_values).requires_grad_(True)
        b = f32(b_values).requires_grad_(b_grad)
        y = fn(a, b)
        (y * torch.tensor(weights(y.numel()), dtype=torch.float64).reshape(y.shape)).sum().backward()
        emit(f'  "{name}": {{')
        emit(f'    shape: {shape_of(a)},')
        emit(f'    a: {numbers(sum(a_values, []))},')
        emit(f'    b: {numbers(sum(b_values, []))},')
        emit(f'    output: {numbers(flat(y))},')
        emit(f'    gradA: {numbers(flat(a.grad))},')
        emit(f'    gradB: {numbers(flat(b.grad)) if b_grad else "null"},')
        emit(f'    smoothA: {numbers(sum(smooth_a, []))},')
        emit(f'    smoothB: {numbers(sum(smooth_b, []))},')
        emit('  },')
    emit('};')

    emit('')
    emit('export type ScalarName =')
    for name in SCALAR:
        emit(f'  | "{name}"')
    emit(';')
    emit('')
    emit('export const scalarReference: Readonly<Record<ScalarName, ScalarReference>> = {')
    for name, (scalar, fn) in SCALAR.items():
        a = f32(A).requires_grad_(True)
        # PyTorch computes a float32 tensor with a Python scalar in float32: the scalar is
        # rounded to float32 first, as dl does.
        s = float(torch.tensor(scalar, dtype=torch.float32))
        y = fn(a, s)
        (y * torch.tensor(weights(y.numel()), dtype=torch.float64).reshape(y.shape)).sum().backward()
        emit(f'  "{name}": {{')
        emit(f'    shape: {shape_of(a)},')
        emit(f'    a: {numbers(sum(A, []))},')
        emit(f'    scalar: {number(scalar)},')
        emit(f'    output: {numbers(flat(y))},')
        emit(f'    gradA: {numbers(flat(a.grad))},')
        emit(f'    smoothA: {numbers(sum(SMOOTH_A, []))},')
        emit('  },')
    emit('};')

    emit('')
    emit('export type IntegerName =')
    for name in INTEGER:
        emit(f'  | "{name}"')
    emit(';')
    emit('')
    emit('export const integerReference: Readonly<Record<IntegerName, IntegerReference>> = {')
    for name, (a_values, b_values, fn) in INTEGER.items():
        a = torch.tensor(a_values, dtype=torch.int32)
        b = torch.tensor(b_values, dtype=torch.int32) if isinstance(b_values, list) else b_values
        y = fn(a, b)
        emit(f'  "{name}": {{')
        emit(f'    a: {numbers(a_values)},')
        emit(f'    b: {numbers(b_values) if isinstance(b_values, list) else number(b_values)},')
        emit(f"    dtype: '{dtype_name(y)}',")
        emit(f'    output: {numbers(flat(y))},')
        emit('  },')
    emit('};')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
