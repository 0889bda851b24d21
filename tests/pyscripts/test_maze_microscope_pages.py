"""The microscope pages' analyses (saferlhub.maze.microscope_pages) and the browser's sessions
for them (stepper.start/answer with interp.* and microscope.* tasks), driven by the plain-Python
reference network (CPython and Pyodide). Chromium against CPython: tests/e2e/test_microscope.py."""

from __future__ import annotations

import json
import random

import pytest

from saferlhub.maze import microscope_pages, stepper
from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.generators import failure_maze
from saferlhub.maze.grid import parse_maze, step_position
from saferlhub.maze.interp import hooks, tasks
from saferlhub.maze.interp.reference import python_interp_network
from saferlhub.maze.network import MLP
from saferlhub.maze.network_calls import drive
from saferlhub.maze.structure import distances

WIDTHS = (8, 6, 5)


@pytest.fixture(scope="module")
def network():
    return python_interp_network(
        {
            "tiny": MLP.random([INPUT_SIZE, *WIDTHS, 4], random.Random(3)),
            "small": MLP.random([INPUT_SIZE, 7, 7, 4], random.Random(4)),
        }
    )


def card(agent, widths):
    return {"agent": agent, "network": {"layers": [INPUT_SIZE, *widths, 4]}, "files": {}}


TINY, SMALL = card("tiny", WIDTHS), card("small", (7, 7))
BAD1 = str(failure_maze("bad1")).split("\n")


def through_sessions(task, args, network):
    """Drive a task as the browser does: start/answer with float32 bytes."""
    reply = stepper.start(task, json.loads(json.dumps(args)))  # what a page can send
    while not reply["done"]:
        outputs = []
        for packed in reply["calls"]:
            call = stepper.NetworkCall(
                packed["model"],
                packed["rows"],
                {k: stepper.unpack(v) for k, v in packed["inputs"].items()},
                packed["widths"],
                outputs=packed["outputs"],
            )
            out = network(call)
            outputs.append({k: stepper.pack(stepper.array("f", v)) for k, v in out.items()})
        reply = stepper.answer(reply["session"], outputs)
    return json.loads(json.dumps(reply["result"]))


def test_the_sessions_run_interp_tasks_as_the_interp_module_does(network):
    state = {"maze": BAD1, "position": [0, 0]}
    got = through_sessions("interp.cache", {"card": TINY, "states": [state]}, network)
    expected = drive(tasks.start("interp.cache", {"card": TINY, "states": [state]}), network)
    assert got["q"][0] == pytest.approx(expected["q"][0], abs=1e-6)
    assert got["hooks"] == {"hidden.0": 8, "hidden.1": 6, "hidden.2": 5, "q": 4}
    with pytest.raises(ValueError, match="unknown task"):
        stepper.start("interp.nothing", {})
    with pytest.raises(ValueError, match="unknown task"):
        stepper.start("microscope.nothing", {})


def test_inside_gives_each_agents_layers_sorted_and_the_twins_largest_changes(network):
    twin = [*BAD1[:4], "C###.#.", *BAD1[5:]]  # a wall in the dead end at (4, 2)
    args = {"cards": {"tiny": TINY, "small": SMALL}, "maze": BAD1, "twin": twin, "top": 3}
    got = through_sessions("microscope.inside", args, network)
    assert got["refused"] is None and list(got["agents"]) == ["tiny", "small"]
    tiny = got["agents"]["tiny"]
    _, cache = drive(
        hooks.run_with_cache(
            hooks.Model("tiny", WIDTHS),
            [encode(parse_maze("\n".join(m)), (0, 0)) for m in (BAD1, twin)],
        ),
        network,
    )
    for hook, values in tiny["layers"].items():
        assert values == pytest.approx(cache[hook][0], abs=1e-6)
        order = tiny["order"][hook]
        assert sorted(order) == list(range(len(values)))
        assert [values[u] for u in order] == sorted(values, reverse=True)
        diffs = tiny["twin"]["differences"][hook]
        changes = sorted(
            (abs(b - a) for a, b in zip(cache[hook][0], cache[hook][1], strict=True)), reverse=True
        )
        assert [abs(d[3]) for d in diffs] == pytest.approx([c for c in changes[:3] if c], abs=1e-6)
    assert len(got["agents"]["small"]["layers"]) == 2
    refused = through_sessions("microscope.inside", {**args, "position": [6, 6]}, network)
    assert "finish" in refused["refused"] and refused["agents"] == {}


def test_human_minus_exit_names_the_two_ways_and_refuses_where_they_agree():
    maze = failure_maze("bad1")
    back = distances(maze, maze.finish)
    for pos in maze.open_cells:
        if microscope_pages.open_for_agent(maze, pos):
            continue
        found = microscope_pages.human_minus_exit(maze, pos)
        exit_ = microscope_pages.exit_direction(maze, pos)
        assert back[step_position(pos, exit_)] == back[pos] - 1
        if not isinstance(found, str):
            human, way_out = found
            assert human != way_out and way_out == exit_


