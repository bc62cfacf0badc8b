"""torch.save files for @dl/nn's PyTorch-checkpoint reader, and the values they must load as.

Run with PyTorch 1.13 (CPU): python3 packages/nn/scripts/reference/pth.py
It writes packages/nn/test/fixtures/pth/: each file in the zip format (torch.save's default
since 1.6) and in the legacy format (_use_new_zipfile_serialization=False), and
expected.json with the values the tests compare with. Every file is loaded back with
torch.load before its values are recorded. The malicious files are written with
pickle.dumps / torch.save of an object whose __reduce__ names os.system; nothing here ever
loads them.

Legacy files name their storages by memory address, so rerunning the script changes their
bytes (not their values).
"""

import io
import json
import math
import os
import pickle
import subprocess
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "test", "fixtures", "pth"))

# The file the malicious pickles would create if anything ran them; the tests check it is absent.
PWNED = "/tmp/dl-pth-pwned"


def save_both(obj, name, **options):
    """name.pth (zip) and name.legacy.pth; checks torch.load gives the object back."""
    for suffix, zip_format in ((".pth", True), (".legacy.pth", False)):
        path = os.path.join(OUT, name + suffix)
        torch.save(obj, path, _use_new_zipfile_serialization=zip_format, **options)
        torch.load(path)


def number(v):
    """A JSON number, or a string for what JSON cannot hold."""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def record(t):
    """dtype, shape and the row-major values (float16/bfloat16 as the float32 they widen to)."""
    t = t.detach()
    values = t.reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16):
        values = values.float()
    return {
        "dtype": str(t.dtype).removeprefix("torch."),
        "shape": list(t.shape),
        "values": [number(v) for v in values.tolist()],
    }


def summary(t):
    """For large tensors: shape, float64 sum and sum of squares, the first and last values."""
    flat = t.detach().reshape(-1).double()
    return {
        "shape": list(t.shape),
        "sum": flat.sum().item(),
        "sumSquares": (flat * flat).sum().item(),
        "head": flat[:5].tolist(),
        "tail": flat[-5:].tolist(),
    }


class MLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))


