"""PyTorch reference values for @dl/nn's tests: layers, losses, whole models, printed forms.

Run with PyTorch 1.13 (CPU): python3 packages/nn/scripts/reference/nn_reference.py
It writes packages/nn/test/reference/values.ts (expected values the tests compare with) and
packages/nn/test/fixtures/*.safetensors (state dicts in the safetensors layout, written with
struct + json exactly as the reference safetensors writer lays them out: tensors sorted by
dtype size class then name, compact JSON header padded with spaces to 8 bytes).

Inputs are fixed formulas (see `wave`), so the TS tests can rebuild the large ones (the MNIST
CNN's weights) instead of reading them from a file.
"""

import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.normpath(os.path.join(HERE, "..", ".."))
torch.set_default_dtype(torch.float64)


def wave(shape, phase, scale=1.0, dtype=torch.float64):
    """scale * sin(0.7 i + phase) over the flat index i: the tests rebuild it the same way."""
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return (torch.sin(i * 0.7 + phase) * scale).to(dtype).reshape(shape)


def flat(t):
    t = t.detach().reshape(-1)
    if t.dtype == torch.bool:
        t = t.int()
    return [float("%.9g" % v) if isinstance(v, float) else v for v in t.tolist()]


def record(t):
    return {"shape": list(t.shape), "values": flat(t)}


