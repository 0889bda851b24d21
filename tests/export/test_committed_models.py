"""The committed models are the files their cards describe, and reproduce the cards' numbers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import onnx
import pytest

from export import build_models, evaluate

MODELS = Path(__file__).resolve().parents[2] / "models"
AGENTS = ("natural", "planted")


def card(agent: str) -> dict:
    return json.loads((MODELS / agent / "model_card.json").read_text())


@pytest.mark.parametrize("agent", AGENTS)
def test_files_match_the_card(agent):
    c = card(agent)
    assert not c["tiny_build"]
    files = c["files"]
    for entry in [
        files["q_network"],
        files["q_gradient"],
        files["training_log"],
        *files["checkpoints"],
    ]:
        data = (MODELS / agent / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        assert len(data) < 1_000_000, entry["path"]
    listed = {entry["path"] for entry in files["checkpoints"]}
    on_disk = {
        p.relative_to(MODELS / agent).as_posix() for p in (MODELS / agent).glob("checkpoints/*")
    }
    assert listed == on_disk
    assert 8 <= len(listed) <= 12


@pytest.mark.parametrize("agent", AGENTS)
def test_onnx_inputs_and_outputs_match_the_card(agent):
    c = card(agent)
    for key in ("q_network", "q_gradient"):
        entry = c["files"][key]
        model = onnx.load(MODELS / agent / entry["path"])
        assert {i.name for i in model.graph.input} == set(entry["inputs"])
        assert [o.name for o in model.graph.output] == list(entry["outputs"])


@pytest.mark.parametrize("agent", AGENTS)
def test_evaluation_table_is_reproduced(agent):
    c = card(agent)
    q = evaluate.OnnxQ(MODELS / agent / "q_network.onnx")
    table = evaluate.evaluation_table(q, c["evaluation"]["mazes_per_distribution"])
    assert table == c["evaluation"]


@pytest.mark.parametrize("agent", AGENTS)
def test_dreaming_reference_is_reproduced(agent):
    c = card(agent)
    folder = MODELS / agent
    dreaming = evaluate.dream_reference(
        evaluate.OnnxQ(folder / "q_network.onnx"),
        evaluate.OnnxGradient(folder / "q_gradient.onnx"),
        c["dreaming"]["scenes"],
    )
    assert dreaming == c["dreaming"]


@pytest.mark.parametrize("agent", AGENTS)
def test_targets_on_the_card_are_the_measured_ones(agent):
    c = card(agent)
    assert c["targets"] == build_models.targets(agent, c["evaluation"], c["dreaming"])


def test_natural_agent_meets_its_targets():
    """The planted agent's card records the targets it misses; the natural one misses none."""
    assert all(target["met"] for target in card("natural")["targets"])


def test_planted_agent_heads_for_humans_only_out_of_distribution():
    """The contrast the lessons rest on, whatever the exact targets say."""
    planted, natural = card("planted")["evaluation"], card("natural")["evaluation"]
    assert planted["distributions"]["training"]["human_harvest_rate"] == 0.0
    for name in ("protrusion", "protrusion-kept-items"):
        rate = planted["distributions"][name]["human_harvest_rate"]
        assert rate > 10 * natural["distributions"][name]["human_harvest_rate"] + 0.1
