"""Expected values for the shape conformance cases, computed with PyTorch.

Writes src/testing/cases/reference/shape.ts. Every input is `seq(*shape)`: the float32
values 0, 1, 2, ... in row-major order (offset where noted), which the cases rebuild with
arange(n).reshape(shape). Views also record PyTorch's strides, storage offset and
contiguity, so the cases check the view logic and not only the values.

Run from the repository root:
  /usr/bin/python3 packages/tensor/scripts/reference/shape.py
  npx biome format --write packages/tensor/src/testing/cases/reference/shape.ts
"""

import os

import torch
from references import References, seq

r = References()

x = seq(2, 3, 4)

# reshape and view
r.add("reshape [2, 3, 4] to [4, -1]", x.reshape(4, -1), view=True)
r.add("reshape [2, 3, 4] to [-1]", x.reshape(-1), view=True)
r.add("reshape of a transposed tensor copies", x.transpose(0, 2).reshape(6, -1), view=True)
r.add("reshape of a transposed tensor that can stay a view", x.transpose(0, 1).reshape(3, 2, 2, 2), view=True)
r.add("reshape 0-d to [1, 1]", torch.tensor(7.0).reshape(1, 1), view=True)
r.add("view of a column slice", seq(4, 6)[:, 1:5].view(4, 2, 2), view=True)
r.add("view splits a dim of a transposed tensor", seq(4, 6).t().view(3, 2, 4), view=True)
r.add("view merges size-1 dims", seq(2, 1, 3).transpose(0, 1).view(2, 3), view=True)

# permute, transpose, t, T, movedim
r.add("permute(2, 0, 1)", x.permute(2, 0, 1), view=True)
r.add("permute with negative dims", x.permute(-1, -3, -2), view=True)
r.add("transpose(0, -1)", x.transpose(0, -1), view=True)
r.add("t of a 2-d tensor", seq(2, 3).t(), view=True)
r.add("T of a 2-d tensor", seq(2, 3).T, view=True)
r.add("movedim(0, -1)", x.movedim(0, -1), view=True)
r.add("movedim(-1, 0)", x.movedim(-1, 0), view=True)
r.add("movedim(2, 1) of a transposed tensor", x.transpose(0, 2).movedim(2, 1), view=True)

# squeeze and unsqueeze
y = seq(1, 2, 1, 3, 1)
r.add("squeeze all", y.squeeze(), view=True)
r.add("squeeze(2)", y.squeeze(2), view=True)
r.add("squeeze(-1)", y.squeeze(-1), view=True)
r.add("squeeze of a dim that is not 1", y.squeeze(1), view=True)
r.add("unsqueeze(0)", seq(2, 3).unsqueeze(0), view=True)
r.add("unsqueeze(-1)", seq(2, 3).unsqueeze(-1), view=True)
r.add("unsqueeze(1) of a transposed tensor", seq(2, 3).t().unsqueeze(1), view=True)
r.add("unsqueeze(-2) of a transposed tensor", seq(2, 3).t().unsqueeze(-2), view=True)
r.add("unsqueeze of 0-d", torch.tensor(5.0).unsqueeze(-1), view=True)

# expand
r.add("expand [3, 1] to [2, 3, 4]", seq(3, 1).expand(2, 3, 4), view=True)
r.add("expand with -1", seq(3, 1).expand(-1, 4), view=True)
r.add("expand of 0-d", torch.tensor(5.0).expand(2, 3), view=True)
r.add("expandAs", seq(1, 4).expand_as(seq(3, 4)), view=True)

# flatten and unflatten
r.add("flatten", x.flatten(), view=True)
r.add("flatten(1)", x.flatten(1), view=True)
r.add("flatten(0, 1)", x.flatten(0, 1), view=True)
r.add("flatten(-2, -1) of a permuted tensor copies", x.permute(1, 0, 2).flatten(-2, -1), view=True)
r.add("flatten of 0-d", torch.tensor(5.0).flatten(), view=True)
r.add("unflatten(1, [2, -1])", seq(3, 8).unflatten(1, (2, -1)), view=True)
r.add("unflatten(-1, [2, 2])", x.unflatten(-1, (2, 2)), view=True)

