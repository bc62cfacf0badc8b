#!/usr/bin/env python3
"""Prints the PyTorch-derived constants of the clamp conformance cases (a TypeScript module).

    /usr/bin/python3 packages/tensor/scripts/reference/clamp.py > packages/tensor/src/testing/cases/reference/clamp.ts
    npx biome format --write packages/tensor/src/testing/cases/reference/clamp.ts

clamp with tensor bounds: values and the gradients of (y * weights(n)).sum() (weights() as in
elementwise.py) with respect to x and to each tensor bound, at points that hold PyTorch 1.13's
choices: ties at both bounds, min > max, min = max with x outside, and NaN in x and in each
bound. Inputs are float32 values evaluated in float64. PyTorch 1.13 takes a number beside a
tensor bound only when the tensor is 0-d; dl takes such a number as a 0-d float32 bound, which
is how the script builds it (recording no gradient for it).
"""

import torch

from elementwise import dtype_name, f32, flat, number, numbers, weights

NAN = float('nan')

# A float32 x [3, 4] and bounds [3, 4]. Element by element: x inside, below, above, x = min,
# x = max; min > max with x below and between; NaN in x; min = max with x below, equal, above;
# min > max with x above. (weights() is 0 at element 7, where only NaN is checked.)
X = [0.5, -2.0, 3.0, -1.0, 2.0, -3.0, 0.0, NAN, -2.0, 1.0, 3.0, 4.0]
LO = [-1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0, 1.0]
HI = [2.0, 2.0, 2.0, 2.0, 2.0, -1.0, -1.0, 2.0, 1.0, 1.0, 1.0, -1.0]
# NaN in a bound: in min, in max, in both, and a NaN bound beside a NaN-free x.
LO_NAN = [NAN, -1.0, NAN, 0.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0]
HI_NAN = [2.0, NAN, NAN, 2.0, NAN, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]


def spec(values, shape):
    return {'values': values, 'shape': shape}


# name: (x, min, max), each a spec, a number (min and max only) or None.
CASES = {
    'min and max tensors (ties at both bounds, min > max, min = max, NaN in x)': (spec(X, [3, 4]), spec(LO, [3, 4]), spec(HI, [3, 4])),
    'min and max tensors with NaN': (spec(X[:7] + [0.5] + X[8:], [3, 4]), spec(LO_NAN, [3, 4]), spec(HI_NAN, [3, 4])),
    'a min tensor [4] broadcast over x [3, 4]': (spec(X, [3, 4]), spec([-1.0, 0.0, 3.5, 1.0], [4]), None),
    'a max tensor [3, 1] broadcast over x [3, 4]': (spec(X, [3, 4]), None, spec([2.0, 0.0, -2.0], [3, 1])),
    'x [3, 1] broadcast to bounds [1, 4]': (spec([-1.0, 0.5, 2.0], [3, 1]), spec([-1.0, 0.0, 0.5, 1.0], [1, 4]), spec([-0.5, 0.5, 2.0, 3.0], [1, 4])),
    'a min tensor and a number max': (spec(X, [3, 4]), spec(LO, [3, 4]), 0.75),
    'a number min and a max tensor': (spec(X, [3, 4]), -0.5, spec(HI, [3, 4])),
    '0-d min and max tensors': (spec(X, [3, 4]), spec([-1.0], []), spec([1.0], [])),
}

# Dtypes: name: (x (values, dtype), min, max), bounds as (values, dtype) (0-d when values is a
# number) or a number. Only values and dtypes are recorded.
DTYPES = {
    'int32 clamped by int32 tensors stays int32': (([-7, -1, 0, 5, 9], 'int32'), ([-2, 0, 1, 1, -9], 'int32'), ([3, 3, 3, 4, 20], 'int32')),
    'int32 clamped by a float32 tensor is float32': (([-7, -1, 0, 5, 9], 'int32'), ([0.5, -1.5, 0.25, 5.5, 2.0], 'float32'), None),
    'int32 clamped by a 0-d float32 tensor is float32': (([-7, -1, 0, 5, 9], 'int32'), None, (2.5, 'float32')),
    'int32 clamped by an int32 tensor and a number 2.5 is float32': (([-7, -1, 0, 5, 9], 'int32'), ([-2, 0, 1, 1, -9], 'int32'), 2.5),
    'int32 clamped by an int32 tensor and a number 2 stays int32': (([-7, -1, 0, 5, 9], 'int32'), ([-2, 0, 1, 1, -9], 'int32'), 2),
    'bool clamped by a bool min tensor stays bool': (([1, 0, 1, 0, 1], 'bool'), ([0, 0, 1, 1, 0], 'bool'), None),
    'float32 clamped by a float64 tensor is float64': (([-1.5, 0.1, 2.0, 7.0, -0.25], 'float32'), None, ([0.1, 0.1, 0.1, 0.1, 0.1], 'float64')),
    'float32 clamped by a 0-d float64 tensor stays float32': (([-1.5, 0.1, 2.0, 7.0, -0.25], 'float32'), (0.1, 'float64'), None),
}

