"""Expected values for the int32 conformance cases, computed with PyTorch's int32 arithmetic.

Writes src/testing/cases/reference/int32.ts. The inputs below are repeated in
src/testing/cases/int32.ts (INT32_INPUTS there). PyTorch computes int32 sums, products,
powers and divisions in int32, wrapping as two's complement; its float ops on integers
convert them to float32 first; its float to int32 conversion of NaN, infinities and values
out of range gives -2^31 on x86. Integer division by zero and -2^31 / -1 are left out:
PyTorch raises or traps on those (the cases check dl's documented results by hand).

Run from the repository root:
  /usr/bin/python3 packages/tensor/scripts/reference/int32.py
  npx biome format --write packages/tensor/src/testing/cases/reference/int32.ts
"""

import os

import torch
from references import References

i32 = torch.int32
r = References()


def t(values, dtype=i32):
    return torch.tensor(values, dtype=dtype)


# Near the limits, and past float32's 2^24 where every integer is no longer exact.
A = t([2147483647, -2147483648, 46341, -46341, 16777217, 16777216, 65536, -1, 0, 123456789, -987654321, 7])
B = t([1, -1, 46341, 46341, 1, -1, 65536, 2147483647, -2147483648, 987654321, 3, -2])
# Divisors: no zero, and no -1 under -2^31.
D = t([2, -3, 46341, 7, 1, -1, 65536, 2147483647, -5, 1000, 3, -2])

r.add("add", A + B)
r.add("sub", A - B)
r.add("mul", A * B)
r.add("neg", -A)
r.add("abs", A.abs())
r.add("square", A * A)
r.add("sign", A.sign())
r.add("maximum", torch.maximum(A, B))
r.add("minimum", torch.minimum(A, B))
r.add("div trunc", torch.div(A, D, rounding_mode="trunc"))
r.add("div floor", torch.div(A, D, rounding_mode="floor"))
r.add("remainder", torch.remainder(A, D))

BASES = t([2, -2, 3, 46341, -1, 1, 0, 7, 16777217, -3, 2, 0, -2])
EXPONENTS = t([31, 31, 40, 2, -3, -5, 0, 11, 2, 21, -1, -1, -2])
r.add("pow", torch.pow(BASES, EXPONENTS))

# Comparisons past 2^24, where float32 would make neighbours equal.
C1 = t([16777217, 16777217, 2147483647, -2147483648, 5, 16777219])
C2 = t([16777216, 16777217, 2147483646, -2147483647, 5, 16777220])
for name, fn in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt), ("ge", torch.ge)]:
    r.add(name, fn(C1, C2))

# Scalars next to int32 tensors are int32 values.
X = t([16777217, -16777217, 2147483647, -2147483648, 46341, 0, 99999999])
r.add("add 16777217", X + 16777217)
r.add("sub -2147483648", X - (-2147483648))
r.add("mul 46341", X * 46341)
r.add("remainder 1000000007", torch.remainder(X, 1000000007))
r.add("div 7 trunc", torch.div(X, 7, rounding_mode="trunc"))
r.add("div -7 floor", torch.div(X, -7, rounding_mode="floor"))
r.add("pow 3", X.pow(3))
r.add("eq 16777217", X == 16777217)
r.add("gt 16777216", X > 16777216)
r.add("clamp -16777216 16777218", X.clamp(-16777216, 16777218))
r.add("clamp min 16777218", X.clamp(min=16777218))
r.add("where x > 0, x, 16777219", torch.where(X > 0, X, 16777219))
r.add("full 16777217", torch.full([2], 16777217, dtype=i32))

# Float ops on int32 values convert them to float32 first.
F = t([16777217, 2147483647, 7, -16777219, 3])
FD = t([1, 1, 2, 1, 4])
r.add("div (true division)", F / FD)
r.add("div 3", F / 3)
r.add("add 0.5", F + 0.5)
r.add("mul 2.5", F * 2.5)
r.add("add float32 tensor", F + torch.zeros(5, dtype=torch.float32))
r.add("clamp 0.5", F.clamp(0.5))
r.add("pow 0.5", t([16777217, 4, 9, 2147483647, 0]).pow(0.5))
r.add("sqrt", t([16777217, 4, 9, 2147483647, 0]).sqrt())
# 16777216.5 (not 16777216.0, which JavaScript cannot tell from an integer) rounds to 2^24 in float32.
r.add("eq 16777216.5", F == 16777216.5)

# Casts.
r.add("int32 to float32", t([16777217, 16777219, 2147483647, -2147483647, 123456789, 16777221]).to(torch.float32))
r.add(
    "float32 to int32",
    torch.tensor(
        [2.9, -2.9, 3e9, -3e9, 2147483520.0, -2147483648.0, float("nan"), float("inf"), float("-inf"), 16777218.0],
        dtype=torch.float32,
    ).to(i32),
)
r.add("int32 to bool", t([0, 1, -1, 2147483647, -2147483648]).to(torch.bool))
r.add("bool to int32", torch.tensor([True, False, True]).to(i32))
r.add("bool + bool", torch.tensor([True, False, True, False]) + torch.tensor([True, True, False, False]))
r.add("bool + 2147483647", torch.tensor([True, False]) + t([2147483647, 2147483647]))
r.add("bool * int32", torch.tensor([True, False, True]) * t([16777217, 5, -2147483648]))

# Reductions and scans wrap.
S = t([2147483647, 1, 5, 16777217, -3])
r.add("sum", S.sum(dtype=i32))
r.add("prod", t([65536, 65536, 3]).prod(dtype=i32))
r.add("prod 46341 squared times 3", t([46341, 46341, 3]).prod(dtype=i32))
M = t([16777217, 16777216, 16777218, 16777218, -2147483648, 2147483647, 2147483647])
r.add("amax", M.amax())
r.add("amin", M.amin())
r.add("argmax", M.argmax())
r.add("argmin", M.argmin())
r.add("cumsum", t([2147483647, 1, 1, 16777217]).cumsum(0, dtype=i32))
r.add("bool sum", torch.tensor([True, True, False, True]).sum().to(i32))

# Indexing moves int32 values as they are; scatterAdd wraps.
G = t([[16777217, 2147483647, -2147483648], [16777219, -16777217, 123456789]])
r.add("gather", G.gather(1, torch.tensor([[2, 0, 1], [1, 1, 0]])))
r.add("scatter", torch.zeros(2, 3, dtype=i32).scatter(1, torch.tensor([[2, 0, 1], [1, 2, 0]]), G))
r.add("scatterAdd", torch.zeros(3, dtype=i32).scatter_add(0, torch.tensor([0, 0, 1, 1, 2]), t([2147483647, 1, 16777217, 16777217, -5])))

# Integer matrix products wrap.
r.add("matmul", t([[2147483647, 3], [16777217, 46341]]) @ t([[2147483647, 1], [5, 46341]]))

r.write(
    os.path.join(os.path.dirname(__file__), "../../src/testing/cases/reference/int32.ts"),
    "int32Reference",
    "int32.py",
)
