"""The microscope's calls answered in plain Python from `network.MLP`s (slow: tests only).

It states what each file computes, in Python: `q_network` gives q and every
hidden.k; `q_patch` the same with hidden.k = patch.k where mask.k != 0 (before
the next layer reads it); `q_gradient` q and d(weights . q)/d obs. Tests drive
the microscope's steppers with it in CPython and in Pyodide, where onnxruntime
is absent.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping

from saferlhub.maze.encoding import INPUT_SIZE
from saferlhub.maze.network import MLP
from saferlhub.maze.network_calls import ACTIONS, NetworkCall, rows_of


def forward(mlp: MLP, x, patches: Mapping[int, tuple[list, list]] | None = None):
    """(q, [hidden.0, hidden.1, ...]) of one input, hidden.k overwritten where masked."""
    h, hidden = list(x), []
    last = len(mlp.weights) - 1
    for k, (w, b) in enumerate(zip(mlp.weights, mlp.biases, strict=True)):
        z = [sum(map(operator.mul, row, h)) + bias for row, bias in zip(w, b, strict=True)]
        if k == last:
            return z, hidden
        h = [v if v > 0 else mlp.negative_slope * v for v in z]
        if patches and k in patches:
            patch, mask = patches[k]
            h = [p if m else v for v, p, m in zip(h, patch, mask, strict=True)]
        hidden.append(h)
    raise AssertionError("unreachable")


def python_interp_network(mlps: Mapping[str, MLP]):
    """A `drive` network for calls to "<folder>/<file>", from {folder: MLP} (any file
    of a folder is the same MLP: q_network, q_patch, q_gradient, checkpoints...)."""

    def network(call: NetworkCall) -> dict[str, list[float]]:
        mlp = mlps[call.model.split("/", 1)[0]]
        obs = rows_of(call.inputs["obs"], INPUT_SIZE)
        if "weights" in call.inputs:
            out = {"q": [], "grad": []}
            for x, w in zip(obs, rows_of(call.inputs["weights"], ACTIONS), strict=True):
                q, grad = mlp.q_and_input_gradient(x, w)
                out["q"] += q
                out["grad"] += grad
            return out
        layers = len(mlp.weights) - 1
        patch_rows = {
            k: (
                rows_of(call.inputs[f"patch.{k}"], call.widths[f"patch.{k}"]),
                rows_of(call.inputs[f"mask.{k}"], call.widths[f"mask.{k}"]),
            )
            for k in range(layers)
            if f"patch.{k}" in call.inputs
        }
        out = {name: [] for name in call.outputs}
        for r, x in enumerate(obs):
            patches = {k: (p[r], m[r]) for k, (p, m) in patch_rows.items()}
            q, hidden = forward(mlp, x, patches)
            out["q"] += q
            for k, h in enumerate(hidden):
                if f"hidden.{k}" in out:
                    out[f"hidden.{k}"] += h
        return out

    return network
