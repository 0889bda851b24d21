"""A small fully connected Q-network in pure Python, with its input gradient.

A stand-in for the real (PyTorch/ONNX) network wherever plain Python must run
one: tests, and the dreaming algorithm's own checks. Hidden layers use
LeakyReLU (slope 0.1, as the original's); the output layer is linear.
`q_and_input_gradient` is the interface `dreaming` needs from any network.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Sequence


def _dot(row: Sequence[float], x: Sequence[float]) -> float:
    return sum(map(operator.mul, row, x))


class MLP:
    """Fully connected layers: weights[k] is an (outputs x inputs) list of rows."""

    def __init__(
        self,
        weights: list[list[list[float]]],
        biases: list[list[float]],
        negative_slope: float = 0.1,
    ) -> None:
        if len(weights) != len(biases) or not weights:
            raise ValueError("need one bias vector per weight matrix, and at least one layer")
        for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
            if len(w) != len(b):
                raise ValueError(f"layer {k}: {len(w)} weight rows but {len(b)} biases")
            if k and len(w[0]) != len(weights[k - 1]):
                raise ValueError(f"layer {k} takes {len(w[0])} inputs, previous gives {len(b)}")
        self.weights = weights
        self.biases = biases
        self.negative_slope = negative_slope

    @classmethod
    def random(cls, sizes: Sequence[int], rng: random.Random, negative_slope: float = 0.1) -> MLP:
        """Layers of the given sizes (input first), uniform init scaled by 1/sqrt(fan-in)."""
        weights, biases = [], []
        for fan_in, fan_out in zip(sizes, sizes[1:], strict=False):
            bound = 1.0 / math.sqrt(fan_in)
            rows = [[rng.uniform(-bound, bound) for _ in range(fan_in)] for _ in range(fan_out)]
            weights.append(rows)
            biases.append([rng.uniform(-bound, bound) for _ in range(fan_out)])
        return cls(weights, biases, negative_slope)

    @property
    def input_size(self) -> int:
        return len(self.weights[0][0])

    def _forward(self, x: Sequence[float]) -> list[list[float]]:
        """Pre-activations of every layer."""
        if len(x) != self.input_size:
            raise ValueError(f"expected {self.input_size} inputs, got {len(x)}")
        pre = []
        h = list(x)
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = [_dot(row, h) + bias for row, bias in zip(w, b, strict=True)]
            pre.append(z)
            if k < last:
                h = [v if v > 0 else self.negative_slope * v for v in z]
        return pre

    def __call__(self, x: Sequence[float]) -> list[float]:
        """The outputs (Q-values) for input `x`."""
        return self._forward(x)[-1]

    def q_and_input_gradient(
        self, x: Sequence[float], output_weights: Sequence[float]
    ) -> tuple[list[float], list[float]]:
        """Outputs q, and the gradient of sum_i output_weights[i] * q[i] with respect to x."""
        pre = self._forward(x)
        grad = [float(v) for v in output_weights]
        for k in range(len(self.weights) - 1, -1, -1):
            w = self.weights[k]
            upstream = [0.0] * len(w[0])
            for g, row in zip(grad, w, strict=True):
                if g:
                    for j, weight in enumerate(row):
                        upstream[j] += g * weight
            if k:
                slope, below = self.negative_slope, pre[k - 1]
                upstream = [u if z > 0 else slope * u for u, z in zip(upstream, below, strict=True)]
            grad = upstream
        return pre[-1], grad

    def to_dict(self) -> dict:
        return {
            "weights": self.weights,
            "biases": self.biases,
            "negative_slope": self.negative_slope,
        }

    @classmethod
    def from_dict(cls, data: dict) -> MLP:
        return cls(data["weights"], data["biases"], data.get("negative_slope", 0.1))
