"""Export a trained `QNetwork` to ONNX for the browser: Q-values with activations, and gradients.

Why two files: the browser (onnxruntime-web) shows Q-values and every hidden
activation (`export_q_network`), and "dreams" inputs by gradient ascent on the
input, which needs d(sum_a w[a] Q[a]) / d obs (`export_gradient_model`).
Autograd does not export to ONNX, so `QGradientModel` writes the backward pass
out by hand: matrix products with the weights and LeakyReLU derivative masks.
`verify_gradient_model` checks it against `torch.autograd.grad`, and
`verify_onnx` checks both files, run in onnxruntime, against torch; both return
their max absolute and relative errors so that a model card can record them
(the pass criterion is at TOLERANCE and RELATIVE_TOLERANCE below).

Both files are single, self-contained .onnx files (no external data), with a
dynamic batch dimension.
"""

from __future__ import annotations

import functools
import logging
import random
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

from export.dqn import QNetwork
from export.evaluate import onnx_session
from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.generators import maze_set
from saferlhub.maze.grid import Action, Maze

N_ACTIONS = len(Action)
# Pass criterion per output: max abs error <= TOLERANCE, or, for outputs whose values are
# large, max abs error / max |reference| <= RELATIVE_TOLERANCE. Float32 cannot meet 1e-5
# absolute once |Q| passes ~30 (one ulp at 32 is 3.8e-6, and onnxruntime's Gemm sums in
# another order than torch's), e.g. a short smoke run reaches |Q| = 34: 1.5e-5 abs, 4.4e-7 rel.
TOLERANCE = 1e-5
# About 34 float32 ulps of the output's largest value: 1e-6 (8 ulps) failed a 4x256
# remedy export at 1.23e-6, plain summation-order noise over 256 products.
RELATIVE_TOLERANCE = 4e-6
# The dreaming objective: Q(a) minus the mean of the other three (here for a = down).
DREAM_WEIGHTS = (-1 / 3, 1.0, -1 / 3, -1 / 3)


class QWithActivations(nn.Module):
    """The network as exported: (q, hidden.0, hidden.1, ...) from obs."""

    def __init__(self, network: QNetwork) -> None:
        super().__init__()
        self.network = network

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        q, activations = self.network.forward_with_activations(obs)
        return (q, *activations)


class QGradientModel(nn.Module):
    """(q [B, 4], grad [B, 245]) from (obs [B, 245], weights [B, 4]).

    grad is the gradient of sum_a weights[b, a] * q[b, a] with respect to
    obs[b], row by row; the backward pass is explicit so that it exports.
    """

    def __init__(self, network: QNetwork) -> None:
        super().__init__()
        self.network = network

    def forward(self, obs: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, ...]:
        slope = self.network.negative_slope
        h = obs
        pre_activations = []
        for layer in self.network.hidden:
            pre = F.linear(h, layer.linear.weight, layer.linear.bias)  # [B, width]
            pre_activations.append(pre)
            h = F.leaky_relu(pre, slope)
        q = F.linear(h, self.network.q.weight, self.network.q.bias)  # [B, 4]
        # Backward: d/dh of w . q is w @ W_q; LeakyReLU' is 1 where pre > 0, else slope.
        grad = weights @ self.network.q.weight  # [B, width of the last hidden layer]
        for layer, pre in zip(
            reversed(self.network.hidden), reversed(pre_activations), strict=True
        ):
            grad = grad * torch.where(pre > 0, 1.0, slope)
            grad = grad @ layer.linear.weight  # [B, fan_in]
        return q, grad


