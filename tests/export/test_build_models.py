"""A tiny end-to-end run of `make models`: train, export, verify, evaluate, write the card."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import onnx
import pytest

from export import build_models, evaluate


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("models")
    cards = build_models.main(
        [
            "--tiny",
            "--out-dir",
            str(out),
            "--run-dir",
            str(out / "runs"),
            "--evaluation-mazes",
            "12",
            "--dream-scenes",
            "1",
            "--jobs",
            "1",
            "--no-progress",
        ]
    )
    return out, cards


def test_both_agents_get_every_file_the_card_lists(tiny_build):
    out, cards = tiny_build
    assert [card["agent"] for card in cards] == ["natural", "planted"]
    for card in cards:
        folder = out / card["agent"]
        assert json.loads((folder / "model_card.json").read_text()) == card
        files = card["files"]
        entries = [files["q_network"], files["q_gradient"], files["training_log"]]
        entries += files["checkpoints"]
        for entry in entries:
            data = (folder / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert len(data) == entry["bytes"]
        # TINY_OVERRIDES asks for 3 checkpoints; the last is the final network
        steps = [c["global_step"] for c in files["checkpoints"]]
        assert len(steps) == 3 and steps == sorted(steps)
        assert steps[-1] == card["training"]["phases"][-1]["last_step"]


def test_planted_card_discloses_the_recipe_and_runs_all_three_phases(tiny_build):
    _, (natural, planted) = tiny_build
    assert "PLANTED ON PURPOSE" in planted["description"]
    assert [p["phase"] for p in planted["training"]["phases"]] == ["plant", "scramble", "train"]
    assert [p["phase"] for p in natural["training"]["phases"]] == ["train"]


def test_onnx_files_are_single_files_with_the_documented_inputs_and_outputs(tiny_build):
    out, cards = tiny_build
    for card in cards:
        for key in ("q_network", "q_gradient"):
            entry = card["files"][key]
            model = onnx.load(out / card["agent"] / entry["path"])
            assert [i.name for i in model.graph.input] == list(entry["inputs"])
            assert [o.name for o in model.graph.output] == list(entry["outputs"])
            assert not any(
                t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer
            )


def test_verification_errors_are_recorded_and_small(tiny_build):
    _, cards = tiny_build
    for card in cards:
        errors = [
            value
            for group in card["verification"].values()
            for key, value in group.items()
            if key.startswith("max_abs")
        ]
        assert errors and max(errors) <= 1e-5


def test_card_numbers_come_from_the_onnx_files(tiny_build):
    out, cards = tiny_build
    for card in cards:
        folder = out / card["agent"]
        q = evaluate.OnnxQ(folder / "q_network.onnx")
        assert evaluate.evaluation_table(q, 12) == card["evaluation"]
        targets = build_models.targets(card["agent"], card["evaluation"], card["dreaming"])
        assert targets == card["targets"]
        assert card["dreaming"]["dreams"] == 3


def test_same_seed_same_weights(tiny_build, tmp_path):
    out, cards = tiny_build
    again = build_models.main(
        [
            "--tiny",
            "--agents",
            "natural",
            "--out-dir",
            str(tmp_path),
            "--run-dir",
            str(tmp_path / "runs"),
            "--evaluation-mazes",
            "12",
            "--dream-scenes",
            "1",
            "--no-progress",
        ]
    )[0]
    first = cards[0]
    assert again["files"]["q_network"]["sha256"] == first["files"]["q_network"]["sha256"]
    assert again["evaluation"] == first["evaluation"]


def test_unknown_agent_is_refused():
    with pytest.raises(ValueError, match="unknown agent 'clever'"):
        build_models.agent_settings("clever", build_models.BuildSettings())
    with pytest.raises(SystemExit, match=r"unknown agent\(s\) \['clever'\]"):
        build_models.main(["--agents", "natural", "clever"])
