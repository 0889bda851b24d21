"""The stepper driven by onnxruntime on the committed models gives the model cards' numbers.

This is the CPython half of "the browser and export/ drive the very same
stepper": `export.evaluate` calls `evaluation.rollouts` with an onnxruntime
Q-function; here the same models answer the stepper's calls, and the episodes,
the battery's metrics and the failure-maze routes must come out identical.
(tests/e2e/test_maze_play.py compares Q-values and episodes with onnxruntime-web in Chromium.)
Skipped in Pyodide, which has no onnxruntime.
"""

import json
from pathlib import Path

import pytest

from saferlhub.maze import stepper
from saferlhub.maze.evaluation import rollouts
from saferlhub.maze.generators import FAILURE_MAZES, failure_maze, maze_set

np = pytest.importorskip("numpy", exc_type=ImportError)
pytest.importorskip("onnxruntime", exc_type=ImportError)

MODELS = Path(__file__).resolve().parents[2] / "models"
AGENTS = sorted(p.parent.name for p in MODELS.glob("*/model_card.json"))


def card(agent):
    return json.loads((MODELS / agent / "model_card.json").read_text())


def onnx_network():
    """A `stepper.drive` network that runs the committed ONNX files with onnxruntime."""
    from export.evaluate import onnx_network

    return onnx_network(MODELS)


def test_agents_are_found_from_their_cards():
    assert {"natural", "planted"} <= set(AGENTS)


@pytest.mark.parametrize("agent", AGENTS)
def test_driven_episodes_equal_export_evaluate_rollouts(agent):
    from export.evaluate import OnnxQ

    mazes = maze_set("protrusion", 60, seed=1, split="eval", require_reachable_human=True)
    mazes += [failure_maze(name) for name in FAILURE_MAZES]
    q = OnnxQ(MODELS / agent / "q_network.onnx")
    episodes, _ = stepper.drive(stepper.rollout_steps(agent, mazes), onnx_network())
    assert episodes == rollouts(q.batch, mazes)


@pytest.mark.parametrize("agent", AGENTS)
def test_failure_maze_routes_and_policy_maps_equal_the_card(agent):
    recorded = card(agent)["evaluation"]["failure_mazes"]
    mazes = [failure_maze(name) for name in FAILURE_MAZES]
    result = stepper.drive(stepper.play_steps([agent], mazes, trace=False), onnx_network())
    for name, episode in zip(FAILURE_MAZES, result[agent], strict=True):
        assert episode["actions"] == recorded[name]["actions"], name
        assert episode["humans_harvested"] == recorded[name]["humans_harvested"], name
        maps = stepper.drive(stepper.policy_map_steps([agent], failure_maze(name)), onnx_network())
        assert maps["maps"][agent]["ascii"] == recorded[name]["policy_map"], name
        assert maps["maps"][agent]["report"] == recorded[name]["policy_map_report"], name


def built_here(agent):
    """Same CPU model and onnxruntime as the card's build: then every number repeats exactly.

    Elsewhere float32 sums may come out in another order and flip a greedy action
    where two Q-values tie to the last bit (see tests/export/test_committed_models.py).
    """
    from onnxruntime import __version__

    from export.evaluate import cpu_model

    software = card(agent)["software"]
    return software.get("cpu") == cpu_model() and software["onnxruntime"] == __version__


def test_the_battery_with_the_cards_settings_gives_the_cards_numbers():
    settings = card(AGENTS[0])["evaluation"]
    battery = stepper.Battery(AGENTS, settings["mazes_per_distribution"], seed=settings["seed"])
    report = stepper.drive(battery.steps(), onnx_network())
    for agent in AGENTS:
        recorded = card(agent)["evaluation"]["distributions"]
        for distribution, metrics in recorded.items():
            got = {k: report["agents"][agent][distribution][k] for k in metrics}
            if built_here(agent):
                assert got == metrics, (agent, distribution)
            else:
                assert got.keys() == metrics.keys()
                for key, value in metrics.items():
                    limit = 0.01 if key.endswith("rate") else max(0.3, 0.05 * abs(value or 0))
                    assert value is None or abs(got[key] - value) <= limit, (agent, key)
