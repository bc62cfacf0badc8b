"""PyTorch reference values for test/models.test.ts: @dl/vision's models defined the same way
in PyTorch 1.13 (torchvision is not installed here, so its ResNet and BasicBlock are written
out with the same layer names), their printed forms, parameter counts, state-dict keys,
eval-mode outputs and one train-mode step's gradients, for fixed weights.

    /usr/bin/python3 packages/vision/scripts/reference/models.py

writes packages/vision/test/models.reference.ts. Weights, buffers and inputs are formulas
(see `wave` and `fixed_state`) that the test rebuilds, so only results are stored. The
computation runs in float64 on the float32-rounded weights and inputs: the exact answer
for what the float32 test loads.
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.normpath(os.path.join(HERE, "..", ".."))


# ---- the models ----


class DigitRecognizer(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.pool = nn.MaxPool2d(2)
        self.dropout1 = nn.Dropout2d(0.25)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.dropout2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), 1)


class LeNet5(nn.Module):
    """LeCun et al. 1998's layout with ReLU and max pooling, as in PyTorch's tutorial."""

    def __init__(self, in_channels=1, num_classes=10, input_size=28):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=(32 - input_size) // 2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock (ReLU not in place)."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision.models.resnet.ResNet with a stage count and widths of one's choosing, and a
    'small' stem (3x3 convolution, stride 1, no max pooling) for 28x28 and 32x32 images."""

    def __init__(self, block, layers, num_classes=1000, in_channels=3, widths=(64, 128, 256, 512), stem="imagenet"):
        super().__init__()
        self.inplanes = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, 7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = conv3x3(in_channels, self.inplanes)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU()
        if stem == "imagenet":
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        else:
            self.maxpool = None
        for i, (width, blocks) in enumerate(zip(widths, layers)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, width, blocks, 1 if i == 0 else 2))
        self.stages = len(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[len(layers) - 1] * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            x = self.maxpool(x)
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet20(in_channels, num_classes=10):
    """He et al. 2016's CIFAR ResNet-20 (three stages of three blocks, widths 16-32-64), with
    1x1 convolution shortcuts where the shape changes, as torchvision's."""
    return ResNet(BasicBlock, [3, 3, 3], num_classes, in_channels, (16, 32, 64), "small")


# ---- fixed weights and inputs (the test rebuilds these) ----


def wave(shape, phase, scale=1.0):
    """scale * sin(0.7 i + phase) over the flat index i, rounded to float32, as float64."""
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return (torch.sin(i * 0.7 + phase) * scale).float().double().reshape(shape)


def fixed_state(model):
    """The k-th state-dict entry, by kind: conv/linear weights wave(k, 1/sqrt(fan in)), biases
    wave(k, 0.1), BatchNorm weights 1 + wave(k, 0.2), running means wave(k, 0.1), running
    variances 3 + wave(k, 1); num_batches_tracked stays 0. Float32 values, as float64."""
    state = {}
    for k, (name, t) in enumerate(model.state_dict().items()):
        if name.endswith("num_batches_tracked"):
            state[name] = t.clone()
        elif name.endswith("running_mean"):
            state[name] = wave(t.shape, k, 0.1)
        elif name.endswith("running_var"):
            state[name] = (3 + wave(t.shape, k, 1.0)).float().double()
        elif name.endswith("bias"):
            state[name] = wave(t.shape, k, 0.1)
        elif t.dim() == 1:  # a BatchNorm weight
            state[name] = (1 + wave(t.shape, k, 0.2)).float().double()
        else:
            state[name] = wave(t.shape, k, 1 / math.sqrt(math.prod(t.shape[1:])))
    return state


def flat(t):
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def record(t):
    return {"shape": list(t.shape), "values": flat(t)}


SAMPLES = 16


def summary(t):
    """Sum, sum of squares, a wave-weighted sum and sampled entries: enough to catch any slip."""
    v = t.detach().reshape(-1)
    idx = sorted({(k * 7919 + 13) % v.numel() for k in range(SAMPLES)})
    return {
        "shape": list(t.shape),
        "sum": float(v.sum()),
        "sumSquares": float((v * v).sum()),
        "weighted": float((v * wave((v.numel(),), 0.11)).sum()),
        "indices": idx,
        "samples": flat(v[idx]),
    }


def describe(model):
    return {
        "repr": str(model),
        "numParameters": sum(p.numel() for p in model.parameters()),
        "keys": list(model.state_dict().keys()),
        "shapes": [list(t.shape) for t in model.state_dict().values()],
    }


def evaluate(model, input_shape):
    """Eval-mode output for the fixed state and input wave(input_shape, 0.5)."""
    model.double()
    model.load_state_dict(fixed_state(model))
    model.eval()
    with torch.no_grad():
        out = model(wave(input_shape, 0.5))
    return record(out)


def train_step(model, input_shape, target):
    """One train-mode step from the fixed state: loss, every gradient, the running statistics."""
    model.double()
    model.load_state_dict(fixed_state(model))
    model.train()
    out = model(wave(input_shape, 0.5))
    loss = F.cross_entropy(out, torch.tensor(target))
    loss.backward()
    return {
        "target": target,
        "output": record(out),
        "loss": float(loss),
        "grads": {name: summary(p.grad) for name, p in model.named_parameters()},
        "buffers": {name: summary(b) for name, b in model.named_buffers() if b.is_floating_point()},
    }


def main():
    torch.manual_seed(0)
    values = {}

    model = DigitRecognizer()
    values["digitRecognizer"] = {**describe(model), "output": evaluate(model, (2, 1, 28, 28))}

    model = LeNet5()
    values["lenet5"] = {**describe(model), "output": evaluate(model, (2, 1, 28, 28))}
    model = LeNet5(3, 10, 32)
    values["lenet5Cifar"] = {**describe(model), "output": evaluate(model, (2, 3, 32, 32))}

    model = resnet20(1)
    values["resnetMnist"] = {**describe(model), "output": evaluate(model, (2, 1, 28, 28))}
    model = resnet20(3)
    values["resnetCifar"] = {
        **describe(model),
        "output": evaluate(model, (2, 3, 32, 32)),
        "train": train_step(resnet20(3), (2, 3, 32, 32), [3, 8]),
    }

    # torchvision's resnet18 layout: its state dicts load as they are.
    model = ResNet(BasicBlock, [2, 2, 2, 2])
    values["resnet18"] = describe(model)

    lines = [
        "// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: computed values, not spelled constants",
        f"// Generated by scripts/reference/models.py with PyTorch {torch.__version__}; do not edit.",
        "",
        "// biome-ignore format: generated data",
        "export const reference = " + json.dumps(values, separators=(",", ":")) + ";",
        "",
    ]
    with open(os.path.join(PACKAGE, "test", "models.reference.ts"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
