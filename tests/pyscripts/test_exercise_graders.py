"""The exercise graders against gaming, wrong types, known mistakes and leaks between Checks."""

from __future__ import annotations

import sys
from fractions import Fraction

import pytest

import saferlhub.exercises as exercises
from saferlhub.exercises import EXERCISES, grade
from saferlhub.maze import ENCODING_SPEC


def first_failure(result) -> str:
    if result["error"]:
        return result["error"]
    return next(c["message"] for c in result["checks"] if not c["passed"])


def all_messages(result) -> str:
    return "\n".join([result["error"] or ""] + [c["message"] or "" for c in result["checks"]])


# --- inputs are copies, compared against values read before the call -------------------

SORTS_IN_PLACE = """\
def epsilon_greedy(q_values, epsilon, rng):
    if rng.random() < epsilon:
        return rng.randrange(len(q_values))
    q_values.sort()  # the best is now last: but the caller's list is changed
    return len(q_values) - 1
"""


def test_epsilon_greedy_that_sorts_the_row_in_place_fails_naming_the_input():
    result = grade("epsilon-greedy", SORTS_IN_PLACE)
    assert not result["ok"]
    assert "changed its input `q_values`" in first_failure(result)
    greedy = result["checks"][1]
    assert not greedy["passed"] and "changed its input `q_values`" in greedy["message"]


def test_a_function_that_changes_an_input_it_should_not_fails():
    code = (
        EXERCISES["returns"]
        .solution()
        .replace("    return result", "    rewards.append(0)\n    return result")
    )
    assert "rewards.append(0)" in code
    message = first_failure(grade("returns", code))
    assert "returns(rewards=[], gamma=0.9) changed its input `rewards` to [0]" in message


# --- wrong types and values: a sentence, never the grader's traceback -------------------

WRONG_RETURNS = {
    "None": "return None",
    "a float": "return 0.5",
    "a string": "return 'x'",
    "an out-of-range number": "return 99",
    "a negative number": "return -1",
    "a list": "return [1]",
    "the first argument's maximum": "return max(args[0]) if isinstance(args[0], list) "
    "and args[0] and isinstance(args[0][0], float) else 0.5",
}


@pytest.mark.parametrize("wrong", sorted(WRONG_RETURNS))
@pytest.mark.parametrize(
    "exercise_id", sorted(i for i, e in EXERCISES.items() if e.kind == "function")
)
def test_every_wrong_return_gets_a_sentence_naming_the_input(exercise_id, wrong):
    entry = EXERCISES[exercise_id].entry
    code = f"def {entry}(*args):\n    {WRONG_RETURNS[wrong]}\n"
    result = grade(exercise_id, code)
    assert not result["ok"]
    message = first_failure(result)
    assert "Traceback" not in all_messages(result) and "saferlhub/" not in all_messages(result)
    assert "could not use" not in message  # the safety net is not what answers these
    if exercise_id == "ungameable-reward" and wrong not in ("None", "a string", "a list"):
        assert message.startswith("On the original track, a policy that is optimal")
        return  # any number is a reward: the verdict is the answer
    assert f"{entry}(" in message, message
    assert "expected" in message or "should return" in message, message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("return max(q_values)", "That looks like a Q-value: return its index"),
        ("return None", "returned NoneType None, not an action number: expected an int"),
        ("return 0.0", "returned float 0, not an action number"),
        ("return len(q_values)", "expected an action from 0 to 4 (q_values has 5 entries)"),
    ],
)
def test_epsilon_greedy_wrong_actions(body, expected):
    result = grade("epsilon-greedy", f"def epsilon_greedy(q_values, epsilon, rng):\n    {body}\n")
    assert expected in first_failure(result)
    assert all(not c["passed"] for c in result["checks"])  # no check crashed into a pass


# --- known mistakes are named correctly ------------------------------------------------

Q_UPDATE = """\
def q_update(q, state, action, reward, next_state, terminated, alpha, gamma):
    target = {target}
    q[state][action] += alpha * (target - q[state][action])
"""
BELLMAN = "def bellman_target(reward, next_q_values, terminated, gamma):\n    return {e}\n"
TD_LOSS = """\
def td_loss(batch, q_network, target_network, gamma):
    total = 0.0
    for x, action, reward, next_x, terminated in batch:
        target = {e}
        total += (q_network(x)[action] - target) ** 2
    return total / len(batch)
"""
OBJECTIVE = """\
def dream_objective(q_values, action):
    others = [q for a, q in enumerate(q_values) if a != action]
    return {e}
"""


