"""PyTorch's figures for cpu-peers.bench.ts: the same five workloads on the CPU with 2 threads,
from the same data and initial weights (the fixture folder the bench writes; fixture.ts says
its format). The bench runs this script itself when `import torch` works:

    /usr/bin/python3 cpu_peers_torch.py <fixture folder> [rows...]   # prints one line of JSON
    /usr/bin/python3 cpu_peers_torch.py <fixture folder> --memory    # inference peak memory

Rows are matmul, mlp, cnn-train, cnn-infer and add (all by default). Timing follows the
bench's: a warm-up, then samples of runs repeated for at least a minimum time, the median
sample reported. The cross-check figures (first losses without dropout, the largest
differences from float64 and from dl's outputs) let the bench check that PyTorch computed
what the other libraries did.
"""
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

THREADS = 2
BATCH = 64
LR = 1e-3


def read_fixture(folder):
    with open(os.path.join(folder, 'manifest.json')) as f:
        manifest = json.load(f)
    arrays = {}
    for name, entry in manifest.items():
        dtype = np.float32 if entry['dtype'] == 'float32' else np.int32
        data = np.fromfile(os.path.join(folder, entry['file']), dtype=dtype)
        arrays[name] = torch.from_numpy(data.reshape(entry['shape']))
    return arrays


def median_ms(work, samples, min_sample_ms, warmup_runs=1):
    """Milliseconds per run: the median of `samples` samples, each running `work` back to back
    for at least `min_sample_ms`."""
    for _ in range(warmup_runs):
        work()
    taken = []
    for _ in range(samples):
        runs = 0
        start = time.perf_counter()
        while True:
            work()
            runs += 1
            elapsed = (time.perf_counter() - start) * 1000
            if elapsed >= min_sample_ms:
                break
        taken.append(elapsed / runs)
    return statistics.median(taken)


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class Net(torch.nn.Module):
    """PyTorch's examples/mnist network: dl's DigitRecognizer."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, 1)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = torch.nn.Dropout2d(0.25)
        self.dropout2 = torch.nn.Dropout(0.5)
        self.fc1 = torch.nn.Linear(9216, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def load(model, arrays, prefix):
    state = {name[len(prefix):]: value for name, value in arrays.items() if name.startswith(prefix)}
    model.load_state_dict(state)
    return model


def trainer(model, x, y, loss_fn):
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def training(arrays, make, prefix, x, loss_fn):
    """First losses without dropout (eval mode: the nets have no batch norm), then ms per step
    with dropout, from fresh weights."""
    y = arrays['batch/labels'].long()
    check = trainer(load(make(), arrays, prefix).eval(), x, y, loss_fn)
    losses = [check() for _ in range(3)]
    step = trainer(load(make(), arrays, prefix).train(), x, y, loss_fn)
    return losses, median_ms(step, samples=5, min_sample_ms=500, warmup_runs=3)


def main():
    folder = sys.argv[1]
    torch.set_num_threads(THREADS)
    arrays = read_fixture(folder)

    if '--memory' in sys.argv[2:]:
        model = load(Net(), arrays, 'cnn/').eval()
        x = arrays['inference/images'].clone()
        arrays.clear()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with torch.no_grad():
            for _ in range(2):
                model(x).numpy().copy()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes
        print(json.dumps({'beforeMB': before / 1024, 'peakMB': peak / 1024}))
        return

    rows = sys.argv[2:] or ['matmul', 'mlp', 'cnn-train', 'cnn-infer', 'add']
    out = {'version': torch.__version__, 'threads': torch.get_num_threads()}
    if 'matmul' in rows:
        a, b = arrays['matmul/a'], arrays['matmul/b']
        exact = a.double() @ b.double()
        scale = (a.double().abs() @ b.double().abs()).max().item()
        out['matmulError'] = ((a @ b).double() - exact).abs().max().item() / scale
        ms = median_ms(lambda: a @ b, samples=5, min_sample_ms=300, warmup_runs=2)
        out['matmul'] = 2 * 1024**3 / ms / 1e6  # GFLOP/s
    batch = arrays['batch/images']
    if 'mlp' in rows:
        losses, ms = training(arrays, Mlp, 'mlp/', batch.reshape(BATCH, 784), F.cross_entropy)
        out['mlpLosses'] = losses
        out['mlp'] = BATCH * 1000 / ms
    if 'cnn-train' in rows:
        losses, ms = training(arrays, Net, 'cnn/', batch.reshape(BATCH, 1, 28, 28), F.nll_loss)
        out['cnnLosses'] = losses
        out['cnnTrain'] = BATCH * 1000 / ms
    if 'cnn-infer' in rows:
        model = load(Net(), arrays, 'cnn/').eval()
        images = arrays['inference/images']

        def infer():
            with torch.no_grad():
                return model(images).numpy().copy()

        out['inferenceError'] = float(np.abs(infer() - arrays['check/inference'].numpy()).max())
        ms = median_ms(infer, samples=5, min_sample_ms=0)
        out['cnnInfer'] = images.shape[0] * 1000 / ms
    if 'add' in rows:
        a, b = torch.randn(100), torch.randn(100)

        def adds():
            for _ in range(1000):
                a + b

        out['add'] = median_ms(adds, samples=5, min_sample_ms=200)  # ms per 1000 ops: us per op
    print(json.dumps(out))


if __name__ == '__main__':
    main()
