#!/usr/bin/env python3
"""Writes PyTorch's results for @dl/optim's tests as TypeScript modules under test/reference/.

    /usr/bin/python3 packages/optim/scripts/reference/optim.py
    pnpm biome format --write packages/optim/test/reference

trajectories.ts: for each optimizer and option set, the parameters of a small fixed MLP
after five steps of torch.optim on a fixed batch (float32, as dl computes). The MLP and its
values are mirrored by test/mlp.ts: fixed(n, seed) is exact in float32.
schedulers.ts: the lr (and momentum) of each group over 25 epochs of each scheduler.
"""

import json
import math
import os

import torch
from torch.optim import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop
from torch.optim import lr_scheduler as sched

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "test", "reference")


def fixed(shape, seed):
    """((i * 7 + seed * 13) % 19 - 9) / 8 for i = 0, 1, ...: exact in float32."""
    n = math.prod(shape)
    values = [((i * 7 + seed * 13) % 19 - 9) / 8 for i in range(n)]
    return torch.tensor(values, dtype=torch.float32).reshape(shape)


def mlp():
    """w1 [5, 3], b1 [5], w2 [2, 5], b2 [2], and `unused` [3], which never gets a gradient."""
    names = ["w1", "b1", "w2", "b2", "unused"]
    shapes = [[5, 3], [5], [2, 5], [2], [3]]
    return {name: fixed(shape, seed + 1).requires_grad_() for seed, (name, shape) in enumerate(zip(names, shapes))}


X = fixed([4, 3], 11)
Y = fixed([4, 2], 12)


def loss_of(p):
    h = torch.tanh(X @ p["w1"].T + p["b1"])
    out = h @ p["w2"].T + p["b2"]
    return ((out - Y) ** 2).mean()


TORCH_NAMES = {
    "weightDecay": "weight_decay",
    "lrDecay": "lr_decay",
    "initialAccumulatorValue": "initial_accumulator_value",
}
OPTIMIZERS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "RMSprop": RMSprop, "Adagrad": Adagrad, "Adadelta": Adadelta}


def torch_options(options):
    return {TORCH_NAMES.get(k, k): tuple(v) if isinstance(v, list) else v for k, v in options.items()}


