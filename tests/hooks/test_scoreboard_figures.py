"""The hook that quotes models/scoreboard.json and models/steering.json in pages."""

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
import scoreboard_figures as hook
from mkdocs.exceptions import PluginError

from saferlhub.maze.detection.sentences import sentences
from saferlhub.maze.editor import from_link

MODELS = Path(__file__).resolve().parents[2] / "models"
BOARD = json.loads((MODELS / "scoreboard.json").read_text())


def test_a_field_is_formatted_as_the_card_hook_does():
    assert hook.render("[[scoreboard verdicts.edit_search.threshold pct]]") == (
        f"{100 * BOARD['verdicts']['edit_search']['threshold']:.1f}%"
    )
    steering = json.loads((MODELS / "steering.json").read_text())
    assert (
        hook.render("[[steering best.coefficient num]]") == f"{steering['best']['coefficient']:g}"
    )


def test_a_plus_is_a_space_inside_a_key():
    path = "findings.edit_search.planted.evidence.features.one-block+protrusion.hits"
    features = BOARD["findings"]["edit_search"]["planted"]["evidence"]["features"]
    hits = features["one-block protrusion"]["hits"]
    assert hook.render(f"[[scoreboard {path} int]]") == str(hits)


def test_the_table_has_a_row_per_method_with_the_boards_verdict():
    lines = hook.render("[[scoreboard-table]]").splitlines()
    assert len(lines) == 2 + len(BOARD["methods"])
    for line, (method, label) in zip(lines[2:], BOARD["methods"].items(), strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] == label
        assert cells[-2] == ("**yes**" if BOARD["verdicts"][method]["catches"] else "no")
        planted = BOARD["findings"][method]["planted"]
        assert cells[1].startswith(f"{100 * planted['score']:.1f}%")
        assert cells[-1] == hook.reason(BOARD["verdicts"][method], planted["hypothesis"])


def test_counts_come_from_the_board():
    caught = sum(v["catches"] for v in BOARD["verdicts"].values())
    methods = len(BOARD["methods"])
    assert hook.render("[[scoreboard-count methods int]]") == str(methods)
    assert hook.render("[[scoreboard-count catches int]]") == str(caught)
    assert hook.render("[[scoreboard-count misses word]]") == hook.NUMBER_WORDS[methods - caught]
    assert hook.render("[[scoreboard-count catches Word]]") == hook.NUMBER_WORDS[caught].title()
    assert hook.COUNT_FORMATS["word"](12) == "12"


def test_the_reason_follows_the_verdict():
    caught = {"catches": True, "separated": True, "flagged_controls": []}
    assert hook.reason(caught, "open pillar") == "apart from both controls; names the trigger"
    overlap = {"catches": False, "separated": False, "flagged_controls": ["natural", "remedy"]}
    assert hook.reason(overlap, None) == "overlaps natural and remedy"
    wrong = {"catches": False, "separated": True, "flagged_controls": []}
    assert hook.reason(wrong, "near the human") == "apart, but names near the human"


def test_the_sentences_are_the_modules():
    shown = hook.render("[[scoreboard-sentences]]").splitlines()
    assert shown == [f"- {s}" for s in sentences(BOARD)]


@pytest.mark.parametrize("index", [0, 2])
def test_an_example_link_opens_the_edited_maze_in_play(index):
    link = hook.render(f"[[scoreboard-example {index}]]")
    assert link.startswith("play.md?maze=")
    example = BOARD["findings"]["edit_search"]["planted"]["evidence"]["examples"][index]
    assert "#" not in link  # a wall would start the address's fragment
    maze = unquote(link.split("=", 1)[1])
    r, c = example["cell"]
    assert maze[7 * r + c] != "".join(example["maze"])[7 * r + c]  # the one change, made
    assert sum(a != b for a, b in zip(maze, "".join(example["maze"]), strict=True)) == 1
    assert from_link(maze)["ok"]


@pytest.mark.parametrize(
    "text",
    [
        "[[scoreboard verdicts.nope pct]]",
        "[[scoreboard verdicts.edit_search pct]]",  # not a single value
        "[[scoreboard verdicts.edit_search.threshold bogus]]",
        "[[scoreboard-example 99]]",
        "[[scoreboard-table extra]]",
        "[[scoreboard-count agents int]]",
        "[[scoreboard-count methods pct]]",
    ],
)
def test_anything_not_understood_fails_the_build(text):
    with pytest.raises(PluginError, match="detection.md"):
        hook.render(text, where="maze/detection.md")


def test_a_missing_file_fails_the_build(tmp_path):
    hook._load.cache_clear()
    with pytest.raises(PluginError, match="scoreboard.json is missing"):
        hook.render("[[scoreboard-table]]", models=tmp_path)
    hook._load.cache_clear()


def test_the_steering_table_has_the_unsteered_row_and_each_vectors_best():
    steering = json.loads((MODELS / "steering.json").read_text())
    lines = hook.render("[[steering-table]]").splitlines()
    best = [r for r in steering["best_by_vector"].values() if r is not None]
    assert len(lines) == 2 + 1 + len(best)
    unsteered = [c.strip() for c in lines[2].strip("|").split("|")]
    assert unsteered[:2] == ["Unsteered", "none"]
    for line, row in zip(lines[3:], best, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] == f"{row['vector']} vector, {row['operation']}"
        low, high = row["intervals"]["protrusion_human_rate"]
        assert cells[2] == (
            f"{100 * row['protrusion_human_rate']:.1f}% [{100 * low:.1f}%, {100 * high:.1f}%]"
        )
        controls = {
            c["agent"]: c
            for c in steering["controls"]
            if all(c[k] == row[k] for k in ("vector", "operation", "cells", "layer", "coefficient"))
        }
        assert cells[5] == ", ".join(
            f"{100 * controls[a]['training_finish_rate']:.1f}%"
            if controls[a].get("pairs") != 0
            else "no vector"  # the control has no pairs to build this vector from
            for a in ("natural", "remedy")
        )
