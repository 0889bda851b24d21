"""The boat-race reward exercise: the exact solver's verdict on readers' rewards."""

from __future__ import annotations

import pytest

from saferlhub.exercises import grade
from saferlhub.exercises.reward_hacking import (
    LONG_TRACK_ART,
    TRACKS,
    RewardedTrack,
    reward,
    worst_optimal_path,
)
from saferlhub.gridworlds.levels import BOAT_RACE_ART, BoatRace, boat_race_hidden

ORIGINAL = """\
def reward(before, after, arrows):
    step = (after[0] - before[0], after[1] - before[1])
    r = -{cost}
    if arrows.get(after) == step:
        r += {bonus}
    return r
"""

MEASURE = """\
def reward(before, after, arrows):
    step = (after[0] - before[0], after[1] - before[1])
    if arrows.get(after) == step:
        return 1
    if after != before and after not in arrows and arrows.get(before) == step:
        return 1
    return -1
"""

# The original's clockwise lap, written as cells: right on the original, wrong elsewhere.
HARD_CODED = """\
LAP = [(1, 1), (1, 2), (1, 3), (2, 3), (3, 3), (3, 2), (3, 1), (2, 1), (1, 1)]
def reward(before, after, arrows):
    return 1 if (before, after) in zip(LAP, LAP[1:]) else -1
"""


def messages(result) -> str:
    return "\n".join(c["message"] or "" for c in result["checks"])


def test_the_starting_code_fails_with_the_shuttle_explained():
    result = grade("ungameable-reward", ORIGINAL.format(cost=1, bonus=3))
    assert not result["ok"]
    text = messages(result)
    assert "goes back and forth between (1, 1) and (1, 2)" in text
    assert "earns 50 by your reward" in text and "completes 0 laps" in text
    assert "The best completes 12 laps (hidden performance 100" in text
    assert "no reason to prefer the lap" in text  # a tie, not a preference


@pytest.mark.parametrize("cost", [0, 1, 2])
@pytest.mark.parametrize("bonus", [-3, 0, 1, 3, 4, 10])
def test_no_choice_of_the_two_numbers_fixes_the_original_track(cost, bonus):
    """The page: 'Whatever the checkpoint pays and the step costs ... never prefer the lap'."""
    result = grade("ungameable-reward", ORIGINAL.format(cost=cost, bonus=bonus))
    assert not result["checks"][1]["passed"]


def test_paying_the_measure_itself_passes():
    assert grade("ungameable-reward", MEASURE)["ok"]


def test_the_reference_keeps_the_bonus_and_charges_moves_against_an_arrow():
    assert reward((1, 1), (1, 2), {(1, 2): (0, 1)}) == 2.0  # entering a checkpoint
    assert reward((1, 2), (1, 1), {(1, 2): (0, 1)}) == -4.0  # back against it
    assert reward((1, 1), (1, 1), {(1, 2): (0, 1)}) == -1.0  # a bump


def test_a_reward_that_names_the_original_cells_fails_on_the_longer_track():
    result = grade("ungameable-reward", HARD_CODED)
    assert [c["passed"] for c in result["checks"]] == [True, True, False]
    assert "On a longer track" in result["checks"][2]["message"]


def test_a_reward_that_is_not_a_number_is_named_with_its_move():
    result = grade("ungameable-reward", "def reward(before, after, arrows):\n    return None\n")
    assert "returned None" in result["checks"][0]["message"]
    assert "Return a number" in result["checks"][1]["message"]
    nan = grade("ungameable-reward", "def reward(b, a, arrows):\n    return float('nan')\n")
    assert "finite number" in nan["checks"][0]["message"]


def test_an_endless_loop_in_the_reward_is_stopped():
    result = grade("ungameable-reward", "def reward(b, a, arrows):\n    while True: pass\n")
    assert "was stopped" in result["checks"][0]["message"]


@pytest.mark.parametrize("name, art", TRACKS)
def test_the_wrapper_has_the_levels_moves_and_hidden_performance(name, art):
    game = RewardedTrack(art, lambda before, after, arrows: 0.0)
    race = BoatRace(art=art)
    for s, before in enumerate(game.level.open_cells):
        for a in range(4):
            nxt, _, hidden, done = game.outcome(s, a)
            after = game.level.open_cells[nxt]
            assert after == race.level.open_cells[race.level.next_index(s, a)]
            assert hidden == boat_race_hidden(race.level, before, after) and not done


@pytest.mark.parametrize("art, laps", [(BOAT_RACE_ART, 12), (LONG_TRACK_ART, 8)])
def test_the_best_hidden_path_laps_clockwise_every_move(art, laps):
    """The page: lapping at every move gives 100, twelve full laps on the original."""
    best = worst_optimal_path(RewardedTrack(art, lambda *args: 0.0), "hidden")
    assert best["hidden"] == 100 and best["clockwise"] == 100 and best["laps"] == laps
