"""The detection page (docs/maze/detection.md) against models/scoreboard.json, the model
cards and models/steering.json: every number it shows is one of theirs, formatted as
its hooks format, and every claim its prose makes about a method holds in the file."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", exc_type=ImportError)  # the build's hooks; not in Pyodide

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hooks"))

import model_card_figures  # noqa: E402
import scoreboard_figures  # noqa: E402

from saferlhub.maze.detection import activation_anomaly, edit_search  # noqa: E402
from saferlhub.maze.detection.sentences import sentences  # noqa: E402
from saferlhub.maze.generators import PILLARS  # noqa: E402

PAGE = ROOT / "docs" / "maze" / "detection.md"
MODELS = ROOT / "models"
BOARD = json.loads((MODELS / "scoreboard.json").read_text())
CARDS = model_card_figures._cards(MODELS)
TRUTH = BOARD["ground_truth"]
# Numbers the page states that are the protocol's or the code's, not a measurement:
# 95% intervals, the 99th percentile, the 9 pillars, the seed looked at before the score
# was chosen (each checked below).
FIXED = {"95%", "95", "99", "9", "19"}
# Measured by hand in Chromium (the page says how); kept out of the figures checked here.
MEASURED_SECTION = "### How fast"


def rendered() -> str:
    text = model_card_figures.render(PAGE.read_text(), CARDS, where="maze/detection.md")
    return scoreboard_figures.render(text, where="maze/detection.md")


def typed_numbers(markdown: str) -> list[str]:
    """The numbers the page's Markdown writes itself: outside the front matter, the
    hooks' placeholders and the hand-measured timings."""
    text = markdown.split("\n---\n", 1)[1]
    before, _, after = text.partition(MEASURED_SECTION)
    text = before + ("\n## " + after.split("\n## ", 1)[1] if after else "")
    text = re.sub(r"\[\[[^\]]*\]\]", "", text)
    text = re.sub(r"(?m)^\d+\. ", "", text)  # an ordered list's numbering
    return re.findall(r"(?<![\w.\-])\d+(?:,\d{3})*(?:\.\d+)?%?", text)


def test_every_placeholder_is_filled():
    text = rendered()
    assert "[[card" not in text and "[[scoreboard" not in text and "[[steering" not in text


def test_every_number_on_the_page_comes_from_the_files():
    """Every figure is a placeholder (tests/hooks/test_scoreboard_figures.py checks what
    they show), apart from the protocol's fixed numbers."""
    strange = [n for n in typed_numbers(PAGE.read_text()) if n not in FIXED]
    assert not strange, f"numbers typed by hand: {strange}"
    assert typed_numbers("---\nx\n---\n47.3% of [[scoreboard a pct]] and bad2") == ["47.3%"]


def test_the_fixed_numbers_are_the_codes():
    assert len(PILLARS) == 9
    assert "seed 19" in (ROOT / "pyscripts/saferlhub/maze/detection/edit_search.py").read_text()
    assert edit_search.SEED == BOARD["settings"]["edit_search"]["seed"] != 19
    assert "99" in Path(activation_anomaly.__file__).read_text()
    assert BOARD["findings"]["activation_anomaly"]["planted"]["evidence"]["score"].find("99th") > 0


def test_catches_is_said_only_where_the_verdict_says_so():
    text = rendered()
    caught = [m for m, v in BOARD["verdicts"].items() if v["catches"]]
    words = scoreboard_figures.NUMBER_WORDS
    missed = len(BOARD["methods"]) - len(caught)
    said = f"{words[len(caught)].capitalize()} methods\ncatch the planted goal;"
    assert f"{said} {words[missed]} do not." in text
    assert f"runs\n{words[len(BOARD['methods'])]} methods through it" in text
    assert caught == BOARD["catches"]
    for sentence in sentences(BOARD):
        assert f"- {sentence}" in text
        for method, label in BOARD["methods"].items():
            if sentence.startswith(f"{label}: "):
                assert sentence.startswith(f"{label}: catches.") == caught.count(method)
    assert text.count(": catches.") == len(caught)
    table = [line for line in text.splitlines() if line.startswith("| ")][1:]
    for line, method in zip(table, BOARD["methods"], strict=True):
        assert ("**yes**" in line) == BOARD["verdicts"][method]["catches"]


def test_the_cards_carry_the_boards_rows():
    """The page quotes the cards' detection section as 'the figures in the table above'."""
    source = PAGE.read_text()
    for method in ("probes", "edit_search"):
        assert f"[[card planted detection.methods.{method}.score pct]]" in source
        for agent in BOARD["agents"]:
            row = CARDS[agent]["detection"]["methods"][method]
            assert row["score"] == BOARD["findings"][method][agent]["score"]
            assert row["interval"] == BOARD["findings"][method][agent]["interval"]


def test_the_pair_claims_hold():
    pairs, single = BOARD["pair_edits"], BOARD["findings"]["edit_search"]
    assert pairs["settings"]["mazes"] == BOARD["settings"]["edit_search"]["mazes"]  # "same"
    assert pairs["verdict"]["catches"]
    assert pairs["findings"][TRUTH["planted"]]["hypothesis"] == "one-block protrusion"
    assert pairs["findings"]["planted"]["score"] > 2 * single["planted"]["score"]  # "far more"
    assert pairs["cpython_seconds"] > 10  # "far more than the browser's budget"


def test_the_default_run_claims_hold():
    default = BOARD["default_run"]["verdicts"]
    assert [m for m, v in default.items() if v["catches"]] == ["activation_anomaly"]
    assert not default["edit_search"]["separated"]  # "reaches down to the controls'"
    assert not default["probes"]["separated"]  # "still reaches the controls'"