# (name, optimizer, options, groups): groups, if given, split the parameters into two groups
# ([w1, b1, unused] and [w2, b2]) with these overrides.
CASES = [
    ("SGD plain", "SGD", {"lr": 0.1}, None),
    ("SGD momentum", "SGD", {"lr": 0.1, "momentum": 0.9}, None),
    ("SGD momentum dampening weightDecay", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "weightDecay": 0.1}, None),
    ("SGD nesterov weightDecay", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weightDecay": 0.1}, None),
    ("SGD maximize momentum", "SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}, None),
    ("SGD groups", "SGD", {"lr": 0.1}, [{}, {"lr": 0.02, "momentum": 0.9}]),
    ("Adam default", "Adam", {"lr": 0.01}, None),
    ("Adam betas eps weightDecay", "Adam", {"lr": 0.01, "betas": [0.8, 0.9], "eps": 1e-6, "weightDecay": 0.1}, None),
    ("Adam amsgrad", "Adam", {"lr": 0.05, "amsgrad": True}, None),
    ("Adam amsgrad maximize weightDecay", "Adam", {"lr": 0.01, "amsgrad": True, "maximize": True, "weightDecay": 0.05}, None),
    ("Adam groups", "Adam", {"lr": 0.01}, [{"amsgrad": True}, {"lr": 0.03, "betas": [0.5, 0.6]}]),
    ("AdamW default", "AdamW", {"lr": 0.01}, None),
    ("AdamW amsgrad weightDecay", "AdamW", {"lr": 0.05, "amsgrad": True, "weightDecay": 0.1}, None),
    ("AdamW maximize", "AdamW", {"lr": 0.01, "maximize": True}, None),
    ("RMSprop default", "RMSprop", {"lr": 0.01}, None),
    ("RMSprop alpha momentum", "RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}, None),
    ("RMSprop centered momentum weightDecay", "RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weightDecay": 0.1}, None),
    ("RMSprop centered maximize", "RMSprop", {"lr": 0.01, "centered": True, "maximize": True, "eps": 1e-4}, None),
    ("Adagrad default", "Adagrad", {"lr": 0.1}, None),
    ("Adagrad lrDecay weightDecay initialAccumulatorValue", "Adagrad", {"lr": 0.1, "lrDecay": 0.1, "weightDecay": 0.1, "initialAccumulatorValue": 0.1}, None),
    ("Adagrad maximize", "Adagrad", {"lr": 0.1, "maximize": True, "eps": 1e-6}, None),
    ("Adadelta default", "Adadelta", {"lr": 1.0}, None),
    ("Adadelta rho eps weightDecay", "Adadelta", {"lr": 1.0, "rho": 0.8, "eps": 1e-5, "weightDecay": 0.1}, None),
    ("Adadelta maximize", "Adadelta", {"lr": 0.5, "maximize": True}, None),
]

STEPS = 5


def trajectory(optimizer, options, groups):
    p = mlp()
    if groups is None:
        params = list(p.values())
    else:
        params = [
            {"params": [p["w1"], p["b1"], p["unused"]], **torch_options(groups[0])},
            {"params": [p["w2"], p["b2"]], **torch_options(groups[1])},
        ]
    opt = OPTIMIZERS[optimizer](params, **torch_options(options))
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_of(p)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {name: t.detach().reshape(-1).tolist() for name, t in p.items()}, losses


def write(name, header, const, entries):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        f.write(f"// Generated by packages/optim/scripts/reference/optim.py with PyTorch {torch.__version__}; do not edit.\n")
        f.write(header)
        f.write(f"export const {const} = {json.dumps(entries, indent=2)} as const;\n")
    print(f"wrote {len(entries)} entries to {os.path.relpath(path)}")


def trajectories():
    entries = []
    for name, optimizer, options, groups in CASES:
        params, losses = trajectory(optimizer, options, groups)
        entry = {"name": name, "optimizer": optimizer, "options": options, "params": params, "losses": losses}
        if groups is not None:
            entry["groups"] = groups
        entries.append(entry)
    write(
        "trajectories.ts",
        "// Parameters of test/mlp.ts's MLP after five steps of torch.optim (float32) on its fixed batch.\n\n",
        "trajectories",
        entries,
    )


# ---- schedulers ----

EPOCHS = 25


def scheduler_optimizer(kind="SGD"):
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    groups = [{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.05}]
    if kind == "Adam":
        return Adam(groups, betas=(0.9, 0.999))
    return SGD(groups, lr=0.1, momentum=0.9)


LAMBDAS = {
    "power": lambda epoch: 0.95 ** epoch,
    "inverse": lambda epoch: 1 / (1 + epoch),
}


def build(spec, opt):
    kind, args = spec["kind"], spec.get("args", {})
    if kind == "StepLR":
        return sched.StepLR(opt, args["stepSize"], gamma=args.get("gamma", 0.1))
    if kind == "MultiStepLR":
        return sched.MultiStepLR(opt, args["milestones"], gamma=args.get("gamma", 0.1))
    if kind == "ExponentialLR":
        return sched.ExponentialLR(opt, args["gamma"])
    if kind == "CosineAnnealingLR":
        return sched.CosineAnnealingLR(opt, args["tMax"], eta_min=args.get("etaMin", 0))
    if kind == "CosineAnnealingWarmRestarts":
        return sched.CosineAnnealingWarmRestarts(opt, args["t0"], T_mult=args.get("tMult", 1), eta_min=args.get("etaMin", 0))
    if kind == "LinearLR":
        return sched.LinearLR(opt, start_factor=args["startFactor"], end_factor=args["endFactor"], total_iters=args["totalIters"])
    if kind == "ConstantLR":
        return sched.ConstantLR(opt, factor=args["factor"], total_iters=args["totalIters"])
    if kind == "PolynomialLR":
        return sched.PolynomialLR(opt, total_iters=args["totalIters"], power=args["power"])
    if kind == "OneCycleLR":
        return sched.OneCycleLR(
            opt, args["maxLr"], total_steps=args["totalSteps"], pct_start=args.get("pctStart", 0.3),
            anneal_strategy=args.get("annealStrategy", "cos"), three_phase=args.get("threePhase", False),
        )
    if kind == "LambdaLR":
        return sched.LambdaLR(opt, [LAMBDAS[name] for name in args["lambdas"]])
    if kind == "SequentialLR":
        children = [build(child, opt) for child in args["schedulers"]]
        return sched.SequentialLR(opt, children, args["milestones"])
    raise ValueError(kind)


SCHEDULERS = [
    ("StepLR", {"kind": "StepLR", "args": {"stepSize": 4, "gamma": 0.5}}),
    ("MultiStepLR repeated milestone", {"kind": "MultiStepLR", "args": {"milestones": [3, 8, 8, 15], "gamma": 0.5}}),
    ("ExponentialLR", {"kind": "ExponentialLR", "args": {"gamma": 0.9}}),
    ("CosineAnnealingLR past tMax", {"kind": "CosineAnnealingLR", "args": {"tMax": 10, "etaMin": 0.001}}),
    ("CosineAnnealingWarmRestarts", {"kind": "CosineAnnealingWarmRestarts", "args": {"t0": 5, "etaMin": 0.01}}),
    ("CosineAnnealingWarmRestarts tMult", {"kind": "CosineAnnealingWarmRestarts", "args": {"t0": 3, "tMult": 2}}),
    ("LinearLR", {"kind": "LinearLR", "args": {"startFactor": 0.25, "endFactor": 0.75, "totalIters": 8}}),
    ("ConstantLR", {"kind": "ConstantLR", "args": {"factor": 0.5, "totalIters": 6}}),
    ("PolynomialLR", {"kind": "PolynomialLR", "args": {"totalIters": 20, "power": 2.0}}),
    ("OneCycleLR cos", {"kind": "OneCycleLR", "args": {"maxLr": [1.0, 0.5], "totalSteps": 30}}),
    ("OneCycleLR linear three phase", {"kind": "OneCycleLR", "args": {"maxLr": 0.8, "totalSteps": 26, "pctStart": 0.25, "annealStrategy": "linear", "threePhase": True}}),
    ("OneCycleLR Adam beta1", {"kind": "OneCycleLR", "optimizer": "Adam", "args": {"maxLr": 0.3, "totalSteps": 28}}),
    ("LambdaLR", {"kind": "LambdaLR", "args": {"lambdas": ["power", "inverse"]}}),
    ("SequentialLR warmup then cosine", {"kind": "SequentialLR", "args": {
        "schedulers": [
            {"kind": "LinearLR", "args": {"startFactor": 0.1, "endFactor": 1.0, "totalIters": 5}},
            {"kind": "CosineAnnealingLR", "args": {"tMax": 12}},
            {"kind": "ExponentialLR", "args": {"gamma": 0.8}},
        ],
        "milestones": [5, 15],
    }}),
]

PLATEAU = [
    # Losses that improve, then hover inside the threshold band (a relative 1e-2 of the best),
    # then improve past it, then stall again.
    ("ReduceLROnPlateau min rel", {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-2, "thresholdMode": "rel", "cooldown": 1, "minLr": [0.01, 0.02], "eps": 1e-8},
     [1.0, 0.9, 0.8, 0.795, 0.799, 0.793, 0.792, 0.7, 0.699, 0.698, 0.6985, 0.697, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.496, 0.4951, 0.4, 0.4, 0.4, 0.4, 0.4]),
    ("ReduceLROnPlateau max abs", {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.05, "thresholdMode": "abs", "cooldown": 0, "minLr": 0.001},
     [0.1, 0.2, 0.24, 0.26, 0.3, 0.31, 0.34, 0.35, 0.5, 0.52, 0.54, 0.549, 0.6, 0.61, 0.62, 0.63, 0.64, 0.7, 0.7, 0.7, 0.75, 0.8, 0.8, 0.8, 0.8]),
]

PLATEAU_TORCH = {"mode": "mode", "factor": "factor", "patience": "patience", "threshold": "threshold", "thresholdMode": "threshold_mode", "cooldown": "cooldown", "minLr": "min_lr", "eps": "eps"}


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def schedulers():
    entries = []
    for name, spec in SCHEDULERS:
        opt = scheduler_optimizer(spec.get("optimizer", "SGD"))
        s = build(spec, opt)
        lrs, moms = [s.get_last_lr()], [momenta(opt)]
        for _ in range(EPOCHS):
            opt.step()
            s.step()
            lrs.append(s.get_last_lr())
            moms.append(momenta(opt))
        entry = {"name": name, "optimizer": spec.get("optimizer", "SGD"), "spec": spec, "lrs": lrs}
        if spec["kind"] == "OneCycleLR":
            entry["momenta"] = moms
        entries.append(entry)
    for name, options, losses in PLATEAU:
        opt = scheduler_optimizer()
        s = sched.ReduceLROnPlateau(opt, **{PLATEAU_TORCH[k]: v for k, v in options.items()})
        lrs = [[g["lr"] for g in opt.param_groups]]
        for loss in losses:
            opt.step()
            s.step(loss)
            lrs.append([g["lr"] for g in opt.param_groups])
        entries.append({"name": name, "optimizer": "SGD", "spec": {"kind": "ReduceLROnPlateau", "args": options}, "metrics": losses, "lrs": lrs})
    write(
        "schedulers.ts",
        "// The lr of each group (and momentum or beta1 for OneCycleLR) after construction and after\n"
        "// each of 25 epochs, for SGD(momentum 0.9) or Adam over two groups with lr 0.1 and 0.05.\n\n",
        "schedulerReference",
        entries,
    )


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    trajectories()
    schedulers()