def test_attribution_view_names_its_objective_and_checks_completeness(network):
    args = {"card": TINY, "maze": BAD1, "objective": "human_minus_exit", "steps": 64}
    got = through_sessions("microscope.attribution", args, network)
    maze = failure_maze("bad1")
    assert got["refused"] is None
    assert got["position"] == [0, 4]  # where bad1's way to the human turns off (left, not right)
    assert (got["action"], got["minus"]) == ("left", "right")
    names = microscope_pages.ACTION_NAMES
    assert (names.index(got["action"]), names.index(got["minus"])) == (
        microscope_pages.human_minus_exit(maze, (0, 4))
    )
    at_start = through_sessions("microscope.attribution", {**args, "position": [0, 0]}, network)
    assert "both start down" in at_start["refused"]
    assert got["sum"] - (got["value"] - got["baseline_value"]) == pytest.approx(
        got["completeness_error"], abs=1e-9
    )
    saliency = through_sessions(
        "microscope.attribution", {**args, "method": "saliency", "objective": "down"}, network
    )
    assert saliency["action"] == "down" and saliency["minus"] is None
    assert set(saliency["planes"]) == {"walls", "crops", "humans", "finish", "agent"}


def test_a_protrusion_pair_differs_in_two_cells_and_keeps_every_item():
    pair = microscope_pages.protrusion_pair(0)
    assert pair == microscope_pages.protrusion_pair(0)
    base, twin = (parse_maze("\n".join(pair[k])) for k in ("training", "protrusion"))
    differ = [
        (r, c)
        for r in range(7)
        for c in range(7)
        if pair["training"][r][c] != pair["protrusion"][r][c]
    ]
    assert sorted(differ) == sorted(tuple(c) for c in pair["changed"])
    assert base.crops == twin.crops and base.humans == twin.humans
    from saferlhub.maze.structure import single_block_protrusions

    assert len(single_block_protrusions(twin)) == 1 and not single_block_protrusions(base)
    pos = tuple(pair["position"])
    human, exit_ = microscope_pages.human_minus_exit(twin, pos)
    assert (microscope_pages.ACTION_NAMES[human], microscope_pages.ACTION_NAMES[exit_]) == (
        pair["human"],
        pair["exit"],
    )


def test_patching_restores_by_layer_group_and_unit(network):
    got = through_sessions("microscope.patching", {"card": TINY, "seed": 0, "groups": 2}, network)
    assert got["refused"] is None
    gap = got["source"] - got["clean"]
    assert gap
    whole = [p for p in got["patches"] if p["units"] == [0, WIDTHS[int(p["layer"][-1])]]]
    # A whole layer from the twin gives the twin's value: all after it is the twin's.
    for patch in whole:
        assert patch["restored"] == pytest.approx(1.0, abs=1e-4)
    assert len(got["units"]) == 5 and got["width"] == WIDTHS[int(got["layer"][-1])]
    restored = [u["restored"] for u in got["units"]]
    assert restored == sorted(restored, reverse=True)
    for unit in got["units"]:
        assert unit["restored"] == pytest.approx((unit["value"] - got["clean"]) / gap, abs=1e-9)
    assert got["top_together"]["units"] == [u["unit"] for u in got["units"]]


def test_the_default_twin_removes_the_first_wall_the_editor_allows():
    twin = microscope_pages.default_twin(BAD1)
    assert twin["cell"] == [0, 1]  # bad1's first wall, reading row by row
    assert twin["maze"] == ["..H....", *BAD1[1:]]


def test_top_states_ranks_a_fixed_seeded_pool_of_training_states(network):
    args = {"card": TINY, "hook": "hidden.1", "unit": 2, "size": 40, "seed": 5}
    got = through_sessions("microscope.top_states", args, network)
    assert got["refused"] is None and got["pool"] == 40 and len(got["states"]) == 5
    pool = microscope_pages.training_pool(40, 5)
    assert pool == microscope_pages.training_pool(40, 5)  # seeded: the same pool each time
    _, cache = drive(
        hooks.run_with_cache(hooks.Model.from_card(TINY), hooks.encode_states(pool)), network
    )
    values = sorted((row[2] for row in cache["hidden.1"]), reverse=True)
    assert [s["value"] for s in got["states"]] == pytest.approx(values[:5], abs=1e-6)
    assert got["positive"] == sum(v > 0 for v in values)
    for state in got["states"]:  # each a training state the agent can stand in
        maze = parse_maze("\n".join(state["maze"]))
        assert microscope_pages.open_for_agent(maze, tuple(state["position"])) is None
    # A second unit of the same agent reads the cached pool: no network call at all.
    again = stepper.start("microscope.top_states", {**args, "unit": 0})
    assert again["done"] and again["result"]["unit"] == 0
    bad = through_sessions("microscope.top_states", {**args, "unit": 99}, network)
    assert bad["refused"] == "hidden.1 has units 0 to 5, not 99."


def test_patching_runs_on_two_mazes_the_reader_makes(network):
    pair = microscope_pages.protrusion_pair(0)
    made = through_sessions(
        "microscope.patching",
        {"card": TINY, "groups": 2, "mazes": [pair["training"], pair["protrusion"]]},
        network,
    )
    seeded = through_sessions(
        "microscope.patching", {"card": TINY, "groups": 2, "seed": 0}, network
    )
    assert made["pair"] == {**pair, "seed": None}
    assert made["patches"] == seeded["patches"] and made["units"] == seeded["units"]
    # The editor's parser messages, and the pair's own checks.
    short = through_sessions(
        "microscope.patching",
        {"card": TINY, "mazes": [pair["training"][:6], pair["protrusion"]]},
        network,
    )
    assert short["refused"] == "The first maze: expected 7 rows, got 6"
    same = microscope_pages.custom_pair(pair["training"], pair["training"])
    assert same == {"ok": False, "error": "The two mazes are the same: change a cell of one."}
    no_human = [row.replace("H", ".") for row in pair["protrusion"]]
    assert (
        "no human can be reached"
        in microscope_pages.custom_pair(pair["training"], no_human)["error"]
    )