TORCH_DTYPES = {'int32': torch.int32, 'bool': torch.bool, 'float32': torch.float32, 'float64': torch.float64}


def make(bound, requires_grad):
    """The PyTorch bound of a case: a float64 tensor of float32 values, or None."""
    if bound is None:
        return None
    if isinstance(bound, (int, float)):
        return f32([bound]).reshape([])
    return f32(bound['values']).reshape(bound['shape']).requires_grad_(requires_grad)


def literal(bound):
    if bound is None:
        return 'null'
    if isinstance(bound, (int, float)):
        return number(bound)
    return f'{{ values: {numbers(bound["values"])}, shape: [{", ".join(map(str, bound["shape"]))}] }}'


def typed(bound):
    if bound is None or isinstance(bound, (int, float)):
        return bound
    values, dtype = bound
    return torch.tensor(values, dtype=TORCH_DTYPES[dtype])


def typed_literal(bound):
    if bound is None:
        return 'null'
    if isinstance(bound, (int, float)):
        return number(bound)
    values, dtype = bound
    shown = numbers(values) if isinstance(values, list) else number(values)
    return f"{{ values: {shown}, dtype: '{dtype}' }}"


def main():
    out = []
    emit = out.append
    emit('// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: computed values, not spelled constants')
    emit(f'// Generated by packages/tensor/scripts/reference/clamp.py with PyTorch {torch.__version__}; do not edit.')
    emit('// Expected values and gradients of the clamp conformance cases; see the script for how.')
    emit('')
    emit('export interface Operand {')
    emit('  readonly values: readonly number[];')
    emit('  readonly shape: readonly number[];')
    emit('}')
    emit('')
    emit('/** A bound: a float32 tensor, a number, or none. */')
    emit('export type Bound = Operand | number | null;')
    emit('')
    emit('export interface ClampReference {')
    emit('  readonly x: Operand;')
    emit('  readonly min: Bound;')
    emit('  readonly max: Bound;')
    emit('  readonly output: Operand;')
    emit('  /** Gradients of (output * weights(n)).sum(); null for a bound that is not a tensor. */')
    emit('  readonly gradX: readonly number[];')
    emit('  readonly gradMin: readonly number[] | null;')
    emit('  readonly gradMax: readonly number[] | null;')
    emit('}')
    emit('')
    emit("export type DTypeName = 'int32' | 'float32' | 'float64' | 'bool';")
    emit('')
    emit('/** A tensor of `dtype` (0-d when values is a number). */')
    emit('export interface Typed {')
    emit('  readonly values: readonly number[] | number;')
    emit('  readonly dtype: DTypeName;')
    emit('}')
    emit('')
    emit('export interface ClampDTypeReference {')
    emit('  readonly x: Typed;')
    emit('  readonly min: Typed | number | null;')
    emit('  readonly max: Typed | number | null;')
    emit('  readonly dtype: DTypeName;')
    emit('  readonly output: readonly number[];')
    emit('}')
    emit('')
    emit('export const clampReference: Readonly<Record<string, ClampReference>> = {')
    for name, (x_spec, min_spec, max_spec) in CASES.items():
        x = make(x_spec, True)
        lo = make(min_spec, True)
        hi = make(max_spec, True)
        y = torch.clamp(x, lo, hi)
        (y * torch.tensor(weights(y.numel()), dtype=torch.float64).reshape(y.shape)).sum().backward()
        grad = lambda t, bound: 'null' if bound is None or isinstance(bound, (int, float)) else numbers(flat(t.grad))  # noqa: E731
        emit(f'  "{name}": {{')
        emit(f'    x: {literal(x_spec)},')
        emit(f'    min: {literal(min_spec)},')
        emit(f'    max: {literal(max_spec)},')
        emit(f'    output: {{ values: {numbers(flat(y))}, shape: [{", ".join(map(str, y.shape))}] }},')
        emit(f'    gradX: {numbers(flat(x.grad))},')
        emit(f'    gradMin: {grad(lo, min_spec)},')
        emit(f'    gradMax: {grad(hi, max_spec)},')
        emit('  },')
    emit('};')
    emit('')
    emit('export const clampDTypeReference: Readonly<Record<string, ClampDTypeReference>> = {')
    for name, (x_spec, min_spec, max_spec) in DTYPES.items():
        x = typed(x_spec)
        # A number beside a tensor bound is a 0-d tensor to PyTorch 1.13 (a scalar in promotion).
        lo, hi = typed(min_spec), typed(max_spec)
        if isinstance(lo, (int, float)):
            lo = torch.tensor(lo)
        if isinstance(hi, (int, float)):
            hi = torch.tensor(hi)
        y = torch.clamp(x, lo, hi)
        emit(f'  "{name}": {{')
        emit(f'    x: {typed_literal(x_spec)},')
        emit(f'    min: {typed_literal(min_spec)},')
        emit(f'    max: {typed_literal(max_spec)},')
        emit(f"    dtype: '{dtype_name(y) if y.dtype != torch.float64 else 'float64'}',")
        emit(f'    output: {numbers(flat(y))},')
        emit('  },')
    emit('};')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
