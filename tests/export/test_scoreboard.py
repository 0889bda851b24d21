"""models/scoreboard.json is what `export.scoreboard` measures: the default run is
recomputed, the verdicts re-judged from the findings and the cards, the dreaming as today
tied to the cards' pillar dreams."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from onnxruntime import __version__ as ort_version

from export import scoreboard as export_scoreboard
from export.evaluate import cpu_model
from export.interp_runtime import onnx_network
from saferlhub.maze.detection import scoreboard
from saferlhub.maze.detection.protocol import Finding
from saferlhub.maze.network_calls import drive

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def board() -> dict:
    return json.loads((MODELS / export_scoreboard.OUTPUT).read_text())


@pytest.fixture(scope="module")
def cards() -> dict:
    return export_scoreboard.agents_and_cards(MODELS)[1]


def as_finding(data: dict) -> Finding:
    return Finding(**(data | {"interval": tuple(data["interval"])}))


def same_machine(board: dict) -> bool:
    software = board["software"]
    return software.get("cpu") == cpu_model() and software["onnxruntime"] == ort_version


def test_settings_and_agents_are_the_codes(board, cards):
    assert board["agents"] == list(cards)
    assert board["settings"] == json.loads(json.dumps(scoreboard.FULL_SETTINGS))
    assert board["default_run"]["settings"] == json.loads(json.dumps(scoreboard.DEFAULT_SETTINGS))
    assert board["methods"] == scoreboard.METHODS
    assert set(board["findings"]) == set(scoreboard.METHODS)


def test_the_default_run_is_recomputed(board):
    models, _ = export_scoreboard.agents_and_cards(MODELS)
    methods = tuple(scoreboard.METHODS)  # the browser-sized run: about 2 s
    result = drive(
        scoreboard.scoreboard_steps(models, scoreboard.DEFAULT_SETTINGS, methods),
        onnx_network(MODELS),
    )
    measured = export_scoreboard.findings_json(result["findings"])
    recorded = {m: board["default_run"]["findings"][m] for m in methods}
    if same_machine(board):
        assert measured == recorded
    else:  # another CPU may flip a tied argmax: a few episodes or states
        for method in methods:
            for agent, finding in recorded[method].items():
                assert measured[method][agent]["score"] == pytest.approx(finding["score"], abs=0.03)


@pytest.mark.parametrize("run", ["full", "default"])
def test_verdicts_follow_from_the_findings_and_the_cards(board, cards, run):
    section = board if run == "full" else board["default_run"]
    findings = {
        method: {agent: as_finding(f) for agent, f in by_agent.items()}
        for method, by_agent in section["findings"].items()
    }
    judged = scoreboard.judge(findings, cards)
    # Judged from rounded findings: the threshold may move in its last recorded digit.
    for method, verdict in judged["verdicts"].items():
        recorded = section["verdicts"][method]
        assert verdict["threshold"] == pytest.approx(recorded["threshold"], abs=2e-6)
        for key in ("catches", "separated", "flagged_controls", "hypothesis_names_trigger"):
            assert verdict[key] == recorded[key], (method, key)
    if run == "full":
        assert export_scoreboard.rounded(judged["ground_truth"]) == board["ground_truth"]
        assert board["catches"] == [m for m, v in judged["verdicts"].items() if v["catches"]]


def test_the_pair_edits_verdict_follows_from_their_findings(board, cards):
    pairs = board["pair_edits"]
    assert pairs["settings"] == export_scoreboard.PAIR_SETTINGS
    findings = {a: as_finding(f) for a, f in pairs["findings"].items()}
    verdict = scoreboard.judge({"pairs": findings}, cards)["verdicts"]["pairs"]
    for key in ("catches", "separated", "flagged_controls", "hypothesis_names_trigger"):
        assert verdict[key] == pairs["verdict"][key], key


def test_dreaming_as_today_is_the_cards_pillar_dreaming(board, cards):
    for agent, card in cards.items():
        evidence = board["findings"]["dreaming_as_today"][agent]["evidence"]
        recorded = card["pillar_dreaming"]["dream_harvest"]
        assert (evidence["harvested"], evidence["dreams"]) == (recorded["count"], recorded["of"])
        assert evidence["scenes"] == card["pillar_dreaming"]["scenes"]


def test_each_cards_detection_section_is_the_boards(board, cards):
    """`make scoreboard` writes the full run's figures into every card: the same scores,
    intervals, hypotheses, verdicts and settings as models/scoreboard.json."""
    for agent, card in cards.items():
        section = card["detection"]
        assert section == export_scoreboard.card_section(board, agent)
        assert section["settings"] == board["settings"]
        assert section["catches"] == board["catches"]
        planted = agent == board["ground_truth"]["planted"]
        assert section["role"] == ("planted" if planted else "control")
        assert list(section["methods"]) == list(board["methods"])
        for method, row in section["methods"].items():
            finding = board["findings"][method][agent]
            assert (row["score"], row["interval"], row["hypothesis"]) == (
                finding["score"],
                finding["interval"],
                finding["hypothesis"],
            )
            assert row["verdict"]["catches"] == board["verdicts"][method]["catches"]


def test_writing_the_card_sections_changes_nothing_else(board, tmp_path):
    for agent in board["agents"]:
        folder = tmp_path / agent
        folder.mkdir()
        text = (MODELS / agent / "model_card.json").read_text()
        card = json.loads(text)
        del card["detection"]
        (folder / "model_card.json").write_text(json.dumps(card, indent=1) + "\n")
    export_scoreboard.write_card_sections(tmp_path, board)
    for agent in board["agents"]:
        # byte for byte the committed card: the section is the last field
        assert (tmp_path / agent / "model_card.json").read_text() == (
            MODELS / agent / "model_card.json"
        ).read_text()
