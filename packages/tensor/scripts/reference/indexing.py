"""Expected values for the indexing conformance cases, computed with PyTorch.

Writes src/testing/cases/reference/indexing.ts. Inputs are `seq(*shape)` (the float32 values
0, 1, 2, ... in row-major order) unless written out; index tensors are int64 here and int32
in the cases. Views also record PyTorch's strides, storage offset and contiguity.

Run from the repository root:
  /usr/bin/python3 packages/tensor/scripts/reference/indexing.py
  npx biome format --write packages/tensor/src/testing/cases/reference/indexing.ts
"""

import os

import torch
import torch.nn.functional as F
from references import References, seq

r = References()
x = seq(2, 3, 4)
i = lambda *values: torch.tensor(values)  # noqa: E731 (an int64 index tensor)

# index(): ints, slices, None, ellipsis (basic indexing gives views)
r.add("x[1, 2]", x[1, 2], view=True)
r.add("x[-1, -3]", x[-1, -3], view=True)
r.add("x[0, :, -1]", x[0, :, -1], view=True)
r.add("x[:, ::2]", x[:, ::2], view=True)
r.add("x[..., 1::2]", x[..., 1::2], view=True)
r.add("x[:, 1:3, ::3]", x[:, 1:3, ::3], view=True)
r.add("x[:, -2:, :-1]", x[:, -2:, :-1], view=True)
r.add("x[:, 1:10]", x[:, 1:10], view=True)
r.add("x[:, 5:]", x[:, 5:], view=True)
r.add("x[None]", x[None], view=True)
r.add("x[:, None, 1]", x[:, None, 1], view=True)
r.add("x[..., None]", x[..., None], view=True)
r.add("x[..., 1]", x[..., 1], view=True)
r.add("x[1, ...]", x[1, ...], view=True)
r.add("x[..., 1, :]", x[..., 1, :], view=True)
r.add("x[::2, 1, None, ...]", x[::2, 1, None, ...], view=True)
r.add("x[1:, None, ::3]", x[1:, None, ::3], view=True)
r.add("x[-1, ..., 1:3]", x[-1, ..., 1:3], view=True)
r.add("x[None, ..., None]", x[None, ..., None], view=True)
r.add("x.t()[1:, ::2]", seq(3, 4).t()[1:, ::2], view=True)

# index() with integer tensors and boolean masks
r.add("x[:, [2, 0, -1]]", x[:, i(2, 0, -1)])
r.add("x[[[1, 0], [0, 1]]]", x[i([1, 0], [0, 1])])
r.add("x[1, [0, 2]]", x[1, i(0, 2)])
r.add("x[..., [3, 0]]", x[..., i(3, 0)])
r.add("x[tensor(1)]", x[torch.tensor(1)])
r.add("x[:, 1:, [1, 1]]", x[:, 1:, i(1, 1)])
r.add("x.t()[[2, 0]]", seq(3, 4).t()[i(2, 0)])
mask = (x.long() % 3) == 0
r.add("x[x % 3 == 0]", x[mask])
r.add("x[[true, false]]", x[torch.tensor([True, False])])
r.add("x[:, [true, false, true]]", x[:, torch.tensor([True, False, True])])
r.add("x[0, mask [3, 4]]", x[0, mask[1]])
r.add("x[mask [2, 3]]", x[torch.tensor([[True, False, True], [False, False, True]])])
r.add("x[[true, false], 1:]", x[torch.tensor([True, False]), 1:])
r.add("x[..., [true, false, true, false]]", x[..., torch.tensor([True, False, True, False])])
r.add("x[:, [false, false, false]]", x[:, torch.tensor([False, False, False])])

# indexSelect, gather
r.add("indexSelect(1, [3, 0, 3])", seq(3, 4).index_select(1, i(3, 0, 3)))
r.add("indexSelect(0, [2, 2, 0])", seq(3, 4).index_select(0, i(2, 2, 0)))
r.add("indexSelect(1, [1, 3]) of a transposed tensor", seq(4, 3).t().index_select(1, i(1, 3)))
r.add("indexSelect(-1, [0])", x.index_select(-1, i(0)))
r.add("indexSelect(0, [])", seq(3, 4).index_select(0, torch.tensor([], dtype=torch.long)))
r.add("gather(1, [[0, 0], [3, 1], [2, 2]])", seq(3, 4).gather(1, i([0, 0], [3, 1], [2, 2])))
r.add("gather(0, [[2, 1, 0, 0]])", seq(3, 4).gather(0, i([2, 1, 0, 0])))
r.add("gather(-1) 3-d", x.gather(-1, i([[3], [2], [1]], [[0], [0], [3]])))
r.add("gather(0) of a transposed tensor", seq(3, 4).t().gather(0, i([3, 0, 1], [1, 1, 2])))