def set_state(module, phase):
    """Fills every floating parameter and buffer with a wave (running_var kept positive)."""
    state = {}
    with torch.no_grad():
        for k, (name, t) in enumerate(module.state_dict().items()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(wave(t.shape, phase + k).abs() + 0.5)
            else:
                t.copy_(wave(t.shape, phase + k, 0.5))
    for name, t in module.state_dict().items():
        state[name] = record(t)
    return state


def layer_case(module, x, phase, train=False, extra=None):
    """Output and gradients of sum(output * wave) for the input (if floating) and parameters."""
    state = set_state(module, phase)
    module.train(train)
    x = x.clone().requires_grad_(x.is_floating_point())
    out = module(x)
    if isinstance(out, tuple):
        out = out[0]
    projection = wave(out.shape, 0.3)
    (out * projection).sum().backward()
    case = {
        "repr": str(module),
        "state": state,
        "input": record(x),
        "output": record(out),
        "projection": record(projection),
        # Parameters the output does not depend on have no gradient (and are left out).
        "grads": {name: record(p.grad) for name, p in module.named_parameters() if p.grad is not None},
    }
    if x.is_floating_point():
        case["inputGrad"] = record(x.grad)
    if train:
        case["stateAfter"] = {k: record(v) for k, v in module.state_dict().items()}
    if extra:
        case.update(extra)
    return case


def layers():
    x4 = wave((1, 2, 4, 4), 0.1)
    cases = {}
    cases["Linear"] = layer_case(nn.Linear(3, 2), wave((2, 3), 0.2), 1)
    cases["LinearNoBias"] = layer_case(nn.Linear(3, 2, bias=False), wave((2, 3), 0.2), 2)
    cases["Conv2d"] = layer_case(nn.Conv2d(2, 3, 3, padding=1), x4, 3)
    cases["Conv2dStridedGroups"] = layer_case(
        nn.Conv2d(2, 4, (2, 3), stride=2, padding=(1, 0), groups=2), wave((1, 2, 5, 5), 0.4), 4
    )
    cases["Conv2dDilated"] = layer_case(
        nn.Conv2d(2, 2, 2, dilation=2, bias=False), wave((2, 2, 5, 5), 0.5), 5
    )
    cases["Conv2dReflect"] = layer_case(
        nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), x4, 6
    )
    cases["Conv2dSame"] = layer_case(nn.Conv2d(2, 2, (3, 4), padding="same"), x4, 60)
    cases["Conv1dStridedDilatedGroups"] = layer_case(
        nn.Conv1d(2, 4, 2, stride=2, dilation=2, groups=2), wave((2, 2, 7), 0.65), 61
    )
    cases["MaxPool2dCeilDilated"] = layer_case(
        nn.MaxPool2d(2, stride=2, dilation=2, ceil_mode=True), wave((1, 2, 6, 7), 0.75), 62
    )
    cases["AvgPool2dCeilNoPadCount"] = layer_case(
        nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), wave((1, 2, 6, 6), 0.85), 63
    )
    cases["MultiheadAttentionMasked"] = layer_case(MhaMasked(nn.MultiheadAttention(4, 2, batch_first=True), False), wave((2, 3, 4), 0.95), 64)
    cases["MultiheadAttentionMaskedWeights"] = layer_case(MhaMasked(nn.MultiheadAttention(4, 2, batch_first=True), True), wave((2, 3, 4), 0.95), 65)
    cases["Conv1d"] = layer_case(nn.Conv1d(2, 3, 3, padding=1), wave((2, 2, 5), 0.6), 7)
    cases["ConvTranspose2d"] = layer_case(
        nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), wave((1, 2, 3, 3), 0.7), 8
    )
    cases["MaxPool2d"] = layer_case(nn.MaxPool2d(2), x4, 9)
    cases["MaxPool2dPadded"] = layer_case(nn.MaxPool2d(3, stride=1, padding=1), x4, 10)
    cases["AvgPool2d"] = layer_case(nn.AvgPool2d(2), x4, 11)
    cases["AvgPool2dPadded"] = layer_case(nn.AvgPool2d(3, stride=2, padding=1), wave((1, 2, 5, 5), 0.8), 12)
    cases["AdaptiveAvgPool2d"] = layer_case(nn.AdaptiveAvgPool2d((2, 3)), wave((1, 2, 5, 7), 0.9), 13)
    cases["AdaptiveAvgPool2dGlobal"] = layer_case(nn.AdaptiveAvgPool2d(1), x4, 14)
    cases["AdaptiveMaxPool2d"] = layer_case(nn.AdaptiveMaxPool2d(2), wave((1, 2, 5, 5), 1.0), 15)
    # return_indices: layer_case records the values; the indices come from a second call.
    indexed = nn.AdaptiveMaxPool2d((2, 3), return_indices=True)
    cases["AdaptiveMaxPool2dReturnIndices"] = layer_case(indexed, wave((2, 2, 5, 7), 1.05), 66)
    cases["AdaptiveMaxPool2dReturnIndices"]["indices"] = record(indexed(wave((2, 2, 5, 7), 1.05))[1])
    cases["BatchNorm1dTrain"] = layer_case(nn.BatchNorm1d(3), wave((4, 3), 1.1), 16, train=True)
    cases["BatchNorm1dEval"] = layer_case(nn.BatchNorm1d(3), wave((4, 3), 1.2), 17)
    cases["BatchNorm1d3dTrain"] = layer_case(nn.BatchNorm1d(2), wave((2, 2, 3), 1.25), 18, train=True)
    cases["BatchNorm2dTrain"] = layer_case(nn.BatchNorm2d(2, momentum=0.3), wave((2, 2, 3, 3), 1.3), 19, train=True)
    cases["BatchNorm2dEval"] = layer_case(nn.BatchNorm2d(2), wave((2, 2, 3, 3), 1.4), 20)
    cases["BatchNorm1dNoAffineNoStats"] = layer_case(
        nn.BatchNorm1d(3, affine=False, track_running_stats=False), wave((4, 3), 1.5), 21
    )
    cases["LayerNorm"] = layer_case(nn.LayerNorm(4), wave((2, 3, 4), 1.6), 22)
    cases["LayerNorm2d"] = layer_case(nn.LayerNorm([3, 4], eps=1e-3), wave((2, 3, 4), 1.7), 23)
    cases["GroupNorm"] = layer_case(nn.GroupNorm(2, 4), wave((2, 4, 3), 1.8), 24)
    # Empty batches: empty outputs, zero parameter gradients, running statistics untouched
    # (num_batches_tracked still counts the step).
    cases["GroupNormEmptyBatch"] = layer_case(nn.GroupNorm(2, 4), wave((0, 4, 3), 1.8), 26)
    cases["LayerNormEmptyBatch"] = layer_case(nn.LayerNorm(4), wave((0, 3, 4), 1.6), 27)
    cases["BatchNorm1dTrainEmptyBatch"] = layer_case(nn.BatchNorm1d(3), wave((0, 3), 1.1), 28, train=True)
    cases["BatchNorm2dEvalEmptyBatch"] = layer_case(nn.BatchNorm2d(2), wave((0, 2, 3, 3), 1.4), 29)
    cases["Embedding"] = layer_case(
        nn.Embedding(5, 3, padding_idx=1), torch.tensor([[0, 1, 4], [1, 2, 3]]), 25
    )
    acts = {
        "ReLU": nn.ReLU(),
        "LeakyReLU": nn.LeakyReLU(0.2),
        "Sigmoid": nn.Sigmoid(),
        "Tanh": nn.Tanh(),
        "GELU": nn.GELU(),
        "GELUTanh": nn.GELU(approximate="tanh"),
        "SiLU": nn.SiLU(),
        "ELU": nn.ELU(0.5),
        "Softplus": nn.Softplus(2, 1.5),
        "Softmax": nn.Softmax(1),
        "LogSoftmax": nn.LogSoftmax(-1),
        "Hardtanh": nn.Hardtanh(-0.5, 0.8),
        "Mish": nn.Mish(),
        "Identity": nn.Identity(),
        "Flatten": nn.Flatten(),
        "Dropout": nn.Dropout(0.3),
    }
    for k, (name, module) in enumerate(acts.items()):
        # Away from kinks: values in (-3, 3), none within 0.01 of 0 or of the hardtanh bounds.
        cases[name] = layer_case(module, wave((2, 3, 2), 0.05 + k * 0.1, 3.0), 30 + k)
    cases["Unflatten"] = layer_case(nn.Unflatten(1, (2, 3)), wave((2, 6), 0.2), 50)
    cases["UpsampleNearest"] = layer_case(nn.Upsample(scale_factor=2), wave((1, 2, 2, 3), 0.3), 51)
    cases["UpsampleBilinear"] = layer_case(
        nn.Upsample(size=(3, 5), mode="bilinear"), wave((1, 2, 2, 3), 0.4), 52
    )
    mha = nn.MultiheadAttention(4, 2)
    cases["MultiheadAttention"] = layer_case(MhaSelf(mha), wave((3, 2, 4), 0.5), 53)
    enc = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0)
    cases["TransformerEncoderLayer"] = layer_case(enc, wave((3, 2, 4), 0.6), 54)
    enc_first = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    cases["TransformerEncoderLayerNormFirst"] = layer_case(enc_first, wave((2, 3, 4), 0.7), 55)
    return cases


