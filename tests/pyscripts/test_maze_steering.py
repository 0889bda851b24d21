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


@pytest.fixture(scope="module")
def harmful(network):
    mazes = maze_set("training", 6, seed=0, split="train", require_reachable_human=True)
    return mazes, drive(steering.harmful_edits_steps("other", mazes), network)


def test_harmful_edits_are_the_edits_after_which_the_agent_walks_into_a_human(harmful):
    from saferlhub.maze.detection.edit_search import single_cell_edits

    mazes, edits = harmful
    other = MLP.random([INPUT_SIZE, *WIDTHS, 4], random.Random(4))  # the "other" agent
    q = lambda xs: [forward(other, x)[0] for x in xs]  # noqa: E731
    expected = []
    for maze in mazes:
        (before,) = rollouts(q, [maze], with_optimal=False)
        for cell, edited in single_cell_edits(maze):
            (after,) = rollouts(q, [edited], with_optimal=False)
            if after.humans_harvested and not before.humans_harvested:
                expected.append((maze, cell, edited))
    assert edits == expected and edits  # "other" walks into a human after a few edits


def test_trigger_pairs_differ_only_in_the_edit(harmful):
    _, edits = harmful
    pairs = steering.trigger_pairs(edits, "all")
    adjacent = steering.trigger_pairs(edits, "adjacent")
    assert adjacent and set(adjacent) < set(pairs)
    changed = {(maze, edited): cell for maze, cell, edited in edits}
    for edited, maze, pos in pairs:
        cell = changed[(maze, edited)]
        assert edited.walls ^ maze.walls == {cell}
        assert (edited.crops, edited.humans, edited.finish) == (
            maze.crops,
            maze.humans,
            maze.finish,
        )
        assert pos != cell and maze.is_open(pos) and edited.is_open(pos)
        assert pos not in maze.items and pos != maze.finish
    with pytest.raises(ValueError, match="cells must be one of"):
        steering.trigger_pairs(edits, "near")


def test_the_trigger_vectors_pairs_come_from_the_edit_search(network):
    pairs = drive(steering.pairs_steps("other", "trigger", "all"), network)
    mazes = list(dict.fromkeys(steering.training_mazes(steering.TRIGGER_MAZES, 0)))
    edits = drive(steering.harmful_edits_steps("other", mazes), network)
    kept = steering.distant(edits)
    assert pairs and pairs == steering.trigger_pairs(kept, "all")
    far = drive(steering.harmful_edits_steps("other", mazes, far_only=True), network)
    assert far == kept  # playing only the distant edits finds the same ones
    assert 0 < len(kept) < len(edits)  # some harmful edits lie beside a human: left out
    for maze, cell, _ in kept:
        assert all(abs(cell[0] - h[0]) + abs(cell[1] - h[1]) >= 3 for h in maze.humans)
    # distant is the edit search's own "near the human" feature, false
    from saferlhub.maze.detection.edit_search import edit_features, single_cell_edits

    every = [(m, c, e) for m in mazes[:40] for c, e in single_cell_edits(m)]
    assert steering.distant(every) == [
        (m, c, e) for m, c, e in every if not edit_features(m, e, c)["near the human"]
    ]
    assert drive(steering.pairs_steps("tiny", "human", "adjacent"), network) == (
        steering.training_pairs("adjacent")
    )
    with pytest.raises(ValueError, match="the vector must be one of"):
        drive(steering.pairs_steps("tiny", "cheese"), network)


def clamped_q(mlp, x, layer: int, vector, ceiling):
    """The clamped Q-values in plain Python: hidden.layer's component along the vector capped."""
    hidden = forward(mlp, x)[1][layer]
    norm = sum(v * v for v in vector) ** 0.5
    unit = [v / norm for v in vector]
    excess = sum(h * u for h, u in zip(hidden, unit, strict=True)) - ceiling
    patch = [h - max(excess, 0.0) * u for h, u in zip(hidden, unit, strict=True)]
    return forward(mlp, x, {layer: (patch, [1.0] * len(patch))})[0]


def test_the_clamp_caps_the_component_along_the_vector(model, network, mlp):
    vector = tuple(0.5 - k / 10 for k in range(WIDTHS[1]))
    centre = drive(steering.training_median_steps(model, "hidden.1", vector), network)
    norm = sum(v * v for v in vector) ** 0.5
    components = sorted(
        sum(h * v / norm for h, v in zip(forward(mlp, encode(m, p))[1][1], vector, strict=True))
        for m, _, p in steering.training_pairs("all")
    )
    n = len(components)
    median = components[n // 2] if n % 2 else (components[n // 2 - 1] + components[n // 2]) / 2
    assert centre == pytest.approx(median, abs=1e-5)
    steer = steering.Steering(model, "hidden.1", vector, 0.0, "clamp", centre)
    assert steer.ceiling() == pytest.approx(centre)  # coefficient 0: the median itself
    moved = steering.Steering(model, "hidden.1", vector, -0.5, "clamp", centre)
    assert moved.ceiling() == pytest.approx(centre - 0.5 * norm)
    mazes = maze_set("training", 3, seed=5, split="train")
    states = [encode(m, p) for m in mazes for p in m.open_cells[:4]]
    obs = array("f", [v for x in states for v in x])
    q = drive(steer.q_steps(obs, len(states)), network)
    capped = 0
    for r, x in enumerate(states):
        expected = clamped_q(mlp, x, 1, vector, steer.ceiling())
        assert q[4 * r : 4 * r + 4] == pytest.approx(expected, abs=1e-5)
        capped += expected != pytest.approx(forward(mlp, x)[0], abs=1e-6)
    assert 0 < capped < len(states)  # some states pass the cap, some are left alone
    with pytest.raises(ValueError, match="the operation must be one of"):
        steering.Steering(model, "hidden.1", vector, -0.5, "scale")


def test_the_page_run_steers_with_the_clamped_trigger_vector(network):
    args = {"agent": "other", "widths": WIDTHS, "layer": "hidden.0", "count": 4}
    run = drive(
        steering.page_steps(**args, vector="trigger", operation="clamp", coefficient=-1.0),
        network,
    )
    assert run["settings"]["vector"] == "trigger" and run["settings"]["operation"] == "clamp"
    assert run["pairs"] == len(drive(steering.pairs_steps("other", "trigger"), network))
    assert run["centre"] is not None
    plain = drive(steering.page_steps(**args, coefficient=0.0), network)
    assert run["battery"]["unsteered"] == plain["battery"]["unsteered"]
    assert plain["centre"] is None and plain["settings"]["vector"] == "human"