def autograd_gradient(
    network: QNetwork, obs: torch.Tensor, weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference: (q, d(sum weights * q)/d obs) by `torch.autograd.grad`."""
    obs = obs.detach().clone().requires_grad_(True)
    q = network(obs)
    (grad,) = torch.autograd.grad((q * weights).sum(), obs)
    return q.detach(), grad


# --- export ---------------------------------------------------------------------------------


def _reuse_torchlib_ops() -> None:
    """Parse onnxscript's torchlib once per process instead of once per export.

    torch.onnx rebuilds its op registry on every export, parsing the source of some
    2,500 torchlib functions: most of the time a small network's export takes. The
    list is the same every time and is only read, so a cached copy changes no byte of
    the output (tests/export rebuild and compare sha256).
    """
    from onnxscript._framework_apis import torch_2_11 as apis  # what torch 2.13 uses

    if not hasattr(apis.get_torchlib_ops, "cache_info"):
        apis.get_torchlib_ops = functools.cache(apis.get_torchlib_ops)


def _export(
    model: nn.Module,
    args: tuple[torch.Tensor, ...],
    path: str | Path,
    input_names: list[str],
    output_names: list[str],
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _reuse_torchlib_ops()
    batch = torch.export.Dim("batch")  # one shared batch dimension for every input
    registration_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level, was_training = registration_log.level, model.training
    try:
        # Quiet the exporter's known noise: "torchvision is not installed" (log), a
        # pytree deprecation inside torch, and "axis name batch will not be used"
        # (all inputs share the dimension, as intended).
        registration_log.setLevel(logging.ERROR)
        model.eval()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=FutureWarning)
            warnings.filterwarnings("ignore", message="# The axis name: batch will not be used")
            torch.onnx.export(
                model,
                args,
                str(path),
                input_names=input_names,
                output_names=output_names,
                dynamic_shapes=tuple({0: batch} for _ in args),
                dynamo=True,
                external_data=False,
                optimize=True,
                verbose=False,
            )
    finally:
        registration_log.setLevel(level)
        model.train(was_training)
    onnx_model = onnx.load(str(path))
    _strip_metadata(onnx_model)
    onnx.checker.check_model(onnx_model, full_check=True)
    onnx.save_model(onnx_model, str(path), save_as_external_data=False)
    if has_external_data(path):
        raise RuntimeError(f"{path} refers to external data: it must be self-contained")
    return path


def _strip_metadata(model: onnx.ModelProto) -> None:
    """Drop the exporter's per-node debug metadata (stack traces with local paths, FX names).

    It is a third of a small file, and it would make the bytes depend on where
    the repository is checked out.
    """
    graph = model.graph
    for proto in [*graph.node, *graph.value_info, *graph.input, *graph.output, *graph.initializer]:
        del proto.metadata_props[:]


def _example_obs(batch: int = 2) -> torch.Tensor:
    return torch.rand(batch, INPUT_SIZE, generator=torch.Generator().manual_seed(0))


def export_q_network(network: QNetwork, path: str | Path) -> Path:
    """Write `network` as ONNX: input "obs" [batch, 245]; outputs "q" [batch, 4], "hidden.k"."""
    return _export(
        QWithActivations(network),
        (_example_obs(),),
        path,
        ["obs"],
        ["q", *network.activation_names],
    )


def export_gradient_model(network: QNetwork, path: str | Path) -> Path:
    """Write `QGradientModel(network)` as ONNX: inputs "obs", "weights"; outputs "q", "grad"."""
    obs = _example_obs()
    weights = torch.tensor([DREAM_WEIGHTS] * len(obs))
    return _export(QGradientModel(network), (obs, weights), path, ["obs", "weights"], ["q", "grad"])


def has_external_data(path: str | Path) -> bool:
    """True if any tensor of the ONNX file at `path` lives in another file."""
    model = onnx.load(str(path), load_external_data=False)
    tensors = list(model.graph.initializer)
    for node in model.graph.node:
        tensors += [a.t for a in node.attribute if a.HasField("t")]
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in tensors)


# --- verification ---------------------------------------------------------------------------


class VerificationError(AssertionError):
    """An exported or hand-written computation disagrees with its reference."""


def verification_inputs(
    *, mazes: Sequence[Maze] | None = None, random_count: int = 64, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(obs, weights) to verify with: real boards and random inputs, varied action weights.

    Real boards: `mazes` (default: 16 training-distribution mazes) with the agent
    on every open, item-free cell. Random inputs: uniform in [0, 1), as the
    fractional walls of dreaming. Weights cycle through one-hot vectors, the
    dreaming objective of each action, and random normal vectors.
    """
    if mazes is None:
        mazes = maze_set("training", 16, seed=seed, split="any")
    rows = [
        encode(maze, pos)
        for maze in mazes
        for pos in maze.open_cells
        if pos != maze.finish and pos not in maze.items
    ]
    generator = torch.Generator().manual_seed(seed)
    obs = torch.cat(
        [
            torch.tensor(rows, dtype=torch.float32).reshape(-1, INPUT_SIZE),
            torch.rand(random_count, INPUT_SIZE, generator=generator),
        ]
    )
    eye = torch.eye(N_ACTIONS)
    dream = torch.stack([eye[a] * 4 / 3 - 1 / 3 for a in range(N_ACTIONS)])
    choices = torch.cat([eye, dream, torch.randn(N_ACTIONS, N_ACTIONS, generator=generator)])
    pick = random.Random(seed).choices(range(len(choices)), k=len(obs))
    return obs, choices[pick]


def _errors(name: str, actual: torch.Tensor, expected: torch.Tensor) -> dict[str, float]:
    """Max absolute error, and that error relative to the reference's largest magnitude."""
    abs_error = (actual.double() - expected.double()).abs().max().item()
    scale = expected.double().abs().max().item()
    return {f"max_abs_{name}": abs_error, f"max_rel_{name}": abs_error / scale if scale else 0.0}


def check_errors(
    errors: dict[str, float],
    tolerance: float | None = TOLERANCE,
    relative_tolerance: float | None = RELATIVE_TOLERANCE,
    what: str = "verification",
) -> None:
    """Raise VerificationError if an output's errors fail the pass criterion.

    An output fails when "max_abs_<name>" exceeds `tolerance` and "max_rel_<name>"
    exceeds `relative_tolerance` (None: the absolute check alone). `tolerance`
    None: never raise.
    """
    if tolerance is None:
        return
    bad = {}
    for key, abs_error in errors.items():
        if not key.startswith("max_abs_") or abs_error <= tolerance:
            continue
        rel_error = errors["max_rel_" + key.removeprefix("max_abs_")]
        if relative_tolerance is None or rel_error > relative_tolerance:
            bad[key] = abs_error
    if bad:
        raise VerificationError(
            f"{what}: errors above {tolerance} (relative {relative_tolerance}): {bad}"
            f" (all: {errors})"
        )


@torch.no_grad()
def _explicit(
    network: QNetwork, obs: torch.Tensor, weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    return QGradientModel(network)(obs, weights)


def verify_gradient_model(
    network: QNetwork,
    *,
    mazes: Sequence[Maze] | None = None,
    random_count: int = 64,
    seed: int = 0,
    tolerance: float | None = TOLERANCE,
    relative_tolerance: float | None = RELATIVE_TOLERANCE,
) -> dict[str, float]:
    """Compare `QGradientModel` to autograd on real boards and random inputs (float32).

    Returns {"max_abs_q", "max_rel_q", "max_abs_grad", "max_rel_grad", "samples"};
    raises VerificationError as `check_errors` says (tolerance None: never).
    """
    obs, weights = verification_inputs(mazes=mazes, random_count=random_count, seed=seed)
    q, grad = _explicit(network, obs, weights)
    q_ref, grad_ref = autograd_gradient(network, obs, weights)
    errors = {**_errors("q", q, q_ref), **_errors("grad", grad, grad_ref)}
    check_errors(errors, tolerance, relative_tolerance, "explicit backward vs autograd")
    return {**errors, "samples": len(obs)}


def verify_onnx(
    network: QNetwork,
    q_path: str | Path,
    grad_path: str | Path,
    *,
    mazes: Sequence[Maze] | None = None,
    random_count: int = 64,
    seed: int = 0,
    tolerance: float | None = TOLERANCE,
    relative_tolerance: float | None = RELATIVE_TOLERANCE,
) -> dict[str, float]:
    """Run both ONNX files in onnxruntime and compare every output to torch.

    q and hidden.k of the Q file against `network.forward_with_activations`;
    q and grad of the gradient file against autograd. Returns max absolute and
    relative errors per output ("max_abs_q", "max_abs_hidden.0", ...,
    "max_abs_grad_q", "max_abs_grad", and "max_rel_..." alike) and "samples"; raises
    VerificationError as `check_errors` says (tolerance None: never).
    """
    obs, weights = verification_inputs(mazes=mazes, random_count=random_count, seed=seed)
    q_session, grad_session = onnx_session(q_path), onnx_session(grad_path)

    names = ["q", *network.activation_names]
    outputs = q_session.run(names, {"obs": obs.numpy()})
    with torch.no_grad():
        q_ref, activations_ref = network.forward_with_activations(obs)
    errors: dict[str, float] = {}
    for name, actual, expected in zip(names, outputs, [q_ref, *activations_ref], strict=True):
        errors |= _errors(name, torch.from_numpy(np.asarray(actual)), expected)

    q_out, grad_out = grad_session.run(
        ["q", "grad"], {"obs": obs.numpy(), "weights": weights.numpy()}
    )
    q_ref, grad_ref = autograd_gradient(network, obs, weights)
    errors |= _errors("grad_q", torch.from_numpy(q_out), q_ref)
    errors |= _errors("grad", torch.from_numpy(grad_out), grad_ref)
    check_errors(errors, tolerance, relative_tolerance, "onnxruntime vs torch")
    return {**errors, "samples": len(obs)}