@pytest.mark.parametrize(
    ("exercise_id", "code", "explanation"),
    [
        (
            "q-update",
            Q_UPDATE.format(target="reward if terminated else reward + gamma * min(q[next_state])"),
            "not the worst (min)",
        ),
        (
            "q-update",
            Q_UPDATE.format(target="0 if terminated else reward + gamma * max(q[next_state])"),
            "the target is the reward itself, not 0",
        ),
        (
            "q-update",
            Q_UPDATE.format(target="reward + gamma * max(q[next_state])"),
            "the bug the old SafeRLHub app had",
        ),
        (
            "q-update",
            Q_UPDATE.format(
                target="reward if terminated else reward + gamma * q[next_state][action]"
            ),
            "not from the same action in the next state",
        ),
        (
            "maze-bellman-target",
            BELLMAN.format(e="reward if terminated else reward + gamma * min(next_q_values)"),
            "not the worst (min)",
        ),
        (
            "maze-bellman-target",
            BELLMAN.format(e="0 if terminated else reward + gamma * max(next_q_values)"),
            "the target is the reward itself, not 0",
        ),
        (
            "maze-td-loss",
            TD_LOSS.format(e="0 if terminated else reward + gamma * max(target_network(next_x))"),
            "the target is the reward itself, not 0",
        ),
        (
            "maze-td-loss",
            TD_LOSS.format(
                e="reward if terminated else reward + gamma * min(target_network(next_x))"
            ),
            "not the worst (min)",
        ),
        (
            "maze-dream-objective",
            OBJECTIVE.format(e="sum(others) / len(others) - q_values[action]"),
            "The sign is flipped",
        ),
        (
            "maze-dream-objective",
            OBJECTIVE.format(e="q_values[action] - sum(others)"),
            "not their sum",
        ),
    ],
)
def test_each_known_mistake_gets_its_own_explanation(exercise_id, code, explanation):
    result = grade(exercise_id, code)
    failed = [c["message"] for c in result["checks"] if not c["passed"]]
    assert failed and all(explanation in message for message in failed), failed


# --- the reader's errors, sys.exit ------------------------------------------------------


def test_an_error_names_the_call_it_happened_in():
    result = grade("returns", "def returns(rewards, gamma):\n    return 1 / 0\n")
    message = first_failure(result)
    assert message.startswith("Your code raised an error on returns(rewards=[], gamma=0.9):")
    assert "ZeroDivisionError" in message


@pytest.mark.parametrize("exit_call", ["import sys; sys.exit()", "raise SystemExit(3)"])
def test_sys_exit_is_a_clear_message_and_not_a_crash(exit_call):
    in_function = grade("returns", f"def returns(rewards, gamma):\n    {exit_call}\n")
    assert "sys.exit()" in first_failure(in_function) and "return the result" in (
        first_failure(in_function)
    )
    at_top = grade("discounted-return", f"{exit_call}\nanswer = 2.62\n")
    assert not at_top["ok"] and at_top["checks"] == []
    assert "SystemExit" in at_top["error"] and "Traceback" not in at_top["error"]


# --- isolation --------------------------------------------------------------------------

MUTATES_SPEC = """\
from saferlhub.maze import ENCODING_SPEC
ENCODING_SPEC["planes"][0]["start"] = 7
ENCODING_SPEC["input_size"] = 9
def mask_wall_gradient(gradient):
    return [0.0] * 245
"""


def test_an_answer_that_changes_the_encoding_spec_is_told_and_the_spec_put_back():
    before = {**ENCODING_SPEC, "planes": [dict(p) for p in ENCODING_SPEC["planes"]]}
    result = grade("maze-mask-gradient", MUTATES_SPEC)
    assert not result["ok"] and "changed saferlhub.maze.ENCODING_SPEC" in result["error"]
    assert ENCODING_SPEC == before


def test_a_spec_changed_earlier_in_the_session_does_not_reach_the_checks():
    original = ENCODING_SPEC["input_size"]
    ENCODING_SPEC["input_size"] = 3  # as a code cell on the page might
    try:
        solution = EXERCISES["maze-encode-input"].solution()
        assert grade("maze-encode-input", solution)["ok"]
        assert ENCODING_SPEC["input_size"] == original
    finally:
        ENCODING_SPEC["input_size"] = original


