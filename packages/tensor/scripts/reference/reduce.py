#!/usr/bin/env python3
"""Prints the PyTorch-derived constants of the reduction conformance cases (a TypeScript module).

    /usr/bin/python3 packages/tensor/scripts/reference/reduce.py > packages/tensor/src/testing/cases/reference/reduce.ts
    npx biome format --write packages/tensor/src/testing/cases/reference/reduce.ts

Every float case reduces X, a [2, 3, 4] tensor of 24 distinct values (with distinct
absolute values too, so max, min and the inf-norm have no ties), or a view of it: 'permuted'
is X.permute(2, 0, 1) and 'strided' is X[:, ::2, 1:]. X is rounded to float32, as a dl
tensor holds it; results are then computed in float64 and rounded to 9 significant digits.
Gradients are those of (y * weights(n)).sum() with respect to X, for the output y (the
values, for max and min along a dim). all and any reduce the bool tensor MASK instead.
"""

import torch


# A shuffle of 0..23: no ordering pattern along any dim for argmax and cumsum to lean on.
PERMUTATION = [17, 4, 9, 22, 0, 13, 6, 19, 11, 2, 23, 8, 15, 1, 20, 7, 12, 21, 3, 16, 10, 5, 18, 14]


def x_values():
    # The 11.3 offset keeps the absolute values distinct (no ties for the inf-norm).
    return [(k - 11.3) / 4 for k in PERMUTATION]


def weights(n):
    return [((i * 7) % 11 - 5) / 4 for i in range(n)]


MASK = [
    [[True, True, True, True], [True, False, True, False], [False, False, False, False]],
    [[False, True, False, False], [True, True, True, True], [False, False, False, True]],
]

VIEWS = {
    'contiguous': lambda x: x,
    'permuted': lambda x: x.permute(2, 0, 1),
    'strided': lambda x: x[:, ::2, 1:],
}

# Reductions over dims: (view, dim, keepdim); dim None reduces all dims.
OVER_DIMS = [
    ('contiguous', None, False),
    ('contiguous', 1, False),
    ('contiguous', -1, True),
    ('contiguous', [0, 2], False),
    ('contiguous', [-1, 0], True),
    ('permuted', 1, False),
    ('strided', -1, False),
    ('strided', [0, 1], True),
]
# Along one dim (max/min with indices, argmax/argmin, cumsum).
ALONG = [
    ('contiguous', 0, False),
    ('contiguous', 1, True),
    ('contiguous', -1, False),
    ('permuted', 2, False),
    ('strided', -2, True),
]


def all_dims(x, args):
    dim = args.get('dim')
    return list(range(x.dim())) if dim is None else dim


def reduce_call(fn):
    """fn(x, dims, keepdim) for torch reductions that take a list of dims."""
    return lambda x, args: fn(x, all_dims(x, args), args.get('keepdim', False))


def one_dim_at_a_time(fn):
    """For torch reductions that take a single dim (prod, all, any in 1.13): reduces each in turn."""
    def call(x, args):
        dims = all_dims(x, args)
        dims = sorted(d % x.dim() for d in ([dims] if isinstance(dims, int) else dims))
        y = x
        for d in dims:
            y = fn(y, d)
        if not args.get('keepdim', False):
            for d in reversed(dims):
                y = y.squeeze(d)
        return y
    return call


def var_call(name):
    def call(x, args):
        options = {}
        if 'correction' in args:
            options['correction'] = args['correction']
        elif 'unbiased' in args:
            options['unbiased'] = args['unbiased']
        return getattr(torch, name)(x, all_dims(x, args), keepdim=args.get('keepdim', False), **options)
    return call


CALLS = {
    'sum': reduce_call(lambda x, d, k: x.sum(d, keepdim=k)),
    'mean': reduce_call(lambda x, d, k: x.mean(d, keepdim=k)),
    'prod': one_dim_at_a_time(lambda x, d: x.prod(d, keepdim=True)),
    'amax': reduce_call(lambda x, d, k: x.amax(d, keepdim=k)),
    'amin': reduce_call(lambda x, d, k: x.amin(d, keepdim=k)),
    'logsumexp': reduce_call(lambda x, d, k: x.logsumexp(d, keepdim=k)),
    'var': var_call('var'),
    'std': var_call('std'),
    'norm': lambda x, a: torch.linalg.vector_norm(x, a['p'], all_dims(x, a), keepdim=a.get('keepdim', False)),
    'max': lambda x, a: x.max(a['dim'], keepdim=a.get('keepdim', False)),
    'min': lambda x, a: x.min(a['dim'], keepdim=a.get('keepdim', False)),
    'argmax': lambda x, a: x.argmax(a.get('dim'), keepdim=a.get('keepdim', False)),
    'argmin': lambda x, a: x.argmin(a.get('dim'), keepdim=a.get('keepdim', False)),
    'cumsum': lambda x, a: x.cumsum(a['dim']),
    'all': one_dim_at_a_time(lambda x, d: x.all(d, keepdim=True)),
    'any': one_dim_at_a_time(lambda x, d: x.any(d, keepdim=True)),
}


def over_dims(**extra):
    out = []
    for view, dim, keepdim in OVER_DIMS:
        args = dict(extra)
        if dim is not None:
            args['dim'] = dim
        if keepdim:
            args['keepdim'] = True
        out.append((view, args))
    return out


def along(**extra):
    return [(view, dict(extra, dim=dim, **({'keepdim': True} if keepdim else {}))) for view, dim, keepdim in ALONG]


