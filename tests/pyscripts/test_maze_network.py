"""The pure-Python MLP stand-in: forward pass and input gradient."""

import json
import random

import pytest

from saferlhub.maze.network import MLP


def numeric_gradient(net, x, weights, eps=1e-6):
    def objective(v):
        return sum(w * q for w, q in zip(weights, net(v), strict=True))

    grad = []
    for i in range(len(x)):
        up, down = list(x), list(x)
        up[i] += eps
        down[i] -= eps
        grad.append((objective(up) - objective(down)) / (2 * eps))
    return grad


@pytest.mark.parametrize("sizes", [[6, 5, 4], [6, 8, 8, 4], [10, 4]])
def test_input_gradient_matches_finite_differences(sizes):
    rng = random.Random(sum(sizes))
    net = MLP.random(sizes, rng)
    x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
    weights = [1.0, -1 / 3, -1 / 3, -1 / 3]
    q, grad = net.q_and_input_gradient(x, weights)
    assert q == net(x)
    assert grad == pytest.approx(numeric_gradient(net, x, weights), abs=1e-6)


def test_leaky_relu_by_hand():
    net = MLP([[[1.0, -1.0]], [[2.0]]], [[0.0], [0.5]])
    assert net([1.0, 3.0]) == [2.0 * 0.1 * -2.0 + 0.5]
    assert net.q_and_input_gradient([1.0, 3.0], [1.0])[1] == pytest.approx([0.2, -0.2])


def test_round_trip_through_json():
    net = MLP.random([5, 3, 4], random.Random(0))
    copy = MLP.from_dict(json.loads(json.dumps(net.to_dict())))
    assert copy([0.1] * 5) == net([0.1] * 5)


def test_shapes_are_checked():
    with pytest.raises(ValueError):
        MLP([[[1.0]]], [])
    with pytest.raises(ValueError):
        MLP([[[1.0, 2.0]], [[1.0, 2.0]]], [[0.0], [0.0]])  # layer 1 takes 2 inputs, gets 1
    with pytest.raises(ValueError):
        MLP.random([3, 2], random.Random(0))([1.0])