def test_a_replaced_check_or_comparison_does_not_carry_over_to_the_next_check():
    wrong = "def returns(rewards, gamma):\n    return [0.0] * len(rewards)\n"
    # What a code cell could do to the live modules between two Checks.
    sys.modules["saferlhub.exercises.grading"].difference = lambda *args, **kw: None
    sys.modules["saferlhub.exercises"].EXERCISES["returns"] = EXERCISES["discounted-return"]
    assert not exercises.grade("returns", wrong)["ok"]
    assert not sys.modules["saferlhub.exercises"].grade("returns", wrong)["ok"]


@pytest.mark.parametrize(
    "code",
    [
        "from saferlhub.exercises.maze import encode_input\n",
        "from saferlhub.exercises import maze\nencode_input = maze.encode_input\n",
        "import saferlhub.exercises.maze as m\ndef encode_input(rows, position):\n"
        "    return m.encode_input(rows, position)\n",
    ],
)
def test_a_solution_that_imports_the_reference_is_not_passed(code):
    result = grade("maze-encode-input", code)
    assert not result["ok"] and "saferlhub.exercises" in result["error"]


def test_a_function_from_elsewhere_is_not_the_readers_own():
    result = grade("returns", "from itertools import accumulate as returns\n")
    assert not result["ok"] and "is not defined by your code" in result["error"]


# --- numeric answers ----------------------------------------------------------------------


def test_a_wrong_number_is_called_high_or_low_only_for_the_first_tries():
    early = first_failure(grade("endless-return", "answer = 24", attempt=1))
    assert "Too high." in early and "relative tolerance of 0.001" in early
    assert "within 0.1% of the answer" in early
    late = first_failure(grade("endless-return", "answer = 24", attempt=4))
    assert "off by about 20% of the answer" in late
    assert "high" not in late.lower() and "low" not in late.lower()


def test_the_tolerance_is_relative():
    assert grade("endless-return", "answer = 20.015")["ok"]  # 0.075% off
    assert not grade("endless-return", "answer = 20.03")["ok"]  # 0.15% off


@pytest.mark.parametrize(
    ("exercise_id", "exact"),
    [("endless-return", Fraction(20)), ("corridor-q", -1 + Fraction(9, 10) * (-1 + 9))],
)
def test_exact_fractions_are_accepted(exercise_id, exact):
    assert float(exact) == pytest.approx(EXERCISES[exercise_id].expected_value())
    fraction = f"Fraction({exact.numerator}, {exact.denominator})"
    code = f"from fractions import Fraction\nanswer = {fraction}\n"
    result = grade(exercise_id, code)
    assert result["ok"], result
    assert not grade(exercise_id, "answer = True")["ok"]


# --- the boat-race reward: ties decided with a stated tolerance ---------------------------

HAIR = """\
def reward(before, after, arrows):
    step = (after[0] - before[0], after[1] - before[1])
    r = -1.0
    if arrows.get(after) == step:
        r += 3.0
    along = arrows.get(after) == step or (
        after != before and after not in arrows and arrows.get(before) == step
    )
    return r + {bonus} * (1 if along else -1)
"""


def test_a_reward_that_prefers_the_lap_by_a_hair_is_a_tie_and_says_so():
    result = grade("ungameable-reward", HAIR.format(bonus="1e-6"))
    assert not result["ok"]
    message = result["checks"][1]["message"]
    assert "only 0.0001 more over the 100 steps: within the tie tolerance" in message
    assert "0.0002 a step, 0.0001 of your largest reward of a move" in message


def test_a_right_reward_scaled_down_still_passes():
    scaled = EXERCISES["ungameable-reward"].solution().replace("return r", "return r * 1e-12")
    assert "1e-12" in scaled
    assert grade("ungameable-reward", scaled)["ok"]
    assert grade("ungameable-reward", HAIR.format(bonus="0.1"))["ok"]


def test_the_page_states_the_tie_tolerance_the_grader_uses():
    from pathlib import Path

    from saferlhub.exercises.reward_hacking import TIE_FRACTION

    page = Path(__file__).parents[2] / "docs/learn/reward-hacking-exercises.md"
    assert TIE_FRACTION == 1e-4
    assert "differ by less than 10⁻⁴ of your largest reward of one" in page.read_text()
