"""The microscope's steppers, driven by the plain-Python reference network (CPython and Pyodide).

The ONNX side (q_patch against q_network and torch, attribution against autograd,
the committed checkpoints) is tests/export/test_interp.py.
"""

from __future__ import annotations

import random

import pytest

from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.generators import failure_maze, maze_set
from saferlhub.maze.grid import Maze
from saferlhub.maze.interp import attribution, hooks, probes
from saferlhub.maze.interp.checkpoints import checkpoints, renamed
from saferlhub.maze.interp.microscope import Microscope, as_rows
from saferlhub.maze.interp.reference import forward, python_interp_network
from saferlhub.maze.network import MLP
from saferlhub.maze.network_calls import drive

WIDTHS = (8, 6, 5)


@pytest.fixture(scope="module")
def mlp():
    return MLP.random([INPUT_SIZE, *WIDTHS, 4], random.Random(3))


@pytest.fixture(scope="module")
def network(mlp):
    return python_interp_network({"tiny": mlp, "interp": mlp})


@pytest.fixture(scope="module")
def model():
    return hooks.Model("tiny", WIDTHS)


@pytest.fixture(scope="module")
def states():
    mazes = maze_set("training", 3, seed=5, split="train")
    return [encode(m, p) for m in mazes for p in m.open_cells[:2]]


def test_hook_points_are_named_like_the_onnx_outputs(model):
    assert model.hook_names == ["hidden.0", "hidden.1", "hidden.2", "q"]
    assert model.hook_points() == {"hidden.0": 8, "hidden.1": 6, "hidden.2": 5, "q": 4}
    assert model.with_file("q_patch").name == "tiny/q_patch"
    assert model.random_init().name == "interp/random_init_8x6x5.onnx"
    with pytest.raises(ValueError, match="no hook point"):
        model.width("hidden.7")


def test_run_with_cache_gives_every_hook_point_in_one_call(model, network, mlp, states):
    stepper = hooks.run_with_cache(model, states)
    (call,) = next(stepper)
    assert call.model == "tiny/q_network" and call.rows == len(states)
    q, cache = drive(hooks.run_with_cache(model, states), network)
    expected_q, expected_hidden = forward(mlp, states[0])
    assert q == cache["q"] and len(q) == len(states)
    assert q[0] == pytest.approx(expected_q, abs=1e-9)
    assert cache["hidden.1"][0] == pytest.approx(expected_hidden[1], abs=1e-9)


def test_a_reading_hook_changes_nothing_and_sees_each_layer(model, network, states):
    seen = []

    def record(activation, name):
        seen.append((name, len(activation)))

    clean, _ = drive(hooks.run_with_cache(model, states), network)
    q, _ = drive(
        hooks.run_with_hooks(model, states, [("hidden.2", record), ("q", record)]), network
    )
    assert q == clean
    assert seen == [("hidden.2", len(states)), ("q", len(states))]


def test_hooks_run_input_side_first_and_see_the_patched_upstream(model, network, mlp, states):
    seen = {}

    def zero_unit_3(activation, name):
        return [[0.0 if u == 3 else v for u, v in enumerate(row)] for row in activation]

    def record(activation, name):
        seen[name] = activation

    q, cache = drive(
        hooks.run_with_hooks(model, states, {"hidden.1": record, "hidden.0": zero_unit_3}), network
    )
    x = states[0]
    h0 = forward(mlp, x)[1][0]
    patched = [0.0 if u == 3 else v for u, v in enumerate(h0)]
    expected_q, expected_hidden = forward(mlp, x, {0: (patched, [1.0] * len(patched))})
    assert cache["hidden.0"][0][3] == 0.0
    assert seen["hidden.1"][0] == pytest.approx(expected_hidden[1], abs=1e-6)
    assert q[0] == pytest.approx(expected_q, abs=1e-6)


def test_patching_every_unit_from_a_source_gives_the_source(model, network, states):
    half = len(states) // 2
    result = drive(
        hooks.patch_from(model, states[:half], states[half : 2 * half], "hidden.1"), network
    )
    flat = [v for row in result["patched"] for v in row]
    assert flat == pytest.approx([v for row in result["source"] for v in row], abs=1e-6)
    assert result["clean"] != result["source"]


def test_patch_units_sets_exactly_the_units_named(model, network, states):
    q, cache = drive(
        hooks.patch_units(model, states, {"hidden.2": {1: 2.5, 4: [7.0] * len(states)}}), network
    )
    assert all(row[1] == 2.5 and row[4] == 7.0 for row in cache["hidden.2"])
    with pytest.raises(ValueError, match="units 0..4"):
        hooks.unit_patches(model, 1, {"hidden.2": {5: 0.0}})


