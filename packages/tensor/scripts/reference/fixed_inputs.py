"""Shared by linalg.py and nn.py: the fixedValues inputs (mirrored by src/testing/cases/fixed-inputs.ts)
and printing PyTorch's results as TypeScript constants."""

import torch


def fixed_values(n, salt=0):
    return [(((i * 97 + salt * 31) % 251) - 125) / 64 for i in range(n)]


def fixed(shape, salt=0):
    n = 1
    for d in shape:
        n *= d
    return torch.tensor(fixed_values(n, salt)).reshape(shape)


def number(v):
    v = float(v)
    if v != v:
        return 'NaN'
    if v in (float('inf'), float('-inf')):
        return 'Infinity' if v > 0 else '-Infinity'
    text = '%.9g' % v
    return '0' if text == '-0' else text


def emit(name, t, comment):
    t = torch.as_tensor(t).detach().to(torch.float64)
    shape = ', '.join(str(d) for d in t.shape)
    values = ', '.join(number(v) for v in t.flatten().tolist())
    print(f'\n/** {comment} */')
    print(f'export const {name}: Reference = {{ shape: [{shape}], values: [{values}] }};')