class DigitRecognizer(nn.Module):
    """PyTorch's examples/mnist network, as in dl's DESIGN.md."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.dropout1 = nn.Dropout2d(0.25)
        self.fc1 = nn.Linear(9216, 128)
        self.dropout2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def trained_mlp():
    """The MLP after three Adam steps (running statistics and optimizer state filled in)."""
    torch.manual_seed(0)
    model = MLP()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(3):
        x = torch.randn(5, 6)
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, optimizer, loss.item()


def mlp_files():
    model, _, _ = trained_mlp()
    save_both(model.state_dict(), "mlp")
    # Pickle protocols 4 and 5 (frames, short strings, MEMOIZE, STACK_GLOBAL).
    torch.save(model.state_dict(), os.path.join(OUT, "mlp.p4.pth"), pickle_protocol=4)
    torch.save(model.state_dict(), os.path.join(OUT, "mlp.p5.legacy.pth"), pickle_protocol=5, _use_new_zipfile_serialization=False)
    # The same zip with DEFLATE entries (torch.save never compresses; torch.load reads it).
    deflated = os.path.join(OUT, "mlp.deflated.pth")
    with zipfile.ZipFile(os.path.join(OUT, "mlp.pth")) as source, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    torch.load(deflated)
    for name in ("mlp.p4.pth", "mlp.p5.legacy.pth"):
        torch.load(os.path.join(OUT, name))
    return {key: record(t) for key, t in model.state_dict().items()}


def mnist_files():
    torch.manual_seed(0)
    model = DigitRecognizer().eval()
    save_both(model.state_dict(), "mnist-cnn")
    x = torch.rand(2, 1, 28, 28)
    with torch.no_grad():
        out = model(x)
    return {
        "input": record(x),
        "output": record(out),
        "state": {key: summary(t) for key, t in model.state_dict().items()},
    }


def view_files():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    ints = torch.arange(10) * 7 - 30
    torch.manual_seed(1)
    views = {
        "base": base,
        "transposed": base.t(),  # strides (1, 6)
        "sliced": base[1:3, 2:5],  # storage offset 8
        "stepped": base[::2, 1::3],  # strides (12, 3), offset 1
        "row": base[2],  # a third view of the same storage
        "column": base[:, 4],
        "expanded": torch.tensor([1.0, 2.0, 3.0]).expand(2, 3),  # stride 0
        "channelsLast": torch.randn(2, 3, 2, 2).contiguous(memory_format=torch.channels_last),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "ints": ints,
        "intsSlice": ints[3:7],  # int64, shared, offset 3
        "halfTransposed": torch.randn(3, 4).half().t(),
    }
    save_both(views, "views")
    return {key: record(t) for key, t in views.items()}


def dtype_files():
    inf, nan = float("inf"), float("nan")
    dtypes = {
        "float32": torch.tensor([0.1, -2.5, 3.4e38, 1e-45, 1.2e-38, inf, -inf, nan, -0.0]),
        "float16": torch.tensor([0.1, -2.5, 65504, 6e-8, 3e-5, 1e-4, inf, -inf, nan, -0.0], dtype=torch.float16),
        "bfloat16": torch.tensor([0.1, -2.5, 3e38, 1e-40, 1e-20, inf, -inf, nan, -0.0], dtype=torch.bfloat16),
        "float64": torch.tensor([0.1, -2.5, 1e300, -5e-324, 1e-310, inf, nan, -0.0], dtype=torch.float64),
        "int64": torch.tensor([0, -1, 2**31 - 1, -(2**31), 12345]),
        "int32": torch.tensor([0, -1, 2**31 - 1, -(2**31)], dtype=torch.int32),
        "int16": torch.tensor([-32768, 32767, -1, 5], dtype=torch.int16),
        "int8": torch.tensor([-128, 127, -1, 5], dtype=torch.int8),
        "uint8": torch.tensor([0, 255, 128, 5], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "int16Matrix": torch.arange(-6, 6, dtype=torch.int16).reshape(3, 4).t(),
        "boolMatrix": torch.tensor([[True, False], [False, False], [True, True]]).t(),
    }
    save_both(dtypes, "dtypes")
    return {key: record(t) for key, t in dtypes.items()}


def overflow_files():
    save_both({"fine": torch.tensor([1, 2]), "big": torch.tensor([3, 2**40, 4])}, "int64-overflow")


def checkpoint_files():
    model, optimizer, loss = trained_mlp()
    checkpoint = {
        "epoch": 3,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": loss,
        "name": "mlp \u2713",
        "history": [0.9, 0.5, loss],
        "flags": (True, False, None),
        "raw": b"\x00\xff\x10",
        "big": 2**70,
        "negative": -(2**63),
        "shape": torch.Size([2, 3]),
        "classes": {1: "one", 2: "two"},
    }
    save_both(checkpoint, "checkpoint")
    torch.save(checkpoint, os.path.join(OUT, "checkpoint.p4.pth"), pickle_protocol=4)
    torch.load(os.path.join(OUT, "checkpoint.p4.pth"))
    state = optimizer.state_dict()
    return {
        "epoch": 3,
        "loss": loss,
        "model": {key: record(t) for key, t in model.state_dict().items()},
        "optimizerState": {
            str(index): {field: record(v) for field, v in entry.items()} for index, entry in state["state"].items()
        },
        "paramGroups": state["param_groups"],
    }


class Evil:
    """Unpickling this runs a shell command (in Python; dl must refuse it)."""

    def __reduce__(self):
        return (os.system, (f"touch {PWNED}",))


class EvalEvil:
    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {PWNED}')",))


class PopenEvil:
    def __reduce__(self):
        return (subprocess.Popen, (["touch", PWNED],))


def malicious_files():
    with open(os.path.join(OUT, "evil.pkl"), "wb") as f:
        f.write(pickle.dumps(Evil(), protocol=2))
    with open(os.path.join(OUT, "evil-eval.p4.pkl"), "wb") as f:
        f.write(pickle.dumps(EvalEvil(), protocol=4))
    # A real torch.save file: a tensor, then the payload (refused before any tensor is built).
    for suffix, zip_format in ((".pth", True), (".legacy.pth", False)):
        torch.save({"weight": torch.ones(2), "payload": Evil()}, os.path.join(OUT, "evil" + suffix), _use_new_zipfile_serialization=zip_format)
    torch.save([torch.ones(1), PopenEvil()], os.path.join(OUT, "evil-popen.p4.pth"), pickle_protocol=4)
    if os.path.exists(PWNED):
        raise RuntimeError(f"{PWNED} exists: something ran a payload")


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {
        "torch": torch.__version__,
        "mlp": mlp_files(),
        "mnist": mnist_files(),
        "views": view_files(),
        "dtypes": dtype_files(),
        "checkpoint": checkpoint_files(),
    }
    overflow_files()
    malicious_files()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
