"""PyTorch reference values for @dl/nn's recurrent layers: RNN, LSTM, GRU and their cells.

Run with PyTorch 1.13 (CPU): /usr/bin/python3 packages/nn/scripts/reference/rnn.py
It writes packages/nn/test/reference/rnn-values.ts. Each case builds the torch module with a
fixed seed (its default initialisation), draws the input and initial states from the same
seeded generator, and records the state dict, the inputs, the outputs, and the gradients of

    sum(output * p0) + sum(h_n * p1) [+ sum(c_n * p2)]

(the p's are fixed waves, recorded too) with respect to the input, the initial states and
every parameter. Everything is computed in float64; the tests run dl in float32.
"""

import json
import math
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.normpath(os.path.join(HERE, "..", ".."))
torch.set_default_dtype(torch.float64)


def wave(shape, phase, scale=1.0):
    """scale * sin(0.7 i + phase) over the flat index i, as in nn_reference.py."""
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return (torch.sin(i * 0.7 + phase) * scale).reshape(shape)


def flat(t):
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def record(t):
    return {"shape": list(t.shape), "values": flat(t)}


def case(seed, make, input_shape, hx_shapes=None, kind="layer"):
    """Runs `make()` (built after manual_seed(seed)) on a seeded input and records it all."""
    torch.manual_seed(seed)
    module = make()
    x = torch.randn(input_shape).requires_grad_(True)
    hx = None
    if hx_shapes is not None:
        hx = [(torch.randn(s) * 0.5).requires_grad_(True) for s in hx_shapes]
    is_lstm = isinstance(module, (nn.LSTM, nn.LSTMCell))
    arg = None if hx is None else (tuple(hx) if is_lstm else hx[0])
    result = module(x) if arg is None else module(x, arg)
    if kind == "layer":
        output, state = result
        states = list(state) if is_lstm else [state]
    else:
        output = None
        states = list(result) if is_lstm else [result]
    outputs = ([output] if output is not None else []) + states
    projections = [wave(t.shape, 0.3 + 0.4 * k) for k, t in enumerate(outputs)]
    sum((t * p).sum() for t, p in zip(outputs, projections)).backward()
    entry = {
        "repr": str(module),
        "state": {name: record(t) for name, t in module.state_dict().items()},
        "input": record(x),
        "inputGrad": record(x.grad),
        "states": [record(t) for t in states],
        "projections": [record(p) for p in projections],
        "grads": {name: record(p.grad) for name, p in module.named_parameters()},
    }
    if output is not None:
        entry["output"] = record(output)
    if hx is not None:
        entry["hx"] = [record(h) for h in hx]
        entry["hxGrads"] = [record(h.grad) for h in hx]
    return entry


def cases():
    T, B, I, H = 5, 3, 4, 6
    out = {}
    # Layers: (name, constructor, input shape, initial state shapes or None).
    layer_cases = [
        ("RNN", lambda: nn.RNN(I, H), (T, B, I), None),
        ("RNNRelu", lambda: nn.RNN(I, H, nonlinearity="relu"), (T, B, I), [(1, B, H)]),
        ("RNNTwoLayers", lambda: nn.RNN(I, H, num_layers=2), (T, B, I), [(2, B, H)]),
        ("RNNBidirectional", lambda: nn.RNN(I, H, bidirectional=True), (T, B, I), None),
        ("RNNReluNoBiasBatchFirst", lambda: nn.RNN(I, H, nonlinearity="relu", bias=False, batch_first=True), (B, T, I), None),
        ("LSTM", lambda: nn.LSTM(I, H), (T, B, I), None),
        ("LSTMWithState", lambda: nn.LSTM(I, H), (T, B, I), [(1, B, H), (1, B, H)]),
        ("LSTMTwoLayers", lambda: nn.LSTM(I, H, num_layers=2), (T, B, I), [(2, B, H), (2, B, H)]),
        ("LSTMBidirectional", lambda: nn.LSTM(I, H, bidirectional=True), (T, B, I), None),
        ("LSTMBatchFirst", lambda: nn.LSTM(I, H, batch_first=True), (B, T, I), None),
        ("LSTMNoBias", lambda: nn.LSTM(I, H, bias=False), (T, B, I), [(1, B, H), (1, B, H)]),
        (
            "LSTMTwoLayersBidirectionalBatchFirst",
            lambda: nn.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True),
            (B, T, I),
            [(4, B, H), (4, B, H)],
        ),
        ("LSTMUnbatched", lambda: nn.LSTM(I, H, num_layers=2), (T, I), [(2, H), (2, H)]),
        ("LSTMProjection", lambda: nn.LSTM(I, H, proj_size=3, num_layers=2), (T, B, I), [(2, B, 3), (2, B, H)]),
        ("LSTMSingleStep", lambda: nn.LSTM(I, H), (1, B, I), None),
        ("GRU", lambda: nn.GRU(I, H), (T, B, I), None),
        ("GRUWithState", lambda: nn.GRU(I, H), (T, B, I), [(1, B, H)]),
        ("GRUTwoLayersBidirectional", lambda: nn.GRU(I, H, num_layers=2, bidirectional=True), (T, B, I), [(4, B, H)]),
        ("GRUNoBiasBatchFirst", lambda: nn.GRU(I, H, bias=False, batch_first=True), (B, T, I), [(1, B, H)]),
        ("GRUUnbatched", lambda: nn.GRU(I, H), (T, I), None),
    ]
    for k, (name, make, shape, hx) in enumerate(layer_cases):
        out[name] = case(100 + k, make, shape, hx)
    cell_cases = [
        ("RNNCell", lambda: nn.RNNCell(I, H), (B, I), [(B, H)]),
        ("RNNCellReluNoBias", lambda: nn.RNNCell(I, H, bias=False, nonlinearity="relu"), (B, I), None),
        ("LSTMCell", lambda: nn.LSTMCell(I, H), (B, I), [(B, H), (B, H)]),
        ("LSTMCellNoState", lambda: nn.LSTMCell(I, H), (B, I), None),
        ("LSTMCellUnbatched", lambda: nn.LSTMCell(I, H, bias=False), (I,), [(H,), (H,)]),
        ("GRUCell", lambda: nn.GRUCell(I, H), (B, I), [(B, H)]),
        ("GRUCellNoBias", lambda: nn.GRUCell(I, H, bias=False), (B, I), [(B, H)]),
        ("GRUCellUnbatched", lambda: nn.GRUCell(I, H), (I,), None),
    ]
    for k, (name, make, shape, hx) in enumerate(cell_cases):
        out[name] = case(200 + k, make, shape, hx, kind="cell")
    return out


def write(values):
    lines = [
        "// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: computed values, not spelled constants",
        f"// Generated by packages/nn/scripts/reference/rnn.py with PyTorch {torch.__version__}; do not edit.",
        "// Expected values of @dl/nn's recurrent layers and cells; see the script for how.",
        "",
        "import type { RecurrentReference } from './types.js';",
        "",
        "// biome-ignore format: generated data",
        "export const recurrentReferences: Readonly<Record<string, RecurrentReference>> = "
        + json.dumps(values, separators=(",", ":"))
        + ";",
        "",
    ]
    with open(os.path.join(PACKAGE, "test", "reference", "rnn-values.ts"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    write(cases())