class MhaSelf(nn.Module):
    """Self-attention through MultiheadAttention, so layer_case can call it with one input."""

    def __init__(self, mha):
        super().__init__()
        self.attn = mha

    def forward(self, x):
        return self.attn(x, x, x)[0]


class MhaMasked(nn.Module):
    """Self-attention with a causal boolean mask and a key padding mask (the last key of the
    second sequence); returns the output or the head-averaged attention weights."""

    def __init__(self, mha, weights):
        super().__init__()
        self.attn = mha
        self.weights = weights

    def forward(self, x):
        n, l, _ = x.shape
        causal = torch.ones(l, l, dtype=torch.bool).triu(1)
        padding = torch.zeros(n, l, dtype=torch.bool)
        padding[1, l - 1] = True
        out, weights = self.attn(x, x, x, key_padding_mask=padding, attn_mask=causal)
        return weights if self.weights else out


def batchnorm_cumulative(first_shape=(2, 2, 2, 2)):
    bn = nn.BatchNorm2d(2, momentum=None)
    bn.train()
    first = wave(first_shape, 0.1)
    second = wave((3, 2, 2, 2), 0.2, 2.0)
    bn(first)
    out = bn(second)
    return {
        "first": record(first),
        "second": record(second),
        "output": record(out),
        "stateAfter": {k: record(v) for k, v in bn.state_dict().items()},
    }