ENTRIES = {
    'sum': over_dims(),
    'mean': over_dims(),
    'prod': over_dims(),
    'amax': over_dims(),
    'amin': over_dims(),
    # logsumexp needs dims; over_dims' "all" entry passes all three.
    'logsumexp': [(v, a if 'dim' in a else dict(a, dim=[0, 1, 2])) for v, a in over_dims()],
    'var': over_dims()
    + [('contiguous', {'dim': 1, 'unbiased': False}), ('permuted', {'dim': [0, 2], 'correction': 2, 'keepdim': True}),
       ('contiguous', {'correction': 0})],
    'std': over_dims()
    + [('contiguous', {'dim': 1, 'unbiased': False}), ('strided', {'dim': -1, 'correction': 2}),
       ('contiguous', {'correction': 0})],
    'norm': over_dims(p=2)
    + [(v, a) for p in (1, float('inf'), 3) for v, a in over_dims(p=p)[:5:2] + over_dims(p=p)[5:6]],
    'max': along(),
    'min': along(),
    'argmax': [('contiguous', {})] + along(),
    'argmin': [('contiguous', {'keepdim': True})] + along(),
    'cumsum': [('contiguous', {'dim': 0}), ('contiguous', {'dim': 1}), ('contiguous', {'dim': 2}),
               ('contiguous', {'dim': -1}), ('permuted', {'dim': 0}), ('strided', {'dim': 2})],
    'all': over_dims()[:5],
    'any': over_dims()[:5],
}


def number(v):
    v = float(v)
    if v != v:
        return 'NaN'
    if v in (float('inf'), float('-inf')):
        return 'Infinity' if v > 0 else '-Infinity'
    text = '%.9g' % v
    return '0' if text == '-0' else text


def numbers(values):
    return '[' + ', '.join(number(v) for v in values) + ']'


def flat(t):
    t = t.detach()
    if t.dtype == torch.bool:
        t = t.int()
    return t.reshape(-1).tolist()


def literal(args):
    parts = []
    for key, value in args.items():
        if isinstance(value, bool):
            parts.append(f'{key}: {"true" if value else "false"}')
        elif isinstance(value, list):
            parts.append(f'{key}: [{", ".join(str(v) for v in value)}]')
        else:
            parts.append(f'{key}: {number(value)}')
    return '{ ' + ', '.join(parts) + ' }'


def main():
    assert sorted(PERMUTATION) == list(range(24))
    out = []
    emit = out.append
    emit('// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: computed values, not spelled constants')
    emit(f'// Generated by packages/tensor/scripts/reference/reduce.py with PyTorch {torch.__version__}; do not edit.')
    emit('// Expected values and gradients of the reduction conformance cases; see the script for how.')
    emit('')
    emit("export type ReduceView = 'contiguous' | 'permuted' | 'strided';")
    emit('')
    emit('export interface ReduceArgs {')
    emit('  /** Absent: all dims. */')
    emit('  readonly dim?: number | readonly number[];')
    emit('  readonly keepdim?: boolean;')
    emit('  readonly p?: number;')
    emit('  readonly unbiased?: boolean;')
    emit('  readonly correction?: number;')
    emit('}')
    emit('')
    emit('export interface ReduceReference {')
    emit('  readonly view: ReduceView;')
    emit('  readonly args: ReduceArgs;')
    emit('  readonly shape: readonly number[];')
    emit('  readonly values: readonly number[];')
    emit('  /** For max and min along a dim. */')
    emit('  readonly indices?: readonly number[];')
    emit('  /** The gradient of (values * weights(n)).sum() with respect to X; absent for argmax, all, any. */')
    emit('  readonly grad?: readonly number[];')
    emit('}')
    emit('')
    emit('/** The values of X, [2, 3, 4]: (k - 11.3) / 4 for a shuffle k of 0..23. */')
    emit(f'export const X: readonly number[] = {numbers(x_values())};')
    emit('')
    emit('/** The bool tensor that all and any reduce, [2, 3, 4], as 0 and 1. */')
    emit(f'export const MASK: readonly number[] = {numbers(flat(torch.tensor(MASK)))};')
    emit('')
    emit('/** The weights of the outputs whose gradients are recorded: ((i * 7) % 11 - 5) / 4. */')
    emit('export function weights(n: number): number[] {')
    emit('  return Array.from({ length: n }, (_, i) => (((i * 7) % 11) - 5) / 4);')
    emit('}')
    emit('')
    emit('export type ReduceOp =')
    for op in ENTRIES:
        emit(f"  | '{op}'")
    emit(';')
    emit('')
    emit('export const reduceReference: Readonly<Record<ReduceOp, readonly ReduceReference[]>> = {')
    x64 = torch.tensor(x_values(), dtype=torch.float32).double().reshape(2, 3, 4)
    mask = torch.tensor(MASK)
    for op, entries in ENTRIES.items():
        emit(f'  {op}: [')
        for view, args in entries:
            logical = op in ('all', 'any')
            differentiable = op not in ('argmax', 'argmin', 'all', 'any')
            base = mask if logical else x64.clone().requires_grad_(differentiable)
            result = CALLS[op](VIEWS[view](base), args)
            indices = None
            if op in ('max', 'min'):
                result, indices = result.values, result.indices
            fields = [f"view: '{view}'", f'args: {literal(args)}', f'shape: [{", ".join(str(d) for d in result.shape)}]',
                      f'values: {numbers(flat(result))}']
            if indices is not None:
                fields.append(f'indices: {numbers(flat(indices))}')
            if differentiable:
                w = torch.tensor(weights(result.numel()), dtype=torch.float64).reshape(result.shape)
                (result * w).sum().backward()
                fields.append(f'grad: {numbers(flat(base.grad))}')
            emit('    { ' + ', '.join(fields) + ' },')
        emit('  ],')
    emit('};')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
