"""The remedy dial's committed measurement (measured.MEASURED) and what the page says of it.

The page shows MEASURED and states a few findings in words; these tests recompute rows of
MEASURED from `remedy.dial` with MEASURED_RUN (the same code and seeds, so the very same
numbers) and tie the page's sentences to the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from saferlhub.goal_misgeneralization import remedy
from saferlhub.goal_misgeneralization.measured import MEASURED

PAGE = Path(__file__).resolve().parents[2] / "docs" / "maze" / "unplanted.md"
# Each recomputed row trains 10 agents (about 2 s in CPython); Pyodide in Node.js is slower.
slow_in_pyodide = pytest.mark.skipif(sys.platform == "emscripten", reason="slow in Pyodide")


@slow_in_pyodide
@pytest.mark.parametrize(
    ("world", "share"), [("coin", 0.0), ("coin", 10.0), ("coin", 25.0), ("keys", 0.0)]
)
def test_the_measured_rows_are_what_the_dial_computes(world, share):
    again = remedy.dial(world=world, shares=[share], **remedy.MEASURED_RUN)
    committed = next(row for row in MEASURED[world]["rows"] if row["share"] == share)
    assert again["rows"] == [committed]


def test_the_measurement_covers_every_share_with_the_measured_run():
    for world, result in MEASURED.items():
        assert [row["share"] for row in result["rows"]] == list(remedy.SHARES)
        assert (result["seeds"], result["episodes"], result["test_levels"]) == (
            remedy.MEASURED_RUN["seeds"],
            remedy.MEASURED_RUN["episodes"],
            remedy.MEASURED_RUN["test_levels"],
        )
        assert result["world"] == world and result["finished"]


def fixed_seeds(row, test_levels=100):
    return sum(run["wrong_goal"] <= 0.05 * test_levels for run in row["runs"])


def test_coin_the_page_says_25_percent_fixed_every_seed_and_seeds_decided_below():
    text = " ".join(PAGE.read_text().split())
    coin = MEASURED["coin"]
    rows = {row["share"]: row for row in coin["rows"]}
    assert coin["fixed_at"] == 25.0
    assert "In this measurement 25% test-like levels fixed every seed." in text
    # "At 5% and 10% some seeds were fixed and others were not."
    for share in (5.0, 10.0):
        assert 0 < fixed_seeds(rows[share]) < len(rows[share]["runs"])
    assert "At 5% and 10% some seeds were fixed and others were not" in text
    # "With no test-like levels, the test levels the agent loses are lost mostly to the wrong goal"
    assert rows[0.0]["wrong_goal_rate"] > 5 * rows[0.0]["incompetent_rate"]


def test_keys_the_page_says_little_is_lost_to_the_wrong_goal_more_to_wandering():
    text = " ".join(PAGE.read_text().split())
    keys = MEASURED["keys"]
    assert "never much to the wrong goal, and the dial does not change that" in text
    assert "it loses more by wandering" in text
    assert keys["fixed_at"] is None
    for row in keys["rows"]:
        assert row["wrong_goal_rate"] < 0.1
        assert row["wrong_goal_rate"] < row["incompetent_rate"]


def test_the_pages_settings_in_words_are_the_codes():
    from saferlhub.goal_misgeneralization import worlds

    text = " ".join(PAGE.read_text().split())
    run = remedy.MEASURED_RUN
    assert run == {"seeds": 10, "episodes": 300, "test_levels": 100}
    assert (
        "Ten seeds per share, each agent trained for 300 episodes and scored on the same "
        "100 test levels" in text
    )
    assert (worlds.COIN_STEPS, worlds.KEYS_STEPS) == (40, 30)
    assert "40 steps (coin) or 30 (keys) instead of 1,000" in text
    assert "within twice the fewest steps there, plus two" in text
    assert remedy.DEFAULT_DIAL["seeds"] == 3
    assert "press **Turn the dial** to train three seeds at every share" in text
