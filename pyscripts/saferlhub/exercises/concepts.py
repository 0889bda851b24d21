"""Conceptual questions of the original exercise, as graded numbers: returns,
discounting, optimal Q-values in a tiny game. The answers are computed by the
solution code below, never typed in, and the known wrong answers get their own
explanation."""

from __future__ import annotations

import random

from saferlhub.exercises.grading import Case, Exercise, Mistake, compare, value_exercise

LESSON = "blackjack/under-the-hood.md"

DISCOUNTED_RETURN = value_exercise(
    id="discounted-return",
    title="The return of three rewards",
    topic="Returns and values",
    lesson=LESSON,
    solution_code="""\
rewards = [1, 0, 2]
gamma = 0.9
# G = r0 + gamma * r1 + gamma**2 * r2: the first reward is not discounted
answer = sum(gamma**t * r for t, r in enumerate(rewards))
""",
    mistakes=(
        (
            "answer = 1 + 0 + 2",
            "That is the plain sum: each later reward is discounted by one more factor of gamma.",
        ),
        (
            "answer = 0.9 * 1 + 0.9**2 * 0 + 0.9**3 * 2",
            "The first reward arrives now and is not discounted: its factor is gamma**0 = 1.",
        ),
    ),
    hints=(
        "The return is G = r0 + gamma * r1 + gamma**2 * r2.",
        "The first reward's factor is gamma**0 = 1.",
    ),
)

ENDLESS_RETURN = value_exercise(
    id="endless-return",
    title="A reward of +1 forever",
    topic="Returns and values",
    lesson=LESSON,
    solution_code="""\
gamma = 0.95
# 1 + gamma + gamma**2 + ... is a geometric series
answer = 1 / (1 - gamma)
""",
    mistakes=(
        (
            "answer = 0.95 / (1 - 0.95)",
            "The first +1 arrives now and counts in full: the series starts at gamma**0 = 1.",
        ),
    ),
    hints=(
        "Write G = 1 + gamma * G: the return after the first step is the same endless stream.",
        "Solve it for G, or sum the geometric series 1 + gamma + gamma**2 + ...",
    ),
)

CORRIDOR_Q = value_exercise(
    id="corridor-q",
    title="An optimal Q-value in a three-cell corridor",
    topic="Returns and values",
    lesson=LESSON,
    solution_code="""\
gamma = 0.9
v_b = 10                   # from B, moving right enters the goal: +10, the episode ends
v_a = -1 + gamma * v_b     # from A, right: -1 to enter B, then the best from B
answer = -1 + gamma * v_a  # from A, left: bump the wall (-1), still in A, then the best
""",
    mistakes=(
        (
            "answer = -1",
            "After the bump the episode goes on from A: add gamma * V*(A), the "
            "value of acting optimally from A.",
        ),
        (
            "answer = -1 + 0.9 * (-1 + 10)",
            "V*(A) is itself discounted: from A the goal is two "
            "steps away, so V*(A) = -1 + gamma * 10.",
        ),
    ),
    hints=(
        "Work backwards from the goal: V*(B) is the value of the best move from B.",
        "V*(A) = -1 + gamma * V*(B) (move right, then act optimally).",
        "Q*(A, left) = -1 + gamma * V*(A): the bump leaves the agent in A.",
    ),
)


def returns(rewards, gamma):
    """The return G_t = r_t + gamma * G_(t+1) from every step t of an episode."""
    result = [0.0] * len(rewards)
    g = 0.0
    for t in range(len(rewards) - 1, -1, -1):  # backwards: G_t needs G_(t+1)
        g = rewards[t] + gamma * g
        result[t] = g
    return result


def _forwards_without_discount(rewards, gamma):
    return [float(sum(rewards[t:])) for t in range(len(rewards))]


def _return_cases(rng: random.Random) -> list[Case]:
    cases = [
        Case(([], 0.9), "an empty episode"),
        Case(([1.0], 0.9), "a single reward"),
        Case(([0.0, 0.0, 1.0], 0.5), "a reward at the end only"),
        Case(([1.0, 2.0, 3.0], 1.0), "gamma = 1: plain sums"),
        Case(([1.0, 2.0, 3.0], 0.0), "gamma = 0: each step's own reward"),
    ]
    for _ in range(40):
        length = rng.randint(1, 12)
        rewards = [
            rng.choice([-1.0, 0.0, 1.0, round(rng.uniform(-3, 3), 2)]) for _ in range(length)
        ]
        cases.append(Case((rewards, rng.choice([0.5, 0.9, 0.95, 0.99])), "random rewards"))
    return cases


RETURNS = compare(
    "matches the reference on 45 episodes",
    _return_cases,
    returns,
    entry="returns",
    mistakes=(
        Mistake(
            _forwards_without_discount,
            "These are undiscounted sums: multiply by gamma once per step of delay.",
        ),
    ),
)

RETURNS_EXERCISE = Exercise(
    id="returns",
    title="Returns from every step",
    topic="Returns and values",
    entry="returns",
    reference=returns,
    lesson=LESSON,
    checks=(RETURNS,),
    hints=(
        "Go backwards: G at the last step is its reward; G_t = r_t + gamma * G_(t+1).",
        "Keep a running g = 0.0, loop t from the end to the start, store each g.",
    ),
)

EXERCISES = (DISCOUNTED_RETURN, ENDLESS_RETURN, CORRIDOR_Q, RETURNS_EXERCISE)
