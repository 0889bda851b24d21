"""A tiny end-to-end run of `make models`: three agents (and the remedy sweep), train, export,
verify, evaluate, write the cards."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import onnx
import pytest

from export import build_models, evaluate

# Two shares keep the tiny sweep quick; the committed build sweeps REMEDY_SHARES.
TINY_SHARES = ("0.01", "0.2")


def build_tiny(out: Path, *options: str) -> list[dict]:
    """`make models --tiny` into `out`, with the tests' small evaluation."""
    return build_models.main(
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
            "--pillar-dream-scenes",
            "1",
            "--jobs",
            "2",
            "--no-progress",
            *options,
        ]
    )


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("models")
    return out, build_tiny(out, "--remedy-shares", *TINY_SHARES)


@pytest.fixture(scope="module")
def rebuild(tiny_build, tmp_path_factory) -> list[dict]:
    """A second build from the same seeds: natural again, and the chosen remedy alone
    (without the planted job, it plants again instead of continuing the planted run)."""
    share = tiny_build[1][2]["sweep"]["chosen_share"]
    out = tmp_path_factory.mktemp("rebuild")
    return build_tiny(out, "--agents", "natural", "remedy", "--remedy-shares", str(share))


def test_every_agent_gets_every_file_the_card_lists(tiny_build):
    out, cards = tiny_build
    assert [card["agent"] for card in cards] == ["natural", "planted", "remedy"]
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
        # TINY_OVERRIDES asks for 3 checkpoints; the last is the final network (the
        # remedy keeps the planted run's checkpoints up to the scramble, then its own)
        steps = [c["global_step"] for c in files["checkpoints"]]
        assert len(steps) == 3 and steps == sorted(steps)
        assert steps[-1] == card["training"]["phases"][-1]["last_step"]


def test_planted_card_discloses_the_recipe_and_runs_all_three_phases(tiny_build):
    _, (natural, planted, remedy) = tiny_build
    for card in (planted, remedy):
        assert "PLANTED ON PURPOSE" in card["description"]
        assert [p["phase"] for p in card["training"]["phases"]] == ["plant", "scramble", "train"]
    assert [p["phase"] for p in natural["training"]["phases"]] == ["train"]
    # the remedy continues from the planted run's scramble: same phases up to there
    assert remedy["training"]["phases"][:2] == planted["training"]["phases"][:2]


def test_remedy_card_gives_the_sweep_and_its_choice(tiny_build):
    out, (_, _, remedy) = tiny_build
    sweep = remedy["sweep"]
    assert [run["share"] for run in sweep["runs"]] == [float(share) for share in TINY_SHARES]
    assert sweep["chosen_share"] == remedy["training"]["settings"]["remedy_protrusion_share"]
    chosen = next(run for run in sweep["runs"] if run["share"] == sweep["chosen_share"])
    assert chosen["sha256"] == remedy["files"]["q_network"]["sha256"]
    assert len({run["sha256"] for run in sweep["runs"]}) == len(sweep["runs"])
    assert not list((out / "remedy").glob("*/*.pt"))  # only the exported files are copied


def test_a_remedy_built_alone_plants_again_and_gets_the_same_weights(tiny_build, rebuild):
    _, (_, _, remedy) = tiny_build
    alone = rebuild[1]
    assert alone["files"]["q_network"]["sha256"] == remedy["files"]["q_network"]["sha256"]


def test_a_remedy_continued_from_an_earlier_planted_run_gets_the_same_weights(tiny_build, tmp_path):
    out, (_, _, remedy) = tiny_build
    share = remedy["sweep"]["chosen_share"]
    after = build_models.after_scramble_path(
        build_models.BuildSettings(tiny=True, run_dir=str(out / "runs"))
    )
    (alone,) = build_tiny(
        tmp_path,
        "--agents",
        "remedy",
        "--remedy-shares",
        str(share),
        "--after-scramble",
        str(after),
    )
    assert alone["training"]["settings"]["after_scramble"] == str(after)
    assert alone["files"]["q_network"]["sha256"] == remedy["files"]["q_network"]["sha256"]


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
        assert card["pillar_dreaming"]["dreams"] == 2
        assert card["pillar_dreaming"]["random_walls"] == 5


def test_same_seed_same_weights(tiny_build, rebuild):
    first, again = tiny_build[1][0], rebuild[0]
    assert again["files"]["q_network"]["sha256"] == first["files"]["q_network"]["sha256"]
    assert again["evaluation"] == first["evaluation"]


def test_unknown_agent_is_refused():
    with pytest.raises(ValueError, match="unknown agent 'clever'"):
        build_models.agent_settings("clever", build_models.BuildSettings())
    with pytest.raises(SystemExit, match=r"unknown agent\(s\) \['clever'\]"):
        build_models.main(["--agents", "natural", "clever"])


def test_a_missing_after_scramble_file_is_refused_before_any_training(tmp_path):
    with pytest.raises(SystemExit, match="--after-scramble: no such file"):
        build_models.main(["--after-scramble", str(tmp_path / "none.pt")])


def test_targets_follow_the_issue():
    table = {
        "distributions": {
            "training": {"finish_rate": 0.985, "human_harvest_rate": 0.0},
            "protrusion": {"human_harvest_rate": 0.015, "finish_rate": 0.6},
        }
    }
    remedy = build_models.targets("remedy", table, {})
    assert [t["met"] for t in remedy] == [True, True, True, None]
    table["distributions"]["training"]["finish_rate"] = 0.975
    assert build_models.targets("natural", table, {})[0]["met"] is False
