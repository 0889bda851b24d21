"""The quiz data (docs/learn/quiz.yml): valid keys, answers recomputed, links that resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import quiz
from markdown.extensions.toc import slugify
from mkdocs.exceptions import PluginError

from saferlhub.blackjack.solver import optimal_value
from saferlhub.maze import INPUT_SIZE, ORIGINAL_REWARDS, optimal_policy_map, parse_maze

DOCS = Path(__file__).resolve().parents[2] / "docs"
QUESTIONS = {q["id"]: q for q in quiz.load_questions()}

# How each numeric answer is computed: never typed in unchecked.
NUMERIC = {
    "bellman-backup": lambda: 0.5 + 0.1 * (1 + 0.9 * 2 - 0.5),
    "terminal-backup": lambda: 0.5 + 0.1 * (1 - 0.5),
    "three-rewards": lambda: sum(0.9**t * r for t, r in enumerate([0, 0, 1])),
    "endless-ones": lambda: 1 / (1 - 0.9),
    "greedy-share": lambda: (1 - 0.1) + 0.1 / 2,
    "human-reward": lambda: ORIGINAL_REWARDS.human,
    "wall-reward": lambda: ORIGINAL_REWARDS.wall,
    "input-size": lambda: INPUT_SIZE,
}


def headings(page: str) -> set[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return {slugify(m.group(1).strip(), "-") for m in re.finditer(r"^#+ (.+)$", text, re.M)}


def test_there_are_at_least_30_questions_of_every_kind():
    kinds = [q["kind"] for q in QUESTIONS.values()]
    assert len(kinds) >= 30
    assert {"choice", "numeric", "predict"} <= set(kinds)


@pytest.mark.parametrize(
    "question_id", sorted(q for q in QUESTIONS if QUESTIONS[q]["kind"] == "numeric")
)
def test_numeric_answers_are_computed(question_id):
    q = QUESTIONS[question_id]
    assert question_id in NUMERIC, f"add how to compute {question_id!r} to NUMERIC"
    assert abs(NUMERIC[question_id]() - q["answer"]) <= q["tolerance"] + 1e-12


@pytest.mark.parametrize(
    "question_id", sorted(q for q in QUESTIONS if QUESTIONS[q]["kind"] == "predict")
)
def test_predicted_moves_are_the_exact_solvers(question_id):
    q = QUESTIONS[question_id]
    maze = parse_maze(q["maze"].replace("A", "."))
    rows = q["maze"].strip().splitlines()
    r, c = q["cell"]
    assert rows[r][c] == "A", "the maze marks the agent's cell with A"
    move = optimal_policy_map(maze)[(r, c)]
    assert q["choices"][q["answer"]] == move.name.lower()


def test_the_blackjack_figures_in_the_quiz_are_the_solvers():
    q = QUESTIONS["blackjack-best"]
    assert f"{optimal_value():.3f}".replace("-", "−") in q["choices"][q["answer"]]


@pytest.mark.parametrize("question_id", sorted(QUESTIONS))
def test_every_lesson_link_resolves(question_id):
    page, _, anchor = QUESTIONS[question_id]["lesson"].partition("#")
    assert (DOCS / page).is_file(), f"{page} is not a page"
    if anchor:
        assert anchor in headings(page), f"{page} has no heading #{anchor}"


def test_a_bad_question_fails_the_build(tmp_path):
    bad = tmp_path / "quiz.yml"
    bad.write_text(
        "- {id: x, kind: choice, lesson: index.md, question: Q, explanation: E, "
        "choices: [a, b], answer: 2}\n"
    )
    with pytest.raises(PluginError, match="answer 2 is not a choice"):
        quiz.load_questions(bad)
    bad.write_text("- {id: x, kind: essay, lesson: index.md, question: Q, explanation: E}\n")
    with pytest.raises(PluginError, match="kind must be"):
        quiz.load_questions(bad)