def test_saliency_is_the_gradient_of_the_objective(model, network, mlp, states):
    weights = attribution.objective("left", minus="right")
    assert weights == [0.0, 0.0, 1.0, -1.0]
    (first, *_) = drive(attribution.saliency(model, states, weights), network)
    q, grad = mlp.q_and_input_gradient(states[0], weights)
    assert first["value"] == pytest.approx(q[2] - q[3], abs=1e-6)
    assert first["gradient"] == pytest.approx(grad, abs=1e-6)
    planes = attribution.per_plane(first["gradient"])
    assert list(planes) == ["walls", "crops", "humans", "finish", "agent"]
    assert planes["crops"][0][1] == first["gradient"][49 + 1]


@pytest.mark.parametrize("baseline", attribution.BASELINES)
def test_integrated_gradients_are_complete_up_to_the_reported_error(
    model, network, states, baseline
):
    weights = attribution.objective("down")
    coarse = drive(
        attribution.integrated_gradients(model, states[:2], weights, baseline=baseline, steps=4),
        network,
    )
    fine = drive(
        attribution.integrated_gradients(model, states[:2], weights, baseline=baseline, steps=64),
        network,
    )
    for c, f in zip(coarse, fine, strict=True):
        assert f["steps"] == 64 and f["baseline"] == baseline
        assert f["sum"] - (f["value"] - f["baseline_value"]) == pytest.approx(
            f["completeness_error"]
        )
        assert abs(f["completeness_error"]) <= max(1e-4, abs(c["completeness_error"]))
        assert abs(f["completeness_error"]) < 1e-2 * max(1.0, abs(f["value"] - f["baseline_value"]))


def test_the_empty_baseline_keeps_the_finish_and_the_agent(states):
    base = attribution.baseline_for(states[0], "empty")
    assert base[147:] == states[0][147:] and not any(base[:147])
    average = attribution.training_average()
    assert len(average) == INPUT_SIZE and sum(average[196:]) == pytest.approx(1.0)


def test_concepts_on_a_known_maze():
    maze = failure_maze("bad1")
    human = next(iter(maze.humans))
    beside = next(p for p in maze.open_cells if abs(p[0] - human[0]) + abs(p[1] - human[1]) == 1)
    assert probes.human_adjacent(maze, beside) == 1
    assert probes.protrusion(maze, beside) in (0, 1)
    assert probes.finish_distance(maze, maze.finish) == 0.0
    direction = probes.nearest_human_direction(maze, beside)
    from saferlhub.maze.grid import step_position

    assert step_position(beside, direction) == human


def test_balanced_picks_equal_classes():
    pool = probes.probe_states(40, seed=1)
    picks = probes.balanced(probes.CONCEPTS["human_adjacent"], pool, 60, seed=1)
    labels = [y for _, y in picks]
    assert labels.count(0) == labels.count(1) == len(labels) // 2
    assert all(probes.human_adjacent(*pool[i]) == y for i, y in picks)


def test_a_linear_probe_learns_a_linear_concept_and_not_a_random_one():
    rng = random.Random(0)
    rows = [[rng.gauss(0, 1) for _ in range(20)] for _ in range(400)]
    concept = probes.Concept("sign", "binary", lambda m, p: 0)
    labels = [int(r[0] + 0.5 * r[1] > 0) for r in rows]
    shuffled = labels[:]
    rng.shuffle(shuffled)
    task = probes.train_and_score(concept, rows, labels)
    control = probes.train_and_score(concept, rows, shuffled)
    assert task["value"] > 0.9 and task["test"] == 100
    assert control["value"] < 0.7
    assert task["interval"][0] < task["value"] < task["interval"][1]
    regression = probes.Concept("sum", "regression", lambda m, p: 0.0)
    targets = [2 * r[0] - r[2] for r in rows]
    fitted = probes.train_and_score(regression, rows, targets)
    assert fitted["metric"] == "r2" and fitted["value"] > 0.9


def test_control_labels_are_one_per_agent_cell():
    pool = probes.probe_states(20, seed=2)
    labels = [probes.crop_adjacent(*s) for s in pool]
    control = probes.control_labels(pool, labels, seed=0)
    by_cell = {}
    for (_, pos), y in zip(pool, control, strict=True):
        assert by_cell.setdefault(pos, y) == y


def test_probe_report_scores_every_layer_with_both_controls(model, network):
    pool = probes.probe_states(20, seed=0)
    report = drive(probes.probe_report(model, pool, concepts=["protrusion"], count=80), network)
    entry = report["protrusion"]
    assert entry["chance"] == 0.5 and entry["states"] <= 80
    assert list(entry["layers"]) == ["hidden.0", "hidden.1", "hidden.2"]
    for result in entry["layers"].values():
        assert {"task", "control", "random_init", "selectivity"} <= set(result)
        assert 0 <= result["task"]["value"] <= 1