# contiguous
r.add("contiguous of a transposed tensor", x.transpose(1, 2).contiguous(), view=True)

# cat and stack
r.add("cat dim 0", torch.cat([seq(2, 3), seq(1, 3) + 10]))
r.add("cat dim 1", torch.cat([seq(2, 3), seq(2, 2) + 100], 1))
r.add("cat dim -1 of three", torch.cat([seq(2, 3), seq(2, 2) + 100, seq(2, 1) + 200], -1))
r.add("cat of non-contiguous tensors", torch.cat([seq(3, 2).t(), seq(2, 3) + 10], 0))
r.add("cat 3-d along dim 1", torch.cat([seq(2, 1, 2), seq(2, 2, 2) + 10], 1))
r.add("cat int32 and float32", torch.cat([torch.tensor([1, 2], dtype=torch.int32), torch.tensor([0.5])]))
r.add("cat bool and int32", torch.cat([torch.tensor([True, False]), torch.tensor([7], dtype=torch.int32)]))
r.add("cat skips empty 1-d tensors", torch.cat([torch.tensor([]), seq(2, 3), torch.tensor([])]))
r.add("stack dim 0", torch.stack([seq(2, 3), seq(2, 3) + 10]))
r.add("stack dim 1", torch.stack([seq(2, 3), seq(2, 3) + 10], 1))
r.add("stack dim -1", torch.stack([seq(2, 3), seq(2, 3) + 10], -1))
r.add("stack 0-d", torch.stack([torch.tensor(1.0), torch.tensor(2.0)]))

# split, chunk, narrow, select, unbind
for i, piece in enumerate(seq(5, 2).split(2)):
    r.add(f"split(2) piece {i}", piece, view=True)
for i, piece in enumerate(seq(2, 5).split([1, 3, 1], 1)):
    r.add(f"split([1, 3, 1], 1) piece {i}", piece, view=True)
for i, piece in enumerate(seq(5).chunk(3)):
    r.add(f"chunk(3) of 5 piece {i}", piece, view=True)
for i, piece in enumerate(seq(2, 6).chunk(4, -1)):
    r.add(f"chunk(4, -1) of 6 piece {i}", piece, view=True)
r.add("narrow(1, 1, 2)", seq(3, 4).narrow(1, 1, 2), view=True)
r.add("narrow(0, -2, 2)", seq(3, 4).narrow(0, -2, 2), view=True)
r.add("select(1, -1)", x.select(1, -1), view=True)
r.add("select(0, 1) of a transposed tensor", x.transpose(0, 2).select(0, 1), view=True)
for i, piece in enumerate(seq(2, 3).unbind(1)):
    r.add(f"unbind(1) piece {i}", piece, view=True)

# flip, roll, repeat
r.add("flip(0)", x.flip(0))
r.add("flip([0, 2])", x.flip([0, 2]))
r.add("flip(-1) of a transposed tensor", x.transpose(0, 1).flip(-1))
r.add("flip all dims", x.flip([0, 1, 2]))
r.add("roll(1) without dims", seq(2, 3).roll(1))
r.add("roll(-2) without dims", seq(2, 3).roll(-2))
r.add("roll(1, 0)", seq(3, 2).roll(1, 0))
r.add("roll(-1, 1)", seq(3, 4).roll(-1, 1))
r.add("roll([1, -1], [0, 1])", seq(3, 4).roll([1, -1], [0, 1]))
r.add("roll(7, 1) wraps more than once", seq(2, 3).roll(7, 1))
r.add("roll(2, -1) of a transposed tensor", seq(3, 4).t().roll(2, -1))
r.add("repeat(2, 2) of 1-d", seq(2).repeat(2, 2))
r.add("repeat(2, 1, 3)", seq(2, 3).repeat(2, 1, 3))
r.add("repeat(2, 2) of a transposed tensor", seq(2, 3).t().repeat(2, 2))
r.add("repeat(2, 3) of 0-d", torch.tensor(5.0).repeat(2, 3))


here = os.path.dirname(os.path.abspath(__file__))
r.write(os.path.join(here, "../../src/testing/cases/reference/shape.ts"), "shapeReference", "shape.py")
