"""saferlhub.exercises: every solution passes, known mistakes are explained, loops stop."""

from __future__ import annotations

import pytest

from saferlhub.blackjack.learners import q_learning_update
from saferlhub.exercises import EXERCISES, catalogue, grade
from saferlhub.exercises.blackjack import PROBES, exact_q, learn_on_probe, q_update
from saferlhub.exercises.maze import board_rows, encode_input, open_cells
from saferlhub.maze import encode, generate_training_maze, parse_maze


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_shown_solution_passes_every_check(exercise_id):
    result = grade(exercise_id, EXERCISES[exercise_id].solution())
    assert result["error"] is None
    assert result["ok"], [c for c in result["checks"] if not c["passed"]]


def test_the_q_update_bug_of_the_old_app_is_named():
    code = (
        "def q_update(q, state, action, reward, next_state, terminated, alpha, gamma):\n"
        "    target = reward + gamma * max(q[next_state])\n"
        "    q[state][action] += alpha * (target - q[state][action])\n"
    )
    result = grade("q-update", code)
    assert not result["ok"]
    messages = "\n".join(c["message"] or "" for c in result["checks"])
    assert "the bug the old SafeRLHub app had" in messages
    assert "Probe environment 'one step'" in messages


def test_a_wrong_number_gets_the_mistake_explained_without_the_answer():
    result = grade("discounted-return", "answer = 3")
    message = result["checks"][1]["message"]
    assert "plain sum" in message and "2.62" not in message
    assert grade("discounted-return", "answer = 2.62")["ok"]


def test_an_endless_loop_is_stopped_and_later_checks_are_skipped():
    result = grade("epsilon-greedy", "def epsilon_greedy(q, e, rng):\n    while True: pass\n")
    assert "was stopped" in result["checks"][0]["message"]
    assert all("Not run" in c["message"] for c in result["checks"][1:])


def test_errors_name_the_input_and_the_readers_line():
    result = grade("returns", "def returns(rewards, gamma):\n    return 1 / 0\n")
    message = result["checks"][0]["message"]
    assert "ZeroDivisionError" in message and "line 2" in message


@pytest.mark.parametrize(
    "code, error",
    [
        ("def returns(r, g)\n", "SyntaxError"),
        ("x = 1\n", "does not define the function `returns`"),
        ("returns = 3\n", "is not a function"),
    ],
)
def test_code_that_cannot_be_checked_says_why(code, error):
    result = grade("returns", code)
    assert not result["ok"] and error in result["error"]


def test_printed_output_is_captured():
    result = grade("discounted-return", "print('thinking')\nanswer = 2.62\n")
    assert result["output"] == "thinking\n"


def test_the_probe_environments_have_the_q_values_we_say():
    assert exact_q(PROBES["two steps"][1], 0.9) == [[0.9], [1.0]]
    assert exact_q(PROBES["a choice"][1], 0.9) == [[0.5, 0.9], [1.0, 0.0]]
    for _, probe in PROBES.values():
        learned, exact = learn_on_probe(q_update, probe), exact_q(probe, 0.9)
        for row, want in zip(learned, exact, strict=True):
            assert row == pytest.approx(want, abs=1e-6)


def test_the_reference_update_is_the_sites_q_learning_update():
    q1, q2 = [[0.5, 1.0], [2.0, -1.0]], [[0.5, 1.0], [2.0, -1.0]]
    for terminated in (False, True):
        q_update(q1, 0, 1, 1.0, 1, terminated, 0.5, 0.9)
        q_learning_update(q2, 0, 1, 1.0, 1, None, terminated, 0.5, 0.9)
    assert q1 == q2


def test_maze_references_agree_with_the_maze_package():
    import random

    rng = random.Random(3)
    for _ in range(20):
        maze = generate_training_maze(rng)
        rows = board_rows(maze)
        assert parse_maze("\n".join(rows)) == maze
        assert open_cells(rows) == maze.open_cells
        assert encode_input(rows, (0, 0)) == encode(maze, (0, 0))


def test_the_catalogue_lists_every_exercise_once():
    ids = [entry["id"] for entry in catalogue()]
    assert ids == list(EXERCISES) and len(set(ids)) == len(ids)
    assert all(entry["hints"] >= 1 for entry in catalogue())