# scatter, scatterAdd
r.add("scatter(1) tensor src", torch.zeros(3, 5).scatter(1, i([0, 4], [2, 1], [1, 3]), seq(3, 2) + 1))
r.add("scatter(0) scalar src", torch.zeros(3, 4).scatter(0, i([2, 1, 0, 2]), 7.0))
r.add("scatter(1) into a non-zero base", seq(2, 4).scatter(1, i([3], [0]), -1.0))
r.add("scatter(1) src larger than index", torch.zeros(2, 3).scatter(1, i([2], [0]), seq(2, 2) + 1))
r.add("scatterAdd duplicates accumulate", torch.zeros(5).scatter_add(0, i(0, 0, 3, 0, 4), seq(5) + 1))
r.add("scatterAdd(0) 2-d", seq(3, 2).scatter_add(0, i([0, 2], [0, 2], [1, 2]), seq(3, 2) + 10))
r.add("scatterAdd(1) index smaller than src", torch.zeros(2, 4).scatter_add(1, i([1, 1], [3, 0]), seq(2, 3) + 1))

# maskedFill, tril, triu, oneHot
r.add("maskedFill [2, 3]", seq(2, 3).masked_fill(torch.tensor([[True, False, True], [False, False, True]]), -1.0))
r.add("maskedFill broadcasts the mask", seq(2, 3).masked_fill(torch.tensor([False, True, False]), 0.5))
r.add("maskedFill int32 with 2.5", seq(3, dtype=torch.int32).masked_fill(torch.tensor([True, False, True]), 2.5))
for k in [0, 1, -1, 5]:
    r.add(f"tril({k})", seq(3, 4).tril(k))
for k in [0, 2, -1, -5]:
    r.add(f"triu({k})", seq(3, 4).triu(k))
r.add("triu(1) batched", seq(2, 3, 3).triu(1))
r.add("tril(-2) of [4, 3]", seq(4, 3).tril(-2))
r.add("tril(0) batched transposed", seq(2, 4, 3).transpose(1, 2).tril())
r.add("oneHot([0, 2, 1, 2])", F.one_hot(i(0, 2, 1, 2)))
r.add("oneHot([[1], [0]], 4)", F.one_hot(i([1], [0]), 4))

# pad
r.add("pad constant (1, 2)", F.pad(seq(2, 3), (1, 2)))
r.add("pad constant (1, 1, 2, 0) value 0.5", F.pad(seq(2, 3), (1, 1, 2, 0), value=0.5))
r.add("pad constant crops (-1, 2)", F.pad(seq(2, 3), (-1, 2)))
r.add("pad constant crops (-1, -1, 1, 0)", F.pad(seq(2, 4), (-1, -1, 1, 0)))
r.add("pad constant (0, 0, 0, 0, 1, 1) of 3-d", F.pad(seq(1, 2, 2), (0, 0, 0, 0, 1, 1), value=9.0))
r.add("pad reflect (2, 1)", F.pad(seq(1, 2, 5), (2, 1), mode="reflect"))
r.add("pad reflect (1, 2, 2, 1)", F.pad(seq(1, 1, 3, 4), (1, 2, 2, 1), mode="reflect"))
r.add("pad reflect (-1, 2)", F.pad(seq(1, 1, 4), (-1, 2), mode="reflect"))
r.add("pad replicate (3, 1)", F.pad(seq(1, 2, 4), (3, 1), mode="replicate"))
r.add("pad replicate (2, 1, 1, 2)", F.pad(seq(1, 1, 2, 3), (2, 1, 1, 2), mode="replicate"))
r.add("pad replicate (2, -1)", F.pad(seq(1, 1, 4), (2, -1), mode="replicate"))
r.add("pad circular (2, 1)", F.pad(seq(1, 1, 5), (2, 1), mode="circular"))
r.add("pad circular (1, 2, 2, 1)", F.pad(seq(1, 1, 3, 4), (1, 2, 2, 1), mode="circular"))
r.add("pad circular (-1, 2)", F.pad(seq(1, 1, 4), (-1, 2), mode="circular"))
r.add("pad circular (2, -1)", F.pad(seq(1, 1, 4), (2, -1), mode="circular"))
r.add("pad reflect of a transposed tensor", F.pad(seq(1, 4, 3).transpose(1, 2), (1, 1), mode="reflect"))

here = os.path.dirname(os.path.abspath(__file__))
r.write(os.path.join(here, "../../src/testing/cases/reference/indexing.ts"), "indexingReference", "indexing.py")