def test_checkpoints_are_listed_in_training_order_with_the_final_last():
    card = {
        "agent": "tiny",
        "network": {"layers": [INPUT_SIZE, *WIDTHS, 4]},
        "files": {
            "checkpoints": [
                {"path": "checkpoints/step_00020.onnx", "global_step": 20, "phase": "train"},
                {"path": "checkpoints/step_00010.onnx", "global_step": 10, "phase": "plant"},
            ]
        },
    }
    listed = checkpoints(card)
    assert [c["step"] for c in listed] == [10, 20, None]
    assert listed[0]["model"].name == "tiny/checkpoints/step_00010.onnx"


def test_renamed_sends_every_call_to_the_named_model(model, states):
    stepper = renamed(hooks.run_with_cache(model, states), "tiny/checkpoints/step_1.onnx")
    (call,) = next(stepper)
    assert call.model == "tiny/checkpoints/step_1.onnx"


def test_the_microscope_takes_mazes_and_positions(network):
    card = {"agent": "tiny", "network": {"layers": [INPUT_SIZE, *WIDTHS, 4]}}
    scope = Microscope(network, {"tiny": card})
    maze = Maze(frozenset(), humans={(0, 2)})
    q, cache = scope.run_with_cache("tiny", [(maze, (0, 1))])
    assert as_rows([(maze, (0, 1))]) == [encode(maze, (0, 1))]
    assert len(q[0]) == 4 and len(cache["hidden.0"][0]) == 8
    with pytest.raises(ValueError, match="no agent"):
        scope.model("nobody")


def test_a_patching_sweep_restores_all_with_a_whole_layer(model, network, states):
    weights = [0.0, 0.0, 1.0, -1.0]
    sweep = drive(hooks.patching_sweep(model, states[0], states[3], weights, groups=2), network)
    whole = [p for p in sweep["patches"] if p["units"] == [0, model.width(p["layer"])]]
    assert [p["layer"] for p in whole] == ["hidden.0", "hidden.1", "hidden.2"]
    assert all(p["restored"] == pytest.approx(1.0, abs=1e-5) for p in whole)
    assert len(sweep["patches"]) == 3 * 3  # each layer whole and in two groups
    assert sweep["patches"][1]["units"] == [0, 4] and sweep["patches"][2]["units"] == [4, 8]


def test_the_nearest_human_direction_starts_a_shortest_path():
    from saferlhub.maze.grid import step_position
    from saferlhub.maze.structure import distances

    for maze, pos in probes.probe_states(20, seed=4):
        direction = probes.nearest_human_direction(maze, pos)
        reach = distances(maze, pos)
        nearest = min((reach[h] for h in maze.humans if h in reach), default=None)
        if nearest is None:
            assert direction is None
            continue
        after = distances(maze, step_position(pos, direction))
        assert min(after[h] for h in maze.humans if h in after) == nearest - 1


def test_the_browser_tasks_take_and_give_json(network):
    import json

    from saferlhub.maze.interp import tasks

    card = {
        "agent": "tiny",
        "network": {"layers": [INPUT_SIZE, *WIDTHS, 4]},
        "files": {"checkpoints": []},
    }
    maze = str(failure_maze("bad1")).split("\n")
    state = {"maze": maze, "position": [0, 0]}
    twin = {"maze": maze, "position": [1, 0]}
    runs = {
        "interp.cache": {"card": card, "states": [state]},
        "interp.patch_sweep": {
            "card": card,
            "target": state,
            "source": twin,
            "action": "down",
            "groups": 2,
        },
        "interp.attribution": {
            "card": card,
            "state": state,
            "action": "down",
            "minus": "right",
            "steps": 8,
        },
        "interp.probes": {"card": card, "concepts": ["crop_adjacent"], "mazes": 10, "count": 40},
        "interp.checkpoints": {"card": card, "mazes": 3},
    }
    for task, args in runs.items():
        result = drive(tasks.start(task, json.loads(json.dumps(args))), network)
        assert json.loads(json.dumps(result)) == result, task
    attributed = drive(tasks.start("interp.attribution", runs["interp.attribution"]), network)
    assert set(attributed["planes"]) == {"walls", "crops", "humans", "finish", "agent"}
    assert attributed["steps"] == 8 and "completeness_error" in attributed
    with pytest.raises(ValueError, match="unknown task"):
        tasks.start("interp.nothing", {})