def test_why_the_others_fail_holds():
    f, v = BOARD["findings"], BOARD["verdicts"]
    planted, controls = TRUTH["planted"], TRUTH["controls"]
    today = f["dreaming_as_today"][planted]
    assert not today["evidence"]["dreams_above_random_walls"]
    assert today["interval"][1] >= today["evidence"]["random_walls_interval"][0]
    assert today["hypothesis"] is None and set(v["dreaming_as_today"]["flagged_controls"])
    repaired = f["dreaming_repaired"][planted]
    assert repaired["hypothesis"] is None
    assert set(v["dreaming_repaired"]["flagged_controls"]) == set(controls)
    protrusion = repaired["evidence"]["features"]["one-block protrusion"]
    assert protrusion["share"] <= protrusion["base_share"]
    advantage = v["dreaming_advantage"]
    assert advantage["separated"] and not advantage["catches"]
    assert f["dreaming_advantage"][planted]["hypothesis"] == "near the human"
    attribution = f["attribution"]
    assert attribution["remedy"]["score"] > attribution[planted]["score"]
    assert "remedy" in v["attribution"]["flagged_controls"]


def test_the_caveats_hold():
    for method in ("edit_search", "activation_anomaly"):
        assert all(r["verdict"]["catches"] for r in BOARD["replications"][method])
    pillar = BOARD["findings"]["activation_anomaly"][TRUTH["planted"]]["evidence"]["features"]
    assert pillar["open pillar"]["hits"] == pillar["open pillar"]["of"]  # every anomalous state
    probes = BOARD["findings"]["probes"]
    assert all(r["verdict"]["catches"] for r in BOARD["replications"]["probes"])
    mine = probes[TRUTH["planted"]]["evidence"]
    assert mine["features"]["open pillar"]["hits"] > 0.9 * mine["above_threshold"]
    assert probes["remedy"]["hypothesis"] == "open pillar"  # "open pillars too"
    quality = {a: probes[a]["evidence"]["probe_r2_held_out"]["r2"] for a in probes}
    untrained = probes["remedy"]["evidence"]["untrained_network_r2_held_out"]["r2"]
    assert quality["remedy"] < untrained < quality["natural"]  # the probe "reads nothing"
    assert probes["natural"]["interval"][1] < probes[TRUTH["planted"]]["interval"][0]
    single = BOARD["single_scene_outside_the_protocol"]["agents"][TRUTH["planted"]]
    assert single["interval"][0] > single["random_walls_interval"][1]  # "far more often"
    by_scene = BOARD["dreaming_per_scene"]["scenes_with_a_harvesting_dream"]
    assert all(
        by_scene[TRUTH["planted"]]["count"] > by_scene[c]["count"] for c in TRUTH["controls"]
    )


def test_the_story_claims_hold():
    planted = BOARD["findings"]["edit_search"][TRUTH["planted"]]["evidence"]
    assert planted["features"]["one-block protrusion"]["other_agents_hits"] == 0
    assert "one-block protrusion" in BOARD["findings"]["edit_search"]["planted"]["hypothesis"]
    example = planted["examples"][2]
    assert example["change"] == "opened" and "one-block protrusion" in example["features"]
    assert all(r % 2 == 1 for r in example["cell"])  # a pillar
    human = next(
        (r, c) for r, row in enumerate(example["maze"]) for c, x in enumerate(row) if x == "H"
    )
    assert abs(human[0] - example["cell"][0]) + abs(human[1] - example["cell"][1]) >= 2
    remedy = CARDS["remedy"]["evaluation"]["distributions"]
    assert remedy["protrusion"]["human_harvest_rate"] == 0
    for method in BOARD["catches"]:  # the catchers score the remedy "far lower"
        found = BOARD["findings"][method]
        assert found["remedy"]["interval"][1] < found[TRUTH["planted"]]["interval"][0]
    assert BOARD["catches"] == ["edit_search", "activation_anomaly", "probes"]  # as listed
    steering = json.loads((MODELS / "steering.json").read_text())
    assert not steering["target_reached"]
    assert (
        steering["best"]["protrusion_human_rate"]
        > steering["target"]["protrusion_human_rate_at_most"]
    )


def test_the_story_maze_is_played_as_the_page_says():
    """In the edited maze the planted agent walks into the human and the others do not;
    in the training maze it came from, the planted agent reaches the finish unharmed."""
    pytest.importorskip("onnxruntime", exc_type=ImportError)
    from urllib.parse import unquote

    from export.interp_runtime import onnx_network
    from saferlhub.maze.grid import parse_maze
    from saferlhub.maze.network_calls import drive
    from saferlhub.maze.stepper import play_steps

    link = scoreboard_figures.render("[[scoreboard-example 2]]")
    text = unquote(link.split("=", 1)[1])
    edited = parse_maze("\n".join(text[7 * r : 7 * r + 7] for r in range(7)))
    example = BOARD["findings"]["edit_search"]["planted"]["evidence"]["examples"][2]
    original = parse_maze("\n".join(example["maze"]))
    played = drive(play_steps(list(CARDS), [edited, original]), onnx_network(MODELS))
    assert played["planted"][0]["humans_harvested"] > 0
    assert played["natural"][0]["humans_harvested"] == played["remedy"][0]["humans_harvested"] == 0
    assert played["planted"][1]["humans_harvested"] == 0 and played["planted"][1]["reached_finish"]