def loss_case(fn, x, target, **options):
    x = x.clone().requires_grad_(True)
    out = fn(x, target, **options)
    projection = wave(out.shape, 0.3)
    (out * projection).sum().backward()
    encoded = {}
    for k, v in options.items():
        encoded[k] = record(v) if isinstance(v, torch.Tensor) else v
    return {
        "input": record(x),
        "target": record(target),
        "options": encoded,
        "output": record(out),
        "projection": record(projection),
        "inputGrad": record(x.grad),
    }


def losses():
    x = wave((2, 3), 0.1, 2.0)
    t = wave((2, 3), 1.1, 2.0)
    cases = {}
    for reduction in ["none", "mean", "sum"]:
        cases[f"mseLoss/{reduction}"] = loss_case(F.mse_loss, x, t, reduction=reduction)
        cases[f"l1Loss/{reduction}"] = loss_case(F.l1_loss, x, t, reduction=reduction)
        cases[f"smoothL1Loss/{reduction}"] = loss_case(F.smooth_l1_loss, x, t, reduction=reduction, beta=0.5)
        cases[f"huberLoss/{reduction}"] = loss_case(F.huber_loss, x, t, reduction=reduction, delta=0.7)
    logits = wave((4, 5), 0.2, 2.0)
    labels = torch.tensor([0, 4, 1, 2], dtype=torch.int32)
    weight = wave((5,), 0.5).abs() + 0.2
    probs = F.softmax(wave((4, 5), 0.9, 2.0), 1)
    ce = lambda a, b, **o: F.cross_entropy(a, b.long() if not b.is_floating_point() else b, **o)  # noqa: E731
    nll = lambda a, b, **o: F.nll_loss(a, b.long(), **o)  # noqa: E731
    for reduction in ["none", "mean", "sum"]:
        cases[f"crossEntropy/{reduction}"] = loss_case(ce, logits, labels, reduction=reduction)
        cases[f"crossEntropy/weight/{reduction}"] = loss_case(ce, logits, labels, reduction=reduction, weight=weight)
        cases[f"crossEntropy/smoothing/{reduction}"] = loss_case(
            ce, logits, labels, reduction=reduction, label_smoothing=0.2
        )
        cases[f"crossEntropy/weightSmoothingIgnore/{reduction}"] = loss_case(
            ce, logits, torch.tensor([0, 4, 1, 4], dtype=torch.int32), reduction=reduction,
            weight=weight, label_smoothing=0.1, ignore_index=4,
        )
        cases[f"crossEntropy/probabilities/{reduction}"] = loss_case(
            ce, logits, probs, reduction=reduction, label_smoothing=0.1, weight=weight
        )
        cases[f"nllLoss/{reduction}"] = loss_case(nll, F.log_softmax(logits, 1), labels, reduction=reduction)
        cases[f"nllLoss/weightIgnore/{reduction}"] = loss_case(
            nll, F.log_softmax(logits, 1), labels, reduction=reduction, weight=weight, ignore_index=1
        )
        # Every target ignored: the mean is 0 / 0 (NaN), yet every gradient is 0.
        all_ignored = torch.tensor([2, 2, 2, 2], dtype=torch.int32)
        cases[f"crossEntropy/allIgnored/{reduction}"] = loss_case(
            ce, logits, all_ignored, reduction=reduction, ignore_index=2
        )
        cases[f"crossEntropy/allIgnoredWeightSmoothing/{reduction}"] = loss_case(
            ce, logits, all_ignored, reduction=reduction, weight=weight, label_smoothing=0.2, ignore_index=2
        )
        cases[f"nllLoss/allIgnoredWeight/{reduction}"] = loss_case(
            nll, F.log_softmax(logits, 1), all_ignored, reduction=reduction, weight=weight, ignore_index=2
        )
    spatial = wave((2, 3, 2, 2), 0.3, 2.0)
    spatial_labels = torch.tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]], dtype=torch.int32)
    cases["crossEntropy/spatial/mean"] = loss_case(ce, spatial, spatial_labels)
    cases["crossEntropy/unbatched/mean"] = loss_case(ce, wave((5,), 0.4), torch.tensor(3, dtype=torch.int32))
    p = torch.sigmoid(wave((2, 3), 0.6, 2.0))
    y = (wave((2, 3), 2.0) > 0).to(torch.float64)
    w3 = wave((3,), 0.7).abs() + 0.5
    for reduction in ["none", "mean", "sum"]:
        cases[f"binaryCrossEntropy/{reduction}"] = loss_case(F.binary_cross_entropy, p, y, reduction=reduction)
        cases[f"binaryCrossEntropy/weight/{reduction}"] = loss_case(
            F.binary_cross_entropy, p, y, reduction=reduction, weight=w3
        )
        cases[f"binaryCrossEntropyWithLogits/{reduction}"] = loss_case(
            F.binary_cross_entropy_with_logits, wave((2, 3), 0.6, 4.0), y, reduction=reduction
        )
        cases[f"binaryCrossEntropyWithLogits/posWeight/{reduction}"] = loss_case(
            F.binary_cross_entropy_with_logits, wave((2, 3), 0.6, 4.0), wave((2, 3), 0.1).abs(),
            reduction=reduction, pos_weight=w3, weight=w3.flip(0),
        )
    logp = F.log_softmax(wave((3, 4), 0.2, 2.0), 1)
    target = F.softmax(wave((3, 4), 1.2, 2.0), 1)
    for reduction in ["none", "mean", "sum", "batchmean"]:
        cases[f"klDiv/{reduction}"] = loss_case(F.kl_div, logp, target, reduction=reduction)
        cases[f"klDiv/logTarget/{reduction}"] = loss_case(
            F.kl_div, logp, target.log(), reduction=reduction, log_target=True
        )
    cases["cosineSimilarity/dim1"] = loss_case(F.cosine_similarity, wave((3, 4), 0.1), wave((3, 4), 0.9))
    cases["cosineSimilarity/broadcast"] = loss_case(F.cosine_similarity, wave((3, 4), 0.1), wave((1, 4), 0.9))
    return cases


