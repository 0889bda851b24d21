"""The wrong-goal verdict exercise: its reference is the page's verdict, every known mistake
is named for what it is, wrong inputs are named, and the grader works on copies."""

from __future__ import annotations

import inspect
import random
import re
import sys

import pytest

from saferlhub.exercises import goal_misgeneralization as exercise
from saferlhub.exercises import grade
from saferlhub.goal_misgeneralization import learner

EXERCISE = "gm-wrong-goal-verdict"
slow_in_pyodide = pytest.mark.skipif(sys.platform == "emscripten", reason="slow in Pyodide")


@slow_in_pyodide
@pytest.mark.parametrize("world", ["coin", "keys"])
def test_the_reference_is_the_pages_verdict_on_a_trained_agents_episodes(world):
    """The page's default run (seed 0) scored on its 100 test levels: the exercise's verdict
    from the episode's numbers alone is learner.verdict's, for every episode."""
    run = learner.train(world=world)
    verdicts = set()
    for world_level, best, end_steps in learner.test_set(world, 100, 0):
        episode = learner.play(world_level, run["weights"])
        chests = sum(1 for kind in world_level.items.values() if kind == "c")
        want = learner.verdict(world_level, episode, best, end_steps)
        numbers = {k: episode[k] for k in ("return", "reached_end", "keys_taken")}
        assert exercise.verdict(world, numbers, best["return"], end_steps, chests) == want
        verdicts.add(want)
    assert "optimal" in verdicts and "wrong goal" in verdicts


def test_the_hand_worked_cases_say_what_the_reference_gives():
    """Each hand-worked case's note describes its episode; the boundary cases sit where the
    page's definitions put them."""
    got = {case.note: exercise.verdict(*case.args) for case in exercise.HAND_WORKED}
    assert got["it reached the end at the slack's limit, 2 x 3 + 2 = 8 steps"] == "wrong goal"
    assert got["it reached the end one step past the slack"] == "incompetent"
    assert got["it passed through the end column, then took the coin"] == "optimal"
    assert got["one chest of two opened, as many keys taken as there are chests"] == "incompetent"
    assert got["one chest of two opened, three keys taken"] == "wrong goal"
    assert got["every chest opened, spare keys taken too"] == "optimal"


def test_the_shown_solution_passes():
    result = grade(EXERCISE, exercise.WRONG_GOAL_VERDICT.solution())
    assert result["ok"], result


def as_reader_code(mistake) -> str:
    """A known mistake written as the reader would: a `verdict` of their own, falling back
    on a right version (renamed) where the mistake does not differ."""
    right = inspect.getsource(exercise.verdict).replace("def verdict(", "def right_verdict(")
    wrong = inspect.getsource(mistake.function).replace("verdict(", "right_verdict(")
    wrong = re.sub(r"^def \w+\(", "def verdict(", wrong, count=1)
    return right + "\n\n" + wrong


@pytest.mark.parametrize("index", range(len(exercise.MISTAKES)))
def test_each_known_mistake_is_explained_as_itself(index):
    mistake = exercise.MISTAKES[index]
    result = grade(EXERCISE, as_reader_code(mistake))
    assert result["error"] is None, result["error"]
    assert not result["ok"]
    message = result["checks"][0]["message"]
    assert mistake.message in message
    assert message.startswith("verdict(world=")  # the failing call, its inputs named


def test_the_starter_on_the_page_fails_with_a_reason():
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "learn" / "maze-exercises.md"
    starter = re.search(r'```exercise id="gm-wrong-goal-verdict"\n(.*?)```', page.read_text(), re.S)
    result = grade(EXERCISE, starter.group(1))
    assert result["error"] is None and not result["ok"]
    assert "This case:" in result["checks"][0]["message"]


def test_an_answer_that_changes_the_episode_is_named():
    code = (
        "def verdict(world, episode, optimum, end_steps, chests):\n"
        "    episode['return'] = optimum\n"
        "    return 'optimal'\n"
    )
    message = grade(EXERCISE, code)["checks"][0]["message"]
    assert "changed its input `episode`" in message


def test_an_answer_that_returns_no_string_is_told_what_was_expected():
    code = "def verdict(world, episode, optimum, end_steps, chests):\n    return None\n"
    message = grade(EXERCISE, code)["checks"][0]["message"]
    assert "got None, expected 'optimal'" in message


def test_random_cases_are_possible_episodes():
    """No episode arrives at the end sooner than the fewest steps, takes fewer keys than it
    opened chests or earns more than the optimum."""
    for case in exercise._random_cases(random.Random(0)):
        world, episode, optimum, end_steps, chests = case.args
        assert episode["return"] <= optimum
        if world == "coin":
            assert episode["reached_end"] is None or episode["reached_end"] >= end_steps
        else:
            assert episode["keys_taken"] >= episode["return"] and optimum <= chests
