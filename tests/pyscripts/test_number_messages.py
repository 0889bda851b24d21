"""Numbers a reader types: an empty field is refused with what to enter, a value out of
range is refused with the range, and no message repeats more than a short prefix of
what was typed (a 309-digit number once came back in full)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from saferlhub import settings
from saferlhub.blackjack.learners import make_settings
from saferlhub.maze.dream_stepper import DreamSession

ROOT = Path(__file__).resolve().parents[2]
HUGE = "9" * 309


def refusal(**changes) -> str:
    with pytest.raises(ValueError) as refused:
        make_settings(**changes)
    return str(refused.value)


def test_long_values_are_echoed_as_a_short_prefix():
    assert settings.shown(int(HUGE)) == "999999999999…"
    assert settings.shown(1e30) == "100000000000…"
    assert settings.shown("x" * 500) == repr("xxxxxxxxxxxx…")
    assert settings.shown(12345) == "12345" and settings.shown(2.5) == "2.5"
    for value in (int(HUGE), 1e30, 1e300, HUGE):
        message = refusal(seed=value)
        assert "4,294,967,295" in message, message  # the range, in words
        assert len(message) < 110 and "9" * 20 not in message and "0" * 20 not in message


def test_empty_infinite_and_text_values_get_a_sentence_that_says_what_to_enter():
    assert refusal(seed=None) == "Random seed is empty: enter a number from 0 to 4,294,967,295."
    assert refusal(seed="") == "Random seed is empty: enter a number from 0 to 4,294,967,295."
    assert refusal(seed=float("inf")) == "Random seed must be a number from 0 to 4,294,967,295."
    # A page sends the text of a number it cannot hold (1e999) as typed.
    assert refusal(seed="1e999") == (
        "Random seed must be a number from 0 to 4,294,967,295; '1e999' is not."
    )


def test_every_seed_setting_and_the_pages_share_one_range():
    from saferlhub.goal_misgeneralization.learner import LearnerSettings as GoalSettings
    from saferlhub.gridworlds.learners import GridworldSettings as GridSettings
    from saferlhub.reward_hacking.grader_toy import BanditSettings as ToySettings

    classes = [make_settings().__class__, GridSettings, ToySettings, GoalSettings]
    for cls in classes:
        seed = next(f for f in dataclasses.fields(cls) if f.name == "seed")
        assert (seed.metadata["min"], seed.metadata["max"]) == (0, settings.SEED_MAX), cls
    # docs/js/number-field.js (the maze pages' seeds) says the same.
    js = (ROOT / "docs/js/number-field.js").read_text()
    assert re.search(r"export const SEED_MAX = 2 \*\* 32 - 1;", js)
    assert settings.SEED_MAX == 2**32 - 1


def test_dreaming_refuses_a_seed_out_of_range_with_the_range():
    for seed in (-1, 2**32, 1e30, int(HUGE), "7"):
        with pytest.raises(
            ValueError, match=r"seed must be a whole number from 0 to 4,294,967,295"
        ) as refused:
            DreamSession(["a"], {"maze": "bad2"}, seed=seed)
        assert len(str(refused.value)) < 100
    with pytest.raises(ValueError, match="steps must be between 1 and 1000, got 999999999999…"):
        DreamSession(["a"], {"maze": "bad2"}, steps=int(HUGE))