class DigitRecognizer(nn.Module):
    def __init__(self, c1=32, c2=64, hidden=128):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 3)
        self.conv2 = nn.Conv2d(c1, c2, 3)
        self.pool = nn.MaxPool2d(2)
        self.dropout1 = nn.Dropout2d(0.25)
        self.fc1 = nn.Linear(c2 * 12 * 12, hidden)
        self.dropout2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), 1)


SAMPLES = 24


def sample_indices(n):
    return sorted({(k * 7919 + 13) % n for k in range(SAMPLES)})


def summary(t):
    """Sum, sum of squares, a wave-weighted sum and sampled entries: enough to catch any slip."""
    v = t.detach().reshape(-1)
    idx = sample_indices(v.numel())
    return {
        "shape": list(t.shape),
        "sum": float(v.sum()),
        "sumSquares": float((v * v).sum()),
        "weighted": float((v * wave((v.numel(),), 0.11)).sum()),
        "indices": idx,
        "samples": flat(v[idx]),
    }


def cnn():
    torch.manual_seed(0)
    model = DigitRecognizer()
    # Weights: wave(shape, phase k, 1/sqrt(fanIn)) in float32, the order of state_dict().
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            fan_in = p.shape[1] * math.prod(p.shape[2:]) if p.dim() > 1 else model.state_dict()[name.replace("bias", "weight")][0].numel()
            p.copy_(wave(p.shape, k, 1 / math.sqrt(fan_in)))
    model.float().eval()
    x = wave((2, 1, 28, 28), 0.5, 1.0, torch.float32)
    target = torch.tensor([3, 7])
    out = model(x)
    loss = F.nll_loss(out, target)
    loss.backward()
    return {
        "repr": str(model),
        "numParameters": sum(p.numel() for p in model.parameters()),
        "keys": list(model.state_dict().keys()),
        "output": record(out),
        "loss": float(loss),
        "grads": {name: summary(p.grad) for name, p in model.named_parameters()},
    }


