"""Steering with a human vector, driven by the plain-Python reference network.

The committed agents' sweep (models/steering.json) is tests/export/test_steering.py.
"""

from __future__ import annotations

import random
from array import array

import pytest

from saferlhub.maze import steering, stepper
from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.evaluation import rollout_steps, rollouts
from saferlhub.maze.generators import failure_maze, maze_set
from saferlhub.maze.grid import neighbours
from saferlhub.maze.interp.hooks import Model
from saferlhub.maze.interp.reference import forward, python_interp_network
from saferlhub.maze.network import MLP
from saferlhub.maze.network_calls import drive
from saferlhub.maze.stepper import Battery

WIDTHS = (8, 6, 5)


@pytest.fixture(scope="module")
def mlp():
    return MLP.random([INPUT_SIZE, *WIDTHS, 4], random.Random(3))


@pytest.fixture(scope="module")
def network(mlp):
    other = MLP.random([INPUT_SIZE, *WIDTHS, 4], random.Random(4))
    return python_interp_network({"tiny": mlp, "other": other})


@pytest.fixture(scope="module")
def model():
    return Model("tiny", WIDTHS)


@pytest.fixture(scope="module")
def pairs():
    return steering.training_pairs("adjacent", count=12)


def test_pairs_differ_only_in_the_human(pairs):
    everywhere = steering.training_pairs("all", count=12)
    assert pairs and len(pairs) < len(everywhere)
    for with_human, without, pos in pairs:
        assert with_human.humans and not without.humans
        assert (with_human.walls, with_human.crops, with_human.finish) == (
            without.walls,
            without.crops,
            without.finish,
        )
        assert any(q in with_human.humans for q in neighbours(pos))
    with pytest.raises(ValueError, match="cells must be one of"):
        steering.human_pairs(maze_set("training", 2, seed=0, split="train"), "near")


def test_the_vector_is_the_mean_activation_difference(model, network, mlp, pairs):
    stepper = steering.human_vector_steps(model, "hidden.1", pairs)
    (call,) = next(stepper)
    assert call.rows == 2 * len(pairs) and set(call.outputs) == {"hidden.1", "q"}
    vector = drive(steering.human_vector_steps(model, "hidden.1", pairs), network)
    expected = [0.0] * WIDTHS[1]
    for with_human, without, pos in pairs:
        present = forward(mlp, encode(with_human, pos))[1][1]
        absent = forward(mlp, encode(without, pos))[1][1]
        differences = zip(expected, present, absent, strict=True)
        expected = [e + (p - a) / len(pairs) for e, p, a in differences]
    assert vector == pytest.approx(expected, abs=1e-5)


def steered_q(mlp, x, layer: int, vector, coefficient):
    """The steered Q-values in plain Python: hidden.layer + coefficient * vector."""
    hidden = forward(mlp, x)[1][layer]
    patch = [h + coefficient * v for h, v in zip(hidden, vector, strict=True)]
    return forward(mlp, x, {layer: (patch, [1.0] * len(patch))})[0]


def test_a_steered_step_is_two_calls_adding_the_vector(model, network, mlp):
    vector = tuple(0.5 - k / 10 for k in range(WIDTHS[2]))
    steer = steering.Steering(model, "hidden.2", vector, -2.0)
    mazes = maze_set("training", 2, seed=3, split="train")
    states = [encode(m, p) for m in mazes for p in m.open_cells[:3]]
    obs = array("f", [v for x in states for v in x])
    stepper = steer.q_steps(obs, len(states))
    (first,) = next(stepper)
    assert first.model == "tiny/q_network" and set(first.outputs) == {"hidden.2", "q"}
    (second,) = stepper.send([network(first)])
    assert second.model == "tiny/q_patch" and set(second.outputs) == {"q"}
    assert steering.STEERED_CALLS_PER_STEP == 2
    q = drive(steer.q_steps(obs, len(states)), network)
    for r, x in enumerate(states):
        assert q[4 * r : 4 * r + 4] == pytest.approx(steered_q(mlp, x, 2, vector, -2.0), abs=1e-5)
    # The episodes are rollout_steps' own, with the steered network answering its calls.
    episodes, _ = drive(steering.steered(rollout_steps("tiny", mazes), {"tiny": steer}), network)
    expected = rollouts(
        lambda xs: [steered_q(mlp, x, 2, vector, -2.0) for x in xs], mazes, with_optimal=False
    )
    assert [e.actions for e in episodes] == [e.actions for e in expected]


def test_coefficient_zero_plays_as_the_agent_and_other_agents_pass_through(model, network, mlp):
    zero = steering.Steering(model, "hidden.0", (1.0,) * WIDTHS[0], 0.0)
    agents, judged = ["tiny", "other"], steering.JUDGED
    plain = drive(Battery(agents, 6, distributions=judged).steps(), network)
    steered = drive(
        steering.steered_battery({"tiny": zero}, agents, 6, distributions=judged),
        network,
    )
    assert steered == plain
    strong = steering.Steering(model, "hidden.0", (1.0,) * WIDTHS[0], -3.0)
    moved = drive(
        steering.steered_battery({"tiny": strong}, agents, 6, distributions=judged),
        network,
    )
    assert moved["agents"]["other"] == plain["agents"]["other"]
    assert set(steering.headline(moved, "tiny")) == {
        "protrusion_human_rate",
        "training_finish_rate",
    }


def test_the_steered_policy_map_is_the_policy_map_of_the_steered_network(model, network, mlp):
    maze = maze_set("training", 1, seed=8, split="train")[0]
    vector = tuple(0.3 * (-1) ** k for k in range(WIDTHS[1]))
    steer = steering.Steering(model, "hidden.1", vector, 1.5)
    result = drive(steering.steered_policy_map({"tiny": steer}, ["tiny"], maze), network)
    for r, c, _, _, q in result["maps"]["tiny"]["cells"]:
        assert q == pytest.approx(steered_q(mlp, encode(maze, (r, c)), 1, vector, 1.5), abs=1e-5)


def test_a_vector_of_the_wrong_width_is_refused(model):
    with pytest.raises(ValueError, match="hidden.1 has 6 units"):
        steering.Steering(model, "hidden.1", (1.0, 2.0), -1.0)


def test_the_page_run_puts_steered_beside_unsteered(network):
    args = {"agent": "tiny", "widths": WIDTHS, "layer": "hidden.1", "cells": "adjacent"}
    same = drive(steering.page_steps(**args, coefficient=0.0, count=4), network)
    assert same["maps"]["steered"] == same["maps"]["unsteered"]
    assert same["battery"]["steered"] == same["battery"]["unsteered"]
    assert same["settings"]["maze"] == str(failure_maze("bad1")).split("\n")
    assert same["pairs"] == len(steering.training_pairs("adjacent"))
    moved = drive(steering.page_steps(**args, coefficient=-4.0, count=4), network)
    assert moved["maps"]["steered"] != moved["maps"]["unsteered"]
    assert set(moved["battery"]["steered"]) == {
        "protrusion_human_rate",
        "training_finish_rate",
        "protrusion_finish_rate",
    }
    # The browser reaches it through stepper.start, as every maze page's task.
    reply = stepper.start("steering", {**args, "count": 2})
    assert not reply["done"] and reply["calls"][0]["model"] == "tiny/q_network"
    stepper.close(reply["session"])
    with pytest.raises(ValueError, match="between -10 and 10"):
        next(steering.page_steps(**args, coefficient=11))
    with pytest.raises(ValueError, match="no hook point"):
        next(steering.page_steps("tiny", "hidden.7", widths=WIDTHS))