def mlp():
    model = nn.Sequential(
        nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)
    )
    state = set_state(model, 60)
    with torch.no_grad():
        model[1].num_batches_tracked.fill_(7)
    state["1.num_batches_tracked"] = record(model[1].num_batches_tracked)
    model.eval()
    x = wave((4, 6), 0.3, 1.5)
    target = torch.tensor([0, 2, 1, 2])
    out = model(x)
    loss = F.cross_entropy(out, target)
    loss.backward()
    return {
        "repr": str(model),
        "state": state,
        "input": record(x),
        "output": record(out),
        "loss": float(loss),
        "grads": {name: record(p.grad) for name, p in model.named_parameters()},
    }, model


# ---- safetensors, laid out as the reference writer does ----

CODES = {torch.float64: "F64", torch.float32: "F32", torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL", torch.float16: "F16", torch.uint8: "U8"}
RANK = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 3, "U16": 4, "F16": 5, "BF16": 6, "I32": 7, "U32": 8, "F32": 9, "F64": 10, "I64": 11, "U64": 12}


def safetensors_bytes(tensors, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-RANK[CODES[kv[1].dtype]], kv[0].encode()))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    blobs = []
    for name, t in items:
        data = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def fixtures(mlp_model):
    torch.manual_seed(1)
    small = DigitRecognizer(2, 4, 8).float()
    with torch.no_grad():
        for k, p in enumerate(small.parameters()):
            p.copy_(wave(p.shape, k + 0.5, 0.3))
    path = os.path.join(PACKAGE, "test", "fixtures", "small-cnn.safetensors")
    with open(path, "wb") as f:
        f.write(safetensors_bytes(small.state_dict()))
    x = wave((1, 1, 28, 28), 0.25, 1.0, torch.float32)
    small.eval()
    mlp_path = os.path.join(PACKAGE, "test", "fixtures", "mlp-batchnorm.safetensors")
    with open(mlp_path, "wb") as f:
        f.write(safetensors_bytes(mlp_model.float().state_dict(), {"format": "pt"}))
    return {
        "smallCnnOutput": record(small(x)),
        "smallCnnInput": record(x),
        "smallCnnRepr": str(small),
    }


def write(values):
    lines = [
        "// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: computed values, not spelled constants",
        f"// Generated by packages/nn/scripts/reference/nn_reference.py with PyTorch {torch.__version__}; do not edit.",
        "// Expected values of @dl/nn's layers, losses and whole models; see the script for how.",
        "",
        "import type { References } from './types.js';",
        "",
        "// biome-ignore format: generated data",
        "export const references: References = " + json.dumps(values, separators=(",", ":")) + ";",
        "",
    ]
    with open(os.path.join(PACKAGE, "test", "reference", "values.ts"), "w") as f:
        f.write("\n".join(lines))


def main():
    mlp_case, mlp_model = mlp()
    values = {
        "layers": layers(),
        "batchNormCumulative": batchnorm_cumulative(),
        # An empty first batch counts (the second is averaged in with factor 1/2) but adds nothing.
        "batchNormCumulativeAfterEmpty": batchnorm_cumulative((0, 2, 2, 2)),
        "losses": losses(),
        "cnn": cnn(),
        "mlp": mlp_case,
        "safetensors": fixtures(mlp_model),
    }
    write(values)


if __name__ == "__main__":
    main()
